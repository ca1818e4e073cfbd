#pragma once
/// \file fir_method.hpp
/// The `method` key of `firfilter` and `decimate` (ftype fir): direct-form convolution (FirKernel,
/// bit-compatible with scipy's lfilter summation order) or FFT overlap-save (FftConvolver, within
/// float rounding of it, with up to L − 1 samples of block latency; see fft_convolver.hpp).

#include <cstddef>
#include <string_view>

namespace dasflow::atoms {

enum class FirMethod { automatic, direct, fft };

/// `auto` switches to the FFT at this many taps (per kept output for a decimator). Measured with
/// bench/fir_method_bench.cpp, 10,000 channels, 1,000-row chunks, 2-core x86-64 (AVX2), Mch-samples/s:
///
///     taps     32    48    64    96   128   256   512  1024
///     direct  165    94    60    44    32    14   6.3   2.2
///     fft      94   120   105   109    99    82    77    64
///
/// The FFT overtakes the direct form at about 44 taps (decimate by 4: at numtaps / 4 ≈ 48). auto
/// waits until it is at least twice as fast (96 taps: 2.5×) because the FFT path is not free: it
/// delays outputs by up to a block (L − 1 ≈ 3 × numtaps samples) and gives up lfilter's exact
/// summation order (float rounding, ≈ 5e-7 of RMS instead of ≈ 3e-8).
inline constexpr std::size_t kFftMinTaps = 96;

inline FirMethod parse_fir_method(std::string_view s) {
  return s == "direct" ? FirMethod::direct : s == "fft" ? FirMethod::fft : FirMethod::automatic;
}
inline std::string_view fir_method_name(FirMethod m) {
  return m == FirMethod::direct ? "direct" : m == FirMethod::fft ? "fft" : "auto";
}
/// Whether `method` runs `n_taps` taps through the FFT. A decimator by q computes only every q-th
/// output on the direct path (n_taps / q multiply-adds per input sample) but every output on the FFT
/// path, so auto compares n_taps / q with the threshold.
inline bool fir_uses_fft(FirMethod method, std::size_t n_taps, std::size_t factor = 1) {
  return method == FirMethod::fft || (method == FirMethod::automatic && n_taps >= kFftMinTaps * factor);
}

} // namespace dasflow::atoms
