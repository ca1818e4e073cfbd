// Unit tests for the scipy.signal.firwin / get_window / zpk2tf compatible code (atoms/fir_design.cpp).
// Hand-checkable facts plus a few literals copied from scipy 1.10 (the python call is next to each);
// every input the designer refuses is checked with its message.

#include "dasflow/atoms/fir_design.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace {

using dasflow::Errc;
using dasflow::atoms::firwin;
using dasflow::atoms::FirWindow;
using dasflow::atoms::symmetric_window;
using dasflow::atoms::TransferFunction;
using dasflow::atoms::Zpk;
using dasflow::atoms::zpk_to_tf;

// numpy's SIMD sin/cos differ from libm in the last ulps, so scipy literals match to ~1e-16, not bitwise.
constexpr double kTol = 1e-15;

std::vector<double> window(const std::string& name, std::size_t n, double beta = 0.0) {
  auto r = symmetric_window(FirWindow{name, beta}, n);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : std::vector<double>{};
}

std::vector<double> taps(std::size_t numtaps, std::vector<double> cutoff, FirWindow w, bool pass_zero, double fs) {
  auto r = firwin(numtaps, cutoff, w, pass_zero, fs);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? r.value() : std::vector<double>{};
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol = kTol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "index " << i;
}

std::string firwin_error(std::size_t numtaps, std::vector<double> cutoff, FirWindow w, bool pass_zero, double fs) {
  auto r = firwin(numtaps, cutoff, w, pass_zero, fs);
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().code, Errc::config);
  return r.error().message;
}

std::string window_error(const FirWindow& w, std::size_t n) {
  auto r = symmetric_window(w, n);
  if (r.ok()) return "<accepted>";
  EXPECT_EQ(r.error().code, Errc::config);
  return r.error().message;
}

// --- windows ------------------------------------------------------------------------------------

TEST(SymmetricWindow, BoxcarAndAliasesAreAllOnes) {
  for (const char* name : {"boxcar", "rectangular", "box", "ones", "rect"})
    for (double v : window(name, 7))
      EXPECT_EQ(v, 1.0) << name;
}

TEST(SymmetricWindow, LengthsZeroAndOne) {
  // scipy _len_guards: ones(M) for M <= 1, whatever the window.
  for (const char* name : {"hamming", "hann", "blackman", "boxcar", "bartlett", "triang"}) {
    EXPECT_TRUE(window(name, 0).empty()) << name;
    EXPECT_EQ(window(name, 1), std::vector<double>{1.0}) << name;
  }
  EXPECT_TRUE(window("kaiser", 0, 5.0).empty());
  EXPECT_EQ(window("kaiser", 1, 5.0), std::vector<double>{1.0});
}

TEST(SymmetricWindow, Hamming5) {
  // 0.54 - 0.46 cos(2 pi n / 4); scipy prints 0.08000000000000007 at the ends.
  expect_near(window("hamming", 5), {0.08, 0.54, 1.0, 0.54, 0.08});
  expect_near(window("hamm", 5), window("hamming", 5), 0.0);
}

TEST(SymmetricWindow, HannBlackmanBartlettTriang) {
  expect_near(window("hann", 5), {0.0, 0.5, 1.0, 0.5, 0.0});
  expect_near(window("hanning", 5), window("hann", 5), 0.0); // numpy's name, accepted as an alias
  // 0.42 - 0.5 cos(x) + 0.08 cos(2x) at x = -pi, -pi/2, 0: 0, 0.34, 1.
  expect_near(window("blackman", 5), {0.0, 0.34, 1.0, 0.34, 0.0});
  expect_near(window("bartlett", 5), {0.0, 0.5, 1.0, 0.5, 0.0});
  expect_near(window("bartlett", 4), {0.0, 2.0 / 3.0, 2.0 / 3.0, 0.0});
  // triang does not reach zero: 2n/(M+1) for odd M, (2n-1)/M for even M.
  expect_near(window("triang", 5), {1.0 / 3.0, 2.0 / 3.0, 1.0, 2.0 / 3.0, 1.0 / 3.0});
  expect_near(window("triang", 4), {0.25, 0.75, 0.75, 0.25});
}

