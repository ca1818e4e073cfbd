#pragma once
/// \file synthetic_source.hpp
/// The built-in interrogator: Gaussian noise plus wavefronts moving along the fibre at known times,
/// for the demo and for tests that need a stream without hardware (DESIGN.md §4 `type: synthetic`).
///
/// Every row is a pure function of (absolute index, seed): the stream is the same whatever the chunk
/// length, and a restarted source reproduces it exactly.

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/config_reader.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/source.hpp"

namespace dasflow::io {

class SyntheticSource final : public Source {
public:
  struct Config {
    std::size_t channels = 1000;        ///< columns
    double fs_hz = 1000.0;              ///< sampling rate
    double chunk_s = 1.0;               ///< chunk length in seconds
    double duration_s = 0.0;            ///< 0 = endless
    bool realtime = true;               ///< pace chunks at the wall clock (the caller sleeps)
    double dx_m = 1.0;                  ///< channel spacing
    double noise_rms = 1.0;             ///< standard deviation of the noise
    double event_interval_s = 10.0;     ///< a wavefront every interval, the first at half of it
    double event_amplitude = 20.0;      ///< peak of the wavelet, in noise RMS units times noise_rms
    double event_frequency_hz = 10.0;   ///< Ricker wavelet peak frequency
    double event_velocity_m_s = 1500.0; ///< apparent velocity along the fibre
    std::uint64_t seed = 1;
    /// `start`: first sample's time in seconds since the epoch; unset = when the daemon starts.
    /// A fixed start makes a non-real-time stream the same in every run (tests, resume proofs).
    std::optional<double> start_s;
    /// Simulated losses: [start, length] in seconds from the stream start; those samples are never
    /// delivered (tests of gap handling, demos of a flaky link).
    std::vector<std::pair<double, double>> gaps_s;
  };

  /// Reads `source:` keys (type, channels, fs, chunk, duration, realtime, dx, noise, event_*, seed);
  /// `path` is the YAML path for errors.
  static Result<Config> parse(const YAML::Node& node, const std::string& path);

  /// `start_ns` is rounded down to the sample grid (so indices count samples since the epoch).
  SyntheticSource(Config config, std::int64_t start_ns);

  const StreamInfo& stream() const noexcept { return stream_; }
  const Config& config() const noexcept { return config_; }
  std::size_t chunk_samples() const noexcept { return chunk_samples_; }

  /// Fills the next chunk; false once `duration` is reached. No pacing.
  bool next(Chunk& out);

  Result<StreamInfo> open() override { return stream_; }
  /// next(out), but with `realtime` it first waits until the wall clock has passed the chunk's
  /// last sample, as an interrogator would deliver it.
  Result<bool> next(Chunk& out, const std::atomic<bool>& stop) override;
  SourcePace pace() const noexcept override { return config_.realtime ? SourcePace::live : SourcePace::replay; }
  /// [start, start + duration) when the stream has a duration.
  std::optional<Extent> extent() const override {
    if (config_.duration_s <= 0) return std::nullopt;
    return Extent{first_index_, end_index_};
  }
  /// Not real time: continues at `index` (never before the stream's start). Real time: nothing
  /// (an interrogator cannot go back).
  Result<void> seek(std::int64_t index) override;
  std::string describe() const override;
  /// Absolute index of the next sample next() will produce.
  std::int64_t next_index() const noexcept { return next_index_; }

  /// Absolute sample index at which wavefront k is centred on its origin channel.
  std::int64_t event_index(std::int64_t k) const noexcept;
  /// Channel column where wavefront k starts (cycles through the cable).
  std::size_t event_channel(std::int64_t k) const noexcept;

  /// Row `index` of the stream (n_channels values); what next() writes.
  void fill_row(std::int64_t index, float* row) const noexcept;
  /// One sample of the stream (computes its whole row: for tests and probes, not hot loops).
  float sample(std::int64_t index, std::size_t column) const;

private:
  Config config_;
  StreamInfo stream_;
  std::size_t chunk_samples_ = 1;
  std::int64_t first_index_ = 0;
  std::int64_t next_index_ = 0;
  std::int64_t end_index_ = 0;                              ///< exclusive; INT64_MAX when endless
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps_; ///< absolute [begin, end) never delivered
};

} // namespace dasflow::io
