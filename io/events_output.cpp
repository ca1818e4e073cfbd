#include "dasflow/io/events_output.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace dasflow::io {

std::string iso8601_ns(std::int64_t t_ns) {
  std::int64_t s = t_ns / 1'000'000'000, ns = t_ns % 1'000'000'000;
  if (ns < 0) ns += 1'000'000'000, s -= 1;
  const auto tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns));
  return buf;
}

std::string event_json(const Event& e, const StreamInfo& stream, const std::string& stream_name) {
  nlohmann::ordered_json j;
  j["stream"] = stream_name;
  j["kind"] = e.kind == EventKind::trigger ? "trigger" : "coincidence";
  j["channel"] = e.channel;
  j["distance_m"] = static_cast<double>(e.channel) * stream.coords->dx_m;
  j["on_index"] = e.on_index;
  j["off_index"] = e.off_index;
  j["on_time"] = iso8601_ns(stream.time_ns(e.on_index));
  j["off_time"] = iso8601_ns(stream.time_ns(e.off_index));
  j["peak"] = e.peak;
  j["peak_index"] = e.peak_index;
  j["fs"] = stream.fs_hz;
  if (e.kind == EventKind::coincidence) {
    j["channels"] = e.channels;
    j["count"] = e.channels.size();
  }
  return j.dump();
}

EventsOutput::EventsOutput(std::string path, StreamInfo stream, std::string stream_name)
    : path_(std::move(path)), stream_(std::move(stream)), stream_name_(std::move(stream_name)) {}

EventsOutput::~EventsOutput() { (void)close(); }

Result<void> EventsOutput::open() {
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io, path_ + ": cannot create directory " + dir.string() + ": " + ec.message());
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) return fail(Errc::io, path_ + ": cannot open for appending: " + std::strerror(errno));
  const off_t end = ::lseek(fd_, 0, SEEK_END);
  size_ = end > 0 ? static_cast<std::uint64_t>(end) : 0;
  return {};
}

Result<void> EventsOutput::write(const std::vector<Event>& events) {
  if (events.empty()) return {};
  if (fd_ < 0) return fail(Errc::io, path_ + ": write on a closed events file");
  std::string text;
  for (const Event& e : events)
    text += event_json(e, stream_, stream_name_) + "\n";
  // One write per chunk of lines; O_APPEND makes it atomic with respect to other appenders, and a
  // short write (disk full) is reported, not retried into a torn line.
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      // Cut a torn line off, so the file still ends on a complete line.
      if (done > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      }
      return fail(Errc::io, path_ + ": write failed after " + std::to_string(done) + " of " +
                                std::to_string(text.size()) + " bytes: " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += text.size();
  bytes_ += text.size();
  n_written_ += events.size();
  return {};
}

Result<StateTree> EventsOutput::checkpoint() {
  if (fd_ >= 0 && ::fsync(fd_) != 0 && errno != EINVAL)
    return fail(Errc::io, path_ + ": fsync failed: " + std::strerror(errno));
  StateTree t("events-output", 1);
  t.set("key", key());
  t.set("size", static_cast<std::int64_t>(size_));
  return t;
}

Result<void> EventsOutput::resume(const StateTree& position) {
  DASFLOW_TRY(position.expect("events-output", 1));
  DASFLOW_TRY_ASSIGN(size, position.get_int("size"));
  if (fd_ < 0) return fail(Errc::internal, path_ + ": resume before open");
  const auto want = static_cast<std::uint64_t>(std::max<std::int64_t>(0, size));
  if (size_ < want) {
    const auto have = size_;
    // The disk no longer holds what the checkpoint acknowledged: nothing can bring it back, so this
    // is not a retryable I/O error (Output::resume).
    return fail(Errc::state_mismatch, path_ + ": holds " + std::to_string(have) + " bytes, the checkpoint recorded " +
                                          std::to_string(want) + ": events before the checkpoint were lost");
  }
  if (size_ > want) {
    if (::ftruncate(fd_, static_cast<off_t>(want)) != 0)
      return fail(Errc::io, path_ + ": cannot truncate to the checkpoint: " + std::strerror(errno));
    if (::fsync(fd_) != 0 && errno != EINVAL) return fail(Errc::io, path_ + ": fsync failed: " + std::strerror(errno));
    size_ = want;
  }
  return {};
}

Result<void> EventsOutput::close() {
  if (fd_ < 0) return {};
  const int fd = fd_;
  fd_ = -1;
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return fail(Errc::io, path_ + ": fsync failed: " + err);
  }
  if (::close(fd) != 0) return fail(Errc::io, path_ + ": close failed: " + std::strerror(errno));
  return {};
}

} // namespace dasflow::io
