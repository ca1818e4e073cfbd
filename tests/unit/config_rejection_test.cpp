// Bad pipeline configs are refused with a message naming the YAML path and line (DESIGN.md §4).

#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace dasflow::test {
namespace {

struct Rejection {
  std::string name;
  std::string yaml;              ///< the `pipeline:` list
  double fs_hz;                  ///< input rate (some errors appear only at configure time)
  std::vector<std::string> want; ///< substrings the message must contain
};

/// Printed by GoogleTest instead of the struct's bytes.
void PrintTo(const Rejection& c, std::ostream* os) { *os << c.name; }

/// Builds and configures; returns the error message, or "" if it was accepted.
std::string rejection_message(const Rejection& c) {
  const Registry reg = atoms::builtin_registry();
  const YAML::Node root = YAML::Load(c.yaml);
  auto seq = reg.build_pipeline(root["pipeline"]);
  if (!seq.ok()) return seq.error().message;
  auto out = seq.value()->configure(stream(c.fs_hz, 3));
  return out.ok() ? "" : out.error().message;
}

class ConfigRejection : public ::testing::TestWithParam<Rejection> {};

TEST_P(ConfigRejection, NamesPathAndLine) {
  const std::string msg = rejection_message(GetParam());
  ASSERT_FALSE(msg.empty()) << "accepted a bad config:\n" << GetParam().yaml;
  for (const auto& w : GetParam().want)
    EXPECT_NE(msg.find(w), std::string::npos) << "missing '" << w << "' in: " << msg;
}

const std::vector<Rejection> kRejections = {
    {"unknown_key",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, cutof: 3}\n",
     100,
     {"pipeline[0].cutof: unknown key", "(line 2)"}},
    {"unknown_atom",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass}\n  - {atom: magic}\n",
     100,
     {"pipeline[1].atom: unknown atom 'magic'", "(line 3)", "iirfilter"}},
    {"missing_atom", "pipeline:\n  - {order: 4}\n", 100, {"pipeline[0].atom: is required", "(line 2)"}},
    {"not_a_mapping", "pipeline:\n  - iirfilter\n", 100, {"pipeline[0]: must be a mapping", "(line 2)"}},
    {"empty_pipeline", "pipeline: []\n", 100, {"pipeline: must be a non-empty list"}},
    {"order_not_integer",
     "pipeline:\n  - atom: iirfilter\n    order: 4.5\n    cutoff: 5\n    btype: lowpass\n",
     100,
     {"pipeline[0].order: must be an integer, got '4.5'", "(line 3)"}},
    {"order_quoted",
     "pipeline:\n  - {atom: iirfilter, order: \"4\", cutoff: 5, btype: lowpass}\n",
     100,
     {"pipeline[0].order: must be an integer, got the string \"4\""}},
    {"order_zero",
     "pipeline:\n  - {atom: iirfilter, order: 0, cutoff: 5, btype: lowpass}\n",
     100,
     {"pipeline[0].order: must be between 1 and 32, got 0"}},
    {"cutoff_text",
     "pipeline:\n  - {atom: iirfilter, cutoff: fast, btype: lowpass}\n",
     100,
     {"pipeline[0].cutoff: must be a finite number, got 'fast'"}},
    {"cutoff_missing", "pipeline:\n  - {atom: iirfilter, btype: lowpass}\n", 100, {"pipeline[0].cutoff: is required"}},
    {"cutoff_above_nyquist",
     "pipeline:\n  - {atom: lfilter, b: [1]}\n  - atom: iirfilter\n    btype: lowpass\n    cutoff: 600\n",
     1000,
     {"pipeline[1].cutoff: must be below the Nyquist frequency of the input (500 Hz at fs = 1000 Hz), got 600",
      "(line 5)"}},
    {"cutoff_at_nyquist",
     "pipeline:\n  - {atom: iirfilter, cutoff: [1, 50], btype: bandpass}\n",
     100,
     {"pipeline[0].cutoff: must be below the Nyquist", "got 50"}},
    {"bandpass_one_edge",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: bandpass}\n",
     100,
     {"pipeline[0].cutoff: bandpass needs [low, high]"}},
    {"bandpass_reversed",
     "pipeline:\n  - {atom: iirfilter, cutoff: [20, 1]}\n",
     100,
     {"pipeline[0].cutoff: bandpass needs [low, high] in Hz with 0 < low < high"}},
    {"lowpass_two_edges",
     "pipeline:\n  - {atom: iirfilter, cutoff: [1, 2], btype: lowpass}\n",
     100,
     {"pipeline[0].cutoff: lowpass needs one positive frequency"}},
    {"bad_btype",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: band}\n",
     100,
     {"pipeline[0].btype: must be one of lowpass, highpass, bandpass, bandstop, got 'band'"}},
    {"bad_ftype",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, ftype: bessel}\n",
     100,
     {"pipeline[0].ftype: must be one of butter, cheby1, cheby2, ellip"}},
    {"cheby1_without_rp",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, ftype: cheby1}\n",
     100,
     {"pipeline[0].rp: cheby1 needs the passband ripple"}},
    {"butter_with_rs",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, rs: 40}\n",
     100,
     {"pipeline[0].rs: applies only to cheby2 and ellip"}},
    {"ellip_rs_below_rp",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, ftype: ellip, rp: 3, rs: 2}\n",
     100,
     {"pipeline[0].rs: must exceed rp"}},
    {"negative_rp",
     "pipeline:\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, ftype: cheby1, rp: -1}\n",
     100,
     {"pipeline[0].rp: must be > 0 dB"}},
    {"sos_short_row",
     "pipeline:\n  - {atom: sosfilter, sos: [[1, 0, 0, 1, 0]]}\n",
     100,
     {"pipeline[0].sos: row 0 must be a list of 6 numbers, got 5 values"}},
    {"sos_a0_not_one",
     "pipeline:\n  - {atom: sosfilter, sos: [[1, 0, 0, 2, 0, 0]]}\n",
     100,
     {"pipeline[0].sos: row 0 has a0 = 2"}},
    {"sos_missing", "pipeline:\n  - {atom: sosfilter}\n", 100, {"pipeline[0].sos: is required"}},
    {"lfilter_a0_zero",
     "pipeline:\n  - {atom: lfilter, b: [1], a: [0, 1]}\n",
     100,
     {"pipeline[0].a: a[0] must not be 0"}},
    {"lfilter_b_text",
     "pipeline:\n  - {atom: lfilter, b: [1, x]}\n",
     100,
     {"pipeline[0].b: item 1 must be a finite number, got 'x'"}},
    {"lfilter_b_infinite",
     "pipeline:\n  - {atom: lfilter, b: [.inf]}\n",
     100,
     {"pipeline[0].b: item 0 must be a finite number"}},
    {"several_errors_at_once",
     "pipeline:\n  - {atom: lfilter, b: [1], extra: 1}\n  - {atom: iirfilter, cutoff: 5, btype: lowpass, order: -2}\n",
     100,
     {"pipeline[0].extra: unknown key", "pipeline[1].order: must be between 1 and 32"}},
};

