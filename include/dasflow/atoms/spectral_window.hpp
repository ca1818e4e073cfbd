#pragma once
/// \file spectral_window.hpp
/// Periodic ("DFT-even") analysis windows for the spectral atoms: scipy.signal.get_window(window,
/// n, fftbins=True), which is the symmetric window of length n + 1 without its last point.
/// scipy.signal.spectrogram and welch take their windows this way.

#include <cstddef>
#include <string>
#include <vector>

#include "dasflow/core/result.hpp"

namespace dasflow::atoms {

/// name: hann | hamming | blackman | boxcar | tukey (tukey takes `alpha`, scipy's default for
/// spectrogram being 0.25). Fails (Errc::config) on another name or alpha outside [0, 1].
Result<std::vector<double>> periodic_window(const std::string& name, std::size_t n, double alpha = 0.25);

/// scipy.signal.windows.tukey(m, alpha, sym=True).
std::vector<double> symmetric_tukey(std::size_t m, double alpha);

} // namespace dasflow::atoms