TEST(SymmetricWindow, Kaiser) {
  for (double v : window("kaiser", 9, 0.0))
    EXPECT_EQ(v, 1.0); // I0(0) / I0(0)
  // Ends are I0(0) / I0(beta) = 1 / I0(1), I0(1) = 1.2660658777520082.
  // scipy.signal.get_window(('kaiser', 1.0), 3, fftbins=False) -> [0.7898483148251121, 1.0, 0.7898483148251121]
  expect_near(window("kaiser", 3, 1.0), {0.7898483148251121, 1.0, 0.7898483148251121});
  const auto w = window("kaiser", 64, 8.6);
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_EQ(w[i], w[w.size() - 1 - i]);
}

// --- firwin -------------------------------------------------------------------------------------

TEST(Firwin, LowpassTapsSumToOne) {
  for (const FirWindow& w : {FirWindow{"hamming"}, FirWindow{"hann"}, FirWindow{"blackman"}, FirWindow{"boxcar"},
                             FirWindow{"bartlett"}, FirWindow{"triang"}, FirWindow{"kaiser", 8.6}})
    for (std::size_t n : {1u, 4u, 31u, 32u, 201u}) {
      const auto h = taps(n, {120.0}, w, true, 1000.0);
      double s = 0.0;
      for (double v : h)
        s += v;
      EXPECT_NEAR(s, 1.0, 1e-14) << w.name << " " << n;
      // Linear phase: symmetric up to rounding (scipy's linspace-based windows are not bitwise symmetric).
      for (std::size_t i = 0; i < h.size(); ++i)
        EXPECT_NEAR(h[i], h[h.size() - 1 - i], 1e-15) << "linear phase";
    }
}

TEST(Firwin, HighpassHasUnitGainAtNyquist) {
  const auto h = taps(33, {300.0}, FirWindow{"hamming"}, false, 1000.0);
  double s = 0.0;
  for (std::size_t i = 0; i < h.size(); ++i)
    s += (i % 2 == 0 ? 1.0 : -1.0) * h[i]; // centre index 16 is even
  EXPECT_NEAR(s, 1.0, 1e-14);
}

TEST(Firwin, ScipyLiterals) {
  // scipy.signal.firwin(3, 100.0, fs=1000.0)
  expect_near(taps(3, {100.0}, FirWindow{}, true, 1000.0),
              {0.06509572604187305, 0.869808547916254, 0.06509572604187305});
  // scipy.signal.firwin(3, 0.1)  (fs defaults to 2)
  expect_near(taps(3, {0.1}, FirWindow{}, true, 2.0), {0.06799016673899752, 0.8640196665220049, 0.06799016673899752});
  // scipy.signal.firwin(3, [100.0, 200.0], pass_zero=False, fs=1000.0)
  expect_near(taps(3, {100.0, 200.0}, FirWindow{}, false, 1000.0),
              {0.043867870204081796, 0.9484302256891207, 0.043867870204081796});
  // scipy.signal.firwin(5, 100.0, window=('kaiser', 8.6), fs=1000.0)
  expect_near(
      taps(5, {100.0}, FirWindow{"kaiser", 8.6}, true, 1000.0),
      {0.0006153461106371644, 0.19429939576767782, 0.6101705162433699, 0.19429939576767782, 0.0006153461106371644});
}

TEST(Firwin, SingleTap) {
  EXPECT_EQ(taps(1, {100.0}, FirWindow{}, true, 1000.0), std::vector<double>{1.0});
  EXPECT_EQ(taps(1, {100.0}, FirWindow{}, false, 1000.0), std::vector<double>{1.0});
}

