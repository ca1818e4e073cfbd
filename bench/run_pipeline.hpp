#pragma once
/// \file run_pipeline.hpp
/// The loop every atom benchmark shares: a pipeline from YAML, configured for `n_channels` at
/// 1 kHz (channels 2 m apart), fed one chunk of 1,000 rows (1 s) of Gaussian noise per iteration
/// with its state carried across iterations as in a live stream; reports `ch_samples/s` (input
/// channel-samples per second) and `threads`.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"

namespace dasflow::bench {

inline constexpr std::size_t kRows = 1000;

/// `threads`: Sequential::set_threads (the daemon's `threads` key).
inline void run_pipeline(benchmark::State& state, const std::string& yaml, std::size_t n_channels,
                         std::size_t threads = 1) {
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
  pipe.value()->set_threads(threads);
  // DASFLOW_BENCH_TILE="rows,columns": try another tile shape (Sequential::set_tiling).
  if (const char* tile = std::getenv("DASFLOW_BENCH_TILE")) {
    std::size_t rows = 0, columns = 0;
    if (std::sscanf(tile, "%zu,%zu", &rows, &columns) == 2) pipe.value()->set_tiling(rows, columns);
  }
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
  state.counters["threads"] = static_cast<double>(threads);
  state.counters["ch_samples/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kRows * n_channels), benchmark::Counter::kIsRate);
}

} // namespace dasflow::bench
