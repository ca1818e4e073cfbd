// Throughput of `fkfilter` in channel-samples per second (`ch_samples/s`) at 1,000 and 10,000
// channels, 1 kHz, window 1 s (W = 1000, hop 500): one chunk of 1,000 rows (1 s) per iteration, so
// every iteration runs two blocks (two forward and two inverse W × Nk FFTs). Real time at 10,000
// channels and 1 kHz is 1e7 ch_samples/s.
//   build/bench/dasflow_fkfilter_bench --benchmark_counters_tabular=true

#include <string>

#include <benchmark/benchmark.h>

#include "run_pipeline.hpp"

namespace {

using namespace dasflow;

/// range(0): channels, range(1): pad factor of the channel axis.
void BM_fkfilter_window1s(benchmark::State& state) {
  const auto n_channels = static_cast<std::size_t>(state.range(0));
  const std::string yaml =
      "[{atom: fkfilter, vmin: 1000, vmax: 5000, window: 1.0, taper: 0.1, pad: " + std::to_string(state.range(1)) +
      "}]";
  bench::run_pipeline(state, yaml, n_channels);
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
