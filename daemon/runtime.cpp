#include "dasflow/daemon/runtime.hpp"

#include <chrono>
#include <cstdio>
#include <limits>
#include <span>

#include <spdlog/spdlog.h>

#include "dasflow/daemon/logging.hpp"
#include "dasflow/io/events_output.hpp"
#include "dasflow/io/failpoint.hpp"
#include "dasflow/io/zmq_output.hpp"

namespace dasflow::daemon {

namespace {

/// While checkpoints keep failing, at most one log line per this period (Runtime::checkpoint_failed).
constexpr auto kFailureLogPeriod = std::chrono::minutes(1);

} // namespace

std::string Metrics::last_checkpoint_error() const {
  std::lock_guard lock(text_mutex_);
  return last_checkpoint_error_;
}

std::string Metrics::last_write_error() const {
  std::lock_guard lock(text_mutex_);
  return last_write_error_;
}

void Metrics::set_last_checkpoint_error(std::string message) {
  std::lock_guard lock(text_mutex_);
  last_checkpoint_error_ = std::move(message);
}

void Metrics::set_last_write_error(std::string message) {
  std::lock_guard lock(text_mutex_);
  last_write_error_ = std::move(message);
}

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

Runtime::Runtime(AppConfig config, std::unique_ptr<io::Source> source, RunOptions options)
    : config_(std::move(config)), source_(std::move(source)), options_(options), to_processor_(config_.queue_depth),
      to_writer_(config_.queue_depth) {}

Runtime::~Runtime() {
  request_stop();
  to_processor_.close();
  to_writer_.close();
  join();
}

Result<void> Runtime::start(std::function<void()> on_finished) {
  source_->set_reporter([](io::Source::Severity severity, const std::string& message) {
    if (severity == io::Source::Severity::warn)
      logger("reader")->warn("{}", message);
    else
      logger("reader")->info("{}", message);
  });
  DASFLOW_TRY_ASSIGN(in, source_->open());
  in_stream_ = in;
  prototype_ = std::make_unique<Sequential>(*config_.pipeline);
  auto out = config_.pipeline->configure(in_stream_);
  if (!out.ok()) return fail(Errc::config, out.error().message);
  out_stream_ = *out;
  pipeline_yaml_ = config_.pipeline->config_yaml();
  for (const OutputConfig& o : config_.outputs) {
    if (o.type == OutputConfig::Type::hdf5) {
      auto f = std::make_unique<io::Hdf5Output>(o.hdf5, out_stream_, pipeline_yaml_, DASFLOW_VERSION);
      DASFLOW_TRY(f->check()); // before anything is written: a config error, exit 78
      // Blosc compresses each chunk on as many threads as the pipeline has (bursts, once per write).
      if (o.hdf5.compression == io::Compression::blosc_zstd) {
        io::set_compression_threads(static_cast<unsigned>(config_.pipeline->threads()));
        logger("writer")->info("hdf5 output {}: compression {} on {} Blosc thread(s)", o.hdf5.dir,
                               io::compression_name(o.hdf5.compression), config_.pipeline->threads());
      }
      files_.push_back(f.get());
      outputs_.push_back(std::move(f));
    } else if (o.type == OutputConfig::Type::events) {
      auto e = std::make_unique<io::EventsOutput>(o.events_path, out_stream_, config_.name);
      DASFLOW_TRY(e->open());
      outputs_.push_back(std::move(e));
    } else {
      io::ZmqOutputConfig z = o.zmq;
      if (z.stream_name.empty()) z.stream_name = config_.name; // `stream:` names it, else the config's name
      DASFLOW_TRY_ASSIGN(pub, io::ZmqOutput::open(z, out_stream_));
      logger("writer")->info("publishing ({}) at {}",
                             z.protocol == io::ZmqOutputConfig::Protocol::asn ? "asn" : "dasflow",
                             pub->bound_endpoint());
      outputs_.push_back(std::move(pub));
    }
  }
  if (config_.checkpoint) {
    store_.emplace(config_.checkpoint->dir, config_.checkpoint->keep);
    if (options_.fresh)
      logger("ctl")->warn("--fresh: starting a new record; checkpoints in {} are ignored and replaced as this run "
                          "writes its own",
                          config_.checkpoint->dir);
    else
      DASFLOW_TRY(resume_from_checkpoint());
  }
  logger("reader")->info("source: {}", source_->describe());
  logger("proc")->info("pipeline {} Hz x {} channels -> {} Hz x {} channels, {} thread(s):\n{}", in_stream_.fs_hz,
                       in_stream_.n_channels, out_stream_.fs_hz, out_stream_.n_channels, config_.pipeline->threads(),
                       pipeline_yaml_);
  reader_ = std::thread([this] { read_loop(); });
  processor_ = std::thread([this] { process_loop(); });
  writer_ = std::thread([this, on_finished] { write_loop(on_finished); });
  return {};
}

StreamInfo Runtime::input_stream() const {
  std::lock_guard lock(streams_mutex_);
  return in_stream_;
}

StreamInfo Runtime::output_stream() const {
  std::lock_guard lock(streams_mutex_);
  return out_stream_;
}

void Runtime::set_streams(const StreamInfo& in, const StreamInfo& out) {
  std::lock_guard lock(streams_mutex_);
  in_stream_ = in;
  out_stream_ = out;
}

std::string Runtime::config_hash(const StreamInfo& in) const {
  // What the saved state depends on: the pipeline and the shape and rate of its input.
  char input[256];
  const ChannelCoords c = in.coords ? *in.coords : ChannelCoords{};
  std::snprintf(input, sizeof input, "\ninput: fs=%.17g channels=%zu first=%lld step=%lld dx=%.17g", in.fs_hz,
                in.n_channels, static_cast<long long>(c.first), static_cast<long long>(c.step), c.dx_m);
  const std::string text = pipeline_yaml_ + input;
  char hex[24];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(io::fnv1a64(
                    std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))));
  return hex;
}

