// dasflow: the user's tool (DESIGN.md §1). So far: `demo` (a config's source through its pipeline in
// the foreground, one line per chunk), `process` (the daemon's engine on files in the foreground,
// tool_process.cpp), `check` (validate a config, as dasflowd --check) and `checkpoint show` (a
// checkpoint file, readably).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "dasflow/daemon/checkpoint_report.hpp"
#include "dasflow/daemon/service.hpp"
#include "dasflow/io/compression.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "tool_commands.hpp"
#include "tool_process.hpp"

namespace {

using namespace dasflow;
constexpr int kExitConfig = daemon::kExitConfig;

std::string utc(std::int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>((ns / 1'000'000) % 1000));
  return buf;
}

double rms(const Chunk& c) {
  double s = 0;
  for (std::size_t i = 0; i < c.n_samples * c.n_channels; ++i)
    s += static_cast<double>(c.samples[i]) * c.samples[i];
  return c.n_samples == 0 ? 0.0 : std::sqrt(s / static_cast<double>(c.n_samples * c.n_channels));
}

/// One character per group of channels: the group's peak |amplitude| against the median group
/// peak (the noise level), so a wavefront crossing the cable shows as a bright band that moves from
/// line to line while quiet parts stay blank.
std::string energy_strip(const Chunk& c, std::size_t width) {
  static constexpr char kRamp[] = " .:-=+*#%@";
  width = std::min(width, c.n_channels);
  std::vector<float> peaks(width, 0.0f);
  for (std::size_t g = 0; g < width; ++g) {
    const std::size_t c0 = g * c.n_channels / width, c1 = (g + 1) * c.n_channels / width;
    for (std::size_t t = 0; t < c.n_samples; ++t)
      for (std::size_t ch = c0; ch < c1; ++ch)
        peaks[g] = std::max(peaks[g], std::fabs(c.row(t)[ch]));
  }
  std::vector<float> sorted = peaks;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(width / 2), sorted.end());
  const double noise = sorted[width / 2];
  std::string s(width, ' ');
  for (std::size_t g = 0; g < width; ++g) {
    const double level = noise > 0 ? std::log2(peaks[g] / noise) * 3.0 : 0.0; // 3 steps per doubling
    s[g] = kRamp[static_cast<std::size_t>(std::clamp(level, 0.0, 9.0))];
  }
  return s;
}

