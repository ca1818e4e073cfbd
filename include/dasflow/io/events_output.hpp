#pragma once
/// \file events_output.hpp
/// The `events` output: one JSON object per line (PROTOCOLS.md §4), appended to a file. A line is
/// written with a single write() so a reader (or a crash) never sees half an event.

#include <cstdint>
#include <string>
#include <vector>

#include "dasflow/core/event.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/output.hpp"

namespace dasflow::io {

/// `2023-10-27T14:23:37.020000000Z` (ISO 8601 UTC, ns precision).
std::string iso8601_ns(std::int64_t t_ns);

/// One event as its JSON line (no newline), times from `stream` (the rate the event was found at).
std::string event_json(const Event& e, const StreamInfo& stream, const std::string& stream_name);

/// Checkpoints record the file's size after the last complete line (fsynced); resume() truncates
/// the lines written after it.
class EventsOutput final : public Output {
public:
  EventsOutput(std::string path, StreamInfo stream, std::string stream_name);
  ~EventsOutput() override;
  EventsOutput(const EventsOutput&) = delete;
  EventsOutput& operator=(const EventsOutput&) = delete;

  /// Opens (creating the directory and the file, appending to an existing file).
  Result<void> open();
  /// Appends the events, one line each, and flushes them to the kernel.
  Result<void> write(const std::vector<Event>& events);
  Result<void> close();

  std::string key() const override { return "events:" + path_; }
  Result<void> write(const Chunk& chunk) override { return write(chunk.events); }
  Result<StateTree> checkpoint() override;
  /// Call after open().
  Result<void> resume(const StateTree& position) override;
  Result<void> close(bool /*stream_complete*/) override { return close(); }
  /// Later events are timed on the new stream.
  Result<void> change_stream(const StreamInfo& stream) override {
    stream_ = stream;
    return {};
  }

  std::uint64_t events_written() const noexcept { return n_written_; }
  std::uint64_t bytes_written() const noexcept override { return bytes_; }
  const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
  StreamInfo stream_;
  std::string stream_name_;
  int fd_ = -1;
  std::uint64_t n_written_ = 0;
  std::uint64_t bytes_ = 0; ///< appended in this run
  std::uint64_t size_ = 0;  ///< bytes in the file (after the last complete line)
};

} // namespace dasflow::io
