// The FFT overlap-save path (fft_convolver.hpp): `method` selection for firfilter / decimate, FFT vs
// direct agreement, block latency and alignment, and the `envelope` atom on hand-checkable inputs.

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dasflow/atoms/decimate.hpp"
#include "dasflow/atoms/envelope.hpp"
#include "dasflow/atoms/fft_convolver.hpp"
#include "dasflow/atoms/fir_filter.hpp"
#include "dasflow/atoms/fir_method.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

using atoms::kFftMinTaps;

template <typename T> const T& only(const Sequential& s) {
  const auto* a = dynamic_cast<const T*>(&s.at(0));
  EXPECT_NE(a, nullptr);
  return *a;
}

std::string fir_yaml(std::size_t numtaps, const std::string& method = "") {
  return "[{atom: firfilter, numtaps: " + std::to_string(numtaps) + ", cutoff: 20" +
         (method.empty() ? "" : ", method: " + method) + "}]";
}

TEST(FirMethod, AutoPicksFftFromTheThresholdOnAndDirectBelow) {
  auto below = pipeline(fir_yaml(kFftMinTaps - 1), stream(100.0, 3));
  auto at = pipeline(fir_yaml(kFftMinTaps), stream(100.0, 3));
  ASSERT_TRUE(below && at);
  EXPECT_FALSE(only<atoms::FirFilter>(*below).uses_fft());
  EXPECT_TRUE(only<atoms::FirFilter>(*at).uses_fft());
  // Explicit methods override the threshold both ways.
  auto forced_fft = pipeline(fir_yaml(5, "fft"), stream(100.0, 3));
  auto forced_direct = pipeline(fir_yaml(4 * kFftMinTaps + 1, "direct"), stream(100.0, 3));
  ASSERT_TRUE(forced_fft && forced_direct);
  EXPECT_TRUE(only<atoms::FirFilter>(*forced_fft).uses_fft());
  EXPECT_FALSE(only<atoms::FirFilter>(*forced_direct).uses_fft());
}

TEST(FirMethod, DecimateAutoComparesTapsPerKeptOutput) {
  // Direct decimation computes one output in q: auto needs numtaps >= kFftMinTaps · q.
  const std::size_t q = 4;
  auto below = pipeline("[{atom: decimate, factor: 4, numtaps: " + std::to_string(kFftMinTaps * q - 1) + "}]",
                        stream(1000.0, 2));
  auto at =
      pipeline("[{atom: decimate, factor: 4, numtaps: " + std::to_string(kFftMinTaps * q) + "}]", stream(1000.0, 2));
  auto dflt = pipeline("[{atom: decimate, factor: 4}]", stream(1000.0, 2));
  ASSERT_TRUE(below && at && dflt);
  EXPECT_FALSE(only<atoms::Decimate>(*below).uses_fft());
  EXPECT_TRUE(only<atoms::Decimate>(*at).uses_fft());
  EXPECT_FALSE(only<atoms::Decimate>(*dflt).uses_fft()) << "20 q + 1 default taps stay direct";
}

TEST(FirMethod, ConfigYamlNamesTheMethodOnlyWhenNotAuto) {
  auto a = pipeline(fir_yaml(kFftMinTaps + 3), stream(100.0, 1));
  auto f = pipeline(fir_yaml(11, "fft"), stream(100.0, 1));
  auto d = pipeline("[{atom: decimate, factor: 2, method: direct}]", stream(100.0, 1));
  ASSERT_TRUE(a && f && d);
  EXPECT_EQ(a->at(0).config_yaml().find("method"), std::string::npos) << a->at(0).config_yaml();
  EXPECT_NE(f->at(0).config_yaml().find("method: fft"), std::string::npos) << f->at(0).config_yaml();
  EXPECT_NE(d->at(0).config_yaml().find("method: direct"), std::string::npos) << d->at(0).config_yaml();
}

TEST(FirMethod, BadMethodsAreConfigErrorsNamingTheKey) {
  const Registry reg = atoms::builtin_registry();
  for (const char* yaml : {"[{atom: firfilter, numtaps: 11, cutoff: 5, method: fast}]",
                           "[{atom: decimate, factor: 2, ftype: iir, method: fft}]", "[{atom: envelope, numtaps: 100}]",
                           "[{atom: envelope, ref: 2}]", "[{atom: envelope, db: true, ref: 0}]"}) {
    auto p = reg.build_pipeline(YAML::Load(yaml));
    ASSERT_FALSE(p.ok()) << yaml;
    const std::string key = std::string(yaml).find("method") != std::string::npos    ? "method"
                            : std::string(yaml).find("numtaps") != std::string::npos ? "numtaps"
                                                                                     : "ref";
    EXPECT_NE(p.error().message.find(key), std::string::npos) << p.error().message;
  }
}

