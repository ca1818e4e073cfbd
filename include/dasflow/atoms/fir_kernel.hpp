#pragma once
/// \file fir_kernel.hpp
/// Causal FIR filtering, optionally computing only the outputs kept by a decimator: the engine of
/// `firfilter` and `decimate` (ftype fir). Matches scipy.signal.lfilter(taps, [1.0], x) from zero
/// state, summed in lfilter's order (see fir_kernel.cpp).

#include <cstdint>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/core/column_tile.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"

namespace dasflow::atoms {

/// State: the last (n_taps − 1) input rows, as float32 (the inputs are float32, so this is exact):
/// `(n_taps − 1) × n_channels` floats.
class FirKernel {
public:
  /// `factor` q >= 1: only outputs at absolute indices i with i % q == 0 are computed, and they
  /// are written with output index i / q (q == 1: every output, same index).
  void configure(std::vector<double> taps, std::size_t n_channels, std::int64_t factor);
  /// Atom::begin_columns / rows_out_through / process_tile for the owning atom.
  ChunkShape begin(const ChunkView& in) noexcept;
  std::size_t rows_out_through(std::size_t in_rows) const noexcept;
  void process_tile(const ColumnTile& t) noexcept;
  void reset() noexcept { history_.assign_zero(); }
  /// Rows the output of an n_in-row chunk can have, whatever its first index.
  std::size_t max_output_samples(std::size_t n_in) const noexcept;

  const std::vector<double>& taps() const noexcept { return taps_; }
  StateTree save(const char* kind) const;
  Result<void> restore(const StateTree& state, const char* kind);

private:
  std::vector<double> taps_;
  std::int64_t factor_ = 1;
  std::size_t n_channels_ = 0;
  AlignedBuffer<float> history_;       ///< [n_taps - 1][channel], oldest row first
  std::int64_t chunk_first_index_ = 0; ///< first index of the chunk in progress (begin)
};

} // namespace dasflow::atoms
