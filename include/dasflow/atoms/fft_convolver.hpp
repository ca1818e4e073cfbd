#pragma once
/// \file fft_convolver.hpp
/// Causal FIR filtering by FFT overlap-save (Oppenheim & Schafer, "Discrete-Time Signal Processing",
/// §8.7.3): the FFT engine of `firfilter` and `decimate` (method fft) and of `envelope`.
///
/// y[n] = Σ_k h[k] x[n−k] (scipy.signal.lfilter(h, [1], x), zero initial state), computed block by
/// block. With M taps and an FFT of N points, each block yields L = N − M + 1 outputs from N inputs:
/// the M − 1 inputs before the block and the L inputs of the block.
///
/// Exactness contract (DESIGN.md §3). The FFT mixes every input of a block into every output at
/// rounding level, so an output is bit-reproducible only if it always comes out of the same block
/// with the same contents. Blocks are therefore aligned to the ABSOLUTE sample index: block b holds
/// inputs [b·L, (b+1)·L), and outputs are emitted only when their block is complete. Inputs before
/// the stream's first index count as zeros (zero initial state); outputs before it are not emitted,
/// so output indices are exactly those of the direct path (first output index = first input index).
///
/// Latency: the outputs of a block leave with the chunk that completes it. An input at absolute
/// index i comes out once index (⌊i / L⌋ + 1)·L − 1 has arrived: between 0 and L − 1 samples later
/// than the direct path (on top of the filter's own group delay). A chunk of n rows yields between
/// 0 and n + L − 1 rows; the output stream stays continuous.
///
/// Gaps (`on_gap: continue`): like the direct form, the inputs before a gap stay the filter's
/// history as if contiguous, and every output keeps its own input's index. The block phase follows
/// the new index; the (< L) outputs of the block the gap interrupted cannot be emitted with their
/// own indices in a chunk that continues after the gap, so they are dropped. Under
/// `on_gap: reset`, reset() starts afresh.
/// Finite streams likewise end with their last < L outputs unemitted (there is no flush: a flushed
/// block would differ in rounding from the complete one and break resume == uninterrupted).
///
/// Channels go through the FFT in fixed groups of kGroupChannels (channel c in group ⌊c / G⌋),
/// one transform per channel, the same grouping whatever the chunking.
///
/// State: the M − 1 inputs before the current block plus the f pending inputs of the block, as
/// float32 (exact), (M − 1 + f) × n_channels values, f < L; plus f and the number of outputs
/// still to emit from this block, and the next expected input index.

#include <complex>
#include <cstdint>
#include <vector>

#include "dasflow/atoms/fft_plan.hpp"
#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"

namespace dasflow::atoms {

class FftConvolver {
public:
  /// Channels transformed together by one batched FFTW plan.
  static constexpr std::size_t kGroupChannels = 16;

  /// The FFT size for `n_taps` taps: the smallest 2^a·3^b >= max(4 · n_taps, 64), so that a block
  /// yields at least three quarters of N outputs.
  static std::size_t fft_size_for(std::size_t n_taps) noexcept;

  /// Designs the frequency response and plans the transforms (FFTW_ESTIMATE, see fft_plan.hpp).
  void configure(std::vector<double> taps, std::size_t n_channels);

  /// Appends `in` to the stream and writes the outputs of every block it completes to `out`
  /// (possibly none: then out has 0 rows and first_index = the next output's index). If `delayed`
  /// is given, it gets the same rows of the input delayed by `delay` samples (x[n − delay],
  /// delay <= n_taps − 1), taken from the block window: what `envelope` needs as its real part.
  void process(const ChunkView& in, Chunk& out, Chunk* delayed = nullptr, std::size_t delay = 0);
  void reset() noexcept;

  std::size_t max_output_samples(std::size_t n_in) const noexcept { return n_in == 0 ? 0 : n_in + block_ - 1; }
  std::size_t block_size() const noexcept { return block_; } ///< L, outputs per block
  std::size_t fft_size() const noexcept { return n_fft_; }   ///< N
  const std::vector<double>& taps() const noexcept { return taps_; }

  /// State as `kind`, version 2 (version 1 is FirKernel's direct-form layout; the two refuse each
  /// other's state).
  StateTree save(const char* kind) const;
  Result<void> restore(const StateTree& state, const char* kind);

private:
  void run_block(std::size_t n_emit, Chunk& out, std::size_t out_row, Chunk* delayed, std::size_t delay);

  std::vector<double> taps_;
  std::size_t n_channels_ = 0;
  std::size_t n_fft_ = 0;
  std::size_t block_ = 0;
  std::vector<std::complex<float>> response_; ///< DFT of the zero-padded taps, divided by N
  FftPlan forward_;
  FftPlan backward_;
  AlignedBuffer<float> window_; ///< [N][channel]: M − 1 history rows, then the block's L rows
  bool started_ = false;        ///< the block phase is known (set by the first chunk after reset)
  std::size_t fill_ = 0;        ///< rows of the current block received: absolute index mod L
  std::size_t pending_ = 0;     ///< of those, rows whose outputs are still to emit (< fill_ only at start)
  std::int64_t next_index_ = 0; ///< absolute index the next input row should have (gap detection)
};

} // namespace dasflow::atoms