Result<void> Runtime::resume_from_checkpoint() {
  const auto log = logger("ctl");
  const std::string& dir = config_.checkpoint->dir;
  const std::string fresh_hint = "; start with --fresh to begin a new record without it";
  auto loaded = store_->load_latest();
  if (!loaded.ok())
    return fail(Errc::state_mismatch, loaded.error().message + "\nstart with --fresh to begin a new "
                                                               "record without them");
  if (!loaded->has_value()) {
    log->info("no checkpoint in {}: starting a new record", dir);
    return {};
  }
  io::CheckpointStore::Loaded& ck = **loaded;
  for (const std::string& why : ck.skipped)
    log->warn("checkpoint skipped: {}", why);
  if (!ck.skipped.empty()) log->warn("falling back to the previous checkpoint {}", ck.path);
  const StateTree& root = ck.tree;
  if (auto r = root.expect("dasflow-checkpoint", 1); !r.ok())
    return fail(Errc::state_mismatch, ck.path + ": " + r.error().message + fresh_hint);
  DASFLOW_TRY_ASSIGN(hash, root.get_string("config_hash"));
  const std::string old_pipeline = root.get_string("pipeline").value_or("(not recorded)");
  const double old_fs = root.get_double("input_fs_hz").value_or(0.0);
  const std::int64_t old_channels = root.get_int("input_channels").value_or(0);
  if (old_pipeline != pipeline_yaml_)
    return fail(Errc::state_mismatch,
                ck.path + ": this checkpoint was written for another pipeline; refusing to resume.\n" +
                    "checkpoint: " + std::to_string(old_channels) + " channels at " + std::to_string(old_fs) +
                    " Hz through\n" + old_pipeline + "configured: " + std::to_string(in_stream_.n_channels) +
                    " channels at " + std::to_string(in_stream_.fs_hz) + " Hz through\n" + pipeline_yaml_ +
                    "Restore that configuration, or start with --fresh to begin a new record");
  // Same pipeline, other input (the interrogator's acquisition changed while we were down): the
  // saved state is for other channels or another rate. Outputs still go back to the checkpoint,
  // the pipeline starts afresh and the stream continues wherever the source is.
  const bool same_input = hash == config_hash(in_stream_);
  if (!same_input) {
    log->warn("{}: written for {} channels at {} Hz, the source now delivers {} channels at {} Hz: the saved state "
              "does not apply; outputs are trimmed back to it and the pipeline starts afresh",
              ck.path, old_channels, old_fs, in_stream_.n_channels, in_stream_.fs_hz);
  }
  if (root.children().size() != 2) return fail(Errc::state_mismatch, ck.path + ": malformed checkpoint" + fresh_hint);
  if (same_input) {
    if (auto r = config_.pipeline->restore_state(root.children()[0]); !r.ok())
      return fail(Errc::state_mismatch, ck.path + ": restoring the pipeline state: " + r.error().message + fresh_hint);
  }
  DASFLOW_TRY_ASSIGN(have_position, root.get_int("have_position"));
  DASFLOW_TRY_ASSIGN(next_index, root.get_int("next_input_index"));
  // Outputs back to the checkpoint: what they wrote after it is rewritten by this run.
  for (const auto& o : outputs_) {
    const StateTree* position = nullptr;
    for (const StateTree& p : root.children()[1].children())
      if (p.get_string("key").value_or("") == o->key()) position = &p;
    if (position == nullptr) {
      log->info("output {} is not in the checkpoint (new): it starts with this run", o->key());
      continue;
    }
    Result<void> r = o->resume(*position);
    for (io::Hdf5Output* f : files_) {
      if (f != o.get()) continue;
      for (const io::Hdf5Output::Notice& n : f->take_notices()) {
        if (n.warning)
          log->warn("output {}: {}", o->key(), n.message);
        else
          log->info("output {}: {}", o->key(), n.message);
      }
    }
    if (r.ok()) continue;
    // The disk refused (no space, read-only): what the checkpoint acknowledged is still there, but
    // writing now would build on a half-done resume and the next checkpoint would drop it. Stop;
    // the next start (systemd restarts on exit 1) does the whole resume again.
    if (r.error().code == Errc::io)
      return fail(Errc::io, "resuming output " + o->key() + ": " + r.error().message +
                                "\nnothing acknowledged was lost: the checkpoint " + ck.path +
                                " and the files it needs are kept; the next start tries again");
    metrics_.resume_problems++;
    log->error("resuming output {}: {}", o->key(), r.error().message);
  }
  if (have_position != 0 && same_input) {
    DASFLOW_TRY(source_->seek(next_index));
    have_resume_position_ = true;
    resume_index_ = next_index;
    metrics_.last_input_index.store(next_index);
    metrics_.last_checkpoint_index.store(next_index);
  }
  resumed_from_ = ck.path;
  last_saved_checkpoint_ = ck.path;
  log->info("resumed from {} (written {}): pipeline state restored, outputs trimmed back to it; the stream "
            "continues at index {} ({})",
            ck.path, root.get_string("created").value_or("?"), next_index,
            have_position != 0 ? io::iso8601_ns(in_stream_.time_ns(next_index)) : "start");
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
  std::uint64_t generation = source_->stream_generation();
  std::optional<StreamInfo> pending_change; ///< travels with the next chunk that is queued
  std::size_t n_channels = input_stream().n_channels;
  while (!stop_.load()) {
    Chunk chunk = input_pool_.acquire();
    auto more = source_->next(chunk, stop_);
    if (!more.ok()) {
      fail_run("reading failed: " + more.error().message);
      break;
    }
    if (!*more) {
      if (!stop_.load()) source_ended_.store(true);
      break;
    }
    const std::uint64_t n = chunk.n_samples * chunk.n_channels;
    metrics_.chunks_read++;
    metrics_.samples_read += n;
    const std::int64_t first = chunk.first_index;
    const std::int64_t end = chunk.end_index();
    if (const std::uint64_t g = source_->stream_generation(); g != generation) {
      generation = g;
      pending_change = source_->current_stream();
      n_channels = pending_change->n_channels;
      unreported_loss_end = -1; // losses of the old stream are not a gap of the new one
    }
    // Live data never waits for us: when the processor is behind, drop the whole chunk; the
    // processor sees the jump in indices and handles it as a gap.
    ReaderItem item{std::move(chunk), pending_change};
    const bool queued = live ? to_processor_.try_push(item) : to_processor_.push(item);
    if (queued) {
      unreported_loss_end = -1;
      pending_change.reset();
    } else {
      chunk = std::move(item.chunk);
    }
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
    ReaderItem marker{input_pool_.acquire(), pending_change};
    marker.chunk.reshape(0, n_channels);
    marker.chunk.first_index = unreported_loss_end;
    marker.chunk.events.clear();
    to_processor_.push(marker);
  }
  to_processor_.close();
  log->info("reader done: {} chunks read, {} dropped", metrics_.chunks_read.load(), metrics_.chunks_dropped.load());
}

