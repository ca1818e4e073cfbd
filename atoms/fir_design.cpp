#include "dasflow/atoms/fir_design.hpp"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <initializer_list>
#include <numbers>
#include <optional>
#include <string_view>
#include <utility>

namespace dasflow::atoms {

namespace {

using cplx = std::complex<double>;
constexpr double kPi = std::numbers::pi;

/// Shortest round-trip text of a double ("600", "0.45", "nan") for error messages.
std::string fmt(double x) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

// ---------------------------------------------------------------------------------------------
// Windows (scipy/signal/windows/_windows.py, sym=True).
//
// With sym=True scipy's `_extend` keeps the length and `_truncate` removes nothing, so each window
// is its textbook symmetric formula of length M. `_len_guards` answers M <= 1 with ones(M) before
// any formula runs (which also keeps the M - 1 divisors below away from zero). Every formula is
// written in numpy's evaluation order so that rounding matches scipy's.
// ---------------------------------------------------------------------------------------------

enum class WinKind { boxcar, hamming, hann, blackman, bartlett, triang, kaiser };

/// scipy's `_win_equiv` aliases of the supported windows, plus numpy's "hanning" (asked for by the
/// pipeline config; scipy 1.10 itself answers "Unknown window type." for it).
std::optional<WinKind> lookup_window(std::string_view name) {
  struct Alias {
    std::string_view name;
    WinKind kind;
  };
  static constexpr Alias kAliases[] = {
      {"hamming", WinKind::hamming},   {"hamm", WinKind::hamming},       {"ham", WinKind::hamming},
      {"hann", WinKind::hann},         {"han", WinKind::hann},           {"hanning", WinKind::hann},
      {"blackman", WinKind::blackman}, {"black", WinKind::blackman},     {"blk", WinKind::blackman},
      {"boxcar", WinKind::boxcar},     {"box", WinKind::boxcar},         {"ones", WinKind::boxcar},
      {"rect", WinKind::boxcar},       {"rectangular", WinKind::boxcar}, {"bartlett", WinKind::bartlett},
      {"bart", WinKind::bartlett},     {"brt", WinKind::bartlett},       {"triang", WinKind::triang},
      {"triangle", WinKind::triang},   {"tri", WinKind::triang},         {"kaiser", WinKind::kaiser},
      {"ksr", WinKind::kaiser},
  };
  for (const Alias& a : kAliases)
    if (a.name == name) return a.kind;
  return std::nullopt;
}

/// Matches scipy general_cosine(M, a): w = sum_k a[k] cos(k x) on x = linspace(-pi, pi, M).
/// numpy.linspace builds x[i] = i * step + (-pi) with step = 2 pi / (M - 1) and then overwrites
/// the last point with pi exactly; the sum starts from zeros and adds the terms in index order,
/// with cos(0 * x) == 1 for the first one. Needs M >= 2.
std::vector<double> general_cosine(std::size_t m, std::initializer_list<double> coeffs) {
  const double step = (kPi - -kPi) / static_cast<double>(m - 1);
  std::vector<double> w(m, 0.0);
  for (std::size_t i = 0; i < m; ++i) {
    const double x = (i + 1 == m) ? kPi : static_cast<double>(i) * step + -kPi;
    double acc = 0.0;
    double k = 0.0;
    for (double a : coeffs) {
      acc = acc + a * std::cos(k * x);
      k += 1.0;
    }
    w[i] = acc;
  }
  return w;
}

/// Matches scipy triang(M): a triangle that does not reach zero at the ends. Odd M: 2n / (M + 1),
/// even M: (2n - 1) / M for n = 1 .. ceil(M/2), mirrored (the centre sample once for odd M).
/// Needs M >= 2.
std::vector<double> triang_window(std::size_t m) {
  const double md = static_cast<double>(m);
  const std::size_t half = (m + 1) / 2;
  std::vector<double> w(m);
  for (std::size_t j = 0; j < half; ++j) {
    const double n = static_cast<double>(j + 1);
    const double v = (m % 2 == 0) ? (2.0 * n - 1.0) / md : (2.0 * n) / (md + 1.0);
    w[j] = v;
    w[m - 1 - j] = v; // mirror; for odd M the centre is written twice with the same value
  }
  return w;
}

/// Matches scipy bartlett(M): 2n/(M-1) up to the centre, 2 - 2n/(M-1) after it. The second branch
/// is scipy's formula rather than a mirror of the first, which can differ in the last bit.
/// Needs M >= 2.
std::vector<double> bartlett_window(std::size_t m) {
  const double denom = static_cast<double>(m - 1);
  const double centre = denom / 2.0;
  std::vector<double> w(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double n = static_cast<double>(i);
    const double rise = 2.0 * n / denom;
    w[i] = (n <= centre) ? rise : 2.0 - rise;
  }
  return w;
}

/// Modified Bessel function of the first kind, order 0, by its power series
/// I0(x) = sum_k ((x/2)^k / k!)^2. All terms are positive, so there is no cancellation and the
/// relative error is a few roundings of the working type; the sum runs in long double (64-bit
/// mantissa on x86-64), which leaves ~1e-17 before the final rounding to double. scipy uses
/// Cephes' Chebyshev fits (special.i0), accurate to a few 1e-16, so the two agree to that level.
/// Terms grow until k ~ x/2 and then fall off; the loop stops once a term no longer changes the
/// sum. Callers keep x <= kMaxKaiserBeta, which bounds the loop to well under 1000 iterations.
long double bessel_i0(double x) {
  const long double h = static_cast<long double>(x) / 2.0L;
  const long double q = h * h;
  long double term = 1.0L;
  long double sum = 1.0L;
  for (int k = 1; k < 100000; ++k) {
    const long double kk = static_cast<long double>(k);
    term *= q / (kk * kk);
    sum += term;
    if (term <= sum * (LDBL_EPSILON / 4.0L)) break;
  }
  return sum;
}

/// Largest beta accepted. scipy's special.i0 forms exp(x) times a correction, so it returns inf
/// once exp overflows (x > 709.78, although I0 itself stays finite up to ~713.98); beyond that
/// scipy's kaiser window is inf/inf = NaN at the centre and 0 wherever the argument is still below
/// the threshold, i.e. garbage. dasflow refuses those betas instead of reproducing it.
constexpr double kMaxKaiserBeta = 709.0;

/// Matches scipy kaiser(M, beta): w[n] = I0(beta sqrt(1 - ((n - alpha)/alpha)^2)) / I0(beta) with
/// alpha = (M - 1)/2; numpy's `** 2.0` is a plain square. The argument is formed in double as in
/// scipy, the Bessel values and their ratio in long double. Needs M >= 2.
std::vector<double> kaiser_window(std::size_t m, double beta) {
  const double alpha = static_cast<double>(m - 1) / 2.0;
  const long double denom = bessel_i0(beta);
  std::vector<double> w(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double r = (static_cast<double>(i) - alpha) / alpha;
    const double arg = beta * std::sqrt(1.0 - r * r);
    w[i] = static_cast<double>(bessel_i0(arg) / denom);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// firwin helpers (scipy/signal/_fir_filter_design.py).
// ---------------------------------------------------------------------------------------------

/// numpy.sinc: sin(pi x) / (pi x). numpy replaces x == 0 by 1e-20, whose quotient rounds to
/// exactly 1, so the limit is returned directly.
double sinc(double x) {
  if (x == 0.0) return 1.0;
  const double y = kPi * x;
  return std::sin(y) / y;
}

/// numpy's float64 add.reduce (pairwise_sum in loops_utils.h): plain loop below 8 elements, eight
/// interleaved accumulators up to 128, otherwise split at a multiple of 8 near the middle. firwin's
/// scale factor np.sum(h * c) is summed this way, so the same grouping keeps the last bits equal.
double pairwise_sum(const double* a, std::size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (std::size_t i = 0; i < n; ++i)
      res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (std::size_t j = 0; j < 8; ++j)
      r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

// ---------------------------------------------------------------------------------------------
// zpk2tf helpers.
// ---------------------------------------------------------------------------------------------

/// numpy.poly: coefficients of prod (x - r), highest power first, by convolving [1] with
/// (1, -r) for each root in order. The convolution (numpy.correlate with a two-tap kernel) gives
/// out[j] = a[j] * 1 + a[j-1] * (-r); multiplying by 1 is exact and the complex product is the
/// textbook formula, written out so no FMA or library special-casing can change it.
std::vector<cplx> poly(const std::vector<cplx>& roots) {
  std::vector<cplx> a{cplx(1.0, 0.0)};
  for (const cplx& root : roots) {
    const double nr = -root.real(), ni = -root.imag();
    std::vector<cplx> out(a.size() + 1);
    for (std::size_t j = 0; j < out.size(); ++j) {
      double re = 0.0, im = 0.0;
      if (j < a.size()) {
        re = a[j].real();
        im = a[j].imag();
      }
      if (j > 0) {
        const cplx p = a[j - 1];
        re = re + (p.real() * nr - p.imag() * ni);
        im = im + (p.real() * ni + p.imag() * nr);
      }
      out[j] = cplx(re, im);
    }
    a = std::move(out);
  }
  return a;
}

} // namespace

Result<std::vector<double>> symmetric_window(const FirWindow& w, std::size_t n) {
  const std::optional<WinKind> kind = lookup_window(w.name);
  if (!kind)
    return fail(Errc::config, "unknown window '" + w.name +
                                  "' (expected hamming, hann, blackman, boxcar, bartlett, triang or kaiser)");
  if (*kind == WinKind::kaiser) {
    // scipy accepts a negative beta (I0 is even, so it acts as |beta|) and NaN (NaN taps); dasflow
    // wants the documented range.
    if (!(w.beta >= 0.0)) return fail(Errc::config, "kaiser window needs beta >= 0, got " + fmt(w.beta));
    if (!(w.beta <= kMaxKaiserBeta))
      return fail(Errc::config, "kaiser beta must be <= " + fmt(kMaxKaiserBeta) +
                                    " (scipy's I0(beta) overflows and its window turns NaN), got " + fmt(w.beta));
  } else if (w.beta != 0.0) {
    // scipy: get_window(("hamming", 2.0), n) raises TypeError (the extra argument collides with sym).
    return fail(Errc::config, "window '" + w.name + "' takes no beta, got " + fmt(w.beta));
  }

  // scipy _len_guards: lengths 0 and 1 are ones(M) for every window.
  if (n <= 1) return std::vector<double>(n, 1.0);

  switch (*kind) {
  case WinKind::boxcar: return std::vector<double>(n, 1.0);
  case WinKind::hamming: return general_cosine(n, {0.54, 1.0 - 0.54}); // general_hamming(M, 0.54)
  case WinKind::hann: return general_cosine(n, {0.5, 1.0 - 0.5});      // general_hamming(M, 0.5)
  case WinKind::blackman: return general_cosine(n, {0.42, 0.50, 0.08});
  case WinKind::bartlett: return bartlett_window(n);
  case WinKind::triang: return triang_window(n);
  case WinKind::kaiser: return kaiser_window(n, w.beta);
  }
  return fail(Errc::internal, "unhandled window kind");
}

Result<std::vector<double>> firwin(std::size_t numtaps, const std::vector<double>& cutoff_hz, const FirWindow& w,
                                   bool pass_zero, double fs_hz) {
  // scipy returns an empty array for numtaps = 0; an empty filter is useless here.
  if (numtaps < 1) return fail(Errc::config, "numtaps must be >= 1, got " + std::to_string(numtaps));
  if (!(std::isfinite(fs_hz) && fs_hz > 0.0))
    return fail(Errc::config, "sampling rate must be a finite number > 0 Hz, got " + fmt(fs_hz));
  if (cutoff_hz.empty()) return fail(Errc::config, "at least one cutoff frequency must be given");

  // scipy normalises by the Nyquist frequency first and validates the normalised values, so a
  // cutoff that rounds to exactly fs/2 is rejected the same way.
  const double nyq = 0.5 * fs_hz;
  std::vector<double> edges;
  edges.reserve(cutoff_hz.size() + 2);
  if (pass_zero) edges.push_back(0.0);
  for (double f : cutoff_hz) {
    const double c = f / nyq;
    // Written so NaN fails too (scipy would let NaN through and return NaN taps).
    if (!(c > 0.0 && c < 1.0))
      return fail(Errc::config, "cutoff frequencies must be greater than 0 and less than fs/2 = " + fmt(nyq) +
                                    " Hz, got " + fmt(f) + " Hz");
    edges.push_back(c);
  }
  for (std::size_t i = 1; i < cutoff_hz.size(); ++i)
    if (!(cutoff_hz[i] / nyq > cutoff_hz[i - 1] / nyq))
      return fail(Errc::config, "cutoff frequencies must be strictly increasing, got " + fmt(cutoff_hz[i - 1]) +
                                    " Hz then " + fmt(cutoff_hz[i]) + " Hz");

  // Bands alternate starting with a passband at DC when pass_zero; an odd number of edges then
  // leaves the last band (ending at Nyquist) passing, and so does an even number without pass_zero.
  // A type II filter (even numtaps) has a zero at Nyquist, hence scipy's refusal.
  const bool pass_nyquist = ((cutoff_hz.size() % 2) == 1) != pass_zero;
  if (pass_nyquist && numtaps % 2 == 0)
    return fail(Errc::config,
                "numtaps must be odd for a filter that passes the Nyquist frequency, got " + std::to_string(numtaps));
  if (pass_nyquist) edges.push_back(1.0);

  DASFLOW_TRY_ASSIGN(win, symmetric_window(w, numtaps));

  // Ideal response: sum over passbands [left, right] of right*sinc(right m) - left*sinc(left m),
  // sampled at m = n - (numtaps - 1)/2; accumulated band by band, add then subtract, as scipy.
  const double alpha = 0.5 * static_cast<double>(numtaps - 1);
  std::vector<double> m(numtaps);
  for (std::size_t i = 0; i < numtaps; ++i)
    m[i] = static_cast<double>(i) - alpha;
  std::vector<double> h(numtaps, 0.0);
  for (std::size_t b = 0; b + 1 < edges.size(); b += 2) {
    const double left = edges[b], right = edges[b + 1];
    for (std::size_t i = 0; i < numtaps; ++i) {
      h[i] = h[i] + right * sinc(right * m[i]);
      h[i] = h[i] - left * sinc(left * m[i]);
    }
  }
  for (std::size_t i = 0; i < numtaps; ++i)
    h[i] *= win[i];

  // scale=True: unit gain at DC if the first passband starts there, at Nyquist if it ends there
  // (single-band highpass), else at the centre of the first passband; the gain there is
  // sum h[n] cos(pi m[n] f), summed pairwise like numpy.
  const double left0 = edges[0], right0 = edges[1];
  const double scale_f = (left0 == 0.0) ? 0.0 : (right0 == 1.0) ? 1.0 : 0.5 * (left0 + right0);
  std::vector<double> hc(numtaps);
  for (std::size_t i = 0; i < numtaps; ++i)
    hc[i] = h[i] * std::cos(kPi * m[i] * scale_f);
  const double s = pairwise_sum(hc.data(), hc.size());
  for (double& v : h)
    v /= s;

  // hann and bartlett of length 2 are [0, 0], so h is all zeros, s == 0 and scipy returns NaN
  // taps without complaint. Refuse that (and any other non-finite outcome) instead.
  bool finite = std::isfinite(s) && s != 0.0;
  for (double v : h)
    finite = finite && std::isfinite(v);
  if (!finite)
    return fail(Errc::config, "window '" + w.name + "' with numtaps " + std::to_string(numtaps) +
                                  " gives a filter with zero gain at its scaling frequency (scipy returns NaN taps)");
  return h;
}

TransferFunction zpk_to_tf(const Zpk& zpk) {
  const std::vector<cplx> bz = poly(zpk.z);
  const std::vector<cplx> ap = poly(zpk.p);
  // numpy.poly (and zpk2tf's copy of its test) keeps only the real parts when the roots above the
  // real axis are exactly the conjugates of those below it; the imaginary parts are then zero or
  // rounding noise. For unpaired roots scipy's answer stays complex and this keeps its real part
  // (header contract), so both cases reduce to taking real parts. b = k * poly(z) with k real: the
  // real part of k * (br + i bi) is k * br.
  TransferFunction tf;
  tf.b.reserve(bz.size());
  for (const cplx& c : bz)
    tf.b.push_back(zpk.k * c.real());
  tf.a.reserve(ap.size());
  for (const cplx& c : ap)
    tf.a.push_back(c.real());
  return tf;
}

} // namespace dasflow::atoms