TEST(Firwin, EvenTapsAllowedWhenNyquistIsStopped) {
  EXPECT_EQ(taps(32, {100.0}, FirWindow{}, true, 1000.0).size(), 32u);                      // lowpass
  EXPECT_EQ(taps(32, {100.0, 200.0}, FirWindow{}, false, 1000.0).size(), 32u);              // bandpass
  EXPECT_EQ(taps(32, {50.0, 100.0, 200.0, 300.0}, FirWindow{}, false, 1000.0).size(), 32u); // two passbands
}

TEST(Firwin, Rejections) {
  const FirWindow ham{};
  EXPECT_EQ(firwin_error(0, {100.0}, ham, true, 1000.0), "numtaps must be >= 1, got 0");
  EXPECT_EQ(firwin_error(31, {100.0}, ham, true, 0.0), "sampling rate must be a finite number > 0 Hz, got 0");
  EXPECT_EQ(firwin_error(31, {100.0}, ham, true, -1000.0), "sampling rate must be a finite number > 0 Hz, got -1000");
  EXPECT_EQ(firwin_error(31, {100.0}, ham, true, std::numeric_limits<double>::quiet_NaN()),
            "sampling rate must be a finite number > 0 Hz, got nan");
  EXPECT_EQ(firwin_error(31, {}, ham, true, 1000.0), "at least one cutoff frequency must be given");
  const std::string range = "cutoff frequencies must be greater than 0 and less than fs/2 = 500 Hz, got ";
  EXPECT_EQ(firwin_error(31, {0.0}, ham, true, 1000.0), range + "0 Hz");
  EXPECT_EQ(firwin_error(31, {-10.0}, ham, true, 1000.0), range + "-10 Hz");
  EXPECT_EQ(firwin_error(31, {500.0}, ham, true, 1000.0), range + "500 Hz");
  EXPECT_EQ(firwin_error(31, {100.0, 600.0}, ham, false, 1000.0), range + "600 Hz");
  EXPECT_EQ(firwin_error(31, {std::numeric_limits<double>::quiet_NaN()}, ham, true, 1000.0), range + "nan Hz");
  EXPECT_EQ(firwin_error(31, {200.0, 100.0}, ham, false, 1000.0),
            "cutoff frequencies must be strictly increasing, got 200 Hz then 100 Hz");
  EXPECT_EQ(firwin_error(31, {100.0, 100.0}, ham, false, 1000.0),
            "cutoff frequencies must be strictly increasing, got 100 Hz then 100 Hz");
  // Passbands touching Nyquist: highpass, bandstop, three edges without pass_zero.
  EXPECT_EQ(firwin_error(32, {100.0}, ham, false, 1000.0),
            "numtaps must be odd for a filter that passes the Nyquist frequency, got 32");
  EXPECT_EQ(firwin_error(32, {100.0, 200.0}, ham, true, 1000.0),
            "numtaps must be odd for a filter that passes the Nyquist frequency, got 32");
  EXPECT_EQ(firwin_error(2, {100.0, 200.0, 300.0}, ham, false, 1000.0),
            "numtaps must be odd for a filter that passes the Nyquist frequency, got 2");
  // Window errors surface through firwin.
  EXPECT_EQ(firwin_error(31, {100.0}, FirWindow{"nuttall"}, true, 1000.0),
            "unknown window 'nuttall' (expected hamming, hann, blackman, boxcar, bartlett, triang or kaiser)");
  EXPECT_EQ(firwin_error(31, {100.0}, FirWindow{"kaiser", -1.0}, true, 1000.0),
            "kaiser window needs beta >= 0, got -1");
  // hann(2) = [0, 0]: scipy divides 0 by 0 and returns [nan, nan].
  EXPECT_EQ(firwin_error(2, {100.0}, FirWindow{"hann"}, true, 1000.0),
            "window 'hann' with numtaps 2 gives a filter with zero gain at its scaling frequency (scipy returns NaN "
            "taps)");
  EXPECT_EQ(firwin_error(2, {100.0}, FirWindow{"bartlett"}, true, 1000.0),
            "window 'bartlett' with numtaps 2 gives a filter with zero gain at its scaling frequency (scipy returns "
            "NaN taps)");
}

