// Throughput of `fkfilter` in channel-samples per second (`ch_samples/s`) at 1,000 and 10,000
// channels, 1 kHz, window 1 s (W = 1000, hop 500): one chunk of 1,000 rows (1 s) per iteration, so
// every iteration runs two blocks (two forward and two inverse W × Nk FFTs). Real time at 10,000
// channels and 1 kHz is 1e7 ch_samples/s.
//   build/bench/dasflow_fkfilter_bench --benchmark_counters_tabular=true

#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"

namespace {

using namespace dasflow;

constexpr std::size_t kRows = 1000;

/// range(0): channels, range(1): pad factor of the channel axis.
void BM_fkfilter_window1s(benchmark::State& state) {
  const auto n_channels = static_cast<std::size_t>(state.range(0));
  const std::string yaml =
      "[{atom: fkfilter, vmin: 1000, vmax: 5000, window: 1.0, taper: 0.1, pad: " + std::to_string(state.range(1)) +
      "}]";
  const Registry registry = atoms::builtin_registry();
  auto pipe = registry.build_pipeline(YAML::Load(yaml));
  if (!pipe.ok()) {
    state.SkipWithError(pipe.error().message.c_str());
    return;
  }
  StreamInfo in;
  in.fs_hz = 1000.0;
  in.n_channels = n_channels;
  in.coords = std::make_shared<const ChannelCoords>(ChannelCoords{0, 1, 2.0});
  if (auto r = pipe.value()->configure(in); !r.ok()) {
    state.SkipWithError(r.error().message.c_str());
    return;
  }
  Chunk input;
  input.reshape(kRows, n_channels);
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  for (auto& v : input.samples)
    v = g(rng);
  Chunk out;
  std::int64_t index = 0;
  for (auto _ : state) {
    input.first_index = index;
    auto r = pipe.value()->process(input.view(), out);
    benchmark::DoNotOptimize(out.samples.data());
    benchmark::ClobberMemory();
    index += static_cast<std::int64_t>(kRows);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.counters["ch_samples/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kRows * n_channels), benchmark::Counter::kIsRate);
}

BENCHMARK(BM_fkfilter_window1s)
    ->ArgNames({"channels", "pad"})
    ->Args({1000, 1})
    ->Args({1000, 2})
    ->Args({10000, 1})
    ->Args({10000, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

} // namespace

BENCHMARK_MAIN();