TEST(FftConvolver, ImpulseGivesTheTapsAndBlocksAlignToTheAbsoluteIndex) {
  // 5 taps → N = 64, L = 60. A stream starting at absolute index 130 = 2·60 + 10 is in block 2,
  // [120, 180): the first call (40 rows, up to 169) completes nothing; the second (170..269)
  // completes blocks 2 and 3 and emits rows 130..239: the output starts at the first input index
  // and stops at a block boundary, 240..269 waiting in block 4.
  atoms::FftConvolver f;
  const std::vector<double> taps = {0.5, -0.25, 0.125, 1.0, 2.0};
  f.configure(taps, 2);
  ASSERT_EQ(f.fft_size(), 64u);
  ASSERT_EQ(f.block_size(), 60u);
  std::vector<float> x(200 * 2, 0.0f);
  x[3 * 2 + 1] = 1.0f; // impulse at index 133 on channel 1
  ChunkView a{std::span<const float>(x.data(), 40 * 2), 40, 2, 130, {}, kNoPendingEvents};
  Chunk out;
  f.process(a, out);
  EXPECT_EQ(out.n_samples, 0u);
  EXPECT_EQ(out.first_index, 130);
  ChunkView b{std::span<const float>(x.data() + 80, 100 * 2), 100, 2, 170, {}, kNoPendingEvents};
  f.process(b, out);
  ASSERT_EQ(out.n_samples, 110u);
  EXPECT_EQ(out.first_index, 130);
  for (std::size_t t = 0; t < 110; ++t) {
    EXPECT_NEAR(out.row(t)[0], 0.0, 1e-6) << t;
    const double want = t >= 3 && t < 8 ? taps[t - 3] : 0.0;
    EXPECT_NEAR(out.row(t)[1], want, 1e-6) << t;
  }
  EXPECT_LE(out.n_samples, f.max_output_samples(100));
}

