// spectrogram and fbe against scipy.signal.spectrogram (tests/golden/golden_spectral.py), segment by
// segment. Bound: every output row (one segment, all frequencies or bands and channels) is within
// `tolerance` (1e-5) of the row's largest reference value — single-precision FFT error scales
// with the segment's total energy, not with each bin, so bins far below the peak are compared
// against the peak. The observed error is printed.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <gtest/gtest.h>

#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

std::vector<SpectralCase> cases() {
  auto a = spectral_cases("spectrogram");
  auto b = spectral_cases("fbe");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class SpectralGolden : public ::testing::TestWithParam<SpectralCase> {};

TEST_P(SpectralGolden, MatchesScipySegmentBySegment) {
  const SpectralCase& c = GetParam();
  std::vector<float> x(c.input.begin(), c.input.end()); // exact: float32 values
  const StreamInfo in = stream(c.fs, c.n_channels);
  auto atom = pipeline(c.pipeline, in);
  ASSERT_NE(atom, nullptr);
  const StreamInfo& out = atom->streams().back();
  ASSERT_NE(out.spectral, nullptr);
  EXPECT_EQ(out.n_channels, c.out_channels);
  EXPECT_EQ(out.spectral->n_locations, c.n_channels);
  EXPECT_EQ(out.spectral->n_bins() * c.n_channels, c.out_channels);

  Recording got;
  run_chunks(*atom, x, c.n_channels, c.first_index, 0, {c.n_samples}, got);
  ASSERT_EQ(got.n_rows, c.n_out);
  ASSERT_FALSE(got.first_indices.empty());
  EXPECT_EQ(got.first_indices.front(), c.node["out_first_index"].as<std::int64_t>());
  const double tol = c.node["tolerance"].as<double>();
  double worst = 0.0;
  for (std::size_t k = 0; k < c.n_out; ++k) {
    const double* want = c.output.data() + k * c.out_channels;
    const float* have = got.samples.data() + k * c.out_channels;
    double peak = 0.0, err = 0.0;
    for (std::size_t j = 0; j < c.out_channels; ++j) {
      peak = std::max(peak, std::fabs(want[j]));
      err = std::max(err, std::fabs(static_cast<double>(have[j]) - want[j]));
    }
    worst = std::max(worst, err / peak);
    EXPECT_LT(err, tol * peak) << "segment " << k;
  }
  std::printf("[ accuracy ] %s: worst |error| / segment peak %.3g\n", c.name.c_str(), worst);
}

INSTANTIATE_TEST_SUITE_P(Scipy, SpectralGolden, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<SpectralCase>& p) { return param_name(p.param.name); });

TEST(SpectralStream, TimesAreSegmentCentresAndRateIsPerHop) {
  StreamInfo in = stream(1000.0, 2);
  in.origin_ns = 250'000; // a quarter sample
  auto atom = pipeline("[{atom: fbe, window: 0.5, overlap: 0.5, bands: [[1, 10], [10, 100]]}]", in);
  ASSERT_NE(atom, nullptr);
  const StreamInfo& out = atom->streams().back();
  EXPECT_DOUBLE_EQ(out.fs_hz, 4.0); // hop 250 samples
  // window k covers input [250 k, 250 k + 500): its centre is input index 250 k + 250
  for (std::int64_t k : {std::int64_t{0}, std::int64_t{1}, std::int64_t{7}, std::int64_t{6'928'000'000}})
    EXPECT_EQ(out.time_ns(k), in.time_ns(250 * k + 250)) << k;
  EXPECT_EQ(out.n_channels, 4u);
  EXPECT_EQ(out.spectral->kind, SpectralAxis::Kind::bands);
  EXPECT_EQ(out.spectral->window_samples, 500u);
  EXPECT_EQ(out.spectral->overlap_samples, 250u);
}

TEST(SpectralStream, ParsevalBandsSumToTheSegmentsMeanSquare) {
  // One band over 0..fs/2 holds every bin: its energy is the Hann-weighted mean square,
  // Σ (w x)² / Σ w² (Parseval for the one-sided density, times the bin width).
  const std::size_t n = 400;
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(std::sin(0.3 * static_cast<double>(i)) + 0.1 * static_cast<double>(i % 7));
  auto atom = pipeline("[{atom: fbe, window: 0.4, overlap: 0, bands: [[0, 500]]}]", stream(1000.0, 1));
  ASSERT_NE(atom, nullptr);
  Recording got;
  run_chunks(*atom, x, 1, 0, 0, {n}, got);
  ASSERT_EQ(got.n_rows, 1u);
  double wx2 = 0, w2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double w = 0.5 - 0.5 * std::cos(2 * M_PI * static_cast<double>(i) / static_cast<double>(n));
    wx2 += w * w * x[i] * x[i];
    w2 += w * w;
  }
  EXPECT_NEAR(got.samples[0], wx2 / w2, 1e-5 * wx2 / w2);
}

TEST(SpectralStream, RejectsBadConfigsNamingTheKey) {
  const Registry reg = atoms::builtin_registry();
  auto configure = [&](const std::string& yaml) -> std::string {
    auto seq = reg.build_pipeline(YAML::Load(yaml), "pipeline");
    if (!seq.ok()) return seq.error().message;
    auto r = seq.value()->configure(stream(100.0, 3));
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_NE(configure("[{atom: fbe, window: 1, bands: [[1, 80]]}]").find("pipeline[0].bands"), std::string::npos);
  EXPECT_NE(configure("[{atom: fbe, window: 1, bands: [[1.2, 1.8]]}]").find("holds no frequency bin"),
            std::string::npos);
  EXPECT_NE(configure("[{atom: fbe, bands: [[1, 10]]}]").find("pipeline[0].window"), std::string::npos);
  EXPECT_NE(configure("[{atom: fbe, window: 1, overlap: 1, bands: [[1, 10]]}]").find("pipeline[0].overlap"),
            std::string::npos);
  EXPECT_NE(configure("[{atom: spectrogram, nperseg: 64, noverlap: 64}]").find("pipeline[0].noverlap"),
            std::string::npos);
  EXPECT_NE(configure("[{atom: spectrogram, window: hann, alpha: 0.5}]").find("pipeline[0].alpha"), std::string::npos);
  // Atoms that read columns as fibre channels refuse a spectral input.
  for (const char* next : {"trigger, on_threshold: 2, off_threshold: 1", "select, channels: [0, 2, 1]", "common_mode",
                           "spectrogram", "fkfilter, vmin: 100, window: 1", "fbe, window: 1, bands: [[1, 10]]"})
    EXPECT_NE(configure(std::string("[{atom: spectrogram, nperseg: 32}, {atom: ") + next + "}]").find("spectral"),
              std::string::npos)
        << next;
  // Per-column atoms accept it: smoothing band energies is a normal thing to do.
  EXPECT_EQ(
      configure("[{atom: fbe, window: 1, bands: [[1, 10]]}, {atom: iirfilter, order: 2, cutoff: 0.1, btype: lowpass}]"),
      "");
}

} // namespace
} // namespace dasflow::test