void Runtime::process_loop() {
  const auto log = logger("proc");
  // After a resume the stream continues at the checkpoint's index: earlier rows a live source
  // delivers are dropped as an overlap, a later start is a gap.
  bool have_expected = have_resume_position_;
  std::int64_t expected = resume_index_;
  bool failed = false;
  const bool checkpointing = store_.has_value();
  const auto interval = std::chrono::duration<double>(checkpointing ? config_.checkpoint->interval_s : 0.0);
  auto last_snapshot = std::chrono::steady_clock::now();
  StreamInfo in = input_stream(), out_stream = output_stream(); // this thread's view of them
  const auto snapshot = [&](bool final) {
    auto snap = std::make_unique<Snapshot>();
    snap->pipeline = config_.pipeline->save_state();
    snap->input = in;
    snap->output = out_stream;
    snap->next_input_index = expected;
    snap->have_position = have_expected;
    snap->final = final;
    snap->stream_complete = final && source_ended_.load();
    return snap;
  };
  // A new record starts with a checkpoint of "nothing written yet": a run killed before its first
  // periodic checkpoint is then resumed from the start, its partial outputs trimmed, instead of
  // being started over on top of them (events appended twice).
  if (checkpointing && resumed_from_.empty()) {
    WriterItem first{Chunk{}, false, snapshot(false), std::nullopt};
    to_writer_.push(first);
  }
  while (auto item = to_processor_.pop()) {
    Chunk* chunk = &item->chunk;
    if (failed) { // a failure upstream of the writer: drain without processing
      input_pool_.release(std::move(*chunk));
      continue;
    }
    if (item->stream_change) {
      // The acquisition changed (an interrogator's new header): a pipeline fresh from the config
      // is designed for the new stream; the old state does not apply to other channels or rates.
      const StreamInfo& next_in = *item->stream_change;
      auto fresh = std::make_unique<Sequential>(*prototype_);
      auto next_out = fresh->configure(next_in);
      if (!next_out.ok()) {
        fail_run("the input stream changed to " + std::to_string(next_in.n_channels) + " channels at " +
                 std::to_string(next_in.fs_hz) + " Hz, which the pipeline cannot process: " + next_out.error().message);
        failed = true;
        input_pool_.release(std::move(*chunk));
        continue;
      }
      log->warn("input stream changed: {} channels at {} Hz -> {} channels at {} Hz; pipeline rebuilt (state reset), "
                "outputs start new files",
                in.n_channels, in.fs_hz, next_in.n_channels, next_in.fs_hz);
      metrics_.stream_changes++;
      config_.pipeline = std::move(fresh);
      in = next_in;
      out_stream = *next_out;
      set_streams(in, out_stream);
      have_expected = false;
      WriterItem change{Chunk{}, false, nullptr, out_stream};
      to_writer_.push(change);
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
                  static_cast<double>(missing) / in.fs_hz, view.first_index,
                  io::iso8601_ns(in.time_ns(view.first_index)), action);
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
    WriterItem processed{std::move(out), true, nullptr, std::nullopt};
    if (checkpointing && std::chrono::steady_clock::now() - last_snapshot >= interval) {
      processed.snapshot = snapshot(false);
      last_snapshot = std::chrono::steady_clock::now();
    }
    to_writer_.push(processed);
  }
  // The final checkpoint: after the last chunk, unless something failed (the state may not match
  // what was written; the last good checkpoint stays the one to resume from).
  if (checkpointing && !failed) {
    WriterItem last{Chunk{}, false, snapshot(true), std::nullopt};
    to_writer_.push(last);
  }
  to_writer_.close();
}

