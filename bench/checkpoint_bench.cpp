// Cost of a checkpoint of the demo pipeline (bandpass → decimate 4 → classic STA/LTA 0.2/2 s →
// trigger → coincidence) at 1,000 and 10,000 channels, 1 kHz, step by step: the processor's
// snapshot (save_state), the canonical bytes and their checksum, and the writer's save (HDF5 file
// + fsync + rename + directory fsync, into $TMPDIR). Reports the checkpoint size.
//   build/bench/dasflow_checkpoint_bench --benchmark_counters_tabular=true

#include <filesystem>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"
#include "dasflow/io/checkpoint_store.hpp"

namespace {

using namespace dasflow;

/// The demo pipeline after 3 s of noise, so every state buffer is full.
std::unique_ptr<Sequential> warmed_pipeline(std::size_t n_channels) {
  const Registry registry = atoms::builtin_registry();
  auto pipe = registry.build_pipeline(YAML::Load(
      "[{atom: iirfilter, order: 4, cutoff: [1, 20], btype: bandpass}, {atom: decimate, factor: 4},"
      " {atom: stalta, method: classic, sta: 0.2, lta: 2.0}, {atom: trigger, on_threshold: 4, off_threshold: 1.5},"
      " {atom: coincidence, min_channels: 50, window: 0.5}]"));
  StreamInfo in;
  in.fs_hz = 1000.0;
  in.n_channels = n_channels;
  (void)pipe.value()->configure(in);
  Chunk input, out;
  input.reshape(1000, n_channels);
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  for (auto& v : input.samples)
    v = g(rng);
  for (std::int64_t k = 0; k < 3; ++k) {
    input.first_index = k * 1000;
    (void)pipe.value()->process(input.view(), out);
  }
  return std::move(pipe).value();
}

void BM_checkpoint_snapshot(benchmark::State& state) {
  auto pipe = warmed_pipeline(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(pipe->save_state());
}

void BM_checkpoint_serialize_and_checksum(benchmark::State& state) {
  const StateTree tree = warmed_pipeline(static_cast<std::size_t>(state.range(0)))->save_state();
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto b = tree.serialize();
    bytes = b.size();
    benchmark::DoNotOptimize(io::crc32_of(b));
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

void BM_checkpoint_save(benchmark::State& state) {
  const StateTree tree = warmed_pipeline(static_cast<std::size_t>(state.range(0)))->save_state();
  const auto dir = std::filesystem::temp_directory_path() / ("dasflow_ckbench_" + std::to_string(::getpid()));
  io::CheckpointStore store(dir.string());
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    auto saved = store.save(tree);
    if (!saved.ok()) {
      state.SkipWithError(saved.error().message.c_str());
      break;
    }
    bytes = saved->bytes;
  }
  state.counters["file_bytes"] = static_cast<double>(bytes);
  std::filesystem::remove_all(dir);
}

} // namespace

BENCHMARK(BM_checkpoint_snapshot)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_checkpoint_serialize_and_checksum)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_checkpoint_save)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
