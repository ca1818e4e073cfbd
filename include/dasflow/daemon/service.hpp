#pragma once
/// \file service.hpp
/// What dasflowd does between argv and its exit code: load and validate the config, build the
/// source, run the three-stage runtime under Boost.Asio (signals, progress timer) on the main thread.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "dasflow/daemon/app_config.hpp"
#include "dasflow/io/source.hpp"

namespace dasflow::daemon {

/// Exit statuses (sysexits.h): systemd's RestartPreventExitStatus=78 stops restart loops on config errors.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitConfig = 78;
/// EX_CANTCREAT: the checkpoint directory cannot be created or written at start-up. Not in
/// RestartPreventExitStatus=: the cause (a volume not mounted yet, mounted read-only) may go away.
inline constexpr int kExitCantCreate = 73;

class Runtime;

/// Where a foreground run (`dasflow process`) stands when its progress callback is called.
enum class RunPhase {
  running,     ///< periodically while the three stages run
  finished,    ///< once, after the threads were joined: the source ended (or the run failed)
  interrupted, ///< once, after the threads were joined: SIGINT/SIGTERM stopped it early
};

struct ServiceOptions {
  std::string config_path; ///< the config file; with run_service(AppConfig, ...) only its name in messages
  bool check_only = false; ///< --check: validate (config, source metadata, pipeline at its rate) and exit
  std::string log_level;   ///< overrides the config's logging.level when set
  bool fresh = false;      ///< --fresh: ignore existing checkpoints
  /// Serve `control.listen` (HTTP /metrics, /status) when the config has one. A foreground run
  /// turns it off: its progress display replaces it, and it must not collide with a running daemon.
  bool control_plane = true;
  /// Foreground runs: called on the main thread every `progress_period` while the runtime runs,
  /// and once more after its threads have been joined (RunPhase::finished or interrupted).
  std::function<void(const Runtime&, RunPhase)> progress;
  std::chrono::milliseconds progress_period{1000};
};

/// The configured source (not yet opened).
std::unique_ptr<io::Source> make_source(const AppConfig& config);

/// Runs dasflowd on the config file `options.config_path`; returns the process exit status.
int run_service(const ServiceOptions& options);

/// The same engine on a config already loaded (`dasflow process` builds one from its arguments or
/// adjusts a file's): reader, processor and writer threads, outputs, checkpoints, signals.
int run_service(AppConfig config, const ServiceOptions& options);

} // namespace dasflow::daemon