void Runtime::save_checkpoint(Snapshot& snapshot) {
  const auto log = logger("writer");
  const auto t0 = std::chrono::steady_clock::now();
  StateTree root("dasflow-checkpoint", 1);
  const auto wall_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  root.set("software_version", std::string(DASFLOW_VERSION));
  root.set("created", io::iso8601_ns(wall_ns));
  root.set("created_ns", static_cast<std::int64_t>(wall_ns));
  root.set("name", config_.name);
  root.set("config_hash", config_hash(snapshot.input));
  root.set("pipeline", pipeline_yaml_);
  root.set("input_fs_hz", snapshot.input.fs_hz);
  root.set("input_channels", static_cast<std::int64_t>(snapshot.input.n_channels));
  root.set("input_origin_ns", snapshot.input.origin_ns);
  root.set("output_fs_hz", snapshot.output.fs_hz);
  root.set("have_position", std::int64_t{snapshot.have_position});
  root.set("next_input_index", snapshot.next_input_index);
  if (snapshot.have_position)
    root.set("next_input_time", io::iso8601_ns(snapshot.input.time_ns(snapshot.next_input_index)));
  root.set("stream_complete", std::int64_t{snapshot.stream_complete});
  root.set("chunks_processed", static_cast<std::int64_t>(metrics_.chunks_processed.load()));
  // Each output makes the chunks before this point durable and says where it stands.
  StateTree positions("outputs", 1);
  for (const auto& o : outputs_) {
    auto p = o->checkpoint();
    if (!p.ok()) {
      checkpoint_failed("output " + o->key() + ": " + p.error().message);
      return;
    }
    positions.add_child(std::move(p).value());
  }
  root.add_child(std::move(snapshot.pipeline));
  root.add_child(std::move(positions));
  const auto t_durable = std::chrono::steady_clock::now();
  auto saved = store_->save(root);
  if (!saved.ok()) {
    checkpoint_failed(saved.error().message);
    return;
  }
  if (checkpoint_streak_.count > 0) {
    log->warn("checkpoints are saved again ({}), after {} failed over {:.1f} s", saved->path, checkpoint_streak_.count,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - checkpoint_streak_.first).count());
    checkpoint_streak_ = {};
  }
  last_saved_checkpoint_ = saved->path;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_.checkpoints++;
  metrics_.last_checkpoint_wall_ns.store(wall_ns);
  metrics_.last_checkpoint_index.store(snapshot.next_input_index);
  metrics_.last_checkpoint_bytes.store(saved->bytes);
  metrics_.last_checkpoint_s.store(seconds);
  log->debug("checkpoint {} at input index {}: {:.1f} kB in {:.1f} ms (outputs made durable {:.1f} ms, state file "
             "{:.1f} ms)",
             saved->path, snapshot.next_input_index, static_cast<double>(saved->bytes) / 1e3, seconds * 1e3,
             std::chrono::duration<double, std::milli>(t_durable - t0).count(),
             std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t_durable).count());
}

