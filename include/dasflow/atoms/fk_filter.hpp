#pragma once
/// \file fk_filter.hpp
/// `fkfilter`: frequency–wavenumber velocity (fan) filter, block-wise with overlap-add.
///
/// Blocks. W = 2·round(window · fs / 2) samples (even, ≥ 8), hop H = W/2. Block b covers the
/// absolute input indices [b·H, b·H + W): the grid is anchored at absolute index 0, never at the
/// start of a chunk or of the stream, so any split of the stream, and a restart, see the same blocks.
/// Each block is multiplied by the periodic Hann window w[n] = ½ − ½ cos(2πn/W) (n = i − b·H; two
/// windows a hop apart sum to 1, the constant-overlap-add condition), zero-padded along the channel
/// axis to Nk = fk_wavenumber_length(n_channels, pad) columns, transformed by a 2-D real FFT of shape
/// (W, Nk) (the time-major block as is: no transpose; the channel axis is the half-complex one),
/// multiplied by the fan mask of fk_mask.hpp, transformed back, and its first n_channels columns
/// are added into the output. Output row i = Y_{b−1}[i] + Y_b[i] with b = floor(i/H) (in that order,
/// float32), where Y_b is block b's filtered contribution.
///
/// Output indices. A block is used only if all its W input rows are in the stream; an output row is
/// emitted only when both blocks that cover it are used. For a stream whose first row is s, the
/// first block is b0 = ceil(s/H) and the first output row is (b0 + 1)·H, between s + H and
/// s + 2H − 1; the output then continues without gaps. Rows before it are dropped (they would be
/// covered by a single window and come out attenuated).
///
/// Latency. Row i is emitted by the call that delivers input row floor(i/H)·H + W − 1: between H and
/// W − 1 samples, i.e. between window/2 and window − 1/fs seconds, after it arrived. The last rows of a
/// finite stream (the ones still waiting for a block) are never emitted.
///
/// Discontinuity. A chunk whose first_index is not the one expected restarts the atom at that index
/// as if the stream began there (the pending rows cannot be completed across a gap).
///
/// Wrap-around. The FFT is circular along distance: filtered energy leaving one end of the array
/// re-enters at the other. pad ≥ 2 places the wrapped copy beyond the array for lags up to the array
/// length; pad = 1 halves memory and time at the cost of that leakage near both ends. Along time the
/// Hann window tapers each block to zero at its edges, which keeps the circular convolution in time
/// small.
///
/// State (the checkpoint): up to W − 1 pending input rows and H rows of partial output, i.e. at most
/// (W − 1 + H) × n_channels floats, plus four counters. Memory: that, the mask ((W/2+1)(Nk/2+1)
/// floats) and four FFT buffers of about W × Nk floats each: O(W × n_channels).

#include <memory>

#include "dasflow/atoms/fft_plan.hpp"
#include "dasflow/atoms/fk_mask.hpp"
#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"

namespace dasflow::atoms {

class FkFilter final : public Atom {
public:
  struct Config {
    FkFan fan;             ///< vmin, vmax (m/s), taper, mode
    double window_s = 1.0; ///< block length, seconds
    double pad = 2.0;      ///< channel-axis FFT length ≥ pad × n_channels (≥ 1)
  };

  explicit FkFilter(Config config) : config_(config) {}
  /// Keys: vmin (m/s, required, ≥ 0), vmax (m/s, > vmin; absent = no upper limit), window (s,
  /// required), taper (0.1, in [0, 1)), mode (pass | reject), pad (2, in [1, 8]).
  static std::unique_ptr<Atom> from_config(ConfigReader& r);

  std::string_view kind() const noexcept override { return "fkfilter"; }
  Result<StreamInfo> configure(const StreamInfo& in) override;
  Result<void> process(const ChunkView& in, Chunk& out) override;
  /// A call can complete blocks whose earlier rows arrived before it: up to H − 1 more rows than it reads.
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in == 0 ? 0 : n_in + hop_ - 1; }
  void reset() noexcept override;
  std::unique_ptr<Atom> clone() const override { return std::make_unique<FkFilter>(*this); }
  StateTree save_state() const override;
  Result<void> restore_state(const StateTree& s) override;
  std::string config_yaml() const override;

  std::size_t window_samples() const noexcept { return w_; }     ///< W
  std::size_t hop_samples() const noexcept { return hop_; }      ///< H = W/2
  std::size_t wavenumber_length() const noexcept { return nk_; } ///< Nk

private:
  struct State {
    bool started = false;      ///< a row has been seen since configure/reset
    std::int64_t next_in = 0;  ///< absolute index of the next input row expected
    std::int64_t block = 0;    ///< next block to compute; pending rows start at block · H
    bool have_partial = false; ///< partial_ holds block − 1's second half (rows [block·H, block·H + H))
  };

  void start(std::int64_t first_index) noexcept;
  std::size_t n_pending() const noexcept;
  /// Filters the W pending rows as block state_.block; writes H final rows to `dst` when a partial
  /// output exists (returns true), then keeps the second half as the new partial output.
  bool run_block(float* dst) noexcept;

  Config config_;
  // Derived at configure time.
  std::size_t n_channels_ = 0, w_ = 0, hop_ = 0, nk_ = 0;
  std::vector<float> window_; ///< periodic Hann, W values
  std::vector<float> mask_;   ///< (W/2+1) × (Nk/2+1), includes 1/(W·Nk)
  FftPlan forward_, inverse_;
  // State.
  State state_;
  AlignedBuffer<float> pending_; ///< W × n_channels; rows [0, n_pending()) are input rows from block·H
  AlignedBuffer<float> partial_; ///< H × n_channels
};

} // namespace dasflow::atoms
