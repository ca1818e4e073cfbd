#include "dasflow/daemon/service.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/daemon/logging.hpp"
#include "dasflow/daemon/runtime.hpp"
#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/synthetic_source.hpp"

namespace dasflow::daemon {

namespace asio = boost::asio;

std::unique_ptr<io::Source> make_source(const AppConfig& config) {
  if (config.source.type == SourceConfig::Type::hdf5)
    return std::make_unique<io::Hdf5ReplaySource>(config.source.replay);
  const auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto& start_s = config.source.synthetic.start_s;
  return std::make_unique<io::SyntheticSource>(
      config.source.synthetic, start_s ? static_cast<std::int64_t>(std::llround(*start_s * 1e9)) : now_ns);
}

namespace {

/// Re-arms itself: every SIGINT/SIGTERM asks for a drain (a second one changes nothing), SIGHUP is
/// acknowledged (logs go to stdout/journald; there is no file to reopen).
void await_signal(asio::signal_set& signals, Runtime& runtime) {
  signals.async_wait([&signals, &runtime](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      logger("ctl")->info("SIGHUP: logging goes to stdout, nothing to reopen");
    } else {
      logger("ctl")->info("{}: stopping; draining what was read, then closing files",
                          signo == SIGINT ? "SIGINT" : "SIGTERM");
      runtime.request_stop();
    }
    await_signal(signals, runtime);
  });
}

void schedule_progress(asio::steady_timer& timer, const Runtime& runtime, std::chrono::milliseconds period) {
  timer.expires_after(period);
  timer.async_wait([&timer, &runtime, period](const boost::system::error_code& ec) {
    if (ec) return;
    logger("ctl")->info("{}", runtime.progress_line());
    schedule_progress(timer, runtime, period);
  });
}

} // namespace

int run_service(const ServiceOptions& options) {
  setup_logging(options.log_level.empty() ? "info" : options.log_level);
  const Registry registry = atoms::builtin_registry();
  auto loaded = load_app_config(options.config_path, registry);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return kExitConfig;
  }
  AppConfig config = std::move(loaded).value();
  if (options.log_level.empty()) setup_logging(config.log_level);
  auto source = make_source(config);

  if (options.check_only) {
    auto in = source->open();
    if (!in.ok()) {
      std::fprintf(stderr, "%s: source: %s\n", options.config_path.c_str(), in.error().message.c_str());
      return kExitConfig;
    }
    auto out = config.pipeline->configure(*in);
    if (!out.ok()) {
      std::fprintf(stderr, "%s: %s\n", options.config_path.c_str(), out.error().message.c_str());
      return kExitConfig;
    }
    std::printf("%s: ok\nsource: %s\npipeline %g Hz x %zu channels -> %g Hz x %zu channels:\n%s",
                options.config_path.c_str(), source->describe().c_str(), in->fs_hz, in->n_channels, out->fs_hz,
                out->n_channels, config.pipeline->config_yaml().c_str());
    return kExitOk;
  }

  const double stats_interval_s = config.stats_interval_s;
  asio::io_context io;
  Runtime runtime(std::move(config), std::move(source), RunOptions{options.fresh});
  if (auto r = runtime.start([&io] { asio::post(io, [&io] { io.stop(); }); }); !r.ok()) {
    logger("ctl")->error("{}", r.error().message);
    // A config error, or a checkpoint that cannot be resumed: restarting would fail the same way.
    return r.error().code == Errc::config || r.error().code == Errc::state_mismatch ? kExitConfig : kExitFailure;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  await_signal(signals, runtime);
  asio::steady_timer progress(io);
  schedule_progress(progress, runtime, std::chrono::milliseconds(static_cast<long>(stats_interval_s * 1000)));
  logger("ctl")->info("running (pid {}); SIGTERM or SIGINT drains and exits", static_cast<long>(getpid()));
  io.run();
  runtime.join();
  logger("ctl")->info("{}", runtime.progress_line());
  logger("ctl")->info("exit {}", runtime.exit_code());
  return runtime.exit_code();
}

} // namespace dasflow::daemon
