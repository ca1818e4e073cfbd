// `dasflow process`: a config with a finite source (vendor files, a synthetic stream with a
// duration) run by the daemon's own engine — daemon::run_service, the reader → processor → writer
// threads of daemon::Runtime, its outputs and checkpoints — in the foreground. Only the
// surroundings differ from dasflowd: no HTTP control plane, the log at `warn` on stderr, and a
// progress display instead of the periodic log line (a bar redrawn in place on a terminal, a plain
// line every few seconds otherwise), then one summary line on stdout.
//
// `--pipeline P --input F --output D` builds the equivalent config: source {type: hdf5, path: F},
// pipeline: the list in P, outputs: [{type: hdf5, path: D, ...}] (+ an events file). Errors in P
// name P and its lines.

#include "tool_process.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>

#include <spdlog/sinks/base_sink.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "dasflow/daemon/logging.hpp"
#include "dasflow/daemon/runtime.hpp"
#include "dasflow/daemon/service.hpp"

namespace dasflow::tool {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kExitConfig = daemon::kExitConfig;
constexpr int kExitInterrupted = 130; // 128 + SIGINT, as a shell reports a job stopped by Ctrl-C

/// "1:02:03", "4:05" (seconds rounded up).
std::string duration_text(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const auto t = static_cast<long long>(std::ceil(s));
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lld:%02lld", t / 60, t % 60);
  return buf;
}

/// A stretch of data: "9.6 s", "12:00", "1:02:03".
std::string data_time(double s) {
  if (!(s < 60)) return duration_text(s);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

/// The progress display on stderr, and the log lines that must not tear it: on a terminal the bar
/// is one line redrawn in place, and a log line first clears it, then the bar is drawn again
/// below the log line.
class Display {
public:
  Display(bool tty, bool periodic) : tty_(tty), periodic_(periodic) {}

  /// Periodic (main thread).
  void update(const daemon::Runtime& rt) {
    if (!periodic_) return;
    const std::string text = line(rt, false);
    std::lock_guard lock(mutex_);
    if (tty_) {
      bar_ = text;
      std::fprintf(stderr, "\r\033[K%s", bar_.c_str());
    } else {
      std::fprintf(stderr, "progress: %s\n", text.c_str());
    }
    std::fflush(stderr);
  }

  /// After the threads were joined: the last state of the bar (terminal), then the summary line.
  void finish(const daemon::Runtime& rt, daemon::RunPhase phase) {
    {
      std::lock_guard lock(mutex_);
      if (tty_ && periodic_ && !bar_.empty()) std::fprintf(stderr, "\r\033[K%s\n", line(rt, true).c_str());
      bar_.clear();
      std::fflush(stderr);
    }
    std::printf("%s\n", summary(rt, phase).c_str());
    std::fflush(stdout);
  }

  /// A formatted log line (any thread).
  void log(const char* text, std::size_t size) {
    std::lock_guard lock(mutex_);
    if (tty_ && !bar_.empty()) std::fputs("\r\033[K", stderr);
    std::fwrite(text, 1, size, stderr);
    if (tty_ && !bar_.empty()) std::fputs(bar_.c_str(), stderr);
    std::fflush(stderr);
  }

private:
  /// Where the run stands: fraction of the source's extent, data seconds, rate, ETA. The rate is
  /// the processed position's advance since the start (since the first chunk seen processed
  /// after a resume, whose start position is not known here).
  std::string line(const daemon::Runtime& rt, bool final) {
    const auto& m = rt.metrics();
    const StreamInfo in = rt.input_stream();
    const std::int64_t index = m.last_input_index.load();
    const auto now = Clock::now();
    const bool processed = m.chunks_processed.load() > 0;
    const std::optional<io::Source::Extent> ext = rt.source().extent();
    if (!first_ && ext && rt.resumed_from().empty()) first_ = Observation{started_, ext->first};
    if (!first_ && processed) first_ = Observation{now, index};
    double rate_idx = std::nan(""); // input samples (rows) per second
    if (first_ && now - first_->at > std::chrono::milliseconds(100) && index > first_->index)
      rate_idx = static_cast<double>(index - first_->index) / std::chrono::duration<double>(now - first_->at).count();
    if (final) {
      const double wall = std::chrono::duration<double>(now - started_).count();
      rate_idx = wall > 0 && in.n_channels > 0
                     ? static_cast<double>(m.samples_read.load()) / static_cast<double>(in.n_channels) / wall
                     : std::nan("");
    }
    char rate[64] = "";
    if (std::isfinite(rate_idx))
      std::snprintf(rate, sizeof rate, "%.1f M channel-samples/s", rate_idx * static_cast<double>(in.n_channels) / 1e6);
    else
      std::snprintf(rate, sizeof rate, "... channel-samples/s");
    char buf[256];
    if (ext && ext->end > ext->first) {
      const double span = static_cast<double>(ext->end - ext->first);
      const std::int64_t at = processed ? std::clamp(index, ext->first, ext->end) : ext->first;
      const double frac = static_cast<double>(at - ext->first) / span;
      const double eta =
          std::isfinite(rate_idx) && rate_idx > 0 ? static_cast<double>(ext->end - at) / rate_idx : std::nan("");
      const std::string done_s = data_time(static_cast<double>(at - ext->first) / in.fs_hz);
      const std::string total_s = data_time(span / in.fs_hz);
      if (tty_) {
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(std::floor(frac * kWidth));
        std::string bar(static_cast<std::size_t>(filled), '#');
        bar.resize(kWidth, '-');
        std::snprintf(buf, sizeof buf, "[%s] %5.1f%%  %s / %s of data  %s  ETA %s", bar.c_str(), frac * 100,
                      done_s.c_str(), total_s.c_str(), rate, final ? "0:00" : duration_text(eta).c_str());
      } else {
        std::snprintf(buf, sizeof buf, "%.1f%% (%s of %s of data), %s, ETA %s", frac * 100, done_s.c_str(),
                      total_s.c_str(), rate, duration_text(eta).c_str());
      }
    } else {
      std::snprintf(buf, sizeof buf, "%llu channel-samples read, %s",
                    static_cast<unsigned long long>(m.samples_read.load()), rate);
    }
    return buf;
  }

  std::string summary(const daemon::Runtime& rt, daemon::RunPhase phase) const {
    const auto& m = rt.metrics();
    const StreamInfo in = rt.input_stream();
    const double wall = std::chrono::duration<double>(Clock::now() - started_).count();
    const auto samples = static_cast<double>(m.samples_read.load() - m.samples_dropped.load());
    const double rows = in.n_channels > 0 ? samples / static_cast<double>(in.n_channels) : 0.0;
    std::string head = "dasflow process: ";
    if (rt.exit_code() != 0)
      head += "FAILED (see the error above) after ";
    else if (phase == daemon::RunPhase::interrupted)
      head += std::string("interrupted") + (rt.config().checkpoint ? " (the next run resumes)" : "") + " after ";
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%s%.0f input channel-samples (%zu channels x %.0f samples, %.1f s at %g Hz) in %.2f s wall: "
                  "%.1f M channel-samples/s; wrote %.0f channel-samples (%.1f MB), %llu triggers, %llu detections; "
                  "busy: processor %.2f s (%.0f%%), writer %.2f s (%.0f%%)",
                  head.c_str(), samples, in.n_channels, rows, in.fs_hz > 0 ? rows / in.fs_hz : 0.0, in.fs_hz, wall,
                  wall > 0 ? samples / wall / 1e6 : 0.0, static_cast<double>(m.samples_out.load()),
                  static_cast<double>(rt.output_bytes()) / 1e6, static_cast<unsigned long long>(m.triggers.load()),
                  static_cast<unsigned long long>(m.detections.load()), m.busy_s.load(),
                  wall > 0 ? 100 * m.busy_s.load() / wall : 0.0, m.write_busy_s.load(),
                  wall > 0 ? 100 * m.write_busy_s.load() / wall : 0.0);
    return buf;
  }

  struct Observation {
    Clock::time_point at;
    std::int64_t index = 0;
  };
  std::mutex mutex_;
  bool tty_, periodic_;
  std::string bar_; ///< the bar as last drawn (terminal); empty = none on screen
  Clock::time_point started_ = Clock::now();
  std::optional<Observation> first_;
};

/// The daemon's log lines, through the display (stderr).
class DisplaySink final : public spdlog::sinks::base_sink<std::mutex> {
public:
  explicit DisplaySink(std::shared_ptr<Display> display) : display_(std::move(display)) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t text;
    formatter_->format(msg, text);
    display_->log(text.data(), text.size());
  }
  void flush_() override {}

private:
  std::shared_ptr<Display> display_;
};

