#include "dasflow/daemon/logging.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace dasflow::daemon {

namespace {

constexpr const char* kTimestamped = "%Y-%m-%d %H:%M:%S.%e [%n] %l: %v";

/// Appends to a file it can close and reopen by name (spdlog's file sinks cannot).
class ReopenableFileSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {}
  ~ReopenableFileSink() override {
    if (file_ != nullptr) std::fclose(file_);
  }
  ReopenableFileSink(const ReopenableFileSink&) = delete;
  ReopenableFileSink& operator=(const ReopenableFileSink&) = delete;

  Result<void> reopen() {
    std::lock_guard lock(mutex_);
    std::FILE* f = std::fopen(path_.c_str(), "ae");
    if (f == nullptr) return fail(Errc::io, path_ + ": cannot open the log file: " + std::strerror(errno));
    if (file_ != nullptr) std::fclose(file_);
    file_ = f;
    return {};
  }

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (file_ == nullptr) return;
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);
    std::fwrite(text.data(), 1, text.size(), file_);
  }
  void flush_() override {
    if (file_ != nullptr) std::fflush(file_);
  }

private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
std::shared_ptr<ReopenableFileSink> g_file; ///< set once logging goes to a file

/// The sink every logger writes to: a switch in front of stdout or the file.
std::shared_ptr<spdlog::sinks::dist_sink_mt> shared_sink() {
  static auto sink = [] {
    auto out = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
    out->set_pattern(journald ? "[%n] %l: %v" : kTimestamped);
    auto dist = std::make_shared<spdlog::sinks::dist_sink_mt>();
    dist->add_sink(out);
    return dist;
  }();
  return sink;
}

} // namespace

void setup_logging(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
}

Result<void> log_to_file(const std::string& path) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return fail(Errc::io, path + ": cannot create the log directory: " + ec.message());
  auto file = std::make_shared<ReopenableFileSink>(path);
  DASFLOW_TRY(file->reopen());
  file->set_formatter(std::make_unique<spdlog::pattern_formatter>(kTimestamped));
  std::lock_guard lock(g_mutex);
  shared_sink()->set_sinks({file});
  g_file = std::move(file);
  return {};
}

void log_to_sink(std::shared_ptr<spdlog::sinks::sink> sink) {
  sink->set_formatter(std::make_unique<spdlog::pattern_formatter>("[%n] %l: %v"));
  std::lock_guard lock(g_mutex);
  shared_sink()->set_sinks({std::move(sink)});
}

Result<void> reopen_log_file() {
  std::shared_ptr<ReopenableFileSink> file;
  {
    std::lock_guard lock(g_mutex);
    file = g_file;
  }
  return file ? file->reopen() : Result<void>{};
}

std::shared_ptr<spdlog::logger> logger(const std::string& component) {
  std::lock_guard lock(g_mutex);
  if (auto l = spdlog::get(component)) return l;
  auto l = std::make_shared<spdlog::logger>(component, shared_sink());
  l->set_level(g_level);
  l->flush_on(spdlog::level::trace); // a daemon's log must not lag behind what it did
  spdlog::register_logger(l);
  return l;
}

} // namespace dasflow::daemon
