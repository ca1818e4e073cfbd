#include "dasflow/daemon/runtime.hpp"

#include <chrono>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "dasflow/daemon/logging.hpp"

namespace dasflow::daemon {

Chunk ChunkPool::acquire() {
  std::lock_guard lock(mutex_);
  if (free_.empty()) return Chunk{};
  Chunk c = std::move(free_.back());
  free_.pop_back();
  return c;
}

void ChunkPool::release(Chunk c) {
  std::lock_guard lock(mutex_);
  if (free_.size() < 16) free_.push_back(std::move(c));
}

Runtime::Runtime(AppConfig config, std::unique_ptr<io::Source> source)
    : config_(std::move(config)), source_(std::move(source)), to_processor_(config_.queue_depth),
      to_writer_(config_.queue_depth) {}

Runtime::~Runtime() {
  request_stop();
  to_processor_.close();
  to_writer_.close();
  join();
}

Result<void> Runtime::start(std::function<void()> on_finished) {
  DASFLOW_TRY_ASSIGN(in, source_->open());
  in_stream_ = in;
  auto out = config_.pipeline->configure(in_stream_);
  if (!out.ok()) return fail(Errc::config, out.error().message);
  out_stream_ = *out;
  const std::string pipeline_yaml = config_.pipeline->config_yaml();
  for (const OutputConfig& o : config_.outputs) {
    if (o.type == OutputConfig::Type::hdf5) {
      files_.push_back(std::make_unique<io::Hdf5Output>(o.hdf5, out_stream_, pipeline_yaml, DASFLOW_VERSION));
    } else {
      auto e = std::make_unique<io::EventsOutput>(o.events_path, out_stream_, config_.name);
      DASFLOW_TRY(e->open());
      event_files_.push_back(std::move(e));
    }
  }
  logger("reader")->info("source: {}", source_->describe());
  logger("proc")->info("pipeline {} Hz x {} channels -> {} Hz x {} channels:\n{}", in_stream_.fs_hz,
                       in_stream_.n_channels, out_stream_.fs_hz, out_stream_.n_channels, pipeline_yaml);
  reader_ = std::thread([this] { read_loop(); });
  processor_ = std::thread([this] { process_loop(); });
  writer_ = std::thread([this, on_finished] { write_loop(on_finished); });
  return {};
}

void Runtime::join() {
  for (std::thread* t : {&reader_, &processor_, &writer_})
    if (t->joinable()) t->join();
}

void Runtime::fail_run(const std::string& message) {
  exit_code_.store(1);
  request_stop();
  logger("ctl")->error("{}", message);
}

void Runtime::read_loop() {
  const auto log = logger("reader");
  const bool live = source_->pace() == io::SourcePace::live;
  std::uint64_t drops_logged = 0;
  std::int64_t unreported_loss_end = -1; ///< end index of chunks dropped since the last one queued
  while (!stop_.load()) {
    Chunk chunk = input_pool_.acquire();
    auto more = source_->next(chunk, stop_);
    if (!more.ok()) {
      fail_run("reading failed: " + more.error().message);
      break;
    }
    if (!*more) break;
    const std::uint64_t n = chunk.n_samples * chunk.n_channels;
    metrics_.chunks_read++;
    metrics_.samples_read += n;
    const std::int64_t first = chunk.first_index;
    const std::int64_t end = chunk.end_index();
    // Live data never waits for us: when the processor is behind, drop the whole chunk; the
    // processor sees the jump in indices and handles it as a gap.
    const bool queued = live ? to_processor_.try_push(chunk) : to_processor_.push(chunk);
    if (queued) unreported_loss_end = -1;
    if (!queued) {
      if (stop_.load()) break;
      unreported_loss_end = end;
      metrics_.chunks_dropped++;
      metrics_.samples_dropped += n;
      if (metrics_.chunks_dropped.load() >= drops_logged * 2 + 1) { // 1, 3, 7, 15, ...: rate-limited
        log->warn("processor behind: dropped chunk at index {} ({} chunks dropped so far)", first,
                  metrics_.chunks_dropped.load());
        drops_logged = metrics_.chunks_dropped.load();
      }
      input_pool_.release(std::move(chunk));
    }
  }
  // Losses at the very end would be invisible (no later chunk shows the jump): send an empty chunk
  // at the index after them, so the processor logs and counts the gap like any other.
  if (unreported_loss_end >= 0) {
    Chunk marker = input_pool_.acquire();
    marker.reshape(0, in_stream_.n_channels);
    marker.first_index = unreported_loss_end;
    marker.events.clear();
    to_processor_.push(marker);
  }
  to_processor_.close();
  log->info("reader done: {} chunks read, {} dropped", metrics_.chunks_read.load(), metrics_.chunks_dropped.load());
}

void Runtime::process_loop() {
  const auto log = logger("proc");
  bool have_expected = false;
  std::int64_t expected = 0;
  bool failed = false;
  while (auto chunk = to_processor_.pop()) {
    if (failed) { // a failure upstream of the writer: drain without processing
      input_pool_.release(std::move(*chunk));
      continue;
    }
    ChunkView view = chunk->view();
    // Continuity from absolute indices (DESIGN.md §5).
    if (have_expected && view.first_index != expected) {
      if (view.first_index > expected) {
        const std::int64_t missing = view.first_index - expected;
        metrics_.gaps++;
        metrics_.gap_samples += static_cast<std::uint64_t>(missing);
        const char* action = config_.on_gap == OnGap::reset  ? "resetting the pipeline state"
                             : config_.on_gap == OnGap::fail ? "stopping (on_gap: fail)"
                                                             : "continuing with the state kept";
        log->warn("gap of {} samples ({:.3f} s) before index {} ({}); {}", missing,
                  static_cast<double>(missing) / in_stream_.fs_hz, view.first_index,
                  io::iso8601_ns(in_stream_.time_ns(view.first_index)), action);
        if (config_.on_gap == OnGap::fail) {
          fail_run("stream gap with on_gap: fail");
          failed = true;
          input_pool_.release(std::move(*chunk));
          continue;
        }
        if (config_.on_gap == OnGap::reset) config_.pipeline->reset();
      } else {
        // Overlap: rows already processed are dropped, the rest continues the stream.
        const auto old_rows = static_cast<std::size_t>(
            std::min<std::int64_t>(expected - view.first_index, static_cast<std::int64_t>(view.n_samples)));
        metrics_.overlaps++;
        metrics_.overlap_samples += old_rows;
        log->warn("overlap of {} samples at index {}: dropping the repeated rows", expected - view.first_index,
                  view.first_index);
        view.samples = view.samples.subspan(old_rows * view.n_channels);
        view.n_samples -= old_rows;
        view.first_index += static_cast<std::int64_t>(old_rows);
        if (view.n_samples == 0) {
          input_pool_.release(std::move(*chunk));
          continue;
        }
      }
    }
    have_expected = true;
    expected = view.end_index();

    Chunk out = output_pool_.acquire();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = config_.pipeline->process(view, out);
    metrics_.busy_s.store(metrics_.busy_s.load() +
                          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok()) {
      fail_run("processing failed at index " + std::to_string(view.first_index) + ": " + r.error().message);
      failed = true;
      input_pool_.release(std::move(*chunk));
      continue;
    }
    metrics_.chunks_processed++;
    metrics_.last_input_index.store(view.end_index());
    log->debug("chunk {} +{} rows -> {} rows, {} events", view.first_index, view.n_samples, out.n_samples,
               out.events.size());
    input_pool_.release(std::move(*chunk));
    to_writer_.push(out);
  }
  to_writer_.close();
}

void Runtime::write_loop(const std::function<void()>& on_finished) {
  const auto log = logger("writer");
  bool failed = false;
  while (auto chunk = to_writer_.pop()) {
    if (!failed) {
      // An empty chunk (the end-of-stream loss marker) has nothing to store in files.
      for (auto& f : files_) {
        if (chunk->n_samples == 0) break;
        if (auto r = f->write(chunk->view()); !r.ok()) {
          fail_run("writing failed: " + r.error().message);
          failed = true;
          break;
        }
      }
      for (auto& e : event_files_) {
        if (failed) break;
        if (auto r = e->write(chunk->events); !r.ok()) {
          fail_run("writing events failed: " + r.error().message);
          failed = true;
        }
      }
      for (const Event& e : chunk->events) {
        if (e.kind == EventKind::trigger) {
          metrics_.triggers++;
          log->debug("trigger channel {} on {} off {} peak {:.2f}", e.channel,
                     io::iso8601_ns(out_stream_.time_ns(e.on_index)), io::iso8601_ns(out_stream_.time_ns(e.off_index)),
                     e.peak);
        } else {
          metrics_.detections++;
          log->info("DETECTION {} channels from {} to {} (first channel {}, peak {:.2f})", e.channels.size(),
                    io::iso8601_ns(out_stream_.time_ns(e.on_index)), io::iso8601_ns(out_stream_.time_ns(e.off_index)),
                    e.channel, e.peak);
        }
      }
      if (!failed) metrics_.chunks_written++;
    }
    output_pool_.release(std::move(*chunk));
  }
  for (auto& f : files_)
    if (auto r = f->close(); !r.ok()) fail_run("closing output failed: " + r.error().message);
  for (auto& e : event_files_)
    if (auto r = e->close(); !r.ok()) fail_run("closing events failed: " + r.error().message);
  std::size_t n_files = 0;
  for (auto& f : files_)
    n_files += f->completed_files().size();
  log->info("writer done: {} chunks written, {} files completed, {} triggers, {} detections",
            metrics_.chunks_written.load(), n_files, metrics_.triggers.load(), metrics_.detections.load());
  if (on_finished) on_finished();
}

std::string Runtime::progress_line() const {
  const std::int64_t index = metrics_.last_input_index.load();
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double data_s = static_cast<double>(in_stream_.time_ns(index)) / 1e9;
  char lag[48] = "";
  if (source_->pace() == io::SourcePace::live && index > 0)
    std::snprintf(lag, sizeof lag, " (lag %.1f s)", now_s - data_s);
  char buf[320];
  std::snprintf(
      buf, sizeof buf,
      "at %s%s: %llu chunks, %.1f M channel-samples/s processing, %llu dropped, %llu gaps, "
      "%llu triggers, %llu detections",
      index > 0 ? io::iso8601_ns(in_stream_.time_ns(index)).c_str() : "start", lag,
      static_cast<unsigned long long>(metrics_.chunks_processed.load()),
      metrics_.busy_s.load() > 0 ? static_cast<double>(metrics_.samples_read.load() - metrics_.samples_dropped.load()) /
                                       metrics_.busy_s.load() / 1e6
                                 : 0.0,
      static_cast<unsigned long long>(metrics_.chunks_dropped.load()),
      static_cast<unsigned long long>(metrics_.gaps.load()), static_cast<unsigned long long>(metrics_.triggers.load()),
      static_cast<unsigned long long>(metrics_.detections.load()));
  return buf;
}

} // namespace dasflow::daemon
