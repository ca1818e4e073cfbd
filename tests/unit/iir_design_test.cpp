// Unit tests for the scipy.signal.iirfilter-compatible designer (atoms/iir_design.cpp).
// Small cases that can be checked by hand or against one line of scipy; the full table of
// designs is in the golden tests.

#include "dasflow/atoms/iir_design.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <string>
#include <vector>

namespace {

using dasflow::Errc;
using dasflow::atoms::BandType;
using dasflow::atoms::design_iir_sos;
using dasflow::atoms::design_iir_zpk;
using dasflow::atoms::FilterFamily;
using dasflow::atoms::IirDesign;
using dasflow::atoms::SosRow;
using dasflow::atoms::Zpk;
using dasflow::atoms::zpk_to_sos;

IirDesign make(FilterFamily f, BandType b, int order, std::vector<double> cutoff, double rp = 0.0, double rs = 0.0) {
  IirDesign d;
  d.ftype = f;
  d.btype = b;
  d.order = order;
  d.cutoff_hz = std::move(cutoff);
  d.rp_db = rp;
  d.rs_db = rs;
  return d;
}

/// |ours - scipy| <= tol * max(1, |scipy|) for every coefficient.
void expect_sos_near(const std::vector<SosRow>& got, const std::vector<SosRow>& want, double tol = 1e-13) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t s = 0; s < want.size(); ++s)
    for (std::size_t i = 0; i < 6; ++i)
      EXPECT_NEAR(got[s][i], want[s][i], tol * std::max(1.0, std::fabs(want[s][i])))
          << "section " << s << " coefficient " << i;
}

std::string error_of(const IirDesign& d, double fs) {
  const auto r = design_iir_sos(d, fs);
  if (r.ok()) return "<no error>";
  EXPECT_EQ(r.error().code, Errc::config);
  return r.error().message;
}

// Order-1 Butterworth lowpass at fs/4, by hand: prototype pole -1; pre-warped cutoff
// 2*fs'*tan(pi/4) = 4 with scipy's normalized fs' = 2, so the analog pole is -4 and k = 4;
// the bilinear transform maps -4 to (4 - 4)/(4 + 4) = 0, the zero at infinity to -1, and
// k to 4 / (4 + 4) = 0.5: H(z) = 0.5 (1 + z^-1).
TEST(IirDesign, Butter1LowpassAtQuarterFsByHand) {
  const auto sos = design_iir_sos(make(FilterFamily::butter, BandType::lowpass, 1, {250.0}), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos, {{0.5, 0.5, 0.0, 1.0, 0.0, 0.0}}, 1e-15);

  const auto zpk = design_iir_zpk(make(FilterFamily::butter, BandType::lowpass, 1, {250.0}), 1000.0);
  ASSERT_TRUE(zpk.ok());
  ASSERT_EQ(zpk->z.size(), 1u);
  ASSERT_EQ(zpk->p.size(), 1u);
  EXPECT_EQ(zpk->z[0], std::complex<double>(-1.0, 0.0));
  EXPECT_NEAR(std::abs(zpk->p[0]), 0.0, 1e-15);
  EXPECT_NEAR(zpk->k, 0.5, 1e-15);
}

// Same for the highpass: the zero goes to +1 and H(z) = 0.5 (1 - z^-1).
TEST(IirDesign, Butter1HighpassAtQuarterFsByHand) {
  const auto sos = design_iir_sos(make(FilterFamily::butter, BandType::highpass, 1, {250.0}), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos, {{0.5, -0.5, 0.0, 1.0, 0.0, 0.0}}, 1e-15);
}

// scipy.signal.iirfilter(2, 100, btype='lowpass', ftype='butter', output='sos', fs=1000)
TEST(IirDesign, Butter2LowpassMatchesScipy) {
  const auto sos = design_iir_sos(make(FilterFamily::butter, BandType::lowpass, 2, {100.0}), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos, {{0.06745527388907192, 0.13491054777814385, 0.06745527388907192, 1.0, -1.1429805025399011,
                          0.41280159809618877}});
  // Unit DC gain: H(1) = sum(b) / sum(a).
  const auto& r = (*sos)[0];
  EXPECT_NEAR((r[0] + r[1] + r[2]) / (r[3] + r[4] + r[5]), 1.0, 1e-14);
}

