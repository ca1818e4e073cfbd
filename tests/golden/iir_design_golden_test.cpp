// iirfilter's C++ design against scipy.signal.iirfilter(..., output="sos", fs=fs) for every row of
// the generator's design table. Tolerance 1e-10 relative (REFERENCE.md): the design is a chain of
// double-precision root manipulations, so agreement is limited by a few ulps per step, not by
// float32.

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "dasflow/atoms/iir_filter.hpp"
#include "golden_data.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

struct DesignCase {
  std::string name, config;
  double fs_hz = 0;
  std::size_t first_row = 0, n_sections = 0;
};

std::vector<DesignCase> design_cases() {
  std::vector<DesignCase> out;
  for (const auto& d : golden_manifest()["designs"])
    out.push_back({d["name"].as<std::string>(), d["config"].as<std::string>(), d["fs"].as<double>(),
                   d["first_row"].as<std::size_t>(), d["n_sections"].as<std::size_t>()});
  return out;
}

/// Printed by GoogleTest instead of the struct's bytes.
void PrintTo(const DesignCase& c, std::ostream* os) { *os << c.name; }

class IirDesignGolden : public ::testing::TestWithParam<DesignCase> {};

TEST_P(IirDesignGolden, SectionsMatchScipyTo1e10Relative) {
  static const std::vector<double> all_rows = read_f64(golden_manifest()["designs_file"].as<std::string>());
  const DesignCase& c = GetParam();
  auto seq = pipeline("[" + c.config + "]", stream(c.fs_hz, 1));
  ASSERT_NE(seq, nullptr);
  const auto& sections = dynamic_cast<const atoms::IirFilter&>(seq->at(0)).sections();
  ASSERT_EQ(sections.size(), c.n_sections);
  for (std::size_t s = 0; s < c.n_sections; ++s) {
    const double* want = all_rows.data() + (c.first_row + s) * 6;
    const double scale = std::max(
        1.0, *std::max_element(want, want + 6, [](double a, double b) { return std::fabs(a) < std::fabs(b); }));
    for (std::size_t k = 0; k < 6; ++k)
      EXPECT_LE(std::fabs(sections[s][k] - want[k]), 1e-10 * std::max(std::fabs(scale), std::fabs(want[k])))
          << "section " << s << " coefficient " << k << ": scipy " << want[k] << ", ours " << sections[s][k];
  }
}

INSTANTIATE_TEST_SUITE_P(Scipy, IirDesignGolden, ::testing::ValuesIn(design_cases()),
                         [](const ::testing::TestParamInfo<DesignCase>& p) { return param_name(p.param.name); });

} // namespace
} // namespace dasflow::test
