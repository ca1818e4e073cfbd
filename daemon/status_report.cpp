#include "dasflow/daemon/status_report.hpp"

#include <cmath>
#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "dasflow/daemon/prometheus.hpp"
#include "dasflow/io/events_output.hpp"

namespace dasflow::daemon {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double wall_s() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

/// Seconds since the last checkpoint was saved; NaN if none yet.
double checkpoint_age_s(const Metrics& m) {
  const std::int64_t at = m.last_checkpoint_wall_ns.load();
  return at == 0 ? kNaN : wall_s() - static_cast<double>(at) / 1e9;
}

/// Time of the newest input sample processed (seconds since the epoch); NaN before the first.
double position_s(const Runtime& r) {
  if (r.metrics().chunks_processed.load() == 0 && r.resumed_from().empty()) return kNaN;
  return static_cast<double>(r.input_stream().time_ns(r.metrics().last_input_index.load())) / 1e9;
}

/// JSON has no NaN: absent values are null.
nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

} // namespace

std::string metrics_text(const Runtime& r, const ControlServer* control,
                         std::chrono::steady_clock::time_point started) {
  const Metrics& m = r.metrics();
  PrometheusText p;
  p.family("dasflow_info", MetricType::gauge, "Constant 1, labelled with the daemon's version and stream name.");
  p.sample("dasflow_info", 1, {{"version", DASFLOW_VERSION}, {"name", r.config().name}});
  p.family("dasflow_uptime_seconds", MetricType::gauge, "Seconds since the daemon started.");
  p.sample("dasflow_uptime_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  p.family("dasflow_stream_channels", MetricType::gauge, "Channels of the input and output streams.");
  p.sample("dasflow_stream_channels", r.input_stream().n_channels, {{"stream", "input"}});
  p.sample("dasflow_stream_channels", r.output_stream().n_channels, {{"stream", "output"}});
  p.family("dasflow_stream_rate_hz", MetricType::gauge, "Sampling rate of the input and output streams.");
  p.sample("dasflow_stream_rate_hz", r.input_stream().fs_hz, {{"stream", "input"}});
  p.sample("dasflow_stream_rate_hz", r.output_stream().fs_hz, {{"stream", "output"}});

  p.family("dasflow_chunks_total", MetricType::counter,
           "Chunks by stage: read, dropped (live, processor behind), "
           "processed, written.");
  p.sample("dasflow_chunks_total", m.chunks_read.load(), {{"stage", "read"}});
  p.sample("dasflow_chunks_total", m.chunks_dropped.load(), {{"stage", "dropped"}});
  p.sample("dasflow_chunks_total", m.chunks_processed.load(), {{"stage", "processed"}});
  p.sample("dasflow_chunks_total", m.chunks_written.load(), {{"stage", "written"}});
  p.family("dasflow_samples_total", MetricType::counter,
           "Channel-samples read from the source (in), dropped, and handed to the outputs (out).");
  p.sample("dasflow_samples_total", m.samples_read.load(), {{"stage", "in"}});
  p.sample("dasflow_samples_total", m.samples_dropped.load(), {{"stage", "dropped"}});
  p.sample("dasflow_samples_total", m.samples_out.load(), {{"stage", "out"}});
  p.family("dasflow_gaps_total", MetricType::counter, "Jumps forward in the input's sample index.");
  p.sample("dasflow_gaps_total", m.gaps.load());
  p.family("dasflow_gap_samples_total", MetricType::counter, "Time samples missing in those gaps.");
  p.sample("dasflow_gap_samples_total", m.gap_samples.load());
  p.family("dasflow_overlaps_total", MetricType::counter, "Chunks that repeated samples already processed.");
  p.sample("dasflow_overlaps_total", m.overlaps.load());
  p.family("dasflow_overlap_samples_total", MetricType::counter, "Repeated time samples dropped.");
  p.sample("dasflow_overlap_samples_total", m.overlap_samples.load());

  p.family("dasflow_queue_depth", MetricType::gauge, "Chunks waiting between stages.");
  p.sample("dasflow_queue_depth", r.input_queue_size(), {{"queue", "reader_to_processor"}});
  p.sample("dasflow_queue_depth", r.output_queue_size(), {{"queue", "processor_to_writer"}});
  p.family("dasflow_queue_capacity", MetricType::gauge, "Capacity of each queue between stages (queue_depth).");
  p.sample("dasflow_queue_capacity", r.queue_capacity());
  p.family("dasflow_stage_busy_seconds_total", MetricType::counter,
           "Time spent working: the pipeline (process) and the outputs with checkpoints (write).");
  p.sample("dasflow_stage_busy_seconds_total", m.busy_s.load(), {{"stage", "process"}});
  p.sample("dasflow_stage_busy_seconds_total", m.write_busy_s.load(), {{"stage", "write"}});
  p.family("dasflow_lag_seconds", MetricType::gauge,
           "Wall clock minus the time of the newest sample processed (live sources; NaN for a replay).");
  p.sample("dasflow_lag_seconds", r.lag_s());
  p.family("dasflow_stream_position_seconds", MetricType::gauge,
           "Time of the newest input sample processed, seconds since the epoch.");
  p.sample("dasflow_stream_position_seconds", position_s(r));

  p.family("dasflow_output_bytes_total", MetricType::counter, "Bytes written by the outputs (samples and lines).");
  p.sample("dasflow_output_bytes_total", r.output_bytes());
  p.family("dasflow_output_write_failures_total", MetricType::counter,
           "Output writes or closes that failed (disk full, I/O error: see the log); the run stops after one.");
  p.sample("dasflow_output_write_failures_total", m.write_failures.load());
  p.family("dasflow_triggers_total", MetricType::counter, "Trigger events (one channel) written.");
  p.sample("dasflow_triggers_total", m.triggers.load());
  p.family("dasflow_detections_total", MetricType::counter, "Coincidence detections (several channels) written.");
  p.sample("dasflow_detections_total", m.detections.load());

  p.family("dasflow_checkpoints_total", MetricType::counter, "Checkpoints saved.");
  p.sample("dasflow_checkpoints_total", m.checkpoints.load());
  p.family("dasflow_checkpoint_failures_total", MetricType::counter, "Checkpoints that could not be saved.");
  p.sample("dasflow_checkpoint_failures_total", m.checkpoint_failures.load());
  p.family("dasflow_checkpoint_age_seconds", MetricType::gauge, "Seconds since the last checkpoint (NaN: none yet).");
  p.sample("dasflow_checkpoint_age_seconds", checkpoint_age_s(m));
  p.family("dasflow_checkpoint_bytes", MetricType::gauge, "Size of the last checkpoint file.");
  p.sample("dasflow_checkpoint_bytes", m.last_checkpoint_bytes.load());
  p.family("dasflow_checkpoint_write_seconds", MetricType::gauge,
           "Time the last checkpoint took: outputs made durable plus the file written.");
  p.sample("dasflow_checkpoint_write_seconds", m.last_checkpoint_s.load());
  p.family("dasflow_resume_problems_total", MetricType::counter,
           "Outputs that could not be brought back exactly to the checkpoint at start (data lost, logged).");
  p.sample("dasflow_resume_problems_total", m.resume_problems.load());

  if (const auto counters = r.source().counters(); !counters.empty()) {
    p.family("dasflow_source_total", MetricType::counter,
             "What the source saw: messages, malformed (skipped), reconnects, stream changes, lost messages, ...");
    for (const auto& [name, value] : counters)
      p.sample("dasflow_source_total", value, {{"what", name}});
  }
  p.family("dasflow_stream_changes_total", MetricType::counter, "Input stream changes (pipeline rebuilt).");
  p.sample("dasflow_stream_changes_total", m.stream_changes.load());

  if (control != nullptr) {
    const ControlServer::Stats s = control->stats();
    p.family("dasflow_control_requests_total", MetricType::counter, "HTTP requests answered by the control plane.");
    p.sample("dasflow_control_requests_total", s.requests_served);
    p.family("dasflow_control_bad_requests_total", MetricType::counter, "Malformed HTTP requests refused.");
    p.sample("dasflow_control_bad_requests_total", s.bad_requests);
    p.family("dasflow_control_connections_refused_total", MetricType::counter,
             "HTTP connections closed at once (too many open).");
    p.sample("dasflow_control_connections_refused_total", s.connections_refused);
  }
  return p.take();
}

std::string status_json(const Runtime& r, std::chrono::steady_clock::time_point started) {
  const Metrics& m = r.metrics();
  nlohmann::ordered_json j;
  j["name"] = r.config().name;
  j["version"] = DASFLOW_VERSION;
  j["state"] = r.stopping() ? "stopping" : "running";
  j["pid"] = static_cast<long>(::getpid());
  j["uptime_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  j["source"] = r.source().describe();
  j["input"] = {{"fs_hz", r.input_stream().fs_hz}, {"channels", r.input_stream().n_channels}};
  j["output"] = {{"fs_hz", r.output_stream().fs_hz}, {"channels", r.output_stream().n_channels}};
  const double pos = position_s(r);
  j["position"] = {{"index", m.last_input_index.load()},
                   {"time", std::isfinite(pos)
                                ? nlohmann::json(io::iso8601_ns(r.input_stream().time_ns(m.last_input_index.load())))
                                : nlohmann::json(nullptr)}};
  j["lag_s"] = number_or_null(r.lag_s());
  j["chunks"] = {{"read", m.chunks_read.load()},
                 {"dropped", m.chunks_dropped.load()},
                 {"processed", m.chunks_processed.load()},
                 {"written", m.chunks_written.load()}};
  j["samples"] = {{"in", m.samples_read.load()}, {"dropped", m.samples_dropped.load()}, {"out", m.samples_out.load()}};
  j["gaps"] = {{"count", m.gaps.load()}, {"samples", m.gap_samples.load()}};
  j["overlaps"] = {{"count", m.overlaps.load()}, {"samples", m.overlap_samples.load()}};
  j["queues"] = {{"reader_to_processor", r.input_queue_size()},
                 {"processor_to_writer", r.output_queue_size()},
                 {"capacity", r.queue_capacity()}};
  nlohmann::ordered_json source_counters = nlohmann::ordered_json::object();
  for (const auto& [name, value] : r.source().counters())
    source_counters[name] = value;
  j["source_counters"] = source_counters;
  j["stream_changes"] = m.stream_changes.load();
  j["triggers"] = m.triggers.load();
  j["detections"] = m.detections.load();
  j["output_bytes"] = r.output_bytes();
  j["write_failures"] = m.write_failures.load();
  const std::string write_error = m.last_write_error();
  j["last_write_error"] = write_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(write_error);
  nlohmann::ordered_json ck;
  ck["enabled"] = r.config().checkpoint.has_value();
  if (r.config().checkpoint) {
    ck["path"] = r.config().checkpoint->dir;
    ck["interval_s"] = r.config().checkpoint->interval_s;
  }
  ck["count"] = m.checkpoints.load();
  ck["failures"] = m.checkpoint_failures.load();
  const std::string ck_error = m.last_checkpoint_error();
  ck["last_failure"] = ck_error.empty() ? nlohmann::json(nullptr) : nlohmann::json(ck_error);
  ck["age_s"] = number_or_null(checkpoint_age_s(m));
  ck["bytes"] = m.last_checkpoint_bytes.load();
  ck["write_s"] = m.last_checkpoint_s.load();
  ck["resumed_from"] = r.resumed_from().empty() ? nlohmann::json(nullptr) : nlohmann::json(r.resumed_from());
  j["checkpoint"] = ck;
  return j.dump(2) + "\n";
}

std::string status_line(const Runtime& r) {
  char buf[256];
  const double lag = r.lag_s();
  char lag_text[48] = "replay";
  if (std::isfinite(lag)) std::snprintf(lag_text, sizeof lag_text, "lag %.1f s", lag);
  char ck_text[64] = "";
  const double age = checkpoint_age_s(r.metrics());
  if (std::isfinite(age)) std::snprintf(ck_text, sizeof ck_text, ", checkpoint %.0f s ago", age);
  std::snprintf(buf, sizeof buf, "%zu ch @ %g Hz, %s, %llu triggers, %llu detections, %llu dropped%s",
                r.input_stream().n_channels, r.input_stream().fs_hz, lag_text,
                static_cast<unsigned long long>(r.metrics().triggers.load()),
                static_cast<unsigned long long>(r.metrics().detections.load()),
                static_cast<unsigned long long>(r.metrics().chunks_dropped.load()), ck_text);
  return buf;
}

} // namespace dasflow::daemon
