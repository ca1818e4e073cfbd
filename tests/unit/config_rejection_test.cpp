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
    {"firfilter_no_numtaps",
     "pipeline:\n  - {atom: firfilter, cutoff: 5}\n",
     100,
     {"pipeline[0].numtaps: is required"}},
    {"firfilter_cutoff_above_nyquist",
     "pipeline:\n  - {atom: firfilter, numtaps: 11, cutoff: 60}\n",
     100,
     {"pipeline[0].cutoff: must be between 0 and the Nyquist frequency", "got 60", "(line 2)"}},
    {"firfilter_even_highpass",
     "pipeline:\n  - {atom: firfilter, numtaps: 10, cutoff: 5, btype: highpass}\n",
     100,
     {"pipeline[0]: numtaps must be odd"}},
    {"firfilter_kaiser_without_beta",
     "pipeline:\n  - {atom: firfilter, numtaps: 11, cutoff: 5, window: kaiser}\n",
     100,
     {"pipeline[0].beta: the kaiser window needs beta"}},
    {"decimate_factor_one",
     "pipeline:\n  - {atom: decimate, factor: 1}\n",
     100,
     {"pipeline[0].factor: must be between 2 and 10000, got 1"}},
    {"decimate_no_factor", "pipeline:\n  - {atom: decimate}\n", 100, {"pipeline[0].factor: is required"}},
    {"decimate_iir_numtaps",
     "pipeline:\n  - {atom: decimate, factor: 2, ftype: iir, numtaps: 5}\n",
     100,
     {"pipeline[0].numtaps: applies only to ftype fir"}},
    {"stalta_lta_below_sta",
     "pipeline:\n  - atom: stalta\n    sta: 0.5\n    lta: 0.2\n",
     100,
     {"pipeline[0].lta: must be greater than sta (0.5), got 0.20000000000000001 (line 4)"}},
    {"stalta_sta_below_one_sample_after_decimation",
     "pipeline:\n  - {atom: decimate, factor: 10}\n  - {atom: stalta, sta: 0.05, lta: 1}\n",
     100,
     {"pipeline[1].sta: is shorter than one sample at the input rate (10 Hz)"}},
    {"stalta_bad_method",
     "pipeline:\n  - {atom: stalta, method: fast, sta: 1, lta: 2}\n",
     100,
     {"pipeline[0].method: must be one of classic, recursive, got 'fast'"}},
    {"trigger_off_above_on",
     "pipeline:\n  - {atom: trigger, on_threshold: 2, off_threshold: 3}\n",
     100,
     {"pipeline[0].off_threshold: must not exceed on_threshold (2), got 3"}},
    {"trigger_missing_on",
     "pipeline:\n  - {atom: trigger, off_threshold: 3}\n",
     100,
     {"pipeline[0].on_threshold: is required"}},
    {"coincidence_no_min",
     "pipeline:\n  - {atom: coincidence, window: 1}\n",
     100,
     {"pipeline[0].min_channels: is required"}},
    {"select_beyond_input",
     "pipeline:\n  - {atom: select, channels: [0, 5]}\n",
     100,
     {"pipeline[0].channels: stop 5 is beyond the input's 3 channels"}},
    {"select_bad_shape",
     "pipeline:\n  - {atom: select, channels: [0.5, 2]}\n",
     100,
     {"pipeline[0].channels: must be [start, stop] or [start, stop, step] of integers"}},
    {"scale_without_factor", "pipeline:\n  - {atom: scale}\n", 100, {"pipeline[0].factor: is required"}},
    {"common_mode_bad_method",
     "pipeline:\n  - {atom: common_mode, method: mode}\n",
     100,
     {"pipeline[0].method: must be one of median, mean"}},
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
