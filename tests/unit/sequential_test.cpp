// Sequential threads the stream description through its children and is itself an atom.

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "dasflow/core/worker_pool.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

/// Test double: keeps samples with even absolute index and halves the rate, recording what it saw.
class KeepEven final : public Atom {
public:
  std::string_view kind() const noexcept override { return "keep_even"; }
  Result<StreamInfo> configure(const StreamInfo& in) override {
    seen_fs = in.fs_hz;
    StreamInfo out = in;
    out.fs_hz = in.fs_hz / 2;
    return out;
  }
  Result<void> process(const ChunkView& in, Chunk& out) override {
    const std::int64_t first = (in.first_index + 1) / 2 * 2; // first even index >= first_index
    std::size_t n = 0;
    out.reshape(max_output_samples(in.n_samples), in.n_channels);
    for (std::int64_t i = first; i < in.end_index(); i += 2, ++n)
      std::copy_n(in.row(static_cast<std::size_t>(i - in.first_index)), in.n_channels, out.row(n));
    out.reshape(n, in.n_channels);
    out.first_index = first / 2;
    pass_events(in, out);
    return {};
  }
  std::size_t max_output_samples(std::size_t n_in) const noexcept override { return n_in / 2 + 1; }
  void reset() noexcept override {}
  std::unique_ptr<Atom> clone() const override { return std::make_unique<KeepEven>(*this); }
  StateTree save_state() const override { return StateTree("keep_even", 1); }
  Result<void> restore_state(const StateTree& s) override { return s.expect("keep_even", 1); }
  std::string config_yaml() const override { return "{atom: keep_even}"; }
  double seen_fs = 0;
};

TEST(Sequential, PassesEachAtomTheRateOfThePreviousOutput) {
  Sequential seq;
  seq.append(std::make_unique<KeepEven>());
  seq.append(std::make_unique<KeepEven>());
  auto out = seq.configure(stream(1000, 2));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(dynamic_cast<KeepEven&>(seq.at(0)).seen_fs, 1000);
  EXPECT_EQ(dynamic_cast<KeepEven&>(seq.at(1)).seen_fs, 500);
  EXPECT_EQ(out->fs_hz, 250);
  ASSERT_EQ(seq.streams().size(), 3u);
  EXPECT_EQ(seq.max_output_samples(10), 4u);
}

TEST(Sequential, ChainsOutputsAndIndices) {
  Sequential seq;
  seq.append(std::make_unique<KeepEven>());
  seq.append(std::make_unique<KeepEven>());
  ASSERT_TRUE(seq.configure(stream(8, 1)).ok());
  std::vector<float> x(20);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(100 + i);
  Recording r;
  run_chunks(seq, x, 1, 100, 0, {7, 13}, r); // absolute indices 100..119
  // First stage keeps 100, 102, ..., 118 (indices 50..59); second keeps 50, 52, ..., 58.
  EXPECT_EQ(r.samples, (std::vector<float>{100, 104, 108, 112, 116}));
  EXPECT_EQ(r.first_indices.front(), 25);
}

TEST(Sequential, EmptyPipelineCopiesThrough) {
  Sequential seq;
  ASSERT_TRUE(seq.configure(stream(10, 2)).ok());
  Recording r;
  run_chunks(seq, {1, 2, 3, 4}, 2, 5, 0, {2}, r);
  EXPECT_EQ(r.samples, (std::vector<float>{1, 2, 3, 4}));
}

TEST(Sequential, RestoreChecksCountAndKindsWithoutPartialChange) {
  auto p = pipeline("[{atom: lfilter, b: [1], a: [1, -0.5]}, {atom: sosfilter, sos: [[1, 0, 0, 1, 0.5, 0]]}]",
                    stream(10, 1));
  ASSERT_NE(p, nullptr);
  Recording r;
  run_chunks(*p, {1, 2, 3}, 1, 0, 0, {3}, r);
  const StateTree before = p->save_state();
  StateTree wrong("sequential", 1);
  wrong.add_child(before.children()[0]);
  wrong.add_child(before.children()[0]); // lfilter state offered to the sosfilter
  auto res = p->restore_state(wrong);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.error().message, "pipeline[1]: state of kind 'lfilter' cannot restore a 'sosfilter'");
  EXPECT_EQ(p->save_state(), before);
  StateTree short_tree("sequential", 1);
  short_tree.add_child(before.children()[0]);
  EXPECT_EQ(p->restore_state(short_tree).error().message, "state holds 1 atoms, the pipeline has 2");
}

} // namespace
} // namespace dasflow::test

namespace dasflow::test {
namespace {

TEST(WorkerPool, RunsEveryTaskOnceOnSlotsBelowItsSize) {
  for (std::size_t threads : {1u, 2u, 3u, 8u}) {
    WorkerPool pool(threads);
    EXPECT_EQ(pool.size(), threads);
    for (std::size_t n : {0u, 1u, 2u, 7u, 1000u}) {
      std::vector<std::atomic<int>> hits(n);
      std::atomic<bool> bad_slot{false};
      pool.run(n, [&](std::size_t i, std::size_t slot) {
        hits[i].fetch_add(1);
        if (slot >= threads) bad_slot = true;
      });
      for (std::size_t i = 0; i < n; ++i)
        EXPECT_EQ(hits[i].load(), 1) << "task " << i << " of " << n << " on " << threads << " threads";
      EXPECT_FALSE(bad_slot.load());
    }
  }
}

TEST(WorkerPool, UsesItsWorkersAndReturnsOnlyWhenAllTasksAreDone) {
  WorkerPool pool(2);
  std::atomic<int> done{0};
  std::atomic<bool> worker_seen{false};
  for (int round = 0; round < 200; ++round) {
    pool.run(16, [&](std::size_t, std::size_t slot) {
      if (slot != 0) worker_seen = true;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
      done.fetch_add(1);
    });
    ASSERT_EQ(done.load(), 16 * (round + 1)); // run() returned after the last task, not before
  }
  EXPECT_TRUE(worker_seen.load()); // 3,200 tasks of 50 µs: the second thread took some
}

TEST(Sequential, ThreadsAndTilesLeaveOutputAndStateUnchanged) {
  const std::string yaml = "[{atom: iirfilter, order: 4, cutoff: [1, 40], btype: bandpass},"
                           " {atom: decimate, factor: 4, numtaps: 32}, {atom: stalta, method: recursive, sta: 0.1,"
                           " lta: 1}, {atom: trigger, on_threshold: 2.5, off_threshold: 1.2}]";
  constexpr std::size_t kCh = 300, kRows = 2000;
  const auto input = noise(kRows, kCh, 5);
  Recording one, many;
  auto a = pipeline(yaml, stream(1000, kCh));
  run_chunks(*a, input, kCh, 1'700'000'000'000, 0, split(kRows, Split::random, 2), one);
  auto b = pipeline(yaml, stream(1000, kCh));
  b->set_threads(2);
  b->set_tiling(50, 40);
  run_chunks(*b, input, kCh, 1'700'000'000'000, 0, split(kRows, Split::random, 3), many);
  EXPECT_TRUE(bit_identical(many.samples, one.samples, kCh));
  EXPECT_EQ(many.events, one.events);
  EXPECT_GT(one.events.size(), 0u);
  EXPECT_EQ(a->save_state(), b->save_state());
  // A clone keeps the thread count (the daemon rebuilds pipelines from a prototype).
  EXPECT_EQ(b->clone()->save_state(), b->save_state());
  EXPECT_EQ(dynamic_cast<Sequential&>(*b->clone()).threads(), 2u);
}

} // namespace
} // namespace dasflow::test
