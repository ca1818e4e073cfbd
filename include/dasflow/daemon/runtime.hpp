#pragma once
/// \file runtime.hpp
/// The three-stage engine of dasflowd (DESIGN.md §1, §5): reader → processor → writer, each on its
/// own thread, joined by bounded queues so reading, computing and writing overlap. A stop request
/// drains: every chunk read is processed and written, files are closed.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dasflow/core/chunk.hpp"
#include "dasflow/daemon/app_config.hpp"
#include "dasflow/daemon/bounded_queue.hpp"
#include "dasflow/io/events_output.hpp"
#include "dasflow/io/source.hpp"

namespace dasflow::daemon {

/// Counters shared by the stages (read by the progress log and, later, /metrics).
struct Metrics {
  std::atomic<std::uint64_t> chunks_read{0}, chunks_dropped{0}, chunks_processed{0}, chunks_written{0};
  std::atomic<std::uint64_t> samples_read{0}, samples_dropped{0}; ///< channel-samples
  std::atomic<std::uint64_t> gaps{0}, gap_samples{0}, overlaps{0}, overlap_samples{0};
  std::atomic<std::uint64_t> triggers{0}, detections{0};
  std::atomic<std::int64_t> last_input_index{0}; ///< end index of the last processed input chunk
  std::atomic<double> busy_s{0.0};               ///< processor time spent in the pipeline
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
  Runtime(AppConfig config, std::unique_ptr<io::Source> source);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Opens the source, configures the pipeline at its rate, opens the outputs and starts the three
  /// threads. `on_finished` runs (on the writer thread) once everything is drained and closed.
  Result<void> start(std::function<void()> on_finished);
  /// Thread-safe: stop reading; what was read is still processed and written.
  void request_stop() noexcept { stop_.store(true); }
  /// Waits for the threads.
  void join();
  /// 0 after a clean drain, 1 after a failure (read, processing, writing or on_gap: fail).
  int exit_code() const noexcept { return exit_code_.load(); }

  const Metrics& metrics() const noexcept { return metrics_; }
  const StreamInfo& input_stream() const noexcept { return in_stream_; }
  const StreamInfo& output_stream() const noexcept { return out_stream_; }
  /// One progress line: position, lag behind the wall clock, rates, drops, gaps, detections.
  std::string progress_line() const;

private:
  void read_loop();
  void process_loop();
  void write_loop(const std::function<void()>& on_finished);
  void fail_run(const std::string& message);

  AppConfig config_;
  std::unique_ptr<io::Source> source_;
  StreamInfo in_stream_, out_stream_;
  std::vector<std::unique_ptr<io::Hdf5Output>> files_;
  std::vector<std::unique_ptr<io::EventsOutput>> event_files_;
  BoundedQueue<Chunk> to_processor_, to_writer_;
  ChunkPool input_pool_, output_pool_;
  std::atomic<bool> stop_{false};
  std::atomic<int> exit_code_{0};
  Metrics metrics_;
  std::thread reader_, processor_, writer_;
};

} // namespace dasflow::daemon
