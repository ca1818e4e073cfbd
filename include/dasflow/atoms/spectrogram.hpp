#pragma once
/// \file spectrogram.hpp
/// `spectrogram`: per channel, the power spectral density of sliding segments, segment by segment
/// equal to scipy.signal.spectrogram(x, fs, window, nperseg, noverlap, detrend, mode="psd") (scipy
/// 1.10; see sliding_spectrum.hpp for the formula). Defaults are scipy's: window ("tukey", 0.25),
/// nperseg 256, noverlap nperseg // 8, detrend "constant".
///
/// Output: a spectral stream (stream.hpp SpectralAxis, kind frequencies) at fs / (nperseg −
/// noverlap), one row per segment, nperseg/2 + 1 frequencies × n_channels columns (frequency-major);
/// row k is segment k = input samples [k·hop, k·hop + nperseg), stamped at its centre (scipy's `t`).
/// Latency: a segment is out once its last sample is in (nperseg samples after its start).

#include "dasflow/atoms/sliding_spectrum.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class Spectrogram final : public Atom {
public:
  struct Config {
    std::int64_t nperseg = 256;
    std::int64_t noverlap = -1; ///< -1: nperseg // 8
    std::string window = "tukey";
    double alpha = 0.25; ///< tukey only
    std::string detrend = "constant";
  };

  explicit Spectrogram(Config config) : config_(std::move(config)) {}
  /// Keys: nperseg (256), noverlap (nperseg // 8), window (tukey | hann | hamming | blackman |
  /// boxcar), alpha (tukey, 0.25), detrend (constant | none).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "spectrogram"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return engine_.max_segments(n_in); }
  void reset() noexcept override { engine_.reset(); }
  std::unique_ptr<Atom> clone() const override { return std::make_unique<Spectrogram>(*this); }
  StateTree save_state() const override { return engine_.save("spectrogram"); }
  Result<void> restore_state(const StateTree& s) override { return engine_.restore(s, "spectrogram"); }
  std::string config_yaml() const override;

private:
  Config config_;
  SlidingSpectrum engine_;
  std::size_t n_channels_ = 0;
};

} // namespace dasflow::atoms
