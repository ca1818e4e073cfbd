// dasflowd: the service. argv -> config -> runtime -> exit code (DESIGN.md §1, §4, §5).
//   dasflowd --config FILE           run until the source ends or SIGTERM/SIGINT (drain, exit 0)
//   dasflowd --check --config FILE   validate and exit (0, or 78 with what is wrong)
//   dasflowd --fresh --config FILE   start a new record, ignoring existing checkpoints

#include <CLI/CLI.hpp>

#include "dasflow/daemon/service.hpp"

int main(int argc, char** argv) {
  CLI::App app{"dasflowd: real-time processing daemon for Distributed Acoustic Sensing"};
  dasflow::daemon::ServiceOptions options;
  app.add_option("--config,-c", options.config_path, "configuration file (YAML)")->required();
  app.add_flag("--check", options.check_only, "validate the configuration and exit (status 78 if it is wrong)");
  app.add_flag("--fresh", options.fresh,
               "ignore existing checkpoints and start a new record (needed after a pipeline change)");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error (overrides logging.level)");
  CLI11_PARSE(app, argc, argv);
  return dasflow::daemon::run_service(options);
}