TEST(SymmetricWindow, Rejections) {
  const std::string expected = " (expected hamming, hann, blackman, boxcar, bartlett, triang or kaiser)";
  EXPECT_EQ(window_error(FirWindow{"Hamming"}, 5), "unknown window 'Hamming'" + expected); // scipy is case-sensitive
  EXPECT_EQ(window_error(FirWindow{""}, 5), "unknown window ''" + expected);
  EXPECT_EQ(window_error(FirWindow{"kaiser", -0.5}, 5), "kaiser window needs beta >= 0, got -0.5");
  EXPECT_EQ(window_error(FirWindow{"kaiser", std::numeric_limits<double>::quiet_NaN()}, 5),
            "kaiser window needs beta >= 0, got nan");
  EXPECT_EQ(window_error(FirWindow{"kaiser", 710.0}, 5),
            "kaiser beta must be <= 709 (scipy's I0(beta) overflows and its window turns NaN), got 710");
  EXPECT_EQ(window_error(FirWindow{"kaiser", std::numeric_limits<double>::infinity()}, 5),
            "kaiser beta must be <= 709 (scipy's I0(beta) overflows and its window turns NaN), got inf");
  EXPECT_EQ(window_error(FirWindow{"hamming", 2.0}, 5), "window 'hamming' takes no beta, got 2");
  // Errors come before the length guard, as in scipy (get_window resolves the name first).
  EXPECT_EQ(window_error(FirWindow{"nope"}, 0), "unknown window 'nope'" + expected);
}

// --- zpk_to_tf ----------------------------------------------------------------------------------

TEST(ZpkToTf, ConjugatePairGivesRealQuadratic) {
  const std::complex<double> r(0.5, 0.25);
  Zpk zpk;
  zpk.z = {r, std::conj(r)};
  zpk.p = {std::conj(r), r}; // order does not matter for the pairing
  zpk.k = 2.0;
  const TransferFunction tf = zpk_to_tf(zpk);
  // (x - r)(x - conj r) = x^2 - 2 Re(r) x + |r|^2; 0.5^2 + 0.25^2 = 0.3125 exactly.
  EXPECT_EQ(tf.b, (std::vector<double>{2.0, -2.0, 0.625}));
  EXPECT_EQ(tf.a, (std::vector<double>{1.0, -1.0, 0.3125}));
}

TEST(ZpkToTf, RealRootsAndEmpty) {
  Zpk zpk;
  zpk.z = {-1.0, -1.0};
  zpk.p = {0.5};
  zpk.k = 0.25;
  TransferFunction tf = zpk_to_tf(zpk);
  EXPECT_EQ(tf.b, (std::vector<double>{0.25, 0.5, 0.25}));
  EXPECT_EQ(tf.a, (std::vector<double>{1.0, -0.5}));

  // numpy.poly([]) is 1.0, so b = [k] and a = [1].
  tf = zpk_to_tf(Zpk{{}, {}, 3.0});
  EXPECT_EQ(tf.b, std::vector<double>{3.0});
  EXPECT_EQ(tf.a, std::vector<double>{1.0});
}

TEST(ZpkToTf, HighestPowerFirst) {
  // (x - 1)(x - 2)(x - 3) = x^3 - 6x^2 + 11x - 6.
  const TransferFunction tf = zpk_to_tf(Zpk{{1.0, 2.0, 3.0}, {}, 1.0});
  EXPECT_EQ(tf.b, (std::vector<double>{1.0, -6.0, 11.0, -6.0}));
}

} // namespace
