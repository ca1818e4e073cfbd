// Filtered outputs against scipy's float64 sosfilt / lfilter on multi-channel float32 inputs
// (noise, impulses, steps, sines). Bound (REFERENCE.md "Filters"): per channel, the RMS of the
// error is below 1e-5 of the reference RMS. The state runs in double in scipy's operation order, so
// the observed error is the final rounding to float32 (about 3e-8 of RMS); the test prints it.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

struct FilterCase {
  std::string name, config, input, output;
  double fs_hz = 0;
  std::size_t n_channels = 0, n_samples = 0;
};

std::vector<FilterCase> filter_cases() {
  std::vector<FilterCase> out;
  for (const auto& d : golden_manifest()["filters"])
    out.push_back({d["name"].as<std::string>(), d["config"].as<std::string>(), d["input"].as<std::string>(),
                   d["output"].as<std::string>(), d["fs"].as<double>(), d["n_channels"].as<std::size_t>(),
                   d["n_samples"].as<std::size_t>()});
  return out;
}

/// Printed by GoogleTest instead of the struct's bytes.
void PrintTo(const FilterCase& c, std::ostream* os) { *os << c.name; }

class FilterGolden : public ::testing::TestWithParam<FilterCase> {};

TEST_P(FilterGolden, MatchesScipyWithin1e5OfRms) {
  const FilterCase& c = GetParam();
  const std::vector<double> x64 = read_f64(c.input), want = read_f64(c.output);
  ASSERT_EQ(x64.size(), c.n_samples * c.n_channels);
  ASSERT_EQ(want.size(), x64.size());
  std::vector<float> x(x64.begin(), x64.end()); // exact: the generator wrote float32 values

  auto atom = pipeline("[" + c.config + "]", stream(c.fs_hz, c.n_channels));
  ASSERT_NE(atom, nullptr);
  Recording got;
  run_chunks(*atom, x, c.n_channels, 0, 0, {c.n_samples}, got);
  ASSERT_EQ(got.samples.size(), want.size());

  double worst_rel_rms = 0, worst_ulps = 0;
  for (std::size_t ch = 0; ch < c.n_channels; ++ch) {
    double err2 = 0, ref2 = 0;
    for (std::size_t t = 0; t < c.n_samples; ++t) {
      const double w = want[t * c.n_channels + ch], g = got.samples[t * c.n_channels + ch];
      err2 += (g - w) * (g - w);
      ref2 += w * w;
      const float wf = static_cast<float>(w);
      const double ulp = std::fabs(std::nextafter(wf, 2 * wf + 1) - wf);
      if (ulp > 0) worst_ulps = std::max(worst_ulps, std::fabs(g - w) / ulp);
    }
    const double rel = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
    worst_rel_rms = std::max(worst_rel_rms, rel);
    EXPECT_LT(rel, 1e-5) << "channel " << ch << ": error RMS / reference RMS = " << rel;
  }
  std::printf("[ accuracy ] %s: worst channel error/RMS %.3g, worst |error| %.3g float32 ulp\n", c.name.c_str(),
              worst_rel_rms, worst_ulps);
}

INSTANTIATE_TEST_SUITE_P(Scipy, FilterGolden, ::testing::ValuesIn(filter_cases()),
                         [](const ::testing::TestParamInfo<FilterCase>& p) { return param_name(p.param.name); });

} // namespace
} // namespace dasflow::test
