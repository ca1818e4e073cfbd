#pragma once
/// \file sliding_spectrum.hpp
/// The engine of `spectrogram` and `fbe`: per channel, one-sided power spectral densities of
/// windowed segments, exactly as scipy.signal.spectrogram(x, fs, window, nperseg, noverlap,
/// detrend, return_onesided=True, scaling="density", mode="psd") computes each segment:
///
///   P[f] = |rfft(w · detrend(x[k·hop : k·hop + n]))[f]|² / (fs · Σ w²), doubled for every f
///   except DC and (n even) Nyquist.
///
/// Segments are anchored on the absolute input index: segment k starts at k·hop, so any chunking,
/// and a restart that resumes from a checkpoint, cut the very same segments. A segment is computed
/// once all its n samples have arrived; its row index in the output stream is k. Before the first
/// complete segment of a stream (or after a discontinuity in the input index) the samples that
/// start no complete segment are dropped. State: the input rows of the segment still being filled
/// (fewer than n) — the float32 samples themselves.
///
/// Arithmetic (per channel, in a fixed order): the mean summed in time order, detrend and window in double, rounded to
/// float32 for FFTW's single-precision r2c, |X|² and the scaling in double. Channels go through FFTW in fixed groups
/// (the same groups for every segment), so a channel's result never depends on chunk sizes.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "dasflow/atoms/fft_plan.hpp"
#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"
#include "dasflow/core/stream.hpp"

namespace dasflow::atoms {

class SlidingSpectrum {
public:
  struct Setup {
    std::size_t n_channels = 0;
    std::size_t nperseg = 256;    ///< segment length n >= 2
    std::size_t hop = 224;        ///< n − noverlap, 1 <= hop <= n
    std::vector<double> window;   ///< n periodic window weights
    bool detrend_constant = true; ///< subtract each segment's mean first (scipy's default)
    double fs_hz = 1.0;
  };

  void configure(Setup setup);
  void reset() noexcept;
  std::size_t n_bins() const noexcept { return setup_.nperseg / 2 + 1; }
  /// Frequency of bin f: f · fs / n.
  double bin_hz(std::size_t f) const noexcept;
  /// Upper bound of segments completed by n_in more input rows.
  std::size_t max_segments(std::size_t n_in) const noexcept;

  /// Fills `out` with one row of `columns` per segment this chunk completes (first_index = the
  /// first segment's index); `write(row, c0, nb, psd)` writes one channel group's values into its row.
  using RowWriter = std::function<void(float* row, std::size_t c0, std::size_t nb, const double* psd)>;
  void process_into(const ChunkView& in, Chunk& out, std::size_t columns, const RowWriter& write);

  /// The spectral stream this engine makes of `in`: `axis` (its bins, window name and unit set by
  /// the atom) gets the locations and window of this engine; rate fs/hop; row k stamped at the
  /// centre of segment k, input index k·hop + n/2 (scipy's `t`); bins × channels columns.
  StreamInfo output_stream(const StreamInfo& in, std::shared_ptr<SpectralAxis> axis) const;

  StateTree save(const char* kind) const;
  Result<void> restore(const StateTree& state, const char* kind);

private:
  /// Receives the PSD of one group of channels of one completed segment: `row` counts the segments
  /// completed by this process() call (0, 1, ...), channels [c0, c0 + nb), `psd[j * n_bins() + f]`
  /// for channel c0 + j. Called group by group, so the values are still in cache.
  using Sink = std::function<void(std::size_t row, std::size_t c0, std::size_t nb, const double* psd)>;
  /// Feeds a chunk; calls `sink` for each segment it completes, in order. Returns the index of the
  /// first segment this chunk could complete (the output chunk's first_index).
  std::int64_t process(const ChunkView& in, const Sink& sink);
  void compute_segment(const float* first_row, std::size_t row, const Sink& sink);

  Setup setup_;
  double scale_ = 1.0;             ///< 1 / (fs Σ w²)
  std::size_t group_ = 1;          ///< channels per FFTW batch
  FftPlan fft_;                    ///< group_ transforms of n points
  bool started_ = false;           ///< a first chunk has been seen since configure/reset
  std::int64_t pending_first_ = 0; ///< absolute index of pending row 0
  std::size_t n_pending_ = 0;      ///< rows held (< nperseg)
  AlignedBuffer<float> pending_;   ///< [n_pending][channel]
  AlignedBuffer<float> ext_;       ///< pending rows followed by the chunk
  std::vector<double> psd_;        ///< one group of one segment: [channel][bin]
  std::vector<double> mean_;       ///< one group's segment means
};

} // namespace dasflow::atoms
