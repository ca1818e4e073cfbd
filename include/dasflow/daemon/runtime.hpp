#pragma once
/// \file runtime.hpp
/// The three-stage engine of dasflowd (DESIGN.md §1, §5): reader → processor → writer, each on its
/// own thread, joined by bounded queues so reading, computing and writing overlap. A stop request
/// drains: every chunk read is processed and written, files are closed.
///
/// Checkpoints are barriers: every `checkpoint.interval` the processor snapshots the pipeline's
/// state right after a chunk and sends it down the writer queue behind that chunk; the writer
/// saves it only once every output has durably written the chunk (Output::checkpoint), so a
/// checkpoint never describes data that is not on disk. At start the newest usable checkpoint is
/// loaded: the pipeline state is restored, outputs are trimmed back to it (Output::resume), a
/// replay source seeks to the next index, and a live source's first rows after it are a gap.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/state_tree.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "dasflow/daemon/bounded_queue.hpp"
#include "dasflow/io/checkpoint_store.hpp"
#include "dasflow/io/hdf5_output.hpp"
#include "dasflow/io/output.hpp"
#include "dasflow/io/source.hpp"

namespace dasflow::daemon {

/// Counters shared by the stages (read by the progress log and, later, /metrics).
struct Metrics {
  std::atomic<std::uint64_t> chunks_read{0}, chunks_dropped{0}, chunks_processed{0}, chunks_written{0};
  std::atomic<std::uint64_t> samples_read{0}, samples_dropped{0}; ///< channel-samples
  std::atomic<std::uint64_t> gaps{0}, gap_samples{0}, overlaps{0}, overlap_samples{0};
  std::atomic<std::uint64_t> triggers{0}, detections{0};
  std::atomic<std::uint64_t> samples_out{0};     ///< channel-samples handed to the outputs
  std::atomic<std::int64_t> last_input_index{0}; ///< end index of the last processed input chunk
  std::atomic<double> busy_s{0.0};               ///< processor time spent in the pipeline
  std::atomic<double> write_busy_s{0.0};         ///< writer time spent in outputs and checkpoints
  std::atomic<std::uint64_t> checkpoints{0}, checkpoint_failures{0};
  std::atomic<std::int64_t> last_checkpoint_wall_ns{0}; ///< when the last checkpoint was saved (0 = never)
  std::atomic<std::int64_t> last_checkpoint_index{0};   ///< input index it resumes at
  std::atomic<std::uint64_t> last_checkpoint_bytes{0};
  std::atomic<double> last_checkpoint_s{0.0};    ///< how long the last save took (outputs' fsync + file)
  std::atomic<std::uint64_t> resume_problems{0}; ///< outputs that could not be brought back exactly
  std::atomic<std::uint64_t> stream_changes{0};  ///< input acquisition changes (pipeline rebuilt)
  std::atomic<std::uint64_t> write_failures{0};  ///< output writes or closes that failed (the run stops)

