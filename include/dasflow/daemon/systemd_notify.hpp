#pragma once
/// \file systemd_notify.hpp
/// The daemon's side of systemd's notify protocol (sd_notify(3)) for dasflow.service (Type=notify,
/// NotifyAccess=main, WatchdogSec=): READY, STATUS, WATCHDOG, RELOADING, STOPPING, ERRNO.

#include <chrono>
#include <optional>
#include <string_view>

namespace dasflow::daemon {

/// The daemon's side of systemd's notify protocol (sd_notify(3)); every call is a no-op when not
/// started by systemd (NOTIFY_SOCKET unset).
///
/// Status texts are single lines: newlines (and other line breaks or NULs) are replaced by spaces.
/// A failing send is ignored (the daemon keeps running without its supervisor's view) and logged
/// once per process at debug level on the "ctl" logger. Every method may be called from any thread.
class SystemdNotifier {
public:
  /// Reads NOTIFY_SOCKET and the watchdog settings (WATCHDOG_USEC, WATCHDOG_PID) once.
  SystemdNotifier();

  /// NOTIFY_SOCKET was set: the process runs under systemd with a notify unit.
  bool enabled() const noexcept { return enabled_; }

  /// WatchdogSec= of the unit, when enabled() and the watchdog is meant for this process
  /// (WATCHDOG_PID unset or equal to getpid()). Send watchdog() well within it (e.g. every half).
  std::optional<std::chrono::microseconds> watchdog_interval() const noexcept { return watchdog_; }

  /// "READY=1\nSTATUS=<status>": start-up finished (config loaded, source open). Also ends a
  /// reload started with reloading(). An empty status sends "READY=1" alone.
  void ready(std::string_view status);

  /// "STATUS=<status>": a one-line summary for `systemctl status`.
  void status(std::string_view status);

  /// "WATCHDOG=1": the daemon is alive and, by dasflow's contract, its data is advancing.
  void watchdog();

  /// "RELOADING=1": a reload (SIGHUP) started; call ready() when it is done.
  void reloading();

  /// "STOPPING=1\nSTATUS=<status>": shutdown started (draining, checkpointing). An empty status
  /// sends "STOPPING=1" alone.
  void stopping(std::string_view status);

  /// "ERRNO=<err>": the errno-style cause of a failure, shown by `systemctl status`.
  void errno_status(int err);

private:
  void send(const char* message);

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_;
};

} // namespace dasflow::daemon
