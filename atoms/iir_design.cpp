#include "dasflow/atoms/iir_design.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <optional>
#include <utility>

namespace dasflow::atoms {

namespace {

using cplx = std::complex<double>;
constexpr double kPi = std::numbers::pi;

// ---------------------------------------------------------------------------------------------
// Arithmetic in numpy's operation order.
//
// scipy's results depend on how numpy evaluates complex expressions, down to the sign of zero
// imaginary parts: lp2bp_zpk/lp2bs_zpk take sqrt(z**2 - wo**2) of values lying on the negative
// real axis, where the sign of the zero imaginary part picks the branch and therefore the order
// of the two halves of the pole/zero arrays. So mixed real/complex operations are written out the
// way numpy does them: the real operand is promoted to (x, +0) and the full complex formula runs.
// ---------------------------------------------------------------------------------------------

/// numpy complex multiply (textbook formula, no special cases).
cplx c_mul(cplx a, cplx b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}

/// numpy complex divide (Smith's method with a reciprocal, as numpy's loops and scalar math do).
cplx c_div(cplx a, cplx b) {
  const double ar = a.real(), ai = a.imag(), br = b.real(), bi = b.imag();
  if (std::fabs(br) >= std::fabs(bi)) {
    if (br == 0.0 && bi == 0.0) return {ar / std::fabs(br), ai / std::fabs(br)};
    const double rat = bi / br;
    const double scl = 1.0 / (br + bi * rat);
    return {(ar + ai * rat) * scl, (ai - ar * rat) * scl};
  }
  const double rat = br / bi;
  const double scl = 1.0 / (bi + br * rat);
  return {(ar * rat + ai) * scl, (ai * rat - ar) * scl};
}

cplx c_add(cplx a, cplx b) { return {a.real() + b.real(), a.imag() + b.imag()}; }
cplx c_sub(cplx a, cplx b) { return {a.real() - b.real(), a.imag() - b.imag()}; }
cplx c_neg(cplx a) { return {-a.real(), -a.imag()}; }
cplx c_conj(cplx a) { return {a.real(), -a.imag()}; }
cplx promote(double x) { return {x, 0.0}; }

/// Shortest round-trip text of a double ("600", "0.45", "nan") for error messages.
std::string fmt(double x) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

/// A numpy 1-D array of float64 or complex128: the dtype decides between real and complex
/// arithmetic (e.g. float division x/y vs Smith's complex division), which changes last bits.
struct Arr {
  std::vector<cplx> v;
  bool cx = true;
};

/// numpy `x * s` (or `s * x`) for a Python float s.
Arr scale(const Arr& a, double s) {
  Arr r{{}, a.cx};
  r.v.reserve(a.v.size());
  for (const cplx& x : a.v)
    r.v.push_back(a.cx ? c_mul(x, promote(s)) : promote(x.real() * s));
  return r;
}

/// numpy `s / x` for a Python float s.
Arr rdiv(double s, const Arr& a) {
  Arr r{{}, a.cx};
  r.v.reserve(a.v.size());
  for (const cplx& x : a.v)
    r.v.push_back(a.cx ? c_div(promote(s), x) : promote(s / x.real()));
  return r;
}

Arr negate(const Arr& a) {
  Arr r{{}, a.cx};
  r.v.reserve(a.v.size());
  for (const cplx& x : a.v)
    r.v.push_back(c_neg(x));
  return r;
}

/// numpy.prod (multiply.reduce: sequential from the first element; 1.0 for an empty array).
/// numpy's complex reduce loop may be compiled with FMA contraction, so the last bit of a gain
/// can differ; nothing downstream branches on gains.
std::pair<cplx, bool> prod(const Arr& a) {
  if (a.v.empty()) return {promote(1.0), a.cx};
  cplx acc = a.v.front();
  for (std::size_t i = 1; i < a.v.size(); ++i)
    acc = a.cx ? c_mul(acc, a.v[i]) : promote(acc.real() * a.v[i].real());
  return {acc, a.cx};
}

/// real(prod(num) / prod(den)) with numpy's dtype promotion for the division.
double prod_ratio_real(const Arr& num, const Arr& den) {
  const auto [n, ncx] = prod(num);
  const auto [d, dcx] = prod(den);
  if (!ncx && !dcx) return n.real() / d.real();
  return c_div(n, d).real();
}

// ---------------------------------------------------------------------------------------------
// Complete elliptic integral and Jacobi elliptic functions (parameter m = k^2 convention, as
// scipy.special.ellipk / ellipj).
// ---------------------------------------------------------------------------------------------

/// K(m) as a function of the complementary parameter m1 = 1 - m, the way cephes ellpk (S. L.
/// Moshier) computes it for scipy.special.ellipk/ellipkm1: K = P(m1) - log(m1) Q(m1) with two
/// degree-10 minimax polynomials (relative error <= 2.5e-16), log(4) - log(m1)/2 below MACHEP.
/// An AGM evaluation is as accurate but differs in the last ulp about half the time, and the
/// elliptic degree equation amplifies that ulp enormously when m -> 1 (rp = 6 dB, rs = 10 dB,
/// N = 10 designs differed from scipy by 1e-7 with the AGM; they agree to 1e-10 with this).
double ellipk_from_m1(double m1) {
  static constexpr std::array<double, 11> kP = {
      1.37982864606273237150e-4, 2.28025724005875567385e-3, 7.97404013220415179367e-3, 9.85821379021226008714e-3,
      6.87489687449949877925e-3, 6.18901033637687613229e-3, 8.79078273952743772254e-3, 1.49380448916805252718e-2,
      3.08851465246711995998e-2, 9.65735902811690126535e-2, 1.38629436111989062502e0};
  static constexpr std::array<double, 11> kQ = {
      2.94078955048598507511e-5, 9.14184723865917226571e-4, 5.94058303753167793257e-3, 1.54850516649762399335e-2,
      2.39089602715924892727e-2, 3.01204715227604046988e-2, 3.73774314173823228969e-2, 4.88280347570998239232e-2,
      7.03124996963957469739e-2, 1.24999999999870820058e-1, 4.99999999999999999821e-1};
  constexpr double kMachEp = 1.11022302462515654042e-16;
  constexpr double kLog4 = 1.3862943611198906188;
  if (!(m1 > 0.0)) return INFINITY; // m == 1 (or NaN): logarithmic singularity
  if (m1 > 1.0) return NAN;         // m < 0 never occurs here
  if (m1 <= kMachEp) return kLog4 - 0.5 * std::log(m1);
  double p = kP[0], q = kQ[0];
  for (std::size_t i = 1; i < kP.size(); ++i) { // Horner, as cephes polevl
    p = p * m1 + kP[i];
    q = q * m1 + kQ[i];
  }
  return p - std::log(m1) * q;
}

/// scipy.special.ellipk(m).
double ellipk(double m) { return ellipk_from_m1(1.0 - m); }

/// scipy.special.ellipkm1(p) = K(1 - p).
double ellipkm1(double p) { return ellipk_from_m1(p); }

struct Jacobi {
  double sn, cn, dn;
};

/// scipy.special.ellipj(u, m) for real u, 0 <= m <= 1: cephes ellpj's algorithm (AGM scale, then
/// descending Landen back-recurrence on the amplitude), with its two series branches for m
/// within 1e-9 of 0 and 1e-10 of 1. Same operations as scipy: sn and cn come out bit-identical,
/// dn within a few ulps (dn = cn / cos(phi - prev) is ill-conditioned near u = K).
Jacobi ellipj(double u, double m) {
  constexpr double kMachEp = 1.11022302462515654042e-16; // 2^-53 as cephes MACHEP
  if (m < 1.0e-9) {
    const double t = std::sin(u), b = std::cos(u);
    const double ai = 0.25 * m * (u - t * b);
    return {t - ai * b, b + ai * t, 1.0 - 0.5 * m * t * t};
  }
  if (m >= 0.9999999999) {
    double ai = 0.25 * (1.0 - m);
    const double b = std::cosh(u), t = std::tanh(u);
    const double phi = 1.0 / b;
    const double twon = b * std::sinh(u);
    const double sn = t + ai * (twon - u) / (b * b);
    ai *= t * phi;
    return {sn, phi - ai * (twon - u), phi + ai * (twon + u)};
  }
  std::array<double, 9> a{}, c{};
  a[0] = 1.0;
  double b = std::sqrt(1.0 - m);
  c[0] = std::sqrt(m);
  double twon = 1.0;
  std::size_t i = 0;
  while (std::fabs(c[i] / a[i]) > kMachEp && i < 8) {
    const double ai = a[i];
    ++i;
    c[i] = (ai - b) / 2.0;
    const double t = std::sqrt(ai * b);
    a[i] = (ai + b) / 2.0;
    b = t;
    twon *= 2.0;
  }
  double phi = twon * a[i] * u;
  double prev = phi;
  do {
    const double t = c[i] * std::sin(phi) / a[i];
    prev = phi;
    phi = (std::asin(t) + phi) / 2.0;
  } while (--i > 0);
  const double cn = std::cos(phi);
  return {std::sin(phi), cn, cn / std::cos(phi - prev)};
}

/// 10**x - 1 accurate near 0, as scipy's _pow10m1 = expm1(_POW10_LOG10 * x).
/// _POW10_LOG10 is np.log(10), which numpy's SIMD log returns one ulp below the correctly rounded
/// ln 10 (2.302585092994046). The same constant is used here because for high orders the degree
/// equation turns a one-ulp change of eps^2 into a ~1e-11 relative change of the poles.
double pow10m1(double x) {
  constexpr double kNumpyLn10 = 2.3025850929940455;
  return std::expm1(kNumpyLn10 * x);
}

/// Sum of exactly 8 terms in numpy's pairwise order (np.sum of an 8-element float64 array).
double sum8(const std::array<double, 8>& r) {
  return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
}

/// scipy _ellipdeg: solves the degree equation n K(m)/K'(m) = K(m1)/K'(m1) for m with nome
/// series (Orfanidis, "Lecture notes on elliptic filter design", eq. 49), 8 terms like scipy.
double ellipdeg(int n, double m1) {
  const double k1 = ellipk(m1);
  const double k1p = ellipkm1(m1);
  const double q1 = std::exp(-kPi * k1p / k1);
  const double q = std::pow(q1, 1.0 / n);
  std::array<double, 8> num{}, den{};
  for (int j = 0; j < 8; ++j) {
    num[static_cast<std::size_t>(j)] = std::pow(q, static_cast<double>(j * (j + 1)));
    den[static_cast<std::size_t>(j)] = std::pow(q, static_cast<double>((j + 1) * (j + 1)));
  }
  const double ratio = sum8(num) / (1.0 + 2.0 * sum8(den));
  return 16.0 * q * std::pow(ratio, 4.0);
}

/// sqrt((1 - k)(1 + k)) for real k, as scipy's _complement inside _arc_jac_sn.
double complement(double k) { return std::sqrt((1.0 - k) * (1.0 + k)); }

/// The same for complex k; numpy evaluates `** 0.5` on complex scalars with cpow, not csqrt.
cplx complement(cplx k) {
  const cplx prod_ = c_mul(c_sub(promote(1.0), k), c_add(promote(1.0), k));
  return std::pow(prod_, cplx(0.5, 0.0));
}

/// scipy _arc_jac_sn: inverse of w = sn(z, m) for complex w by descending Landen transformations
/// (Orfanidis eq. 56). Returns nullopt where scipy raises.
std::optional<cplx> arc_jac_sn(cplx w, double m) {
  const double k = std::sqrt(m);
  if (!(k < 1.0)) return std::nullopt; // k == 1 (atanh) cannot occur: ellip requires rs > rp
  std::vector<double> ks{k};
  while (ks.back() != 0.0) {
    const double kp = complement(ks.back());
    ks.push_back((1.0 - kp) / (1.0 + kp));
    if (ks.size() > 11) return std::nullopt; // scipy's _ARC_JAC_SN_MAXITER = 10
  }
  double kprod = 1.0 + ks[1];
  for (std::size_t i = 2; i < ks.size(); ++i)
    kprod *= 1.0 + ks[i];
  const double big_k = kprod * kPi / 2.0;
  cplx wn = w;
  for (std::size_t i = 0; i + 1 < ks.size(); ++i) {
    const cplx denom = c_mul(promote(1.0 + ks[i + 1]), c_add(promote(1.0), complement(c_mul(promote(ks[i]), wn))));
    wn = c_div(c_mul(promote(2.0), wn), denom);
  }
  const cplx u = c_mul(promote(2.0 / kPi), std::asin(wn));
  return c_mul(promote(big_k), u);
}

/// scipy _arc_jac_sc1: real z with w = sc(z, 1 - m), via sc(z, m) = -i sn(i z, 1 - m).
std::optional<double> arc_jac_sc1(double w, double m) {
  const auto zc = arc_jac_sn(cplx(0.0, w), m);
  if (!zc || std::fabs(zc->real()) > 1e-14) return std::nullopt;
  return zc->imag();
}

// ---------------------------------------------------------------------------------------------
// Analog lowpass prototypes (cutoff 1 rad/s), scipy buttap / cheb1ap / cheb2ap / ellipap.
// ---------------------------------------------------------------------------------------------

struct Proto {
  Arr z, p;
  double k = 1.0;
};

/// -exp(1j * pi * m / (2N)) for m = -N+1, -N+3, ..., N-1, evaluated as numpy does
/// ((1j*pi) * m is a complex array, then a complex division by 2N).
std::vector<cplx> unit_circle_poles(int n) {
  std::vector<cplx> out;
  const cplx jpi = c_mul(cplx(0.0, 1.0), promote(kPi));
  for (int m = -n + 1; m < n; m += 2) {
    const cplx arg = c_div(c_mul(jpi, promote(static_cast<double>(m))), promote(2.0 * n));
    out.push_back(c_neg(std::exp(arg)));
  }
  return out;
}

Proto buttap(int n) {
  Proto r;
  r.z.cx = false;
  r.p.v = unit_circle_poles(n);
  r.k = 1.0;
  return r;
}

Proto cheb1ap(int n, double rp) {
  Proto r;
  r.z.cx = false;
  const double eps = std::sqrt(std::pow(10.0, 0.1 * rp) - 1.0);
  const double mu = 1.0 / n * std::asinh(1.0 / eps);
  for (int m = -n + 1; m < n; m += 2) {
    const double theta = kPi * m / (2 * n);
    r.p.v.push_back(c_neg(std::sinh(cplx(mu, theta))));
  }
  r.k = prod(negate(r.p)).first.real();
  if (n % 2 == 0) r.k = r.k / std::sqrt(1.0 + eps * eps);
  return r;
}

Proto cheb2ap(int n, double rs) {
  Proto r;
  const double de = 1.0 / std::sqrt(std::pow(10.0, 0.1 * rs) - 1.0);
  const double mu = std::asinh(1.0 / de) / n;
  // Zeros on the imaginary axis, skipping m = 0 for odd N: -conj(1j / sin(m pi / 2N)).
  for (int m = -n + 1; m < n; m += 2) {
    if (m == 0) continue;
    const double s = std::sin(m * kPi / (2.0 * n));
    r.z.v.push_back(c_neg(c_conj(c_div(cplx(0.0, 1.0), promote(s)))));
  }
  // Butterworth circle squeezed into the Chebyshev ellipse, then inverted.
  const double sh = std::sinh(mu);
  const cplx jch = c_mul(cplx(0.0, 1.0), promote(std::cosh(mu)));
  for (const cplx& b : unit_circle_poles(n)) {
    const cplx warped = c_add(promote(sh * b.real()), c_mul(jch, promote(b.imag())));
    r.p.v.push_back(c_div(promote(1.0), warped));
  }
  r.k = prod_ratio_real(negate(r.p), negate(r.z));
  return r;
}

Result<Proto> ellipap(int n, double rp, double rs) {
  Proto r;
  if (n == 1) {
    // First order: a single real pole; scipy returns it in a float array.
    const double p = -std::sqrt(1.0 / pow10m1(0.1 * rp));
    r.z.cx = false;
    r.p.cx = false;
    r.p.v.push_back(promote(p));
    r.k = -p;
    return r;
  }
  const double eps_sq = pow10m1(0.1 * rp);
  const double eps = std::sqrt(eps_sq);
  const double ck1_sq = eps_sq / pow10m1(0.1 * rs);
  const auto infeasible = [&] {
    return fail(Errc::config, "ellip order " + std::to_string(n) + " with rp " + fmt(rp) + " dB, rs " + fmt(rs) +
                                  " dB is numerically infeasible; lower rs or the order");
  };
  if (!(ck1_sq > 0.0) || !std::isfinite(ck1_sq)) return infeasible();
  const double k1 = ellipk(ck1_sq);
  const double m = ellipdeg(n, ck1_sq);
  const double capk = ellipk(m);
  if (!std::isfinite(m) || !(m > 0.0) || !(m < 1.0) || !std::isfinite(capk)) return infeasible();

  std::vector<Jacobi> scd;
  for (int j = 1 - n % 2; j < n; j += 2)
    scd.push_back(ellipj(j * capk / n, m));

  constexpr double kEpsilon = 2e-16; // scipy's EPSILON for dropping the sn == 0 zero (odd N)
  std::vector<cplx> zpos;
  for (const Jacobi& e : scd) {
    if (!(std::fabs(e.sn) > kEpsilon)) continue;
    const double zi = 1.0 / (std::sqrt(m) * e.sn);
    zpos.push_back(c_mul(cplx(0.0, 1.0), promote(zi)));
  }
  r.z.v = zpos;
  for (const cplx& z : zpos)
    r.z.v.push_back(c_conj(z));

  const auto sc = arc_jac_sc1(1.0 / eps, ck1_sq);
  if (!sc) return infeasible();
  const double v0 = capk * *sc / (n * k1);
  const Jacobi v = ellipj(v0, 1.0 - m);

  std::vector<cplx> p;
  for (const Jacobi& e : scd) {
    // -(c d sv cv + 1j s dv) / (1 - (d sv)^2)
    const double re = e.cn * e.dn * v.sn * v.cn;
    const cplx im = c_mul(c_mul(cplx(0.0, 1.0), promote(e.sn)), promote(v.dn));
    const cplx num = c_neg(c_add(promote(re), im));
    const double dsv = e.dn * v.sn;
    p.push_back(c_div(num, promote(1.0 - dsv * dsv)));
  }
  r.p.v = p;
  if (n % 2 == 1) {
    // Only the non-real poles get a conjugate partner; the real one (sn == 0) stays single.
    cplx ss{0.0, 0.0};
    for (const cplx& x : p)
      ss = c_add(ss, c_mul(x, c_conj(x)));
    const double thr = kEpsilon * std::sqrt(ss.real());
    for (const cplx& x : p)
      if (std::fabs(x.imag()) > thr) r.p.v.push_back(c_conj(x));
  } else {
    for (const cplx& x : p)
      r.p.v.push_back(c_conj(x));
  }
  r.k = prod_ratio_real(negate(r.p), negate(r.z));
  if (n % 2 == 0) r.k = r.k / std::sqrt(1.0 + eps_sq);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Frequency transforms and bilinear transform, scipy lp2lp_zpk / lp2hp_zpk / lp2bp_zpk /
// lp2bs_zpk / bilinear_zpk.
// ---------------------------------------------------------------------------------------------

Arr append(Arr a, const cplx& value, std::size_t count, bool value_is_complex) {
  a.cx = a.cx || value_is_complex;
  a.v.insert(a.v.end(), count, value);
  return a;
}

std::size_t relative_degree(const Proto& f) { return f.p.v.size() - f.z.v.size(); }

Proto lp2lp(const Proto& f, double wo) {
  const std::size_t degree = relative_degree(f);
  return {scale(f.z, wo), scale(f.p, wo), f.k * std::pow(wo, static_cast<double>(degree))};
}

Proto lp2hp(const Proto& f, double wo) {
  const std::size_t degree = relative_degree(f);
  Proto r;
  r.z = append(rdiv(wo, f.z), promote(0.0), degree, false); // zeros at infinity move to the origin
  r.p = rdiv(wo, f.p);
  r.k = f.k * prod_ratio_real(negate(f.z), negate(f.p));
  return r;
}

/// Moves baseband values x to the band edges around +-wo, in scipy's array order:
/// [x + sqrt(x^2 - wo^2) for all x] followed by [x - sqrt(x^2 - wo^2) for all x].
std::vector<cplx> band_shift(const std::vector<cplx>& xs, double wo) {
  std::vector<cplx> plus, minus;
  const double wo2 = wo * wo;
  for (const cplx& x : xs) {
    const cplx s = std::sqrt(c_sub(c_mul(x, x), promote(wo2)));
    plus.push_back(c_add(x, s));
    minus.push_back(c_sub(x, s));
  }
  plus.insert(plus.end(), minus.begin(), minus.end());
  return plus;
}

/// numpy `x * bw / 2` (evaluated left to right) for a float or complex array.
Arr half_scale(const Arr& a, double bw) {
  Arr r{{}, a.cx};
  for (const cplx& x : a.v)
    r.v.push_back(a.cx ? c_div(c_mul(x, promote(bw)), promote(2.0)) : promote(x.real() * bw / 2.0));
  return r;
}

Proto lp2bp(const Proto& f, double wo, double bw) {
  const std::size_t degree = relative_degree(f);
  Proto r;
  r.z.v = band_shift(half_scale(f.z, bw).v, wo);
  r.p.v = band_shift(half_scale(f.p, bw).v, wo);
  r.z = append(r.z, promote(0.0), degree, false); // half the zeros at infinity go to the origin
  r.k = f.k * std::pow(bw, static_cast<double>(degree));
  return r;
}

Proto lp2bs(const Proto& f, double wo, double bw) {
  const std::size_t degree = relative_degree(f);
  Proto r;
  r.z.v = band_shift(rdiv(bw / 2.0, f.z).v, wo);
  r.p.v = band_shift(rdiv(bw / 2.0, f.p).v, wo);
  // Zeros at infinity move to the centre of the stop band, +j wo then -j wo (Python complex
  // scalars 1j*wo and -1j*wo: both have a +0 real part).
  r.z = append(r.z, cplx(0.0, wo), degree, true);
  r.z = append(r.z, cplx(0.0, -wo), degree, true);
  r.k = f.k * prod_ratio_real(negate(f.z), negate(f.p));
  return r;
}

Proto bilinear(const Proto& f, double fs) {
  const std::size_t degree = relative_degree(f);
  const double fs2 = 2.0 * fs;
  const auto map = [fs2](const Arr& a, Arr& plus, Arr& minus) {
    Arr out{{}, a.cx};
    plus = Arr{{}, a.cx};
    minus = Arr{{}, a.cx};
    for (const cplx& x : a.v) {
      if (a.cx) {
        const cplx num = c_add(promote(fs2), x), den = c_sub(promote(fs2), x);
        plus.v.push_back(num);
        minus.v.push_back(den);
        out.v.push_back(c_div(num, den));
      } else {
        const double num = fs2 + x.real(), den = fs2 - x.real();
        plus.v.push_back(promote(num));
        minus.v.push_back(promote(den));
        out.v.push_back(promote(num / den));
      }
    }
    return out;
  };
  Proto r;
  Arr zp, zm, pp, pm;
  r.z = map(f.z, zp, zm);
  r.p = map(f.p, pp, pm);
  r.z = append(r.z, promote(-1.0), degree, false); // zeros at infinity go to Nyquist
  r.k = f.k * prod_ratio_real(zm, pm);
  return r;
}

// ---------------------------------------------------------------------------------------------
// zpk -> second-order sections, scipy zpk2sos(pairing="nearest") with _cplxreal.
// ---------------------------------------------------------------------------------------------

struct Split {
  std::vector<cplx> zc; ///< one of each conjugate pair, positive imaginary part
  std::vector<double> zr;
};

/// scipy _cplxreal with its default tolerance 100 eps: values with |imag| <= tol |z| are real;
/// the others must pair up with their conjugates after sorting by real part, then |imag| within
/// runs of equal real part. Pairs are averaged. Fails where scipy raises.
std::optional<Split> cplxreal(std::vector<cplx> z) {
  Split out;
  if (z.empty()) return out;
  constexpr double tol = 100.0 * 2.220446049250313e-16;
  // np.lexsort((abs(imag), real)) is a stable sort on (real, |imag|).
  std::stable_sort(z.begin(), z.end(), [](const cplx& a, const cplx& b) {
    if (a.real() != b.real()) return a.real() < b.real();
    return std::fabs(a.imag()) < std::fabs(b.imag());
  });
  std::vector<cplx> zp, zn;
  for (const cplx& x : z) {
    if (std::fabs(x.imag()) <= tol * std::abs(x))
      out.zr.push_back(x.real());
    else if (x.imag() > 0.0)
      zp.push_back(x);
    else if (x.imag() < 0.0)
      zn.push_back(x);
    else
      return std::nullopt; // NaN
  }
  if (zp.size() != zn.size()) return std::nullopt;
  if (zp.empty()) return out;
  // Runs of (nearly) equal real part are re-sorted by |imag| so pairs line up.
  const auto by_abs_imag = [](const cplx& a, const cplx& b) { return std::fabs(a.imag()) < std::fabs(b.imag()); };
  std::size_t start = 0;
  while (start < zp.size()) {
    std::size_t stop = start + 1;
    while (stop < zp.size() && zp[stop].real() - zp[stop - 1].real() <= tol * std::abs(zp[stop - 1]))
      ++stop;
    if (stop - start > 1) {
      const auto s = static_cast<std::ptrdiff_t>(start), e = static_cast<std::ptrdiff_t>(stop);
      std::stable_sort(zp.begin() + s, zp.begin() + e, by_abs_imag);
      std::stable_sort(zn.begin() + s, zn.begin() + e, by_abs_imag);
    }
    start = stop;
  }
  for (std::size_t i = 0; i < zp.size(); ++i) {
    if (std::abs(c_sub(zp[i], c_conj(zn[i]))) > tol * std::abs(zn[i])) return std::nullopt;
    out.zc.push_back(c_div(c_add(zp[i], c_conj(zn[i])), promote(2.0)));
  }
  return out;
}

bool is_real(const cplx& x) { return x.imag() == 0.0; }

/// scipy's idx_worst for digital systems: the pole closest to the unit circle (first on ties).
std::size_t idx_worst(const std::vector<cplx>& p, const std::vector<std::size_t>& candidates) {
  std::size_t best = candidates.front();
  double best_d = std::fabs(1.0 - std::abs(p[best]));
  for (std::size_t c : candidates) {
    const double d = std::fabs(1.0 - std::abs(p[c]));
    if (d < best_d) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

std::vector<std::size_t> all_indices(std::size_t n) {
  std::vector<std::size_t> idx(n);
  for (std::size_t i = 0; i < n; ++i)
    idx[i] = i;
  return idx;
}

enum class Want { real, complex, any };

/// scipy _nearest_real_complex_idx: the element of `fro` nearest to `to` that has the wanted
/// realness. Equal distances keep array order, as numpy's argsort does for up to 17 elements;
/// beyond that numpy's introsort may pick another of equally distant elements, which only
/// matters if they differ, and then the tie is decided by rounding noise anyway.
std::optional<std::size_t> nearest_idx(const std::vector<cplx>& fro, cplx to, Want which) {
  std::vector<std::size_t> order = all_indices(fro.size());
  std::vector<double> dist;
  dist.reserve(fro.size());
  for (const cplx& x : fro)
    dist.push_back(std::abs(c_sub(x, to)));
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return dist[a] < dist[b]; });
  for (std::size_t i : order) {
    if (which == Want::any || (which == Want::real) == is_real(fro[i])) return i;
  }
  return std::nullopt;
}

cplx take(std::vector<cplx>& v, std::size_t i) {
  const cplx x = v[i];
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(i));
  return x;
}

/// numpy.poly of up to two roots: [1, -r] or [1, -r1 - r2, r1 r2] (real part; every call site
/// passes a real root, a real pair or a conjugate pair).
std::vector<double> poly(const std::vector<cplx>& roots) {
  std::vector<cplx> a{promote(1.0)};
  for (const cplx& r : roots) {
    const cplx nr = c_neg(r);
    std::vector<cplx> next(a.size() + 1, cplx(0.0, 0.0));
    for (std::size_t i = 0; i < a.size(); ++i) {
      next[i] = c_add(next[i], a[i]);
      next[i + 1] = c_add(next[i + 1], c_mul(a[i], nr));
    }
    a = std::move(next);
  }
  std::vector<double> out;
  for (const cplx& x : a)
    out.push_back(x.real());
  return out;
}

/// scipy _single_zpksos with k = 1: coefficients right-aligned in b and in a.
SosRow single_section(const std::vector<cplx>& z, const std::vector<cplx>& p) {
  SosRow row{0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
  const std::vector<double> b = poly(z), a = poly(p);
  for (std::size_t i = 0; i < b.size(); ++i)
    row[3 - b.size() + i] = b[i];
  for (std::size_t i = 0; i < a.size(); ++i)
    row[6 - a.size() + i] = a[i];
  return row;
}

std::string family_name(FilterFamily f) {
  switch (f) {
  case FilterFamily::butter: return "butter";
  case FilterFamily::cheby1: return "cheby1";
  case FilterFamily::cheby2: return "cheby2";
  case FilterFamily::ellip: return "ellip";
  }
  return "?";
}

std::string band_name(BandType b) {
  switch (b) {
  case BandType::lowpass: return "lowpass";
  case BandType::highpass: return "highpass";
  case BandType::bandpass: return "bandpass";
  case BandType::bandstop: return "bandstop";
  }
  return "?";
}

/// Checks everything scipy.signal.iirfilter checks (and what it lets through but is nonsense).
Result<void> validate(const IirDesign& d, double fs_hz) {
  if (!std::isfinite(fs_hz) || !(fs_hz > 0.0))
    return fail(Errc::config, "sampling rate must be a finite number > 0 Hz, got " + fmt(fs_hz));
  if (d.order < 1) return fail(Errc::config, "order must be >= 1, got " + std::to_string(d.order));
  if (d.order > kMaxIirOrder)
    return fail(Errc::config, "order must be <= " + std::to_string(kMaxIirOrder) + ", got " + std::to_string(d.order));

  const bool band = d.btype == BandType::bandpass || d.btype == BandType::bandstop;
  const std::string bname = band_name(d.btype);
  if (band) {
    if (d.cutoff_hz.size() != 2 || !(d.cutoff_hz[0] > 0.0) || !(d.cutoff_hz[0] < d.cutoff_hz[1]))
      return fail(Errc::config, bname + " needs cutoff [low, high] with 0 < low < high");
  } else {
    if (d.cutoff_hz.size() != 1)
      return fail(Errc::config, bname + " needs exactly one cutoff, got " + std::to_string(d.cutoff_hz.size()));
    if (!(d.cutoff_hz[0] > 0.0)) return fail(Errc::config, "cutoff must be > 0 Hz, got " + fmt(d.cutoff_hz[0]));
  }
  for (double f : d.cutoff_hz) {
    // scipy's test is on the normalized frequency 2 f / fs < 1.
    if (!(2.0 * f / fs_hz < 1.0))
      return fail(Errc::config, "cutoff " + fmt(f) + " Hz must be below Nyquist (" + fmt(fs_hz / 2.0) + " Hz)");
  }

  const bool uses_rp = d.ftype == FilterFamily::cheby1 || d.ftype == FilterFamily::ellip;
  const bool uses_rs = d.ftype == FilterFamily::cheby2 || d.ftype == FilterFamily::ellip;
  const std::string fname = family_name(d.ftype);
  if (uses_rp && !(d.rp_db > 0.0)) return fail(Errc::config, fname + " needs rp > 0");
  if (uses_rs && !(d.rs_db > 0.0)) return fail(Errc::config, fname + " needs rs > 0");
  if (!(d.rp_db >= 0.0)) return fail(Errc::config, "rp must be >= 0 dB, got " + fmt(d.rp_db));
  if (!(d.rs_db >= 0.0)) return fail(Errc::config, "rs must be >= 0 dB, got " + fmt(d.rs_db));
  if (!std::isfinite(d.rp_db)) return fail(Errc::config, "rp must be finite, got " + fmt(d.rp_db));
  if (!std::isfinite(d.rs_db)) return fail(Errc::config, "rs must be finite, got " + fmt(d.rs_db));
  if (d.ftype == FilterFamily::ellip && !(d.rs_db > d.rp_db)) return fail(Errc::config, "ellip needs rs > rp");
  return {};
}

bool finite(const cplx& x) { return std::isfinite(x.real()) && std::isfinite(x.imag()); }

} // namespace

Result<Zpk> design_iir_zpk(const IirDesign& d, double fs_hz) {
  if (auto v = validate(d, fs_hz); !v) return std::move(v).error();
  const int n = d.order;

  Proto proto;
  switch (d.ftype) {
  case FilterFamily::butter: proto = buttap(n); break;
  case FilterFamily::cheby1: proto = cheb1ap(n, d.rp_db); break;
  case FilterFamily::cheby2: proto = cheb2ap(n, d.rs_db); break;
  case FilterFamily::ellip: {
    auto e = ellipap(n, d.rp_db, d.rs_db);
    if (!e) return std::move(e).error();
    proto = std::move(*e);
    break;
  }
  }

  // Pre-warp the band edges for the bilinear transform at scipy's normalized fs = 2.
  constexpr double fs = 2.0;
  std::vector<double> warped;
  for (double f : d.cutoff_hz) {
    const double wn = 2.0 * f / fs_hz;
    warped.push_back(2.0 * fs * std::tan(kPi * wn / fs));
  }

  Proto analog;
  switch (d.btype) {
  case BandType::lowpass: analog = lp2lp(proto, warped[0]); break;
  case BandType::highpass: analog = lp2hp(proto, warped[0]); break;
  case BandType::bandpass:
  case BandType::bandstop: {
    const double bw = warped[1] - warped[0];
    const double wo = std::sqrt(warped[0] * warped[1]);
    analog = d.btype == BandType::bandpass ? lp2bp(proto, wo, bw) : lp2bs(proto, wo, bw);
    break;
  }
  }
  const Proto digital = bilinear(analog, fs);

  Zpk out;
  out.z = digital.z.v;
  out.p = digital.p.v;
  out.k = digital.k;

  const std::string what = family_name(d.ftype) + " " + band_name(d.btype) + " of order " + std::to_string(n);
  bool ok = std::isfinite(out.k);
  for (const cplx& x : out.z)
    ok = ok && finite(x);
  for (const cplx& x : out.p)
    ok = ok && finite(x);
  if (!ok) return fail(Errc::config, what + " is numerically infeasible (non-finite coefficients)");
  for (const cplx& x : out.p) {
    if (!(std::abs(x) < 1.0))
      return fail(Errc::config, what + " is numerically unstable (a pole lies on or outside the unit "
                                       "circle); lower the order or move the cutoff away from 0 and Nyquist");
  }
  if (out.k == 0.0)
    return fail(Errc::config, what + " has a gain that underflows to 0; lower the order or raise the cutoff");
  return out;
}

Result<std::vector<SosRow>> zpk_to_sos(const Zpk& zpk) {
  std::vector<cplx> z = zpk.z, p = zpk.p;
  if (z.empty() && p.empty()) return std::vector<SosRow>{SosRow{zpk.k, 0.0, 0.0, 1.0, 0.0, 0.0}};

  // Equal numbers of poles and zeros (extra ones at the origin), and an even count.
  if (p.size() < z.size()) p.resize(z.size(), cplx(0.0, 0.0));
  if (z.size() < p.size()) z.resize(p.size(), cplx(0.0, 0.0));
  const std::size_t n_sections = (p.size() + 1) / 2;
  if (p.size() % 2 == 1) {
    p.push_back(cplx(0.0, 0.0));
    z.push_back(cplx(0.0, 0.0));
  }

  const auto join = [](const std::optional<Split>& s) {
    std::vector<cplx> v = s->zc;
    for (double r : s->zr)
      v.push_back(promote(r));
    return v;
  };
  const auto zs = cplxreal(z);
  if (!zs) return fail(Errc::config, "zpk has a complex zero without its conjugate");
  const auto ps = cplxreal(p);
  if (!ps) return fail(Errc::config, "zpk has a complex pole without its conjugate");
  z = join(zs);
  p = join(ps);

  const auto count_real = [](const std::vector<cplx>& v) {
    return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), is_real));
  };
  const auto real_indices = [](const std::vector<cplx>& v) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (is_real(v[i])) idx.push_back(i);
    return idx;
  };
  const auto internal = [] { return fail(Errc::internal, "zpk2sos pairing ran out of poles or zeros"); };

  std::vector<SosRow> sos(n_sections, SosRow{0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
  // Sections are filled from the last one: the pole nearest the unit circle ends up last.
  for (std::size_t si = n_sections; si-- > 0;) {
    if (p.empty()) return internal();
    const cplx p1 = take(p, idx_worst(p, all_indices(p.size())));

    if (is_real(p1) && count_real(p) == 0) {
      // Last real pole: first-order section padded with a pole and a zero at the origin.
      const auto zi = nearest_idx(z, p1, Want::real);
      if (!zi) return internal();
      const cplx z1 = take(z, *zi);
      sos[si] = single_section({z1, promote(0.0)}, {p1, promote(0.0)});
    } else if (p.size() + 1 == z.size() && !is_real(p1) && count_real(p) == 1 && count_real(z) == 1) {
      // One real pole and one real zero must stay together, so this pole takes a complex zero.
      const auto zi = nearest_idx(z, p1, Want::complex);
      if (!zi) return internal();
      const cplx z1 = take(z, *zi);
      sos[si] = single_section({z1, c_conj(z1)}, {p1, c_conj(p1)});
    } else {
      cplx p2;
      if (is_real(p1)) {
        const std::vector<std::size_t> reals = real_indices(p);
        p2 = take(p, idx_worst(p, reals));
      } else {
        p2 = c_conj(p1);
      }
      if (!z.empty()) {
        const auto zi = nearest_idx(z, p1, Want::any);
        if (!zi) return internal();
        const cplx z1 = take(z, *zi);
        if (!is_real(z1)) {
          sos[si] = single_section({z1, c_conj(z1)}, {p1, p2});
        } else if (!z.empty()) {
          const auto zj = nearest_idx(z, p1, Want::real);
          if (!zj) return internal();
          const cplx z2 = take(z, *zj);
          sos[si] = single_section({z1, z2}, {p1, p2});
        } else {
          sos[si] = single_section({z1}, {p1, p2});
        }
      } else {
        sos[si] = single_section({}, {p1, p2});
      }
    }
  }
  if (!p.empty() || !z.empty()) return internal();

  for (std::size_t i = 0; i < 3; ++i)
    sos[0][i] *= zpk.k; // scipy puts all the gain in section 0
  return sos;
}

Result<std::vector<SosRow>> design_iir_sos(const IirDesign& d, double fs_hz) {
  auto zpk = design_iir_zpk(d, fs_hz);
  if (!zpk) return std::move(zpk).error();
  return zpk_to_sos(*zpk);
}

} // namespace dasflow::atoms
