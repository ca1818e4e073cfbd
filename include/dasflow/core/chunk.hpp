#pragma once
/// \file chunk.hpp
/// Time-major float32 blocks of samples (DESIGN.md §2, STYLE.md §3).

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "dasflow/core/aligned_buffer.hpp"
#include "dasflow/core/event.hpp"

namespace dasflow {

/// Watermark of a stream with no event producer upstream: nothing is pending.
inline constexpr std::int64_t kNoPendingEvents = std::numeric_limits<std::int64_t>::max();

/// Non-owning view of `n_samples × n_channels` samples, one row per time sample, channels
/// contiguous; what Atom::process() reads. `first_index` is the absolute index of row 0.
struct ChunkView {
  std::span<const float> samples;
  std::size_t n_samples = 0;
  std::size_t n_channels = 0;
  std::int64_t first_index = 0;
  std::span<const Event> events;
  /// Every event with on_index < event_watermark has been delivered, in this chunk or an earlier
  /// one; events still open upstream (a trigger not yet closed) start at or after it. Lets
  /// cross-channel atoms (coincidence) decide without waiting for the end of the stream.
  std::int64_t event_watermark = kNoPendingEvents;

  const float* row(std::size_t t) const noexcept { return samples.data() + t * n_channels; }
  /// Absolute index one past the last row: where the next chunk of a continuous stream starts.
  std::int64_t end_index() const noexcept { return first_index + static_cast<std::int64_t>(n_samples); }
};

/// Owning counterpart of ChunkView: an aligned buffer reused from chunk to chunk, plus the events
/// closed while producing it.
struct Chunk {
  AlignedBuffer<float> samples;
  std::size_t n_samples = 0;
  std::size_t n_channels = 0;
  std::int64_t first_index = 0;
  std::vector<Event> events;
  std::int64_t event_watermark = kNoPendingEvents; ///< see ChunkView::event_watermark

  /// Shapes the chunk; keeps the buffer's capacity so a steady stream stops allocating.
  void reshape(std::size_t samples_count, std::size_t channels) {
    n_samples = samples_count;
    n_channels = channels;
    this->samples.resize(samples_count * channels);
  }
  float* row(std::size_t t) noexcept { return samples.data() + t * n_channels; }
  const float* row(std::size_t t) const noexcept { return samples.data() + t * n_channels; }
  ChunkView view() const noexcept {
    return ChunkView{std::span<const float>(samples.data(), n_samples * n_channels), n_samples, n_channels, first_index,
                     std::span<const Event>(events), event_watermark};
  }
  std::int64_t end_index() const noexcept { return first_index + static_cast<std::int64_t>(n_samples); }
};

} // namespace dasflow
