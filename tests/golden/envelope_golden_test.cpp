// `envelope` against abs(scipy.signal.hilbert(x)) (tests/golden/golden_envelope.py). The atom's row
// n is the envelope at input index n − D (D = (numtaps − 1) / 2, documented in envelope.hpp), so
// out[n] is compared with ref[n − D], from row `skip` = 2 D on (before it the FIR Hilbert
// transformer still sees its zero initial history, which the whole-record reference does not).
// Bound: the largest error is below `tol` × the reference RMS (linear; 1e-4) or `tol` dB (db;
// 1e-3 dB). It is set by the windowed transformer's passband ripple (3e-5 for 255 Blackman taps in
// [0.04, 0.46] fs, where the test signals lie) plus the reference's own truncation (≈ 0.5 / 16384
// with the record padded by 16384 samples), not by float rounding; the test prints the error.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <gtest/gtest.h>

#include "dasflow/atoms/envelope.hpp"
#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {

namespace {

class EnvelopeGolden : public ::testing::TestWithParam<SpectralCase> {};

TEST_P(EnvelopeGolden, MatchesScipyHilbertAfterTheDelay) {
  const SpectralCase& c = GetParam();
  ASSERT_EQ(c.input.size(), c.n_samples * c.n_channels);
  ASSERT_EQ(c.output.size(), c.n_samples * c.n_channels);
  const std::vector<float> x(c.input.begin(), c.input.end());
  auto seq = pipeline(c.pipeline, stream(c.fs, c.n_channels));
  ASSERT_NE(seq, nullptr);
  const auto* env = dynamic_cast<const atoms::Envelope*>(&seq->at(0));
  ASSERT_NE(env, nullptr);
  const auto d = c.node["delay"].as<std::size_t>();
  const auto skip = c.node["skip"].as<std::size_t>();
  const double tol = c.node["tol"].as<double>();
  const bool db = c.node["scale"].as<std::string>() == "db";
  ASSERT_EQ(env->delay(), d);

  Recording got;
  run_chunks(*seq, x, c.n_channels, c.first_index, 0, split(c.n_samples, Split::random, 4), got);
  ASSERT_FALSE(got.first_indices.empty());
  EXPECT_EQ(got.first_indices.front(), c.first_index) << "output row index = input row index";
  ASSERT_GT(got.n_rows + env->block_size(), c.n_samples) << "more than one block is missing";
  ASSERT_GT(got.n_rows, skip + 1000);

  double worst = 0;
  for (std::size_t ch = 0; ch < c.n_channels; ++ch) {
    double ref2 = 0;
    for (std::size_t t = 0; t < c.n_samples; ++t)
      ref2 += c.output[t * c.n_channels + ch] * c.output[t * c.n_channels + ch];
    const double scale = db ? 1.0 : std::sqrt(ref2 / static_cast<double>(c.n_samples));
    double err = 0;
    std::size_t at = 0;
    for (std::size_t n = skip; n < got.n_rows; ++n) {
      const double e = std::abs(got.samples[n * c.n_channels + ch] - c.output[(n - d) * c.n_channels + ch]) / scale;
      if (e > err) {
        err = e;
        at = n;
      }
    }
    worst = std::max(worst, err);
    EXPECT_LT(err, tol) << "channel " << ch << ", row " << at << ": got " << got.samples[at * c.n_channels + ch]
                        << ", scipy " << c.output[(at - d) * c.n_channels + ch];
  }
  std::printf("  %s: delay %zu, block %zu, max error %.2e %s\n", c.name.c_str(), d, env->block_size(), worst,
              db ? "dB" : "of RMS");
}

INSTANTIATE_TEST_SUITE_P(Spectral, EnvelopeGolden, ::testing::ValuesIn(spectral_cases("envelope_")),
                         [](const ::testing::TestParamInfo<SpectralCase>& i) { return param_name(i.param.name); });

} // namespace
} // namespace dasflow::test
