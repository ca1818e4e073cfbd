#pragma once
/// \file fuzz_pipelines.hpp
/// The pipelines whose saved state the state fuzzers restore, between them holding every atom
/// with state (DESIGN.md §3), and the synthetic chunks that give them a non-trivial state for the
/// seed corpus.

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/core/sequential.hpp"
#include "dasflow/core/stream.hpp"

namespace dasflow::fuzz {

inline constexpr std::array<const char*, 4> kPipelines = {
    // The detection chain of config/demo.yaml.
    "[{atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}, {atom: decimate, factor: 4},"
    " {atom: stalta, method: classic, sta: 0.2, lta: 2.0}, {atom: trigger, on_threshold: 3.0, off_threshold: 1.5,"
    " max_length: 2.0}, {atom: coincidence, min_channels: 2, window: 0.5}]",
    // Everything else with state.
    "[{atom: select, channels: [0, 8, 1]}, {atom: common_mode}, {atom: firfilter, numtaps: 31, cutoff: [20.0]},"
    " {atom: lfilter, b: [0.5, 0.25], a: [2.0, -1.2, 0.5]}, {atom: sosfilter, sos: [[1, 0, -1, 1, -1.4, 0.46]]},"
    " {atom: decimate, factor: 2, ftype: iir}, {atom: scale, factor: 3}, {atom: abs}, {atom: square},"
    " {atom: stalta, method: recursive, sta: 0.2, lta: 2.0}, {atom: trigger, on_threshold: 2.0, off_threshold: 1.0}]",
    // The FFT atoms (issue 8): overlap-save FIRs, envelope, fkfilter, then band energies.
    "[{atom: fkfilter, vmin: 50, window: 0.2, pad: 1}, {atom: firfilter, numtaps: 101, cutoff: [30.0], method: fft},"
    " {atom: decimate, factor: 2, numtaps: 41, method: fft}, {atom: envelope, numtaps: 31},"
    " {atom: fbe, window: 0.32, overlap: 0.75, bands: [[1, 10], [10, 50]]}, {atom: stalta, method: recursive,"
    " sta: 0.5, lta: 2.0}]",
    "[{atom: spectrogram, nperseg: 32, noverlap: 8}]",
};

inline constexpr std::size_t kChannels = 8;
inline constexpr double kFs = 200.0;
inline constexpr std::int64_t kSeedRows = 2000; ///< rows processed before a seed state is saved

/// Pipeline `which`, configured for 8 channels at 200 Hz (nullptr if that fails: a defect).
inline std::unique_ptr<Sequential> make_pipeline(std::size_t which) {
  static const Registry registry = atoms::builtin_registry();
  auto p = registry.build_pipeline(YAML::Load(kPipelines[which % kPipelines.size()]));
  if (!p.ok()) return nullptr;
  StreamInfo s;
  s.fs_hz = kFs;
  s.origin_ns = 1'700'000'000'000'000'000;
  s.n_channels = kChannels;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{0, 1, 2.0});
  if (!(*p)->configure(s).ok()) return nullptr;
  return std::move(p).value();
}

/// `n` rows starting at `first`: noise-like values with bursts, deterministic.
inline Chunk synthetic_chunk(std::int64_t first, std::size_t n) {
  Chunk c;
  c.reshape(n, kChannels);
  c.first_index = first;
  for (std::size_t t = 0; t < n; ++t) {
    const auto i = static_cast<double>(first + static_cast<std::int64_t>(t));
    const double burst = std::fmod(i, 600.0) < 80.0 ? 20.0 : 1.0;
    for (std::size_t ch = 0; ch < kChannels; ++ch)
      c.row(t)[ch] = static_cast<float>(burst * std::sin(0.37 * i + 1.3 * static_cast<double>(ch)) +
                                        0.3 * std::sin(2.1 * i * static_cast<double>(ch + 1)));
  }
  return c;
}

} // namespace dasflow::fuzz