// scipy.signal.iirfilter(1, [10, 20], rp=0.5, btype='bandpass', ftype='cheby1', output='sos', fs=100)
TEST(IirDesign, Cheby1Order1BandpassMatchesScipy) {
  const auto sos = design_iir_sos(make(FilterFamily::cheby1, BandType::bandpass, 1, {10.0, 20.0}, 0.5), 100.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos,
                  {{0.4819114661979487, 0.0, -0.4819114661979487, 1.0, -0.640392646142533, 0.036177067604102574}});
}

// scipy.signal.iirfilter(2, 50, rs=40, btype='highpass', ftype='cheby2', output='sos', fs=1000)
TEST(IirDesign, Cheby2Order2HighpassMatchesScipy) {
  const auto sos = design_iir_sos(make(FilterFamily::cheby2, BandType::highpass, 2, {50.0}, 0.0, 40.0), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos, {{0.2643585966695445, -0.5156182861329078, 0.2643585966695445, 1.0, 0.13277762057306028,
                          0.17711310004505673}});
}

// scipy.signal.iirfilter(3, 100, rp=1, rs=40, btype='lowpass', ftype='ellip', output='sos', fs=1000)
// Odd order: the real pole shares its section with the zero at -1 and the padding pole/zero at
// the origin; the gain sits in the first section, the pole pair nearest the unit circle last.
TEST(IirDesign, Ellip3LowpassMatchesScipy) {
  const auto sos = design_iir_sos(make(FilterFamily::ellip, BandType::lowpass, 3, {100.0}, 1.0, 40.0), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos,
                  {{0.027635277614634565, 0.027635277614634565, 0.0, 1.0, -0.7091573463370682, 0.0},
                   {1.0, -0.21822167989243474, 1.0000000000000002, 1.0, -1.4258259949768328, 0.7644279015663373}});
}

TEST(IirDesign, SectionCounts) {
  for (int n = 1; n <= 10; ++n) {
    for (BandType b : {BandType::bandpass, BandType::bandstop}) {
      const auto sos = design_iir_sos(make(FilterFamily::butter, b, n, {1.0, 20.0}), 1000.0);
      ASSERT_TRUE(sos.ok()) << sos.error().message;
      EXPECT_EQ(sos->size(), static_cast<std::size_t>(n)) << "order " << n;
    }
    for (BandType b : {BandType::lowpass, BandType::highpass}) {
      const auto sos = design_iir_sos(make(FilterFamily::ellip, b, n, {20.0}, 0.5, 60.0), 1000.0);
      ASSERT_TRUE(sos.ok()) << sos.error().message;
      EXPECT_EQ(sos->size(), static_cast<std::size_t>((n + 1) / 2)) << "order " << n;
    }
  }
}

TEST(IirDesign, EverySectionIsNormalizedAndStable) {
  const auto sos = design_iir_sos(make(FilterFamily::butter, BandType::bandpass, 8, {1.0, 20.0}), 1000.0);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  ASSERT_EQ(sos->size(), 8u);
  for (const SosRow& r : *sos) {
    EXPECT_EQ(r[3], 1.0);
    EXPECT_LT(std::fabs(r[5]), 1.0);        // |pole product| < 1
    EXPECT_LT(std::fabs(r[4]), 1.0 + r[5]); // stability triangle
  }
}

