// The FFT overlap-save path of firfilter / decimate (method fft, and auto on a long filter) against
// scipy's float64 lfilter / decimate (tests/golden/golden_fir_fft.py). Bound (REFERENCE.md
// "Accuracy"): per channel, the RMS of the error is below `tol` = 1e-5 of the reference RMS; the
// largest single error is printed too. The atom emits whole FFT blocks only, so the last,
// incomplete block of the record is still pending: the emitted rows must be the reference's first
// rows, all but fewer than one block.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <gtest/gtest.h>

#include "dasflow/atoms/decimate.hpp"
#include "dasflow/atoms/fir_filter.hpp"
#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {

namespace {

std::vector<SpectralCase> fir_cases() { return spectral_cases("fir_fft_"); }

/// The FFT block of the pipeline's only atom (0 if it runs the direct path).
std::size_t block_of(const Atom& a) {
  if (const auto* f = dynamic_cast<const atoms::FirFilter*>(&a)) return f->block_size();
  if (const auto* d = dynamic_cast<const atoms::Decimate*>(&a)) return d->block_size();
  return 0;
}

class FirFftGolden : public ::testing::TestWithParam<SpectralCase> {};

TEST_P(FirFftGolden, MatchesScipyWithin1e5OfRms) {
  const SpectralCase& c = GetParam();
  ASSERT_EQ(c.input.size(), c.n_samples * c.n_channels);
  ASSERT_EQ(c.output.size(), c.n_out * c.out_channels);
  const std::vector<float> x(c.input.begin(), c.input.end()); // exact: float32 values
  auto seq = pipeline(c.pipeline, stream(c.fs, c.n_channels));
  ASSERT_NE(seq, nullptr);
  const std::size_t block = block_of(seq->at(0));
  ASSERT_GT(block, 0u) << "the pipeline does not run the FFT path";
  const auto q = c.node["factor"].as<std::size_t>();
  const double tol = c.node["tol"].as<double>();

  Recording got;
  run_chunks(*seq, x, c.n_channels, c.first_index, 0, split(c.n_samples, Split::primes), got);
  ASSERT_LE(got.n_rows, c.n_out);
  EXPECT_GE(got.n_rows + (block + q - 1) / q, c.n_out) << "more than one block is missing";
  ASSERT_FALSE(got.first_indices.empty());
  EXPECT_EQ(got.first_indices.front(), c.first_index / static_cast<std::int64_t>(q));

  double worst_rel_rms = 0, worst_rel_max = 0;
  for (std::size_t ch = 0; ch < c.n_channels; ++ch) {
    double err2 = 0, ref2 = 0, err_max = 0;
    for (std::size_t t = 0; t < c.n_out; ++t)
      ref2 += c.output[t * c.n_channels + ch] * c.output[t * c.n_channels + ch];
    for (std::size_t t = 0; t < got.n_rows; ++t) {
      const double e = got.samples[t * c.n_channels + ch] - c.output[t * c.n_channels + ch];
      err2 += e * e;
      err_max = std::max(err_max, std::abs(e));
    }
    const double rms = std::sqrt(ref2 / static_cast<double>(c.n_out));
    const double rel_rms = std::sqrt(err2 / static_cast<double>(got.n_rows)) / rms;
    worst_rel_rms = std::max(worst_rel_rms, rel_rms);
    worst_rel_max = std::max(worst_rel_max, err_max / rms);
    EXPECT_LT(rel_rms, tol) << "channel " << ch;
  }
  std::printf("  %s: block %zu, error RMS %.2e, max %.2e of output RMS\n", c.name.c_str(), block, worst_rel_rms,
              worst_rel_max);
}

INSTANTIATE_TEST_SUITE_P(Spectral, FirFftGolden, ::testing::ValuesIn(fir_cases()),
                         [](const ::testing::TestParamInfo<SpectralCase>& i) { return param_name(i.param.name); });

} // namespace
} // namespace dasflow::test
