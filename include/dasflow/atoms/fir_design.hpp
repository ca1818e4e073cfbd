#pragma once
/// \file fir_design.hpp
/// Window-method FIR design reproducing scipy 1.10's scipy.signal.firwin (width=None, scale=True)
/// and the symmetric windows it takes from scipy.signal.get_window(window, n, fftbins=False), plus
/// scipy.signal.zpk2tf for a single-output digital zpk. Taps agree with scipy to ~1e-15 absolute:
/// the formulas run in scipy's operation order (bit-identical when numpy's sin/cos are swapped for
/// libm's), but numpy's SIMD sin/cos differ from libm in the last ulps, and scipy's special.i0 is
/// off by up to ~4e-16 relative where this I0 is correctly rounded, so bit-identity is not promised.

#include <complex>
#include <cstddef>
#include <string>
#include <vector>

#include "dasflow/atoms/iir_design.hpp" // Zpk
#include "dasflow/core/result.hpp"

namespace dasflow::atoms {

/// A window for firwin: name as scipy spells it, plus beta for "kaiser".
/// Accepted names (scipy's aliases for the supported windows, case-sensitive):
///   hamming | hamm | ham, hann | han | hanning (the last is numpy's name; scipy 1.10 rejects it),
///   blackman | black | blk, boxcar | box | ones | rect | rectangular, bartlett | bart | brt,
///   triang | triangle | tri, kaiser | ksr (needs 0 <= beta <= 709: above that scipy's I0 overflows
///   and its window is NaN); beta must be 0 for the other windows.
struct FirWindow {
  std::string name = "hamming";
  double beta = 0.0;
};

/// scipy.signal.get_window(window, n, fftbins=False) (symmetric). n = 0 gives an empty vector and
/// n = 1 gives {1}, as scipy. Fails (Errc::config) on an unknown name or a bad beta.
Result<std::vector<double>> symmetric_window(const FirWindow& w, std::size_t n);

/// scipy.signal.firwin(numtaps, cutoff_hz, window=w, pass_zero=pass_zero, scale=True, fs=fs_hz).
/// pass_zero: true = first band passes DC (lowpass / bandstop), false = highpass / bandpass.
/// cutoff_hz holds the band edges in Hz, strictly increasing inside (0, fs/2); bands alternate
/// pass/stop from DC. Fails (Errc::config, message without YAML path) on every input scipy rejects,
/// on numtaps < 1, on a non-finite or non-positive fs, and where scipy would silently return NaN
/// taps (NaN cutoffs; hann or bartlett with numtaps 2, whose window is [0, 0]).
Result<std::vector<double>> firwin(std::size_t numtaps, const std::vector<double>& cutoff_hz, const FirWindow& w,
                                   bool pass_zero, double fs_hz);

/// numpy/scipy zpk2tf for a digital filter: b = k * poly(z), a = poly(p), highest power first
/// (b.size() == z.size() + 1, a.size() == p.size() + 1). Complex roots must come in exact
/// conjugate pairs (as every design_iir_zpk result does); then the coefficients are real, as
/// numpy.poly makes them. For unpaired roots scipy returns complex arrays; here only their real
/// parts are kept.
struct TransferFunction {
  std::vector<double> b, a;
};
TransferFunction zpk_to_tf(const Zpk& zpk);

} // namespace dasflow::atoms
