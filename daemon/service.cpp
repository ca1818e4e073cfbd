#include "dasflow/daemon/service.hpp"

#include <cerrno>
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
#include "dasflow/atoms/fft_plan.hpp"
#include "dasflow/daemon/control_server.hpp"
#include "dasflow/daemon/logging.hpp"
#include "dasflow/daemon/runtime.hpp"
#include "dasflow/daemon/status_report.hpp"
#include "dasflow/daemon/systemd_notify.hpp"
#include "dasflow/io/hdf5_output.hpp"
#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/synthetic_source.hpp"

namespace dasflow::daemon {

namespace asio = boost::asio;

std::unique_ptr<io::Source> make_source(const AppConfig& config) {
  if (config.source.type == SourceConfig::Type::hdf5)
    return std::make_unique<io::Hdf5ReplaySource>(config.source.replay);
  if (config.source.type == SourceConfig::Type::zmq) return std::make_unique<io::ZmqSource>(config.source.zmq);
  const auto now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto& start_s = config.source.synthetic.start_s;
  return std::make_unique<io::SyntheticSource>(
      config.source.synthetic, start_s ? static_cast<std::int64_t>(std::llround(*start_s * 1e9)) : now_ns);
}

namespace {

/// Re-arms itself: every SIGINT/SIGTERM asks for a drain (a second one changes nothing); SIGHUP
/// reopens the log file (logrotate's postrotate, `systemctl reload`).
void await_signal(asio::signal_set& signals, Runtime& runtime, SystemdNotifier& notifier, bool& interrupted) {
  signals.async_wait([&signals, &runtime, &notifier, &interrupted](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      notifier.reloading();
      if (auto r = reopen_log_file(); !r.ok())
        logger("ctl")->error("SIGHUP: {}", r.error().message);
      else
        logger("ctl")->info("SIGHUP: log file reopened (if logging to one)");
      notifier.ready(status_line(runtime));
    } else {
      logger("ctl")->info("{}: stopping; draining what was read, then closing files",
                          signo == SIGINT ? "SIGINT" : "SIGTERM");
      notifier.stopping("draining: processing and writing what was read, then a final checkpoint");
      if (!runtime.stopping()) interrupted = true; // not when the source had already ended
      runtime.request_stop();
    }
    await_signal(signals, runtime, notifier, interrupted);
  });
}

/// The progress line in the log, and the same facts as systemd's STATUS=.
void schedule_progress(asio::steady_timer& timer, const Runtime& runtime, SystemdNotifier& notifier,
                       std::chrono::milliseconds period) {
  timer.expires_after(period);
  timer.async_wait([&timer, &runtime, &notifier, period](const boost::system::error_code& ec) {
    if (ec) return;
    logger("ctl")->info("{}", runtime.progress_line());
    if (!runtime.stopping()) notifier.status(status_line(runtime));
    schedule_progress(timer, runtime, notifier, period);
  });
}

/// A foreground run's own progress display (ServiceOptions::progress).
void schedule_foreground_progress(asio::steady_timer& timer, const Runtime& runtime, const ServiceOptions& options) {
  timer.expires_after(options.progress_period);
  timer.async_wait([&timer, &runtime, &options](const boost::system::error_code& ec) {
    if (ec) return;
    options.progress(runtime, RunPhase::running);
    schedule_foreground_progress(timer, runtime, options);
  });
}

/// WATCHDOG=1 only while data advances through the whole pipeline (chunks written): a stalled
/// source or a hung stage stops the pings, and systemd restarts the daemon after WatchdogSec.
void schedule_watchdog(asio::steady_timer& timer, const Runtime& runtime, SystemdNotifier& notifier,
                       std::chrono::microseconds period, std::uint64_t last_written) {
  timer.expires_after(period);
  timer.async_wait([&timer, &runtime, &notifier, period, last_written](const boost::system::error_code& ec) {
    if (ec) return;
    const std::uint64_t written = runtime.metrics().chunks_written.load();
    if (written != last_written) notifier.watchdog();
    schedule_watchdog(timer, runtime, notifier, period, written);
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
  return run_service(std::move(loaded).value(), options);
}

int run_service(AppConfig config, const ServiceOptions& options) {
  setup_logging(options.log_level.empty() ? config.log_level : options.log_level);
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
    // Outputs that cannot hold the pipeline's stream (a spectrogram in PRODML) fail here too.
    for (std::size_t i = 0; i < config.outputs.size(); ++i) {
      if (config.outputs[i].type != OutputConfig::Type::hdf5) continue;
      const io::Hdf5Output file(config.outputs[i].hdf5, *out, "", DASFLOW_VERSION);
      if (auto r = file.check(); !r.ok()) {
        std::fprintf(stderr, "%s: outputs[%zu]: %s\n", options.config_path.c_str(), i, r.error().message.c_str());
        return kExitConfig;
      }
    }
    std::printf("%s: ok\nsource: %s\npipeline %g Hz x %zu channels -> %g Hz x %zu channels:\n%s",
                options.config_path.c_str(), source->describe().c_str(), in->fs_hz, in->n_channels, out->fs_hz,
                out->n_channels, config.pipeline->config_yaml().c_str());
    return kExitOk;
  }

  if (!config.log_file.empty()) {
    if (auto r = log_to_file(config.log_file); !r.ok()) {
      std::fprintf(stderr, "%s: logging.file: %s\n", options.config_path.c_str(), r.error().message.c_str());
      return kExitConfig;
    }
  }
  const double stats_interval_s = config.stats_interval_s;
  const std::string control_listen = config.control_listen;
  const auto started = std::chrono::steady_clock::now();
  SystemdNotifier notifier;
  asio::io_context io;
  // Before any thread exists: a signal is then handled by Asio whichever thread it lands on (the
  // first SIGTERM of a run that has just started drains it instead of killing it; ThreadSanitizer
  // saw the signal state set up after the runtime's threads had started).
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  Runtime runtime(std::move(config), std::move(source), RunOptions{options.fresh});
  // The control plane first: a port already taken fails before anything is resumed or written.
  std::unique_ptr<ControlServer> control;
  if (!control_listen.empty() && options.control_plane) {
    ControlHandlers handlers;
    handlers.metrics = [&runtime, &control, started] { return metrics_text(runtime, control.get(), started); };
    handlers.status = [&runtime, started] { return status_json(runtime, started); };
    auto c = ControlServer::start(io, control_listen, std::move(handlers));
    if (!c.ok()) {
      logger("ctl")->error("control.listen: {}", c.error().message);
      return c.error().code == Errc::config ? kExitConfig : kExitFailure;
    }
    control = std::move(c).value();
  }
  // Without a writable checkpoint directory nothing this run writes could be resumed: refuse to
  // start rather than run for days with nothing to restart from. (A directory that becomes
  // unwritable later only stops the checkpoints: processing goes on, the failures are counted.)
  if (const auto& ck = runtime.config().checkpoint) {
    if (auto r = io::CheckpointStore::check_writable(ck->dir); !r.ok()) {
      logger("ctl")->error("checkpoint.path: {}; dasflowd does not start without a place to save checkpoints (exit {})",
                           r.error().message, kExitCantCreate);
      notifier.errno_status(EACCES);
      return kExitCantCreate;
    }
  }
  // FFTW wisdom: plans measured on the first start are read back by every later one (resumes
  // included), so measured plans stay as deterministic as estimated ones (docs/spectral.md).
  const std::string wisdom = runtime.config().fft_wisdom;
  if (!wisdom.empty() && !atoms::use_fft_wisdom(wisdom)) {
    logger("ctl")->error("fft.wisdom: {} is not an FFTW wisdom file (single precision); delete it to measure "
                         "again (exit {})",
                         wisdom, kExitConfig);
    return kExitConfig;
  }
  if (auto r = runtime.start([&io] { asio::post(io, [&io] { io.stop(); }); }); !r.ok()) {
    // A config error found at start-up (a cutoff above the source's Nyquist) names the file, as --check does.
    if (r.error().code == Errc::config)
      logger("ctl")->error("{}: {}", options.config_path, r.error().message);
    else
      logger("ctl")->error("{}", r.error().message);
    notifier.errno_status(EINVAL);
    // A config error, or a checkpoint that cannot be resumed: restarting would fail the same way.
    return r.error().code == Errc::config || r.error().code == Errc::state_mismatch ? kExitConfig : kExitFailure;
  }
  // Saved at once (the pipeline's plans exist now) and again at exit (a live stream whose shape
  // changed has made new plans).
  const auto save_wisdom = [&wisdom] {
    if (!wisdom.empty() && !atoms::export_fft_wisdom(wisdom))
      logger("ctl")->warn("fft.wisdom: cannot write {}: the next start measures its FFT plans again, and a "
                          "resumed run may then differ from an uninterrupted one in the last bits of FFT outputs",
                          wisdom);
  };
  save_wisdom();
  bool interrupted = false;
  await_signal(signals, runtime, notifier, interrupted);
  asio::steady_timer progress(io);
  schedule_progress(progress, runtime, notifier, std::chrono::milliseconds(static_cast<long>(stats_interval_s * 1000)));
  asio::steady_timer foreground(io);
  if (options.progress) schedule_foreground_progress(foreground, runtime, options);
  asio::steady_timer watchdog(io);
  if (const auto interval = notifier.watchdog_interval())
    schedule_watchdog(watchdog, runtime, notifier, *interval / 2, 0);
  logger("ctl")->info("running (pid {}); SIGTERM or SIGINT drains and exits", static_cast<long>(getpid()));
  notifier.ready(status_line(runtime));
  io.run();
  if (control) control->stop();
  notifier.stopping("finished: " + runtime.progress_line());
  runtime.join();
  save_wisdom();
  logger("ctl")->info("{}", runtime.progress_line());
  logger("ctl")->info("exit {}", runtime.exit_code());
  if (options.progress) options.progress(runtime, interrupted ? RunPhase::interrupted : RunPhase::finished);
  return runtime.exit_code();
}

} // namespace dasflow::daemon
