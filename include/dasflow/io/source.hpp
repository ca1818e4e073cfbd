#pragma once
/// \file source.hpp
/// Where the daemon's stream comes from (DESIGN.md §4 `source:`).

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"

namespace dasflow::io {

/// live: the data arrives whether or not we keep up, so the reader drops whole chunks rather than
/// block (the loss becomes a gap). replay: the reader blocks and nothing is dropped.
enum class SourcePace { live, replay };

class Source {
public:
  enum class Severity { info, warn };
  /// Where a source says what happened (malformed input skipped, reconnects): the daemon's log.
  using Reporter = std::function<void(Severity, const std::string&)>;

  virtual ~Source() = default;
  void set_reporter(Reporter reporter) { reporter_ = std::move(reporter); }
  void report(Severity severity, const std::string& message) const {
    if (reporter_) reporter_(severity, message);
  }
  /// Reads headers/metadata; the stream description every chunk will follow.
  virtual Result<StreamInfo> open() = 0;
  /// Fills the next chunk; false at the end of a finite source. Returns early (false) once `stop`
  /// is set, e.g. while pacing a real-time stream.
  virtual Result<bool> next(Chunk& out, const std::atomic<bool>& stop) = 0;
  virtual SourcePace pace() const noexcept = 0;
  /// Resuming from a checkpoint: the stream should continue at absolute `index`. A replay source
  /// seeks there (the first chunk may then start mid-grid); a live source cannot go back and does
  /// nothing: the runtime drops rows before `index` and treats a later start as a gap.
  virtual Result<void> seek(std::int64_t index) {
    (void)index;
    return {};
  }
  /// A finite source's span after open(): the absolute index of its first sample and the index
  /// after its last (holes between replayed files included). nullopt for an endless or live
  /// source. What a progress display (`dasflow process`) measures the position against.
  struct Extent {
    std::int64_t first = 0, end = 0;
  };
  virtual std::optional<Extent> extent() const { return std::nullopt; }
  /// Live sources whose acquisition can change (an interrogator sending a new header: other
  /// channels or rate) count the changes here. When the value differs after next() returned a
  /// chunk, that chunk and the ones after it follow current_stream(), no longer the earlier stream.
  virtual std::uint64_t stream_generation() const noexcept { return 0; }
  virtual StreamInfo current_stream() const { return {}; }
  /// Named counters of what the source saw (messages, malformed, reconnects, ...), for /metrics.
  virtual std::vector<std::pair<std::string, std::uint64_t>> counters() const { return {}; }
  /// One line for the log: what is being read.
  virtual std::string describe() const = 0;

private:
  Reporter reporter_;
};

} // namespace dasflow::io
