#pragma once
/// \file worker_pool.hpp
/// A fork-join pool for Sequential's channel tiles: the calling thread and `threads − 1` workers
/// share the tasks of one run() call, then the caller continues alone.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dasflow {

class WorkerPool {
public:
  /// `threads` in all, the caller of run() included (so 1 starts no thread).
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const noexcept { return workers_.size() + 1; }

  /// Calls task(i, slot) once for every i in [0, n_tasks), spread over the threads; `slot` (< size())
  /// names the thread running the call, for per-thread scratch. Returns when every call has
  /// returned. Tasks are taken in increasing i; which thread takes which is not fixed, so a task's
  /// result must not depend on its slot. One run() at a time.
  void run(std::size_t n_tasks, const std::function<void(std::size_t, std::size_t)>& task);

private:
  void work(std::size_t slot);
  void take_tasks(std::size_t slot);

  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  const std::function<void(std::size_t, std::size_t)>* task_ = nullptr;
  std::size_t n_tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::uint64_t generation_ = 0;
  std::size_t busy_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

} // namespace dasflow
