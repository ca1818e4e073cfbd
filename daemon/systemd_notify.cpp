#include "dasflow/daemon/systemd_notify.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>

#include <systemd/sd-daemon.h>

#include "dasflow/daemon/logging.hpp"

namespace dasflow::daemon {

namespace {

/// `prefix` followed by `text` on one line: line breaks and NULs (which would end the C string
/// sd_notify sends) become spaces.
std::string field(std::string_view prefix, std::string_view text) {
  std::string out;
  out.reserve(prefix.size() + text.size());
  out.append(prefix);
  for (const char c : text)
    out.push_back(c == '\n' || c == '\r' || c == '\0' ? ' ' : c);
  return out;
}

/// "<first>" or "<first>\nSTATUS=<status>".
std::string with_status(std::string_view first, std::string_view status) {
  std::string out(first);
  if (!status.empty()) {
    out.push_back('\n');
    out.append(field("STATUS=", status));
  }
  return out;
}

} // namespace

SystemdNotifier::SystemdNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && socket[0] != '\0';
  if (!enabled_) return;
  std::uint64_t usec = 0;
  // > 0: WATCHDOG_USEC is set and WATCHDOG_PID is unset or this process.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_ = std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(usec));
  }
}

void SystemdNotifier::ready(std::string_view status) { send(with_status("READY=1", status).c_str()); }

void SystemdNotifier::status(std::string_view status) { send(field("STATUS=", status).c_str()); }

void SystemdNotifier::watchdog() { send("WATCHDOG=1"); }

void SystemdNotifier::reloading() { send("RELOADING=1"); }

void SystemdNotifier::stopping(std::string_view status) { send(with_status("STOPPING=1", status).c_str()); }

void SystemdNotifier::errno_status(int err) { send(("ERRNO=" + std::to_string(err)).c_str()); }

void SystemdNotifier::send(const char* message) {
  if (!enabled_) return;
  const int r = sd_notify(0, message);
  if (r >= 0) return;
  // Per process, not per notifier: the socket is the process's, and a watchdog ping every few
  // seconds must not flood the log.
  static std::atomic<bool> logged{false};
  if (logged.exchange(true)) return;
  logger("ctl")->debug("sd_notify failed ({}); systemd notifications are not delivered",
                       std::error_code(-r, std::generic_category()).message());
}

} // namespace dasflow::daemon
