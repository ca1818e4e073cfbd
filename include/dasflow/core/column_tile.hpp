#pragma once
/// \file column_tile.hpp
/// The unit of channel-parallel, cache-blocked execution (docs/performance.md): a rectangle of a
/// time-major chunk, some rows × a range of channel columns, with its own row strides so that
/// Sequential can keep intermediate tiles compact and in cache.

#include <cstddef>
#include <cstdint>

namespace dasflow {

/// Rows and first index an atom will output for a chunk (decided before any sample is computed).
struct ChunkShape {
  std::size_t n_samples = 0;
  std::int64_t first_index = 0;
};

/// Columns [c0, c0 + width) of `in_rows` consecutive input rows, the first at absolute index
/// `in_first_index`; input tile row r starts at `in + r * in_stride`. The atom writes its
/// `out_rows` output rows for those inputs at `out + r * out_stride`. Column c of the tile is
/// channel c0 + c of the stream: the atom's per-channel state is indexed by c0 + c.
struct ColumnTile {
  std::size_t c0 = 0;
  std::size_t width = 0;
  std::int64_t in_first_index = 0;
  std::size_t in_rows = 0;
  const float* in = nullptr;
  std::size_t in_stride = 0;
  std::size_t out_rows = 0;
  float* out = nullptr;
  std::size_t out_stride = 0;
};

} // namespace dasflow
