#include "dasflow/daemon/logging.hpp"

#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/stdout_sinks.h>

namespace dasflow::daemon {

namespace {

std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;

spdlog::sink_ptr shared_sink() {
  static spdlog::sink_ptr sink = [] {
    auto s = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
    s->set_pattern(journald ? "[%n] %l: %v" : "%Y-%m-%d %H:%M:%S.%e [%n] %l: %v");
    return s;
  }();
  return sink;
}

} // namespace

void setup_logging(const std::string& level) {
  std::lock_guard lock(g_mutex);
  g_level = spdlog::level::from_str(level);
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->set_level(g_level); });
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
