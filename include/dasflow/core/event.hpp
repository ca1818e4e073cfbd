#pragma once
/// \file event.hpp
/// A detection travelling with the chunk that closed it (DESIGN.md §2, PROTOCOLS.md §4).

#include <cstdint>
#include <vector>

namespace dasflow {

enum class EventKind { trigger, coincidence };

/// A trigger on one channel, or a coincidence across channels. Indices are absolute sample indices
/// at the rate of the stream in which the event was detected.
struct Event {
  EventKind kind = EventKind::trigger;
  std::int64_t channel = 0;           ///< interrogator channel number (first channel for a coincidence)
  std::int64_t on_index = 0;          ///< first sample with cf >= on threshold
  std::int64_t off_index = 0;         ///< last sample with cf >= off threshold (inclusive)
  double peak = 0.0;                  ///< largest characteristic-function value while on
  std::int64_t peak_index = 0;        ///< where the peak was
  std::vector<std::int64_t> channels; ///< coincidence only: the channel numbers taking part
  /// The sample whose processing made the event final (a trigger closes at the first sample below
  /// the off threshold, or at the max_length cap). An event travels with the chunk holding this
  /// index, and a chunk's events are ordered by it, so the event stream does not depend on how the
  /// samples were chunked.
  std::int64_t decided_index = 0;

  bool operator==(const Event&) const = default;
};

} // namespace dasflow