// The pairing example of scipy.signal.zpk2sos's documentation.
TEST(ZpkToSos, NearestPairingAsScipyDocExample) {
  Zpk zpk;
  zpk.z = {{-1.0, 0.0}, {-0.5, -0.5}, {-0.5, 0.5}};
  zpk.p = {{0.75, 0.0}, {0.8, 0.1}, {0.8, -0.1}};
  zpk.k = 1.0;
  auto sos = zpk_to_sos(zpk);
  ASSERT_TRUE(sos.ok()) << sos.error().message;
  expect_sos_near(*sos, {{1.0, 1.0, 0.5, 1.0, -0.75, 0.0}, {1.0, 1.0, 0.0, 1.0, -1.6, 0.65}});

  zpk.k = 2.0; // the gain scales the numerator of the first section only
  sos = zpk_to_sos(zpk);
  ASSERT_TRUE(sos.ok());
  expect_sos_near(*sos, {{2.0, 2.0, 1.0, 1.0, -0.75, 0.0}, {1.0, 1.0, 0.0, 1.0, -1.6, 0.65}});
}

TEST(ZpkToSos, EmptyZpkIsAGain) {
  Zpk zpk;
  zpk.k = 3.0;
  const auto sos = zpk_to_sos(zpk);
  ASSERT_TRUE(sos.ok());
  expect_sos_near(*sos, {{3.0, 0.0, 0.0, 1.0, 0.0, 0.0}});
}

TEST(ZpkToSos, RejectsUnpairedComplexValues) {
  Zpk zpk;
  zpk.z = {{0.0, 1.0}};
  zpk.p = {{0.5, 0.0}};
  const auto sos = zpk_to_sos(zpk);
  ASSERT_FALSE(sos.ok());
  EXPECT_EQ(sos.error().code, Errc::config);
  EXPECT_EQ(sos.error().message, "zpk has a complex zero without its conjugate");
}

TEST(IirDesignErrors, SamplingRate) {
  const auto d = make(FilterFamily::butter, BandType::lowpass, 2, {10.0});
  EXPECT_EQ(error_of(d, 0.0), "sampling rate must be a finite number > 0 Hz, got 0");
  EXPECT_EQ(error_of(d, -100.0), "sampling rate must be a finite number > 0 Hz, got -100");
  EXPECT_EQ(error_of(d, INFINITY), "sampling rate must be a finite number > 0 Hz, got inf");
}

TEST(IirDesignErrors, Order) {
  EXPECT_EQ(error_of(make(FilterFamily::butter, BandType::lowpass, 0, {10.0}), 1000.0), "order must be >= 1, got 0");
  EXPECT_EQ(error_of(make(FilterFamily::butter, BandType::lowpass, -3, {10.0}), 1000.0), "order must be >= 1, got -3");
  EXPECT_EQ(error_of(make(FilterFamily::butter, BandType::lowpass, 65, {10.0}), 1000.0), "order must be <= 64, got 65");
}

TEST(IirDesignErrors, Cutoffs) {
  using F = FilterFamily;
  using B = BandType;
  EXPECT_EQ(error_of(make(F::butter, B::lowpass, 4, {600.0}), 1000.0), "cutoff 600 Hz must be below Nyquist (500 Hz)");
  EXPECT_EQ(error_of(make(F::butter, B::highpass, 4, {500.0}), 1000.0), "cutoff 500 Hz must be below Nyquist (500 Hz)");
  EXPECT_EQ(error_of(make(F::butter, B::bandpass, 4, {10.0, 500.5}), 1000.0),
            "cutoff 500.5 Hz must be below Nyquist (500 Hz)");
  EXPECT_EQ(error_of(make(F::butter, B::lowpass, 4, {0.0}), 1000.0), "cutoff must be > 0 Hz, got 0");
  EXPECT_EQ(error_of(make(F::butter, B::highpass, 4, {-1.5}), 1000.0), "cutoff must be > 0 Hz, got -1.5");
  EXPECT_EQ(error_of(make(F::butter, B::lowpass, 4, {NAN}), 1000.0), "cutoff must be > 0 Hz, got nan");
  EXPECT_EQ(error_of(make(F::butter, B::lowpass, 4, {1.0, 20.0}), 1000.0), "lowpass needs exactly one cutoff, got 2");
  EXPECT_EQ(error_of(make(F::butter, B::highpass, 4, {}), 1000.0), "highpass needs exactly one cutoff, got 0");
  EXPECT_EQ(error_of(make(F::butter, B::bandpass, 4, {20.0, 10.0}), 1000.0),
            "bandpass needs cutoff [low, high] with 0 < low < high");
  EXPECT_EQ(error_of(make(F::butter, B::bandpass, 4, {10.0, 10.0}), 1000.0),
            "bandpass needs cutoff [low, high] with 0 < low < high");
  EXPECT_EQ(error_of(make(F::butter, B::bandpass, 4, {0.0, 10.0}), 1000.0),
            "bandpass needs cutoff [low, high] with 0 < low < high");
  EXPECT_EQ(error_of(make(F::butter, B::bandpass, 4, {10.0}), 1000.0),
            "bandpass needs cutoff [low, high] with 0 < low < high");
  EXPECT_EQ(error_of(make(F::butter, B::bandstop, 4, {1.0, 2.0, 3.0}), 1000.0),
            "bandstop needs cutoff [low, high] with 0 < low < high");
}

