// Direct-form vs FFT overlap-save FIR (firfilter and decimate `method: direct | fft`), in input
// channel-samples per second at 10,000 channels, 1,000 rows (1 s at 1 kHz) per chunk, state carried across chunks as in
// a live stream. Sets kFftMinTaps in include/dasflow/atoms/fir_method.hpp:
//   build/bench/dasflow_fir_method_bench --benchmark_counters_tabular=true

#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <yaml-cpp/yaml.h>

#include "dasflow/atoms/builtin.hpp"

namespace {

using namespace dasflow;

constexpr std::size_t kRows = 1000;
constexpr std::size_t kChannels = 10'000;

void run_fir(benchmark::State& state, const std::string& yaml) {
  const Registry registry = atoms::builtin_registry();
  auto pipe = registry.build_pipeline(YAML::Load(yaml));
  if (!pipe.ok()) {
    state.SkipWithError(pipe.error().message.c_str());
    return;
  }
  StreamInfo in;
  in.fs_hz = 1000.0;
  in.n_channels = kChannels;
  if (auto r = pipe.value()->configure(in); !r.ok()) {
    state.SkipWithError(r.error().message.c_str());
    return;
  }
  Chunk input;
  input.reshape(kRows, kChannels);
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
      benchmark::Counter(static_cast<double>(state.iterations() * kRows * kChannels), benchmark::Counter::kIsRate);
}

std::string fir(const benchmark::State& s, const char* method) {
  return "[{atom: firfilter, numtaps: " + std::to_string(s.range(0)) + ", cutoff: 100, method: " + method + "}]";
}
/// decimate by 4 with numtaps = 4 × the argument: the direct path's multiply-adds per input sample.
std::string decimate4(const benchmark::State& s, const char* method) {
  return "[{atom: decimate, factor: 4, numtaps: " + std::to_string(4 * s.range(0) + 1) + ", method: " + method + "}]";
}

void BM_firfilter_direct(benchmark::State& s) { run_fir(s, fir(s, "direct")); }
void BM_firfilter_fft(benchmark::State& s) { run_fir(s, fir(s, "fft")); }
void BM_decimate4_direct(benchmark::State& s) { run_fir(s, decimate4(s, "direct")); }
void BM_decimate4_fft(benchmark::State& s) { run_fir(s, decimate4(s, "fft")); }

} // namespace

BENCHMARK(BM_firfilter_direct)
    ->ArgsProduct({{32, 48, 64, 96, 128, 256, 512, 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_firfilter_fft)
    ->ArgsProduct({{32, 48, 64, 96, 128, 256, 512, 1024}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(BM_decimate4_direct)->ArgsProduct({{24, 48, 96}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_decimate4_fft)->ArgsProduct({{24, 48, 96}})->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
