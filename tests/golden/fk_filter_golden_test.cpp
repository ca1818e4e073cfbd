// `fkfilter` against the independent numpy reference of tests/golden/golden_fkfilter.py (np.fft
// rfft2/irfft2 in float64 on the whole array). Bound: max |got − want| ≤ 5e-6 × RMS(want) per case.
// The atom computes in float32 (FFTW single precision, W·Nk-point 2-D transforms of a windowed block
// whose peaks reach several × RMS): the measured error is 0.6–1.1e-6 of RMS (printed; gcc 12,
// FFTW 3.3, x86-64), the bound leaves ×4 margin for another FFTW codelet choice (other SIMD level)
// while catching any error in grid, mask or overlap-add, which are O(1) of RMS.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <gtest/gtest.h>

#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {

namespace {

class FkFilterGolden : public ::testing::TestWithParam<SpectralCase> {};

TEST_P(FkFilterGolden, MatchesNumpyWithin5e6OfRmsInAnyPartition) {
  const SpectralCase& c = GetParam();
  StreamInfo in = stream(c.fs, c.n_channels);
  in.coords = std::make_shared<const ChannelCoords>(
      ChannelCoords{0, c.node["step"].as<std::int64_t>(), c.node["dx_m"].as<double>()});
  const std::vector<float> x(c.input.begin(), c.input.end()); // exact: float32 values
  const auto h = c.node["window_samples"].as<std::int64_t>() / 2;
  const std::int64_t b0 = c.first_index / h + (c.first_index % h > 0 ? 1 : 0);

  double ref2 = 0;
  for (double v : c.output)
    ref2 += v * v;
  const double rms = std::sqrt(ref2 / static_cast<double>(c.output.size()));
  ASSERT_GT(rms, 0.0);

  for (Split kind : {Split::one_then_rest, Split::primes, Split::random}) {
    auto p = pipeline(c.pipeline, in);
    ASSERT_NE(p, nullptr);
    Recording got;
    run_chunks(*p, x, c.n_channels, c.first_index, 0, split(c.n_samples, kind, 3), got);
    ASSERT_EQ(got.n_rows, c.n_out);
    ASSERT_EQ(got.first_indices.front(), (b0 + 1) * h);
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < c.output.size(); ++i) {
      const double e = std::fabs(static_cast<double>(got.samples[i]) - c.output[i]);
      if (e > worst) worst = e, at = i;
    }
    std::printf("%s: max error %.3g of RMS (row %zu, channel %zu)\n", c.name.c_str(), worst / rms, at / c.out_channels,
                at % c.out_channels);
    EXPECT_LE(worst, 5e-6 * rms) << "row " << at / c.out_channels << ", channel " << at % c.out_channels
                                 << ": expected " << c.output[at] << ", got " << got.samples[at];
  }
}

INSTANTIATE_TEST_SUITE_P(Numpy, FkFilterGolden, ::testing::ValuesIn(spectral_cases("fkfilter")),
                         [](const ::testing::TestParamInfo<SpectralCase>& i) { return param_name(i.param.name); });

} // namespace
} // namespace dasflow::test