  /// The latest checkpoint and output failure messages ("" = none yet), for /status.
  std::string last_checkpoint_error() const;
  std::string last_write_error() const;
  void set_last_checkpoint_error(std::string message);
  void set_last_write_error(std::string message);

private:
  mutable std::mutex text_mutex_;
  std::string last_checkpoint_error_, last_write_error_;
};

/// How the run starts.
struct RunOptions {
  bool fresh = false; ///< ignore existing checkpoints (a new record; they are replaced as it runs)
};

/// Recycles chunk buffers between stages so a steady stream stops allocating.
class ChunkPool {
public:
  Chunk acquire();
  void release(Chunk c);

private:
  std::mutex mutex_;
  std::vector<Chunk> free_;
};

class Runtime {
public:
  Runtime(AppConfig config, std::unique_ptr<io::Source> source, RunOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Opens the source, configures the pipeline at its rate, opens the outputs, resumes from the
  /// newest checkpoint (unless fresh) and starts the three threads. `on_finished` runs (on the
  /// writer thread) once everything is drained and closed. A checkpoint written for another
  /// pipeline, or none usable, is an Errc::state_mismatch error naming the way out (--fresh).
  Result<void> start(std::function<void()> on_finished);
  /// Thread-safe: stop reading; what was read is still processed and written.
  void request_stop() noexcept { stop_.store(true); }
  /// Waits for the threads.
  void join();
  /// 0 after a clean drain, 1 after a failure (read, processing, writing or on_gap: fail).
  int exit_code() const noexcept { return exit_code_.load(); }

  const Metrics& metrics() const noexcept { return metrics_; }
  const AppConfig& config() const noexcept { return config_; }
  const io::Source& source() const noexcept { return *source_; }
  /// True once a stop was requested or the source ended: the run is draining.
  bool stopping() const noexcept { return stop_.load() || source_ended_.load(); }
  /// Items waiting in the reader→processor and processor→writer queues, and their capacity.
  std::size_t input_queue_size() const { return to_processor_.size(); }
  std::size_t output_queue_size() const { return to_writer_.size(); }
  std::size_t queue_capacity() const noexcept { return to_processor_.capacity(); }
  /// Bytes the outputs have written (file rows and event lines).
  std::uint64_t output_bytes() const noexcept { return output_bytes_.load(); }
  /// The checkpoint this run resumed from ("" if none).
  const std::string& resumed_from() const noexcept { return resumed_from_; }
  /// Wall-clock time of the newest data processed, lag behind the wall clock in seconds (live only;
  /// NaN for a replay or before the first chunk).
  double lag_s() const;
  /// The current input and output streams (they change when the source's acquisition changes).
  StreamInfo input_stream() const;
  StreamInfo output_stream() const;
  /// One progress line: position, lag behind the wall clock, rates, drops, gaps, detections.
  std::string progress_line() const;

private:
  /// What the processor sends the writer: a processed chunk, and after it, possibly, the state
  /// snapshot that a checkpoint at this point of the stream holds.
  struct Snapshot {
    StateTree pipeline;
    StreamInfo input, output; ///< the streams the state belongs to
    std::int64_t next_input_index = 0;
    bool have_position = false;
    bool final = false;           ///< the last item: the run is ending
    bool stream_complete = false; ///< ... because the source ended (not a stop request)
  };
  struct WriterItem {
    Chunk chunk;
    bool has_chunk = true;
    std::unique_ptr<Snapshot> snapshot;
    std::optional<StreamInfo> stream_change; ///< before this item's chunk: the output stream is now this
  };
  /// What the reader sends the processor: a chunk, and whether the input stream changed before it.
  struct ReaderItem {
    Chunk chunk;
    std::optional<StreamInfo> stream_change;
  };

  Result<void> resume_from_checkpoint();
  std::string config_hash(const StreamInfo& input) const;
  void set_streams(const StreamInfo& in, const StreamInfo& out);
  void save_checkpoint(Snapshot& snapshot);
  /// Counts a checkpoint that was not saved and logs it without flooding (see checkpoint_streak_).
  void checkpoint_failed(const std::string& message);
  void read_loop();
  void process_loop();
  void write_loop(const std::function<void()>& on_finished);
  void fail_run(const std::string& message);

  AppConfig config_;
  std::unique_ptr<io::Source> source_;
  RunOptions options_;
  mutable std::mutex streams_mutex_; ///< guards in_stream_/out_stream_ once the threads run
  StreamInfo in_stream_, out_stream_;
  std::unique_ptr<Sequential> prototype_; ///< the pipeline as configured by the user, before configure()
  std::string pipeline_yaml_;
  std::vector<std::unique_ptr<io::Output>> outputs_;
  std::vector<io::Hdf5Output*> files_; ///< the hdf5 ones among outputs_ (for the closing log line)
  std::optional<io::CheckpointStore> store_;
  std::string resumed_from_;
  bool have_resume_position_ = false;
  std::int64_t resume_index_ = 0;
  std::atomic<bool> source_ended_{false};
  std::atomic<std::uint64_t> output_bytes_{0};
  BoundedQueue<ReaderItem> to_processor_;
  BoundedQueue<WriterItem> to_writer_;
  ChunkPool input_pool_, output_pool_;
  std::atomic<bool> stop_{false};
  std::atomic<int> exit_code_{0};
  Metrics metrics_;
  /// Checkpoints failing in a row (writer thread only). With an interval of seconds, a checkpoint
  /// directory that stays unwritable would log a line every few seconds: the first failure is
  /// logged, then at most one line a minute while they last, then one when a save succeeds again.
  struct FailureStreak {
    std::uint64_t count = 0;
    std::chrono::steady_clock::time_point first, logged;
  };
  FailureStreak checkpoint_streak_;
  std::string last_saved_checkpoint_; ///< writer thread only: where a restart would resume
  std::thread reader_, processor_, writer_;
};

} // namespace dasflow::daemon
