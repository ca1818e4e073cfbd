// Throughput of each atom on the time-major layout, in channel-samples per second
// (`ch_samples/s`), at 1,000 and 10,000 channels. One chunk of 1,000 rows (1 s at 1 kHz) per
// iteration, state carried from one iteration to the next as in a live stream.
//   build/bench/dasflow_atoms_bench --benchmark_counters_tabular=true

#include <string>

#include <benchmark/benchmark.h>

#include "run_pipeline.hpp"

namespace {

using namespace dasflow;

void run_atom(benchmark::State& state, const std::string& yaml) {
  bench::run_pipeline(state, yaml, static_cast<std::size_t>(state.range(0)));
}

void BM_iirfilter_butter4_bandpass(benchmark::State& s) {
  run_atom(s, "[{atom: iirfilter, order: 4, cutoff: [1, 20], btype: bandpass}]");
}
void BM_iirfilter_butter8_bandpass(benchmark::State& s) {
  run_atom(s, "[{atom: iirfilter, order: 8, cutoff: [1, 20], btype: bandpass}]");
}
void BM_iirfilter_butter4_highpass(benchmark::State& s) {
  run_atom(s, "[{atom: iirfilter, order: 4, cutoff: 0.5, btype: highpass}]");
}
void BM_sosfilter_1section(benchmark::State& s) {
  run_atom(s, "[{atom: sosfilter, sos: [[0.2, 0.4, 0.2, 1, -0.3, 0.1]]}]");
}
void BM_lfilter_iir_order4(benchmark::State& s) {
  run_atom(s, "[{atom: lfilter, b: [0.1, 0.2, 0.3, 0.2, 0.1], a: [1, -0.5, 0.2, -0.1, 0.05]}]");
}
void BM_lfilter_fir_32taps(benchmark::State& s) {
  std::string taps;
  for (int i = 0; i < 32; ++i)
    taps += (i ? ", " : "") + std::to_string(1.0 / 32);
  run_atom(s, "[{atom: lfilter, b: [" + taps + "]}]");
}

void BM_firfilter_32taps(benchmark::State& s) { run_atom(s, "[{atom: firfilter, numtaps: 32, cutoff: 100}]"); }
void BM_decimate_fir_q4(benchmark::State& s) { run_atom(s, "[{atom: decimate, factor: 4}]"); }
void BM_decimate_fir_q4_32taps(benchmark::State& s) { run_atom(s, "[{atom: decimate, factor: 4, numtaps: 32}]"); }
void BM_decimate_iir_q4(benchmark::State& s) { run_atom(s, "[{atom: decimate, factor: 4, ftype: iir}]"); }
void BM_stalta_classic(benchmark::State& s) { run_atom(s, "[{atom: stalta, method: classic, sta: 0.05, lta: 0.5}]"); }
void BM_stalta_recursive(benchmark::State& s) { run_atom(s, "[{atom: stalta, method: recursive, sta: 0.5, lta: 5}]"); }
void BM_trigger(benchmark::State& s) { run_atom(s, "[{atom: trigger, on_threshold: 3.5, off_threshold: 1.5}]"); }
void BM_common_mode_median(benchmark::State& s) { run_atom(s, "[{atom: common_mode}]"); }
void BM_common_mode_mean(benchmark::State& s) { run_atom(s, "[{atom: common_mode, method: mean}]"); }
void BM_select_every_2nd(benchmark::State& s) { run_atom(s, "[{atom: select, channels: [0, 1000, 2]}]"); }
// Spectral atoms (issue 8, docs/spectral.md): FFTW single precision, windows on the absolute grid.
void BM_fbe_512_half_overlap_5bands(benchmark::State& s) {
  run_atom(s, "[{atom: fbe, window: 0.512, overlap: 0.5, bands: [[0, 1], [1, 10], [10, 50], [50, 200], [200, 500]]}]");
}
void BM_spectrogram_256(benchmark::State& s) { run_atom(s, "[{atom: spectrogram, nperseg: 256}]"); }
void BM_envelope_255taps(benchmark::State& s) { run_atom(s, "[{atom: envelope}]"); }
void BM_firfilter_255taps_fft(benchmark::State& s) {
  run_atom(s, "[{atom: firfilter, numtaps: 255, cutoff: 40, method: fft}]");
}
void BM_firfilter_255taps_direct(benchmark::State& s) {
  run_atom(s, "[{atom: firfilter, numtaps: 255, cutoff: 40, method: direct}]");
}
void BM_fkfilter_1s_pad1(benchmark::State& s) {
  run_atom(s, "[{atom: fkfilter, vmin: 1000, vmax: 5000, window: 1.0, pad: 1}]");
}
void BM_scale(benchmark::State& s) { run_atom(s, "[{atom: scale, factor: 2.5}]"); }
/// The detection chain of the demo: counted in input channel-samples per second.
void BM_chain_bandpass_decimate4_stalta_trigger_coincidence(benchmark::State& s) {
  run_atom(
      s, "[{atom: iirfilter, order: 4, cutoff: [1, 20], btype: bandpass}, {atom: decimate, factor: 4},"
         " {atom: stalta, method: recursive, sta: 0.5, lta: 5}, {atom: trigger, on_threshold: 3.5, off_threshold: 1.5},"
         " {atom: coincidence, min_channels: 50, window: 0.5}]");
}

/// The reference chain of issue 9 (docs/performance.md): Butterworth order-4 bandpass → FIR 32-tap
/// decimation by 4 → recursive STA/LTA, one fused stage; args: channels, threads.
void BM_reference_chain(benchmark::State& s) {
  bench::run_pipeline(s,
                      "[{atom: iirfilter, order: 4, cutoff: [1, 20], btype: bandpass},"
                      " {atom: decimate, factor: 4, numtaps: 32}, {atom: stalta, method: recursive, sta: 0.5, lta: 5}]",
                      static_cast<std::size_t>(s.range(0)), static_cast<std::size_t>(s.range(1)));
}
/// The same chain plus trigger and coincidence (the demo's detection chain).
void BM_detection_chain(benchmark::State& s) {
  bench::run_pipeline(
      s,
      "[{atom: iirfilter, order: 4, cutoff: [1, 20], btype: bandpass}, {atom: decimate, factor: 4, numtaps: 32},"
      " {atom: stalta, method: recursive, sta: 0.5, lta: 5}, {atom: trigger, on_threshold: 3.5, off_threshold: 1.5},"
      " {atom: coincidence, min_channels: 50, window: 0.5}]",
      static_cast<std::size_t>(s.range(0)), static_cast<std::size_t>(s.range(1)));
}
#define DASFLOW_CHAIN_ARGS                                                                                             \
  ->ArgsProduct({{1000, 1008, 1024, 10000, 50000}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_reference_chain) DASFLOW_CHAIN_ARGS;
BENCHMARK(BM_detection_chain) DASFLOW_CHAIN_ARGS;

#define DASFLOW_CHANNELS ->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime()
BENCHMARK(BM_iirfilter_butter4_bandpass) DASFLOW_CHANNELS;
BENCHMARK(BM_iirfilter_butter8_bandpass) DASFLOW_CHANNELS;
BENCHMARK(BM_iirfilter_butter4_highpass) DASFLOW_CHANNELS;
BENCHMARK(BM_sosfilter_1section) DASFLOW_CHANNELS;
BENCHMARK(BM_lfilter_iir_order4) DASFLOW_CHANNELS;
BENCHMARK(BM_lfilter_fir_32taps) DASFLOW_CHANNELS;
BENCHMARK(BM_firfilter_32taps) DASFLOW_CHANNELS;
BENCHMARK(BM_decimate_fir_q4) DASFLOW_CHANNELS;
BENCHMARK(BM_decimate_fir_q4_32taps) DASFLOW_CHANNELS;
BENCHMARK(BM_decimate_iir_q4) DASFLOW_CHANNELS;
BENCHMARK(BM_stalta_classic) DASFLOW_CHANNELS;
BENCHMARK(BM_stalta_recursive) DASFLOW_CHANNELS;
BENCHMARK(BM_trigger) DASFLOW_CHANNELS;
BENCHMARK(BM_common_mode_median) DASFLOW_CHANNELS;
BENCHMARK(BM_common_mode_mean) DASFLOW_CHANNELS;
BENCHMARK(BM_select_every_2nd) DASFLOW_CHANNELS;
BENCHMARK(BM_scale) DASFLOW_CHANNELS;
BENCHMARK(BM_fbe_512_half_overlap_5bands) DASFLOW_CHANNELS;
BENCHMARK(BM_spectrogram_256) DASFLOW_CHANNELS;
BENCHMARK(BM_envelope_255taps) DASFLOW_CHANNELS;
BENCHMARK(BM_firfilter_255taps_fft) DASFLOW_CHANNELS;
BENCHMARK(BM_firfilter_255taps_direct) DASFLOW_CHANNELS;
BENCHMARK(BM_fkfilter_1s_pad1) DASFLOW_CHANNELS;
BENCHMARK(BM_chain_bandpass_decimate4_stalta_trigger_coincidence) DASFLOW_CHANNELS;

} // namespace

BENCHMARK_MAIN();
