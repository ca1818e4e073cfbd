#pragma once
/// \file decimation_phase.hpp
/// Which rows of a chunk a decimator keeps. The phase comes from the absolute index, never from
/// the position in the chunk (STYLE.md §4), so any chunking keeps the same samples.

#include <cstddef>
#include <cstdint>

namespace dasflow::atoms {

/// The rows of a chunk whose absolute index is a multiple of q.
struct KeptRows {
  std::int64_t first_index = 0; ///< absolute index of the first kept row (a multiple of q)
  std::size_t first_row = 0;    ///< its row in the chunk
  std::size_t count = 0;        ///< kept rows: first_row, first_row + q, ...
};

/// Kept rows of the chunk [first_index, first_index + n_rows) for factor q >= 1.
inline KeptRows kept_rows(std::int64_t first_index, std::size_t n_rows, std::int64_t q) {
  const std::int64_t r = ((first_index % q) + q) % q;
  KeptRows k;
  k.first_index = r == 0 ? first_index : first_index + (q - r);
  const std::int64_t end = first_index + static_cast<std::int64_t>(n_rows);
  k.first_row = static_cast<std::size_t>(k.first_index - first_index);
  k.count = k.first_index < end ? static_cast<std::size_t>((end - 1 - k.first_index) / q + 1) : 0;
  return k;
}

} // namespace dasflow::atoms
