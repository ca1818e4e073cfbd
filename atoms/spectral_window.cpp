#include "dasflow/atoms/spectral_window.hpp"

#include <cmath>
#include <numbers>

#include "dasflow/atoms/fir_design.hpp"

namespace dasflow::atoms {

std::vector<double> symmetric_tukey(std::size_t m, double alpha) {
  // scipy 1.10 windows.tukey, term by term: flat top between two half-cosine tapers of
  // width = floor(alpha (m − 1) / 2) + 1 points each.
  std::vector<double> w(m, 1.0);
  if (m <= 1 || alpha <= 0.0) return w;
  const double pi = std::numbers::pi;
  const double mm1 = static_cast<double>(m - 1);
  if (alpha >= 1.0) { // scipy returns hann(m, sym=True)
    for (std::size_t n = 0; n < m; ++n)
      w[n] = 0.5 - 0.5 * std::cos(2.0 * pi * static_cast<double>(n) / mm1);
    return w;
  }
  const auto width = static_cast<std::size_t>(std::floor(alpha * mm1 / 2.0));
  for (std::size_t n = 0; n <= width && n < m; ++n)
    w[n] = 0.5 * (1.0 + std::cos(pi * (-1.0 + 2.0 * static_cast<double>(n) / alpha / mm1)));
  for (std::size_t n = m - width - 1; n < m; ++n)
    w[n] = 0.5 * (1.0 + std::cos(pi * (-2.0 / alpha + 1.0 + 2.0 * static_cast<double>(n) / alpha / mm1)));
  return w;
}

Result<std::vector<double>> periodic_window(const std::string& name, std::size_t n, double alpha) {
  if (!(alpha >= 0.0 && alpha <= 1.0)) return fail(Errc::config, "alpha must be between 0 and 1");
  std::vector<double> w;
  if (name == "tukey") {
    w = symmetric_tukey(n + 1, alpha);
  } else if (name == "hann" || name == "hamming" || name == "blackman" || name == "boxcar") {
    DASFLOW_TRY_ASSIGN(sym, symmetric_window(FirWindow{name, 0.0}, n + 1));
    w = std::move(sym);
  } else {
    return fail(Errc::config, "unknown window '" + name + "' (hann, hamming, blackman, boxcar, tukey)");
  }
  w.pop_back(); // get_window(fftbins=True): drop the last point of the (n + 1)-point window
  return w;
}

} // namespace dasflow::atoms
