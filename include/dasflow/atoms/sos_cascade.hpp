#pragma once
/// \file sos_cascade.hpp
/// The cascade of biquads behind `sosfilter` and `iirfilter`: scipy.signal.sosfilt on the
/// time-major layout, state in double.

#include <array>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/chunk.hpp"
#include "dasflow/core/column_tile.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"

namespace dasflow::atoms {

/// Second-order sections filtering every channel independently, from zero initial state.
/// State size: `2 × n_sections × n_channels` doubles.
class SosCascade {
public:
  using Row = std::array<double, 6>; ///< scipy layout b0 b1 b2 a0 a1 a2 with a0 == 1

  /// Sets the sections and the channel count; zeroes the state.
  void configure(std::vector<Row> sos, std::size_t n_channels);
  /// Filters one tile (Atom::process_tile), same rows in as out; `out` may not alias `in`.
  void process_tile(const ColumnTile& t) noexcept;
  void reset() noexcept { zi_.assign_zero(); }

  const std::vector<Row>& sections() const noexcept { return sos_; }
  /// Saves `zi` as state of `kind`.
  StateTree save(const char* kind) const;
  /// Restores `zi` saved by save(kind); fails without change on a kind or shape mismatch.
  Result<void> restore(const StateTree& state, const char* kind);

private:
  std::vector<Row> sos_;
  std::size_t n_channels_ = 0;
  AlignedBuffer<double> zi_; ///< [section][2][channel], channels innermost (contiguous for SIMD)
};

} // namespace dasflow::atoms
