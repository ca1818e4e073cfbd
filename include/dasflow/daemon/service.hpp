#pragma once
/// \file service.hpp
/// What dasflowd does between argv and its exit code: load and validate the config, build the
/// source, run the three-stage runtime under Boost.Asio (signals, progress timer) on the main thread.

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

struct ServiceOptions {
  std::string config_path;
  bool check_only = false; ///< --check: validate (config, source metadata, pipeline at its rate) and exit
  std::string log_level;   ///< overrides the config's logging.level when set
  bool fresh = false;      ///< --fresh: ignore existing checkpoints
};

/// The configured source (not yet opened).
std::unique_ptr<io::Source> make_source(const AppConfig& config);

/// Runs dasflowd; returns the process exit status.
int run_service(const ServiceOptions& options);

} // namespace dasflow::daemon