TEST(IirDesignErrors, RippleAndAttenuation) {
  using F = FilterFamily;
  using B = BandType;
  EXPECT_EQ(error_of(make(F::cheby1, B::lowpass, 4, {10.0}, 0.0), 1000.0), "cheby1 needs rp > 0");
  EXPECT_EQ(error_of(make(F::cheby1, B::lowpass, 4, {10.0}, -1.0), 1000.0), "cheby1 needs rp > 0");
  EXPECT_EQ(error_of(make(F::cheby2, B::lowpass, 4, {10.0}, 0.0, 0.0), 1000.0), "cheby2 needs rs > 0");
  EXPECT_EQ(error_of(make(F::ellip, B::lowpass, 4, {10.0}, 0.0, 40.0), 1000.0), "ellip needs rp > 0");
  EXPECT_EQ(error_of(make(F::ellip, B::lowpass, 4, {10.0}, 1.0, 0.0), 1000.0), "ellip needs rs > 0");
  EXPECT_EQ(error_of(make(F::ellip, B::lowpass, 4, {10.0}, 3.0, 3.0), 1000.0), "ellip needs rs > rp");
  EXPECT_EQ(error_of(make(F::ellip, B::lowpass, 4, {10.0}, 40.0, 20.0), 1000.0), "ellip needs rs > rp");
  EXPECT_EQ(error_of(make(F::cheby1, B::lowpass, 4, {10.0}, INFINITY), 1000.0), "rp must be finite, got inf");
  // Parameters a family ignores must still not be negative (scipy rejects them too).
  EXPECT_EQ(error_of(make(F::butter, B::lowpass, 4, {10.0}, -1.0), 1000.0), "rp must be >= 0 dB, got -1");
  EXPECT_EQ(error_of(make(F::cheby1, B::lowpass, 4, {10.0}, 1.0, -20.0), 1000.0), "rs must be >= 0 dB, got -20");
  // ... but are otherwise ignored, as in scipy.
  EXPECT_TRUE(design_iir_sos(make(F::butter, B::lowpass, 4, {10.0}, 3.0, 40.0), 1000.0).ok());
}

TEST(IirDesignErrors, NumericallyInfeasible) {
  // 10^(rs/10) overflows: scipy raises "Cannot design a filter with given rp and rs".
  EXPECT_EQ(error_of(make(FilterFamily::ellip, BandType::lowpass, 5, {100.0}, 0.1, 4000.0), 1000.0),
            "ellip order 5 with rp 0.1 dB, rs 4000 dB is numerically infeasible; lower rs or the order");
  // scipy returns a pole on the unit circle here; we refuse it.
  EXPECT_EQ(error_of(make(FilterFamily::cheby1, BandType::lowpass, 5, {100.0}, 300.0), 1000.0),
            "cheby1 lowpass of order 5 is numerically unstable (a pole lies on or outside the unit circle); "
            "lower the order or move the cutoff away from 0 and Nyquist");
}

} // namespace
