#pragma once
/// \file stream.hpp
/// The description of a stream that stays fixed while a pipeline is configured (DESIGN.md §2).

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dasflow {

/// Where the channels of a stream sit on the fibre. Channel i of a chunk is the interrogator's
/// channel number `first + i * step`; its distance along the fibre is `number * dx_m`.
struct ChannelCoords {
  std::int64_t first = 0; ///< interrogator channel number of column 0
  std::int64_t step = 1;  ///< channel-number increment between adjacent columns
  double dx_m = 1.0;      ///< metres per channel number (the interrogator's channel spacing)

  std::int64_t number(std::size_t column) const noexcept { return first + static_cast<std::int64_t>(column) * step; }
  double distance_m(std::size_t column) const noexcept { return static_cast<double>(number(column)) * dx_m; }
  bool operator==(const ChannelCoords&) const = default;
};

/// The second axis of a spectral product (fbe, spectrogram): each row holds `n_bins` blocks of
/// `n_locations` columns, bin-major (column = bin · n_locations + location), so a row is the C-order
/// (bin, location) matrix of one time window. StreamInfo::coords describes the locations; the
/// stream's n_channels is n_bins · n_locations. Row index k is window k: it covers the input
/// samples [k·hop, k·hop + window) (absolute indices of the input stream) and is stamped at the
/// window's centre, as scipy.signal.spectrogram stamps its segments.
struct SpectralAxis {
  enum class Kind {
    bands,      ///< fbe: band energies; bin b integrates [low_hz[b], high_hz[b])
    frequencies ///< spectrogram: power spectral density at low_hz[b] (== high_hz[b])
  };
  Kind kind = Kind::frequencies;
  std::vector<double> low_hz, high_hz; ///< per bin
  std::size_t n_locations = 0;         ///< columns per bin
  // How the product was made (PRODML Fbe attributes; provenance of spectrogram files).
  std::size_t window_samples = 0;  ///< transform size = window length, in input samples
  std::size_t overlap_samples = 0; ///< window − hop
  double input_fs_hz = 0.0;        ///< rate of the time series it was computed from
  std::string window_name;         ///< e.g. "hann"
  std::string unit;                ///< e.g. "unit^2/Hz" (PSD) or "unit^2" (band energy)

  std::size_t n_bins() const noexcept { return low_hz.size(); }
};

/// Rate, time anchor and channel axis of a stream. Sample index i (absolute, counted since the Unix
/// epoch on the stream's own grid) is at `origin_ns + i * 1e9 / fs_hz`; sources choose origin_ns in
/// [0, 1e9/fs) so that restarts, replays and shards agree on every index (DESIGN.md §2).
struct StreamInfo {
  double fs_hz = 0.0;         ///< sampling rate in Hz
  std::int64_t origin_ns = 0; ///< UTC ns of absolute sample index 0
  std::size_t n_channels = 0; ///< columns of every chunk
  std::shared_ptr<const ChannelCoords> coords = std::make_shared<const ChannelCoords>();
  /// Null for a time series (one column per channel); set by fbe / spectrogram.
  std::shared_ptr<const SpectralAxis> spectral;

  /// UTC time of an absolute sample index, in ns, exact to the nanosecond: no floating-point time
  /// accumulates along the stream (STYLE.md §3), and a double product would be off by up to 128 ns
  /// at epoch-sized indices. Whole-number rates use integer arithmetic (seconds plus the remainder,
  /// rounded half up); other rates a 64-bit-mantissa product.
  std::int64_t time_ns(std::int64_t index) const noexcept {
    constexpr std::int64_t kNsPerS = 1'000'000'000;
    if (fs_hz >= 1.0 && fs_hz <= 9e6 && fs_hz == std::floor(fs_hz)) {
      const auto n = static_cast<std::int64_t>(fs_hz);
      std::int64_t q = index / n, r = index % n;
      if (r < 0) r += n, q -= 1; // floor division for indices before the epoch
      return origin_ns + q * kNsPerS + (r * kNsPerS + n / 2) / n;
    }
    return origin_ns + std::llround(static_cast<long double>(index) * (1e9L / static_cast<long double>(fs_hz)));
  }
  double nyquist_hz() const noexcept { return fs_hz / 2.0; }
};

} // namespace dasflow