INSTANTIATE_TEST_SUITE_P(Pipeline, ConfigRejection, ::testing::ValuesIn(kRejections),
                         [](const ::testing::TestParamInfo<Rejection>& i) { return i.param.name; });

TEST(ConfigAcceptance, EffectiveConfigRoundTrips) {
  const std::string yaml =
      "[{atom: iirfilter, order: 6, cutoff: [0.1, 33.3], btype: bandstop, ftype: ellip, rp: 0.25, rs: 55},"
      " {atom: sosfilter, sos: [[0.1, 0.2, 0.1, 1, -0.5, 0.25]]}, {atom: lfilter, b: [1, 2], a: [3]}]";
  auto p = pipeline(yaml, stream(100, 2));
  ASSERT_NE(p, nullptr);
  // The canonical text builds the same pipeline, whose canonical text is identical.
  auto again = pipeline(p->config_yaml(), stream(100, 2));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->config_yaml(), p->config_yaml());
  EXPECT_NE(p->config_yaml().find("{atom: iirfilter, order: 6, cutoff: [0.10000000000000001, 33.299999999999997], "
                                  "btype: bandstop, ftype: ellip, rp: 0.25, rs: 55}"),
            std::string::npos)
      << p->config_yaml();
}

} // namespace
} // namespace dasflow::test
