#pragma once
/// \file iir_design.hpp
/// Digital IIR filter design (Butterworth, Chebyshev I/II, elliptic) reproducing
/// scipy.signal.iirfilter(N, Wn, rp, rs, btype, analog=False, ftype, output="sos"|"zpk", fs=fs)
/// of scipy 1.10: same analog prototypes, frequency transforms and bilinear transform, and the
/// same zpk2sos section order, pole/zero pairing and gain placement. Coefficients agree with scipy
/// to ~1e-13 relative: numpy evaluates tan/sin/exp/... with SIMD approximations that differ from
/// libm in the last ulps, so bit-identity is not possible.

#include <array>
#include <complex>
#include <string>
#include <vector>

#include "dasflow/core/result.hpp"

namespace dasflow::atoms {

enum class FilterFamily { butter, cheby1, cheby2, ellip };
enum class BandType { lowpass, highpass, bandpass, bandstop };

/// One second-order section in scipy's row layout: b0 b1 b2 a0 a1 a2 (a0 == 1).
using SosRow = std::array<double, 6>;

/// Zeros, poles and gain of a digital transfer function, in scipy's array order.
struct Zpk {
  std::vector<std::complex<double>> z, p;
  double k = 1.0;
};

struct IirDesign {
  int order = 4;                 ///< N of the analog prototype (bandpass/bandstop give 2N poles, as scipy)
  std::vector<double> cutoff_hz; ///< one value for lowpass/highpass, [low, high] for bandpass/bandstop
  BandType btype = BandType::bandpass;
  FilterFamily ftype = FilterFamily::butter;
  double rp_db = 0.0; ///< passband ripple (cheby1, ellip)
  double rs_db = 0.0; ///< stopband attenuation (cheby2, ellip)
};

/// Largest accepted prototype order. scipy has no limit, but far beyond this the designs are
/// numerically meaningless in double (elliptic ones fail much earlier and are reported as such).
inline constexpr int kMaxIirOrder = 64;

/// Digital zpk as scipy.signal.iirfilter(..., output="zpk", fs=fs_hz), arrays in scipy's order.
/// Fails with Errc::config and a message without YAML path on every input scipy rejects, on
/// parameters that make no sense (rp/rs <= 0 where the family uses them, ellip with rs <= rp,
/// negative rp/rs, order above kMaxIirOrder) and on results that are no usable filter
/// (non-finite values, a pole on or outside the unit circle, zero gain).
Result<Zpk> design_iir_zpk(const IirDesign& d, double fs_hz);

/// scipy.signal.zpk2sos(z, p, k) with the digital default pairing "nearest": poles/zeros are
/// padded with the origin to equal (even) counts, the section holding the pole closest to the
/// unit circle comes last, and k multiplies the numerator of the first section.
/// Fails (Errc::config) when a complex zero or pole has no conjugate partner.
Result<std::vector<SosRow>> zpk_to_sos(const Zpk& zpk);

/// scipy.signal.iirfilter(..., output="sos", fs=fs_hz): design_iir_zpk then zpk_to_sos.
/// Lowpass/highpass give ceil(N/2) sections, bandpass/bandstop give N.
Result<std::vector<SosRow>> design_iir_sos(const IirDesign& d, double fs_hz);

} // namespace dasflow::atoms
