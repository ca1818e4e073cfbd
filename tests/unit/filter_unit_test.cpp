// Hand-checkable vectors for sosfilter, lfilter and iirfilter, plus state-shape checks.

#include <gtest/gtest.h>

#include "dasflow/atoms/iir_filter.hpp"
#include "test_support.hpp"

namespace dasflow::test {
namespace {

/// One channel through a pipeline in one call.
std::vector<float> run1(const std::string& yaml, const std::vector<float>& x, double fs = 100) {
  auto p = pipeline(yaml, stream(fs, 1));
  Recording r;
  if (p) run_chunks(*p, x, 1, 0, 0, {x.size()}, r);
  return r.samples;
}

TEST(LFilter, OnePoleImpulseResponseHalvesEachSample) {
  // y[n] = x[n] + 0.5 y[n-1]
  EXPECT_EQ(run1("[{atom: lfilter, b: [1], a: [1, -0.5]}]", {1, 0, 0, 0, 0}),
            (std::vector<float>{1, 0.5f, 0.25f, 0.125f, 0.0625f}));
}

TEST(LFilter, NormalisesByA0AndPadsB) {
  // 2 y[n] = 4 x[n] - y[n-1]  ->  y = 2 x - 0.5 y[n-1]
  EXPECT_EQ(run1("[{atom: lfilter, b: [4], a: [2, 1]}]", {1, 1, 0, 0}), (std::vector<float>{2, 1, -0.5f, 0.25f}));
}

TEST(LFilter, FirIsACausalMovingSum) {
  EXPECT_EQ(run1("[{atom: lfilter, b: [1, 1, 1]}]", {1, 2, 3, 4, 5}), (std::vector<float>{1, 3, 6, 9, 12}));
}

TEST(SosFilter, SectionsCascade) {
  // Section 1: y = x - 0.5 y[-1]; section 2: y = x + x[-1]. Impulse: 1, -0.5, 0.25 then summed pairs.
  EXPECT_EQ(run1("[{atom: sosfilter, sos: [[1, 0, 0, 1, 0.5, 0], [1, 1, 0, 1, 0, 0]]}]", {1, 0, 0, 0}),
            (std::vector<float>{1, 0.5f, -0.25f, 0.125f}));
}

TEST(SosFilter, ChannelsAreIndependent) {
  auto p = pipeline("[{atom: sosfilter, sos: [[1, 0, 0, 1, -0.5, 0]]}]", stream(100, 3));
  ASSERT_NE(p, nullptr);
  const std::vector<float> x = {1, 0, 2, 0, 0, 0, 0, 4, 0}; // 3 rows × 3 channels
  Recording r;
  run_chunks(*p, x, 3, 10, 0, {3}, r);
  EXPECT_EQ(r.samples, (std::vector<float>{1, 0, 2, 0.5f, 0, 1, 0.25f, 4, 0.5f}));
  EXPECT_EQ(r.first_indices, (std::vector<std::int64_t>{10}));
}

TEST(IirFilter, LowpassPassesDcWithUnitGain) {
  std::vector<float> ones(4000, 1.0f);
  const auto y = run1("[{atom: iirfilter, order: 4, cutoff: 5, btype: lowpass}]", ones);
  EXPECT_NEAR(y.back(), 1.0f, 1e-6f);
  const auto h = run1("[{atom: iirfilter, order: 4, cutoff: 5, btype: highpass}]", ones);
  EXPECT_NEAR(h.back(), 0.0f, 1e-6f);
}

TEST(IirFilter, RedesignsAtTheInputRate) {
  auto at100 = pipeline("[{atom: iirfilter, order: 2, cutoff: 10, btype: lowpass}]", stream(100, 1));
  auto at200 = pipeline("[{atom: iirfilter, order: 2, cutoff: 10, btype: lowpass}]", stream(200, 1));
  ASSERT_TRUE(at100 && at200);
  // Same config, different rates: different sections (a lowpass at 0.2 vs 0.1 of Nyquist).
  const auto s100 = dynamic_cast<const atoms::IirFilter&>(at100->at(0)).sections();
  const auto s200 = dynamic_cast<const atoms::IirFilter&>(at200->at(0)).sections();
  EXPECT_NE(s100[0][4], s200[0][4]);
}

TEST(FilterState, RestoreRefusesAnotherShapeAndLeavesStateUntouched) {
  auto three = pipeline("[{atom: iirfilter, order: 4, cutoff: 5, btype: lowpass}]", stream(100, 3));
  auto four = pipeline("[{atom: iirfilter, order: 4, cutoff: 5, btype: lowpass}]", stream(100, 4));
  auto other = pipeline("[{atom: sosfilter, sos: [[1, 0, 0, 1, 0, 0]]}]", stream(100, 3));
  ASSERT_TRUE(three && four && other);
  const StateTree before = four->save_state();
  auto r = four->restore_state(three->save_state());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "pipeline[0]: iirfilter state is for 2 sections × 3 channels, the pipeline has 2 × 4");
  EXPECT_EQ(four->save_state(), before);
  auto k = other->restore_state(three->save_state());
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "pipeline[0]: state of kind 'iirfilter' cannot restore a 'sosfilter'");
}

} // namespace
} // namespace dasflow::test
