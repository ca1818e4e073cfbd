// Chunk boundaries are invisible (DESIGN.md §3): for every atom and for a Sequential of them, any
// partition of the stream, a save → serialise → restore into a freshly built pipeline mid-stream,
// and a clone mid-stream all give output bit-identical to one call on the whole stream.

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace dasflow::test {
namespace {

struct PipelineCase {
  std::string name;
  std::string yaml; ///< a YAML list of atoms
  double fs_hz;
};

/// Printed by GoogleTest instead of the struct's bytes.
void PrintTo(const PipelineCase& c, std::ostream* os) { *os << c.name; }

const std::vector<PipelineCase>& cases() {
  static const std::vector<PipelineCase> c = {
      {"iir_butter_bandpass", "[{atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}]", 200.0},
      {"iir_highpass_0p5Hz_1kHz", "[{atom: iirfilter, order: 4, cutoff: 0.5, btype: highpass}]", 1000.0},
      {"iir_ellip_bandstop",
       "[{atom: iirfilter, order: 5, cutoff: [40, 60], btype: bandstop, ftype: ellip, rp: 0.5, rs: 60}]", 500.0},
      {"iir_cheby2_lowpass", "[{atom: iirfilter, order: 7, cutoff: 30, btype: lowpass, ftype: cheby2, rs: 50}]", 200.0},
      {"sosfilter", "[{atom: sosfilter, sos: [[0.2, 0.4, 0.2, 1, -0.3, 0.1], [1, -2, 1, 1, -1.9, 0.905]]}]", 100.0},
      {"lfilter_iir", "[{atom: lfilter, b: [0.1, 0.2, 0.1], a: [2.0, -1.5, 0.6]}]", 100.0},
      {"lfilter_fir", "[{atom: lfilter, b: [0.1, -0.3, 0.5, 0.7, 0.5, -0.3, 0.1]}]", 100.0},
      {"lfilter_gain", "[{atom: lfilter, b: [3.0], a: [2.0]}]", 100.0},
      {"firfilter_lowpass", "[{atom: firfilter, numtaps: 31, cutoff: 20}]", 100.0},
      {"firfilter_bandstop_kaiser",
       "[{atom: firfilter, numtaps: 41, cutoff: [10, 20], btype: bandstop, window: kaiser, beta: 8.6}]", 100.0},
      {"decimate_fir_q4", "[{atom: decimate, factor: 4}]", 1000.0},
      {"decimate_fir_q3_short", "[{atom: decimate, factor: 3, numtaps: 7}]", 300.0},
      {"decimate_iir_q5", "[{atom: decimate, factor: 5, ftype: iir}]", 500.0},
      // FFT overlap-save (fft_convolver.hpp): outputs leave in whole blocks aligned to the absolute
      // index, so one call and any partition emit the same rows. With 31 taps (L = 98) a block ends
      // 24 rows after kFirstIndex: the exhaustive small partitions see one complete block.
      {"firfilter_fft", "[{atom: firfilter, numtaps: 31, cutoff: 20, method: fft}]", 100.0},
      {"firfilter_fft_long", "[{atom: firfilter, numtaps: 255, cutoff: [5, 30], btype: bandpass, method: fft}]", 100.0},
      {"decimate_fft_q4", "[{atom: decimate, factor: 4, method: fft}]", 1000.0},
      {"decimate_fft_q3_short", "[{atom: decimate, factor: 3, numtaps: 31, method: fft}]", 300.0},
      {"envelope", "[{atom: envelope}]", 100.0},
      {"envelope_db", "[{atom: envelope, db: true, ref: 2.0, numtaps: 31}]", 100.0},
      {"stalta_classic", "[{atom: stalta, method: classic, sta: 0.05, lta: 0.5}]", 250.0},
      {"stalta_recursive", "[{atom: stalta, method: recursive, sta: 0.05, lta: 0.5}]", 250.0},
      {"trigger_after_stalta",
       "[{atom: stalta, sta: 0.05, lta: 0.5}, {atom: trigger, on_threshold: 3, off_threshold: 1.5}]", 250.0},
      {"trigger_capped",
       "[{atom: stalta, method: recursive, sta: 0.04, lta: 0.4},"
       " {atom: trigger, on_threshold: 2, off_threshold: 0.5, max_length: 0.02}]",
       250.0},
      {"coincidence",
       "[{atom: stalta, sta: 0.05, lta: 0.5}, {atom: trigger, on_threshold: 3, off_threshold: 1.5},"
       " {atom: coincidence, min_channels: 3, window: 0.1}]",
       250.0},
      {"common_mode_median", "[{atom: common_mode}]", 100.0},
      {"common_mode_mean", "[{atom: common_mode, method: mean}]", 100.0},
      {"select", "[{atom: select, channels: [1, 7, 2]}]", 100.0},
      {"pointwise", "[{atom: abs}, {atom: square}, {atom: scale, factor: -0.25}]", 100.0},
      {"spectrogram", "[{atom: spectrogram, nperseg: 64, noverlap: 40}]", 100.0},
      {"spectrogram_odd_hann", "[{atom: spectrogram, nperseg: 45, noverlap: 0, window: hann, detrend: none}]", 100.0},
      {"fbe", "[{atom: fbe, window: 0.5, overlap: 0.75, bands: [[0, 5], [5, 20], [20, 50]]}]", 100.0},
      {"fbe_smoothed",
       "[{atom: fbe, window: 0.32, bands: [[1, 10], [10, 40]], detrend: constant},"
       " {atom: iirfilter, order: 2, cutoff: 0.5, btype: lowpass}]",
       100.0},
      {"detection_chain",
       "[{atom: iirfilter, order: 4, cutoff: [1, 40], btype: bandpass}, {atom: decimate, factor: 4},"
       " {atom: stalta, sta: 0.1, lta: 1.0}, {atom: trigger, on_threshold: 2.5, off_threshold: 1.2},"
       " {atom: coincidence, min_channels: 2, window: 0.05}]",
       1000.0},
      // fkfilter has a latency of H..W-1 rows and drops the rows before its first fully covered
      // one: the properties compare the rows emitted, whatever their number.
      {"fkfilter_pass", "[{atom: fkfilter, vmin: 20, vmax: 200, window: 0.08, taper: 0.2}]", 100.0},
      {"fkfilter_reject_in_chain",
       "[{atom: iirfilter, order: 2, cutoff: 1.0, btype: highpass},"
       " {atom: fkfilter, vmin: 30, window: 0.12, mode: reject, pad: 1}, {atom: scale, factor: 2}]",
       100.0},
      // Issue 9's reference chain: one fused stage of column-separable atoms (docs/performance.md).
      {"reference_chain",
       "[{atom: iirfilter, order: 4, cutoff: [1, 40], btype: bandpass}, {atom: decimate, factor: 4, numtaps: 32},"
       " {atom: stalta, method: recursive, sta: 0.1, lta: 1.0}, {atom: trigger, on_threshold: 2.5, off_threshold: "
       "1.2}]",
       1000.0},
      {"sequential_chain",
       "[{atom: iirfilter, order: 2, cutoff: 1.0, btype: highpass},"
       " {atom: lfilter, b: [0.25, 0.5, 0.25]},"
       " {atom: iirfilter, order: 3, cutoff: [2, 40], btype: bandpass, ftype: cheby1, rp: 1}]",
       250.0},
  };
  return c;
}

constexpr std::size_t kChannels = 7; // odd, not a multiple of any SIMD width
constexpr std::size_t kRows = 3000;
constexpr std::int64_t kFirstIndex = 1'732'000'000'000; // a realistic epoch-anchored index

/// Same samples (bit for bit), same events in the same order, and the same number of rows.
::testing::AssertionResult same_stream(const Recording& got, const Recording& want) {
  if (got.n_rows != want.n_rows) return ::testing::AssertionFailure() << "rows " << got.n_rows << " vs " << want.n_rows;
  const std::size_t width = want.n_rows ? want.samples.size() / want.n_rows : 1;
  if (auto r = bit_identical(got.samples, want.samples, width); !r) return r;
  if (got.events != want.events)
    return ::testing::AssertionFailure() << got.events.size() << " events vs " << want.events.size() << " in one call";
  return ::testing::AssertionSuccess();
}

class Chunking : public ::testing::TestWithParam<PipelineCase> {
protected:
  void SetUp() override {
    input_ = noise(kRows, kChannels, 42);
    auto p = make();
    ASSERT_NE(p, nullptr);
    run_chunks(*p, input_, kChannels, kFirstIndex, 0, {kRows}, whole_);
    // An atom with latency (fkfilter) that emitted nothing would pass every property trivially.
    ASSERT_GT(whole_.n_rows, 0u);
  }
  std::unique_ptr<Sequential> make() const { return pipeline(GetParam().yaml, stream(GetParam().fs_hz, kChannels)); }

  std::vector<float> input_;
  Recording whole_;
};

TEST_P(Chunking, DetectorsDetectSomething) {
  // A property that holds trivially on an empty event list proves nothing: the trigger cases
  // must see events in this input.
  if (GetParam().yaml.find("trigger") != std::string::npos) {
    EXPECT_GE(whole_.events.size(), 3u);
  }
  if (GetParam().yaml.find("coincidence") != std::string::npos) {
    bool any = false;
    for (const auto& e : whole_.events)
      any = any || e.kind == EventKind::coincidence;
    EXPECT_TRUE(any);
  }
}

TEST_P(Chunking, AnyPartitionEqualsOneCall) {
  for (Split kind : {Split::ones, Split::primes, Split::random, Split::one_then_rest, Split::with_empty}) {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
      auto p = make();
      Recording rec;
      run_chunks(*p, input_, kChannels, kFirstIndex, 0, split(kRows, kind, seed), rec);
      EXPECT_TRUE(same_stream(rec, whole_)) << "split kind " << static_cast<int>(kind) << " seed " << seed;
      if (kind == Split::ones) break; // deterministic: one seed is enough
    }
  }
}

TEST_P(Chunking, SaveRestoreIntoFreshPipelineMidStreamIsInvisible) {
  for (std::size_t cut : {std::size_t{0}, std::size_t{1}, std::size_t{17}, kRows / 2, kRows - 1, kRows}) {
    auto first = make();
    Recording rec;
    run_chunks(*first, input_, kChannels, kFirstIndex, 0, split(cut, Split::random, 5), rec);
    // Through the bytes a checkpoint stores, into a pipeline built anew from the same YAML.
    const auto bytes = first->save_state().serialize();
    auto state = StateTree::deserialize(bytes);
    ASSERT_TRUE(state.ok()) << state.error().message;
    auto second = make();
    const auto restored = second->restore_state(*state);
    ASSERT_TRUE(restored.ok()) << restored.error().message;
    EXPECT_EQ(second->save_state(), first->save_state());
    run_chunks(*second, input_, kChannels, kFirstIndex, cut, split(kRows - cut, Split::primes), rec);
    EXPECT_TRUE(same_stream(rec, whole_)) << "cut at row " << cut;
  }
}

TEST_P(Chunking, CloneKeepsStateAndIsIndependent) {
  const std::size_t cut = 1234;
  auto original = make();
  Recording head;
  run_chunks(*original, input_, kChannels, kFirstIndex, 0, {cut}, head);
  auto copy = original->clone();
  Recording tail_copy, tail_original;
  run_chunks(*copy, input_, kChannels, kFirstIndex, cut, split(kRows - cut, Split::random, 9), tail_copy);
  run_chunks(*original, input_, kChannels, kFirstIndex, cut, {kRows - cut}, tail_original);
  EXPECT_TRUE(bit_identical(tail_copy.samples, tail_original.samples, kChannels));
  EXPECT_EQ(tail_copy.events, tail_original.events);
  head.samples.insert(head.samples.end(), tail_copy.samples.begin(), tail_copy.samples.end());
  head.events.insert(head.events.end(), tail_copy.events.begin(), tail_copy.events.end());
  head.n_rows += tail_copy.n_rows;
  EXPECT_TRUE(same_stream(head, whole_));
}

TEST_P(Chunking, ResetEqualsFresh) {
  auto p = make();
  Recording junk;
  run_chunks(*p, input_, kChannels, kFirstIndex, 0, {777}, junk);
  p->reset();
  EXPECT_EQ(p->save_state(), make()->save_state());
  Recording again;
  run_chunks(*p, input_, kChannels, kFirstIndex, 0, {kRows}, again);
  EXPECT_TRUE(same_stream(again, whole_));
}

TEST_P(Chunking, ExhaustiveSmallPartitionsAndCuts) {
  constexpr std::size_t n = 24;
  std::vector<float> small(input_.begin(), input_.begin() + n * kChannels);
  Recording ref;
  auto whole = make();
  run_chunks(*whole, small, kChannels, kFirstIndex, 0, {n}, ref);
  for (std::size_t size = 1; size <= n; ++size) {
    for (std::size_t cut = 0; cut <= n; ++cut) {
      auto a = make();
      Recording rec;
      run_chunks(*a, small, kChannels, kFirstIndex, 0, {cut}, rec);
      auto b = make();
      ASSERT_TRUE(b->restore_state(a->save_state()).ok());
      std::vector<std::size_t> rest;
      for (std::size_t left = n - cut; left > 0; left -= std::min(size, left))
        rest.push_back(std::min(size, left));
      run_chunks(*b, small, kChannels, kFirstIndex, cut, rest, rec);
      ASSERT_TRUE(same_stream(rec, ref)) << "chunk size " << size << ", cut " << cut;
    }
  }
}

TEST_P(Chunking, AtomByAtomEqualsFusedTilesOnAnyThreadCount) {
  // The reference: every child's own process() on whole chunks, one after the other (no fused
  // stage, no tiles, one thread); chunked at random so the fused runs below see other boundaries.
  auto reference = make();
  struct Unfused final : Atom {
    Sequential* seq;
    Chunk a, b;
    explicit Unfused(Sequential* s) : seq(s) {}
    std::string_view kind() const noexcept override { return "unfused"; }
    Result<StreamInfo> configure(const StreamInfo& in) override { return in; }
    Result<void> process(const ChunkView& in, Chunk& out) override {
      ChunkView view = in;
      for (std::size_t k = 0; k < seq->size(); ++k) {
        Chunk& dst = k + 1 == seq->size() ? out : (k % 2 ? b : a);
        DASFLOW_TRY(seq->at(k).process(view, dst));
        view = dst.view();
      }
      return {};
    }
    std::size_t max_output_samples(std::size_t n) const noexcept override { return seq->max_output_samples(n); }
    void reset() noexcept override {}
    std::unique_ptr<Atom> clone() const override { return nullptr; }
    StateTree save_state() const override { return seq->save_state(); }
    Result<void> restore_state(const StateTree&) override { return {}; }
    std::string config_yaml() const override { return {}; }
  } unfused(reference.get());
  Recording want;
  run_chunks(unfused, input_, kChannels, kFirstIndex, 0, split(kRows, Split::random, 11), want);
  EXPECT_TRUE(same_stream(want, whole_));

  struct Tiling {
    std::size_t threads, rows, columns;
  };
  for (const Tiling& t : {Tiling{1, 1, 1}, Tiling{2, 3, 2}, Tiling{3, 64, 256}, Tiling{2, 7, 5}, Tiling{4, 1000, 3}}) {
    auto p = make();
    p->set_threads(t.threads);
    p->set_tiling(t.rows, t.columns);
    Recording rec;
    run_chunks(*p, input_, kChannels, kFirstIndex, 0, split(kRows, Split::random, 4), rec);
    EXPECT_TRUE(same_stream(rec, whole_))
        << t.threads << " threads, tiles of " << t.rows << " rows × " << t.columns << " channels";
    EXPECT_EQ(p->save_state(), reference->save_state());
  }
}

/// The cases whose every atom is column-separable (Atom::column_separable).
std::vector<PipelineCase> separable_cases() {
  std::vector<PipelineCase> out;
  for (const PipelineCase& c : cases()) {
    const Registry reg = atoms::builtin_registry();
    auto p = reg.build_pipeline(YAML::Load(c.yaml));
    if (!p.ok()) continue; // reported by the Chunking cases
    bool all = (*p)->configure(stream(c.fs_hz, kChannels)).ok();
    for (std::size_t k = 0; k < (*p)->size(); ++k)
      all = all && (*p)->at(k).column_separable();
    if (all) out.push_back(c);
  }
  return out;
}

class WideChannels : public ::testing::TestWithParam<PipelineCase> {};

TEST_P(WideChannels, EachChannelAloneEqualsItsColumnOfAWideRun) {
  // 45 channels (register-blocked groups of 32 and 8 plus a remainder of 5) give, column by
  // column, what a one-channel pipeline gives on that channel alone (scalar code only): grouping
  // channels changes no bit.
  constexpr std::size_t kWide = 45, kLen = 700;
  const std::vector<float> wide_in = noise(kLen, kWide, 77);
  auto wide = pipeline(GetParam().yaml, stream(GetParam().fs_hz, kWide));
  wide->set_threads(2);
  Recording wide_out;
  run_chunks(*wide, wide_in, kWide, kFirstIndex, 0, split(kLen, Split::random, 3), wide_out);
  ASSERT_GT(wide_out.n_rows, 0u);
  for (std::size_t c = 0; c < kWide; ++c) {
    std::vector<float> column(kLen);
    for (std::size_t t = 0; t < kLen; ++t)
      column[t] = wide_in[t * kWide + c];
    auto one = pipeline(GetParam().yaml, stream(GetParam().fs_hz, 1));
    Recording one_out;
    run_chunks(*one, column, 1, kFirstIndex, 0, {kLen}, one_out);
    ASSERT_EQ(one_out.n_rows, wide_out.n_rows);
    std::vector<float> want(wide_out.n_rows);
    for (std::size_t t = 0; t < wide_out.n_rows; ++t)
      want[t] = wide_out.samples[t * kWide + c];
    ASSERT_TRUE(bit_identical(one_out.samples, want, 1)) << "channel " << c;
    for (const Event& e : one_out.events) { // the same events, on this channel
      const bool found = std::any_of(wide_out.events.begin(), wide_out.events.end(), [&](const Event& w) {
        return w.channel == static_cast<std::int64_t>(c) && w.on_index == e.on_index && w.off_index == e.off_index &&
               w.peak == e.peak;
      });
      EXPECT_TRUE(found) << "channel " << c << " event at " << e.on_index;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Atoms, Chunking, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<PipelineCase>& i) { return i.param.name; });
INSTANTIATE_TEST_SUITE_P(Separable, WideChannels, ::testing::ValuesIn(separable_cases()),
                         [](const ::testing::TestParamInfo<PipelineCase>& i) { return i.param.name; });

} // namespace
} // namespace dasflow::test
