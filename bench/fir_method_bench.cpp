// Direct-form vs FFT overlap-save FIR (firfilter and decimate `method: direct | fft`), in input
// channel-samples per second at 10,000 channels, 1,000 rows (1 s at 1 kHz) per chunk, state carried across chunks as in
// a live stream. Sets kFftMinTaps in include/dasflow/atoms/fir_method.hpp:
//   build/bench/dasflow_fir_method_bench --benchmark_counters_tabular=true

#include <string>

#include <benchmark/benchmark.h>

#include "run_pipeline.hpp"

namespace {

using namespace dasflow;

constexpr std::size_t kChannels = 10'000;

void run_fir(benchmark::State& state, const std::string& yaml) { bench::run_pipeline(state, yaml, kChannels); }

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