int run_demo(const std::string& config_path, double seconds, bool fast) {
  const Registry registry = atoms::builtin_registry();
  auto cfg = daemon::load_app_config(config_path, registry);
  if (!cfg.ok()) {
    std::fprintf(stderr, "%s\n", cfg.error().message.c_str());
    return kExitConfig;
  }
  if (cfg->source.type == daemon::SourceConfig::Type::synthetic) {
    if (seconds > 0) cfg->source.synthetic.duration_s = seconds;
    if (fast) cfg->source.synthetic.realtime = false;
  }
  auto source = daemon::make_source(*cfg);
  auto in_stream = source->open();
  if (!in_stream.ok()) {
    std::fprintf(stderr, "%s: source: %s\n", config_path.c_str(), in_stream.error().message.c_str());
    return kExitConfig;
  }
  Sequential& pipe = *cfg->pipeline;
  auto out_stream = pipe.configure(*in_stream);
  if (!out_stream.ok()) {
    std::fprintf(stderr, "%s: %s\n", config_path.c_str(), out_stream.error().message.c_str());
    return kExitConfig;
  }
  std::printf("dasflow demo: %s\n", source->describe().c_str());
  std::printf("pipeline (output %g Hz):\n%s", out_stream->fs_hz, pipe.config_yaml().c_str());
  std::printf(
      "each line: chunk time (UTC), input/output RMS, loudest channel, channel energy along the cable, speed\n");
  std::fflush(stdout);

  Chunk in, out;
  std::size_t n_chunks = 0, total_triggers = 0, detections = 0;
  double busy_s = 0, samples = 0;
  const std::atomic<bool> stop{false};
  for (;;) {
    auto more = source->next(in, stop);
    if (!more.ok()) {
      std::fprintf(stderr, "reading failed: %s\n", more.error().message.c_str());
      return 1;
    }
    if (!*more) break;
    const auto t0 = std::chrono::steady_clock::now();
    if (auto r = pipe.process(in.view(), out); !r.ok()) {
      std::fprintf(stderr, "processing failed at index %lld: %s\n", static_cast<long long>(in.first_index),
                   r.error().message.c_str());
      return 1;
    }
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    busy_s += dt;
    samples += static_cast<double>(in.n_samples * in.n_channels);
    ++n_chunks;

    std::size_t loud = 0;
    float loud_v = 0;
    for (std::size_t t = 0; t < out.n_samples; ++t)
      for (std::size_t ch = 0; ch < out.n_channels; ++ch)
        if (std::fabs(out.row(t)[ch]) > loud_v) loud_v = std::fabs(out.row(t)[ch]), loud = ch;
    std::size_t n_triggers = 0;
    for (const Event& e : out.events)
      n_triggers += e.kind == EventKind::trigger ? 1 : 0;
    total_triggers += n_triggers;
    std::printf("%s  in %5.2f  out %6.2f  peak %7.2f @ch %4zu |%s| %4zu trig %6.1f M/s\n",
                utc(out_stream->time_ns(out.first_index)).c_str(), rms(in), rms(out), loud_v, loud,
                energy_strip(out, 50).c_str(), n_triggers,
                static_cast<double>(in.n_samples * in.n_channels) / dt / 1e6);
    for (const Event& e : out.events) {
      if (e.kind != EventKind::coincidence) continue;
      ++detections;
      const auto [lo, hi] = std::minmax_element(e.channels.begin(), e.channels.end());
      std::printf("  DETECTION %s -> %s  %zu channels (%lld..%lld, %.0f-%.0f m)  first at channel %lld  peak %.1f\n",
                  utc(out_stream->time_ns(e.on_index)).c_str(), utc(out_stream->time_ns(e.off_index)).c_str(),
                  e.channels.size(), static_cast<long long>(*lo), static_cast<long long>(*hi),
                  static_cast<double>(*lo) * out_stream->coords->dx_m,
                  static_cast<double>(*hi) * out_stream->coords->dx_m, static_cast<long long>(e.channel), e.peak);
    }
    std::fflush(stdout);
  }
  std::printf("processed %zu chunks, %.0f channel-samples in %.3f s of compute: %.1f M channel-samples/s; "
              "%zu channel triggers, %zu detections\n",
              n_chunks, samples, busy_s, busy_s > 0 ? samples / busy_s / 1e6 : 0.0, total_triggers, detections);
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"dasflow: tools for the dasflow DAS processing daemon"};
  app.require_subcommand(1);

  std::string demo_config = "config/demo.yaml";
  double seconds = 0;
  bool fast = false;
  auto* demo = app.add_subcommand("demo", "Run the built-in synthetic interrogator through a pipeline, printing live");
  demo->add_option("--config", demo_config, "config file (source + pipeline)")->check(CLI::ExistingFile);
  demo->add_option("--seconds", seconds, "stop after this many seconds of data (default: the config's duration)");
  demo->add_flag("--fast", fast, "as fast as possible instead of real time");

  tool::ProcessOptions proc;
  auto* process = app.add_subcommand(
      "process", "Run a config on files in the foreground (the daemon's engine), with progress and a summary");
  process
      ->add_option("--config", proc.config,
                   "config file; its source must be finite (hdf5 files, or synthetic with a duration)")
      ->check(CLI::ExistingFile);
  process->add_option("--pipeline", proc.pipeline, "without --config: a YAML list of atoms")
      ->check(CLI::ExistingFile)
      ->excludes("--config");
  process->add_option("--input", proc.input, "without --config: a vendor HDF5 file or a directory of them")
      ->check(CLI::ExistingPath)
      ->excludes("--config");
  process->add_option("--output", proc.output, "without --config: the output directory")->excludes("--config");
  process->add_option("--format", proc.format, "with --output: xdas or prodml")
      ->check(CLI::IsMember({"xdas", "prodml"}));
  process->add_option("--compression", proc.compression, "with --output: none, lz4 or blosc-zstd")
      ->check(CLI::IsMember(dasflow::io::compression_names()));
  process->add_option("--prefix", proc.prefix, "with --output: file-name prefix");
  process->add_option("--file-duration", proc.file_duration_s, "with --output: seconds per file")
      ->check(CLI::Range(1.0, 1e9));
  process->add_option("--chunk", proc.chunk_s, "with --input: seconds per chunk")->check(CLI::PositiveNumber);
  process->add_option("--events", proc.events, "with --output: also write triggers and detections to this JSONL file");
  process->add_option("--threads", proc.threads, "pipeline threads (overrides the config's threads)")
      ->check(CLI::Range(1, 256));
  process->add_flag("--fresh", proc.fresh, "ignore existing checkpoints (a new record)");
  process->add_option("--log-level", proc.log_level, "the daemon's log on stderr: trace ... off (default warn)");
  process
      ->add_option("--progress-interval", proc.progress_s,
                   "seconds between progress updates on stderr (default 0.2 on a terminal, else 5; 0 = none)")
      ->check(CLI::NonNegativeNumber);

  std::string check_config;
  auto* check = app.add_subcommand("check", "Validate a config file and print the effective pipeline");
  check->add_option("--config", check_config, "config file")->required()->check(CLI::ExistingFile);

  std::string checkpoint_path;
  auto* checkpoint = app.add_subcommand("checkpoint", "Inspect checkpoints");
  checkpoint->require_subcommand(1);
  auto* show = checkpoint->add_subcommand("show", "Print a checkpoint (a file, or the newest usable in a directory)");
  show->add_option("PATH", checkpoint_path, "checkpoint-*.h5 file or checkpoint directory")
      ->required()
      ->check(CLI::ExistingPath);

  tool::PublishOptions sim;
  auto* simulate = app.add_subcommand("simulate", "A synthetic interrogator publishing the ASN ZeroMQ stream");
  simulate->add_option("--publish", sim.address, "address to bind, e.g. tcp://*:3333")->required();
  simulate->add_option("--channels", sim.channels, "channels")->check(CLI::Range(1, 1000000));
  simulate->add_option("--fs", sim.fs_hz, "sampling rate, Hz")->check(CLI::PositiveNumber);
  simulate->add_option("--chunk", sim.chunk_s, "seconds of data per message")->check(CLI::PositiveNumber);
  simulate->add_option("--duration", sim.duration_s, "seconds of data, then exit (default: endless)");
  simulate->add_option("--start", sim.start_s, "first sample time, epoch seconds (default: now)");
  simulate->add_option("--seed", sim.seed, "noise seed (as source.seed)");
  simulate->add_option("--speed", sim.speed, "real-time factor (0: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  simulate->add_option("--wait-subscribers", sim.wait_subscribers, "hold the data until N subscribers joined");
  simulate->add_option("--header-every", sim.header_every_s, "re-send the header every S seconds")
      ->check(CLI::PositiveNumber);
  simulate->add_option("--changes-every", sim.changes_every,
                       "every N messages switch between all and half of the channels (tests)");
  simulate->add_option("--roi-start", sim.roi_start, "channel number of the first column (header roiStart)");
  simulate->add_option("--roi-dec", sim.roi_dec, "channel-number step between columns (header roiDec)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1000000}));
  simulate->add_option("--cycle", sim.cycle_s, "generate S s of data once, then repeat it (benchmarks)")
      ->check(CLI::NonNegativeNumber);

  tool::PublishOptions rep;
  std::string rep_speed = "1";
  auto* replay = app.add_subcommand("replay", "Real vendor files played as a live ASN ZeroMQ stream");
  replay->add_option("FILES", rep.files, "a file or a directory")->required()->check(CLI::ExistingPath);
  replay->add_option("--publish", rep.address, "address to bind")->required();
  replay->add_option("--speed", rep_speed, "real-time factor, or max");
  replay->add_option("--chunk", rep.chunk_s, "seconds of data per message")->check(CLI::PositiveNumber);
  replay->add_option("--wait-subscribers", rep.wait_subscribers, "hold the data until N subscribers joined");

  tool::SubOptions subo;
  auto* sub = app.add_subcommand("sub", "Subscribe to a dasflow or ASN stream: one line per message");
  sub->add_option("ADDRESS", subo.address, "publisher, e.g. tcp://127.0.0.1:5556")->required();
  sub->add_option("--protocol", subo.protocol, "dasflow or asn")->check(CLI::IsMember({"dasflow", "asn"}));
  sub->add_option("--topic", subo.topic, "data, events or status (dasflow)")
      ->check(CLI::IsMember({"data", "events", "status"}));
  sub->add_option("--count", subo.count, "exit after N messages");
  sub->add_flag("--json", subo.json, "one JSON object per message");
  sub->add_flag("--dump", subo.dump, "with --json: the samples too (\"values\", time-major)")->needs("--json");
  sub->add_option("--timeout", subo.timeout_s, "exit 1 after S seconds without a message");
  sub->add_option("--output", subo.output,
                  "also write the data to FILE.h5 (xdas layout; files named after the stem if the stream changes)");
  sub->add_option("--curve-server-key", subo.curve_server_key, "the publisher's public key file (CURVE)");
  sub->add_option("--curve-client-keys", subo.curve_client_keys, "this client's key pair file (CURVE)");
  sub->add_option("--stats", subo.stats_s,
                  "no line per message: losses and latency every S s and at exit (benchmarks)");
  sub->add_option("--warmup", subo.warmup_s,
                  "with --stats: leave the first S s after the first data message out of the latency figures");

  std::string keygen_path;
  auto* keygen = app.add_subcommand("keygen", "Write a new CURVE key pair file (public and secret Z85 lines)");
  keygen->add_option("FILE", keygen_path, "where to write it (mode 0600)")->required();

  CLI11_PARSE(app, argc, argv);
  if (*demo) return run_demo(demo_config, seconds, fast);
  if (*process) return tool::run_process(proc);
  if (*simulate) return tool::run_publish(sim);
  if (*replay) {
    rep.speed = rep_speed == "max" ? 0.0 : std::atof(rep_speed.c_str());
    if (rep_speed != "max" && !(rep.speed > 0)) {
      std::fprintf(stderr, "--speed must be a positive factor or max\n");
      return 2;
    }
    return tool::run_publish(rep);
  }
  if (*sub) return tool::run_sub(subo);
  if (*keygen) {
    if (auto r = io::write_curve_keypair(keygen_path); !r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      return 1;
    }
    return 0;
  }
  if (*show) {
    auto report = daemon::checkpoint_report(checkpoint_path);
    if (!report.ok()) {
      std::fprintf(stderr, "%s\n", report.error().message.c_str());
      return 1;
    }
    std::fputs(report->c_str(), stdout);
    return 0;
  }
  if (*check) {
    daemon::ServiceOptions options;
    options.config_path = check_config;
    options.check_only = true;
    return daemon::run_service(options);
  }
  return 0;
}