/// `--pipeline/--input/--output`: the equivalent config. The pipeline is built from the file's
/// own nodes, so its errors (and the configure-time ones, such as a cutoff above Nyquist) name the
/// file's lines; the rest goes through the config parser like any config file.
Result<daemon::AppConfig> config_from_arguments(const ProcessOptions& o, const Registry& registry) {
  YAML::Node list;
  try {
    list = YAML::LoadFile(o.pipeline);
  } catch (const YAML::BadFile&) {
    return fail(Errc::config, o.pipeline + ": cannot read the pipeline file");
  } catch (const YAML::Exception& e) {
    return fail(Errc::config, o.pipeline + ":" + std::to_string(e.mark.line + 1) + ":" +
                                  std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!list.IsSequence())
    return fail(Errc::config,
                o.pipeline +
                    ": must be a YAML list of atoms (what a config's pipeline: key holds), e.g.\n"
                    "- {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}\n"
                    "- {atom: decimate, factor: 4}" +
                    (list.IsMap() && list["source"] ? "\n(this looks like a config file: use --config)" : ""));
  auto pipe = registry.build_pipeline(list, "pipeline");
  if (!pipe.ok()) {
    std::string out, line;
    for (std::size_t a = 0, b = 0; a <= pipe.error().message.size(); a = b + 1) {
      b = pipe.error().message.find('\n', a);
      if (b == std::string::npos) b = pipe.error().message.size();
      out += (out.empty() ? "" : "\n") + o.pipeline + ": " + pipe.error().message.substr(a, b - a);
    }
    return fail(Errc::config, out);
  }

  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "source" << YAML::Value << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "type" << YAML::Value << "hdf5";
  e << YAML::Key << "path" << YAML::Value << o.input;
  e << YAML::Key << "chunk" << YAML::Value << o.chunk_s;
  e << YAML::EndMap;
  e << YAML::Key << "pipeline" << YAML::Value << list;
  e << YAML::Key << "outputs" << YAML::Value << YAML::BeginSeq;
  e << YAML::Flow << YAML::BeginMap;
  e << YAML::Key << "type" << YAML::Value << "hdf5";
  e << YAML::Key << "path" << YAML::Value << o.output;
  e << YAML::Key << "prefix" << YAML::Value << o.prefix;
  e << YAML::Key << "file_duration" << YAML::Value << o.file_duration_s;
  e << YAML::Key << "format" << YAML::Value << o.format;
  e << YAML::Key << "compression" << YAML::Value << o.compression;
  e << YAML::EndMap;
  if (!o.events.empty()) {
    e << YAML::Flow << YAML::BeginMap;
    e << YAML::Key << "type" << YAML::Value << "events";
    e << YAML::Key << "path" << YAML::Value << o.events;
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  e << YAML::EndMap;
  auto cfg = daemon::parse_app_config(std::string(e.c_str()) + "\n", "dasflow process", registry);
  if (!cfg.ok()) return cfg;
  // The same pipeline, built from the file's own nodes (lines in errors), threaded as configured.
  pipe.value()->set_threads(cfg->pipeline->threads());
  cfg->pipeline = std::move(pipe).value();
  return cfg;
}

} // namespace

int run_process(const ProcessOptions& o) {
  const bool from_arguments = !o.pipeline.empty() || !o.input.empty() || !o.output.empty();
  if (o.config.empty() == !from_arguments ||
      (from_arguments && (o.pipeline.empty() || o.input.empty() || o.output.empty()))) {
    std::fprintf(stderr, "dasflow process: give --config FILE, or all of --pipeline, --input and --output\n");
    return 2;
  }
  const Registry registry = atoms::builtin_registry();
  auto loaded = from_arguments ? config_from_arguments(o, registry) : daemon::load_app_config(o.config, registry);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.error().message.c_str());
    return kExitConfig;
  }
  daemon::AppConfig cfg = std::move(loaded).value();
  const std::string name = from_arguments ? o.pipeline : o.config;

  // Only a finite source: `process` runs to the end of it.
  using Type = daemon::SourceConfig::Type;
  if (cfg.source.type == Type::zmq) {
    std::fprintf(stderr,
                 "%s: source: dasflow process runs a finite source (type hdf5: files; type synthetic with a "
                 "duration); a live feed (type asn or dasflow) never ends: run it with dasflowd\n",
                 name.c_str());
    return kExitConfig;
  }
  if (cfg.source.type == Type::synthetic) {
    if (!(cfg.source.synthetic.duration_s > 0)) {
      std::fprintf(stderr,
                   "%s: source.duration: dasflow process needs a finite source; this synthetic stream is "
                   "endless: give it a duration (s)\n",
                   name.c_str());
      return kExitConfig;
    }
    // Paced at the wall clock it is a live source (it drops chunks when behind); the stream itself
    // is the same at any pace, so process runs it as fast as it can.
    if (cfg.source.synthetic.realtime)
      std::fprintf(stderr, "%s: source.realtime ignored: dasflow process runs the stream as fast as it can\n",
                   name.c_str());
    cfg.source.synthetic.realtime = false;
  }
  if (o.threads > 0) {
    cfg.threads = o.threads;
    cfg.pipeline->set_threads(o.threads);
  }

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  const double period_s = o.progress_s < 0 ? (tty ? 0.2 : 5.0) : o.progress_s;
  // Shared with the log sink, which outlives this function (the loggers are global).
  const auto display = std::make_shared<Display>(tty, period_s > 0);
  daemon::log_to_sink(std::make_shared<DisplaySink>(display));

  daemon::ServiceOptions options;
  options.config_path = name;
  options.fresh = o.fresh;
  options.log_level = o.log_level.empty() ? "warn" : o.log_level;
  options.control_plane = false;
  options.progress_period =
      std::chrono::milliseconds(period_s > 0 ? std::max<long>(10, std::lround(period_s * 1000)) : 3'600'000);
  bool interrupted = false;
  options.progress = [&display, &interrupted](const daemon::Runtime& rt, daemon::RunPhase phase) {
    if (phase == daemon::RunPhase::running)
      display->update(rt);
    else
      display->finish(rt, phase);
    interrupted = phase == daemon::RunPhase::interrupted;
  };
  const int rc = daemon::run_service(std::move(cfg), options);
  return rc == 0 && interrupted ? kExitInterrupted : rc;
}

} // namespace dasflow::tool