void Runtime::checkpoint_failed(const std::string& message) {
  const auto log = logger("writer");
  metrics_.checkpoint_failures++;
  metrics_.set_last_checkpoint_error(message);
  const auto now = std::chrono::steady_clock::now();
  FailureStreak& s = checkpoint_streak_;
  if (s.count++ == 0) {
    s.first = s.logged = now;
    log->error("checkpoint not saved: {}. Processing and outputs continue, but until a checkpoint is saved a restart "
               "resumes from {}. Further failures are counted (dasflow_checkpoint_failures_total) and logged at most "
               "once a minute",
               message, last_saved_checkpoint_.empty() ? "the start of the record" : last_saved_checkpoint_);
    return;
  }
  if (now - s.logged >= kFailureLogPeriod) {
    s.logged = now;
    log->error("checkpoints still failing: {} failures in {:.0f} s, the latest: {}", s.count,
               std::chrono::duration<double>(now - s.first).count(), message);
  }
}

void Runtime::write_loop(const std::function<void()>& on_finished) {
  const auto log = logger("writer");
  bool failed = false;
  bool closed = false;
  // An output that cannot write (disk full, I/O error) stops the run: the chunks after it would
  // be on some outputs and not others, and no checkpoint is taken past it.
  const auto output_failed = [&](const std::string& message) {
    metrics_.write_failures++;
    metrics_.set_last_write_error(message);
    fail_run(message);
  };
  const auto close_outputs = [&](bool stream_complete) {
    for (auto& o : outputs_)
      if (auto r = o->close(stream_complete); !r.ok()) output_failed("closing output failed: " + r.error().message);
    closed = true;
  };
  StreamInfo out_stream = output_stream();
  while (auto item = to_writer_.pop()) {
    const auto t0 = std::chrono::steady_clock::now();
    const Chunk& chunk = item->chunk;
    if (!failed && item->stream_change) {
      out_stream = *item->stream_change;
      for (auto& o : outputs_) {
        if (auto r = o->change_stream(out_stream); !r.ok()) {
          output_failed("output " + o->key() + " after a stream change: " + r.error().message);
          failed = true;
          break;
        }
      }
    }
    if (!failed && item->has_chunk) {
      for (auto& o : outputs_) {
        if (auto r = o->write(chunk); !r.ok()) {
          output_failed("writing failed: " + r.error().message);
          failed = true;
          break;
        }
      }
      metrics_.samples_out += chunk.n_samples * chunk.n_channels;
      for (const Event& e : chunk.events) {
        if (e.kind == EventKind::trigger) {
          metrics_.triggers++;
          log->debug("trigger channel {} on {} off {} peak {:.2f}", e.channel,
                     io::iso8601_ns(out_stream.time_ns(e.on_index)), io::iso8601_ns(out_stream.time_ns(e.off_index)),
                     e.peak);
        } else {
          metrics_.detections++;
          log->info("DETECTION {} channels from {} to {} (first channel {}, peak {:.2f})", e.channels.size(),
                    io::iso8601_ns(out_stream.time_ns(e.on_index)), io::iso8601_ns(out_stream.time_ns(e.off_index)),
                    e.channel, e.peak);
        }
      }
      if (!failed) metrics_.chunks_written++;
      io::failpoint("writer.chunk");
    }
    // The barrier: the chunk before this snapshot is written; now make it durable and record it.
    if (!failed && item->snapshot) {
      Snapshot& snap = *item->snapshot;
      if (snap.final && snap.stream_complete) close_outputs(true); // files finished before the record
      save_checkpoint(snap);
      io::failpoint("writer.checkpoint");
      if (snap.final && !snap.stream_complete) close_outputs(false); // left open for the next run
    }
    std::uint64_t bytes = 0;
    for (const auto& o : outputs_)
      bytes += o->bytes_written();
    output_bytes_.store(bytes);
    metrics_.write_busy_s.store(metrics_.write_busy_s.load() +
                                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (item->has_chunk) output_pool_.release(std::move(item->chunk));
  }
  // Without checkpoints a stop finishes every file; with them an unfinished file waits for the
  // next run (the last checkpoint records it), unless the stream itself is over.
  if (!closed) close_outputs(!store_.has_value() || source_ended_.load());
  std::size_t n_files = 0;
  for (const io::Hdf5Output* f : files_)
    n_files += f->completed_files().size();
  log->info("writer done: {} chunks written, {} files completed, {} triggers, {} detections, {} checkpoints ({} "
            "failed); output write failures: {}",
            metrics_.chunks_written.load(), n_files, metrics_.triggers.load(), metrics_.detections.load(),
            metrics_.checkpoints.load(), metrics_.checkpoint_failures.load(), metrics_.write_failures.load());
  if (on_finished) on_finished();
}

double Runtime::lag_s() const {
  const std::int64_t index = metrics_.last_input_index.load();
  if (source_->pace() != io::SourcePace::live || metrics_.chunks_processed.load() == 0)
    return std::numeric_limits<double>::quiet_NaN();
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return now_s - static_cast<double>(input_stream().time_ns(index)) / 1e9;
}

std::string Runtime::progress_line() const {
  const std::int64_t index = metrics_.last_input_index.load();
  const StreamInfo in = input_stream();
  const double now_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const double data_s = static_cast<double>(in.time_ns(index)) / 1e9;
  char lag[48] = "";
  if (source_->pace() == io::SourcePace::live && index > 0)
    std::snprintf(lag, sizeof lag, " (lag %.1f s)", now_s - data_s);
  char buf[320];
  std::snprintf(
      buf, sizeof buf,
      "at %s%s: %llu chunks, %.1f M channel-samples/s processing, %llu dropped, %llu gaps, "
      "%llu triggers, %llu detections",
      index > 0 ? io::iso8601_ns(in.time_ns(index)).c_str() : "start", lag,
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