TEST(FftConvolver, FftAndDirectAgreeRowForRowWithinTheBound) {
  const std::size_t nch = 5, rows = 4000;
  const auto x = noise(rows, nch, 11);
  auto direct = pipeline(fir_yaml(257, "direct"), stream(100.0, nch));
  auto fft = pipeline(fir_yaml(257, "fft"), stream(100.0, nch));
  ASSERT_TRUE(direct && fft);
  const std::size_t block = only<atoms::FirFilter>(*fft).block_size();
  Recording d, f;
  run_chunks(*direct, x, nch, 1'000'000'007, 0, {rows}, d);
  run_chunks(*fft, x, nch, 1'000'000'007, 0, split(rows, Split::random, 3), f);
  ASSERT_EQ(d.n_rows, rows);
  ASSERT_LE(f.n_rows, rows);
  ASSERT_GT(f.n_rows + block, rows); // only the last, incomplete block is missing
  EXPECT_EQ(f.first_indices.front(), d.first_indices.front());
  for (std::size_t ch = 0; ch < nch; ++ch) {
    double ref2 = 0, err2 = 0;
    for (std::size_t t = 0; t < f.n_rows; ++t) {
      const double w = d.samples[t * nch + ch], e = f.samples[t * nch + ch] - w;
      ref2 += w * w;
      err2 += e * e;
    }
    EXPECT_LT(std::sqrt(err2 / ref2), 1e-5) << "channel " << ch;
  }
}

TEST(FftConvolver, AGapKeepsEveryOutputAtItsOwnInputsIndex) {
  // on_gap: continue hands the atom a chunk that does not follow the previous one. The direct form
  // filters across it as if contiguous, each output at its input's index. The FFT path must never
  // stamp a pre-gap output with a post-gap index, and after the gap must equal the direct form.
  const std::size_t nch = 3, rows = 3000, cut = 1234;
  const std::int64_t first = 5'000'003, resume = first + 777 + static_cast<std::int64_t>(cut);
  const auto x = noise(rows, nch, 5);
  auto direct = pipeline(fir_yaml(257, "direct"), stream(100.0, nch));
  auto fft = pipeline(fir_yaml(257, "fft"), stream(100.0, nch));
  ASSERT_TRUE(direct && fft);
  Recording d, pre, post;
  run_chunks(*direct, x, nch, first, 0, {cut}, d);
  run_chunks(*direct, x, nch, resume - static_cast<std::int64_t>(cut), cut, {rows - cut}, d);
  run_chunks(*fft, x, nch, first, 0, {cut}, pre);
  run_chunks(*fft, x, nch, resume - static_cast<std::int64_t>(cut), cut, {rows - cut}, post);
  // Before the gap: a run of pre-gap indices (the interrupted block's rows are dropped).
  ASSERT_EQ(pre.first_indices.size(), 1u);
  EXPECT_EQ(pre.first_indices[0], first);
  EXPECT_LE(pre.first_indices[0] + static_cast<std::int64_t>(pre.n_rows), first + static_cast<std::int64_t>(cut));
  // After it: starting exactly at the first post-gap input, equal to the direct form there.
  ASSERT_EQ(post.first_indices.size(), 1u);
  EXPECT_EQ(post.first_indices[0], resume);
  ASSERT_GT(post.n_rows, 1000u);
  double ref2 = 0, err2 = 0;
  for (std::size_t i = 0; i < post.n_rows * nch; ++i) {
    const double w = d.samples[cut * nch + i], e = post.samples[i] - w;
    ref2 += w * w;
    err2 += e * e;
  }
  EXPECT_LT(std::sqrt(err2 / ref2), 1e-5);
}

TEST(FftConvolver, DecimateFftKeepsTheSameRowsAsDirect) {
  const std::size_t nch = 3, rows = 5000;
  const auto x = noise(rows, nch, 12);
  auto direct = pipeline("[{atom: decimate, factor: 3, numtaps: 301, method: direct}]", stream(300.0, nch));
  auto fft = pipeline("[{atom: decimate, factor: 3, numtaps: 301, method: fft}]", stream(300.0, nch));
  ASSERT_TRUE(direct && fft);
  Recording d, f;
  run_chunks(*direct, x, nch, 1'000'000'001, 0, {rows}, d); // 1'000'000'001 % 3 == 2: phase matters
  run_chunks(*fft, x, nch, 1'000'000'001, 0, split(rows, Split::primes), f);
  ASSERT_GT(f.n_rows, 0u);
  ASSERT_LE(f.n_rows, d.n_rows);
  EXPECT_EQ(f.first_indices.front(), d.first_indices.front());
  double ref2 = 0, err2 = 0;
  for (std::size_t i = 0; i < f.n_rows * nch; ++i) {
    ref2 += static_cast<double>(d.samples[i]) * d.samples[i];
    err2 += (static_cast<double>(f.samples[i]) - d.samples[i]) * (static_cast<double>(f.samples[i]) - d.samples[i]);
  }
  EXPECT_LT(std::sqrt(err2 / ref2), 1e-5);
}

TEST(FftConvolver, DirectAndFftStatesAreNotInterchangeable) {
  auto direct = pipeline(fir_yaml(31, "direct"), stream(100.0, 2));
  auto fft = pipeline(fir_yaml(31, "fft"), stream(100.0, 2));
  ASSERT_TRUE(direct && fft);
  EXPECT_FALSE(fft->restore_state(direct->save_state()).ok());
  EXPECT_FALSE(direct->restore_state(fft->save_state()).ok());
}

TEST(Envelope, HilbertTapsAreTheWindowedIdealTransformer) {
  const auto h = atoms::Envelope::hilbert_taps(7); // D = 3, Blackman(7) = 0, .13, .63, 1, .63, .13, 0
  ASSERT_EQ(h.size(), 7u);
  EXPECT_EQ(h[3], 0.0);
  EXPECT_EQ(h[1], 0.0);
  EXPECT_EQ(h[5], 0.0);
  EXPECT_NEAR(h[4], 0.63 * 2.0 / std::numbers::pi, 1e-12); // m = 1: w = 0.63
  EXPECT_NEAR(h[2], -0.63 * 2.0 / std::numbers::pi, 1e-12);
  EXPECT_NEAR(h[0], 0.0, 1e-15); // Blackman ends are zero
}

TEST(Envelope, SineInThePassbandHasItsAmplitudeAfterTheDelay) {
  const std::size_t nch = 2, rows = 3000;
  std::vector<float> x(rows * nch);
  for (std::size_t t = 0; t < rows; ++t) {
    x[t * nch] = static_cast<float>(2.5 * std::cos(2 * std::numbers::pi * 0.123 * static_cast<double>(t)));
    x[t * nch + 1] = static_cast<float>(0.5 * std::sin(2 * std::numbers::pi * 0.31 * static_cast<double>(t) + 1.0));
  }
  auto p = pipeline("[{atom: envelope}]", stream(1.0, nch));
  ASSERT_TRUE(p);
  const auto& env = only<atoms::Envelope>(*p);
  EXPECT_EQ(env.delay(), 127u);
  Recording got;
  run_chunks(*p, x, nch, 0, 0, {rows}, got);
  ASSERT_GT(got.n_rows, 2000u);
  for (std::size_t t = 2 * env.delay(); t < got.n_rows; ++t) {
    ASSERT_NEAR(got.samples[t * nch], 2.5, 2.5 * 1e-4) << t;
    ASSERT_NEAR(got.samples[t * nch + 1], 0.5, 0.5 * 1e-4) << t;
  }
}

TEST(Envelope, DbIsRelativeToRefAndFloorsSilenceAtMinus200) {
  const std::size_t nch = 2, rows = 2000;
  std::vector<float> x(rows * nch, 0.0f);
  for (std::size_t t = 0; t < rows; ++t)
    x[t * nch] = static_cast<float>(std::cos(2 * std::numbers::pi * 0.2 * static_cast<double>(t))); // amplitude 1
  auto p = pipeline("[{atom: envelope, db: true, ref: 0.1}]", stream(1.0, nch));
  ASSERT_TRUE(p);
  Recording got;
  run_chunks(*p, x, nch, 5, 0, {rows}, got);
  ASSERT_GT(got.n_rows, 1000u);
  for (std::size_t t = 300; t < got.n_rows; ++t) {
    ASSERT_NEAR(got.samples[t * nch], 20.0, 1e-3) << t; // 20 log10(1 / 0.1)
    ASSERT_EQ(got.samples[t * nch + 1], -200.0f) << t;  // env = 0: the floor
  }
}

} // namespace
} // namespace dasflow::test
