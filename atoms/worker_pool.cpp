#include "dasflow/core/worker_pool.hpp"

namespace dasflow {

WorkerPool::WorkerPool(std::size_t threads) {
  for (std::size_t slot = 1; slot < threads; ++slot)
    workers_.emplace_back([this, slot] { work(slot); });
}

WorkerPool::~WorkerPool() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& w : workers_)
    w.join();
}

void WorkerPool::take_tasks(std::size_t slot) {
  for (std::size_t i = next_.fetch_add(1); i < n_tasks_; i = next_.fetch_add(1))
    (*task_)(i, slot);
}

void WorkerPool::run(std::size_t n_tasks, const std::function<void(std::size_t, std::size_t)>& task) {
  if (workers_.empty() || n_tasks <= 1) {
    for (std::size_t i = 0; i < n_tasks; ++i)
      task(i, 0);
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    task_ = &task;
    n_tasks_ = n_tasks;
    next_.store(0);
    busy_ = workers_.size();
    ++generation_;
  }
  wake_.notify_all();
  take_tasks(0);
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return busy_ == 0; });
  task_ = nullptr;
}

void WorkerPool::work(std::size_t slot) {
  std::uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    take_tasks(slot);
    {
      const std::lock_guard lock(mutex_);
      if (--busy_ == 0) idle_.notify_one();
    }
  }
}

} // namespace dasflow
