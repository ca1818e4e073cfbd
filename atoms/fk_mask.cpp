#include "dasflow/atoms/fk_mask.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace dasflow::atoms {

double fk_velocity_gain(const FkFan& fan, double v) noexcept {
  double g = 0.0;
  const double lo = fan.vmin_mps * (1.0 - fan.taper);
  const double hi = fan.vmax_mps * (1.0 + fan.taper); // +∞ when vmax is
  if (v >= fan.vmin_mps && v <= fan.vmax_mps)
    g = 1.0;
  else if (v > lo && v < fan.vmin_mps)
    g = 0.5 * (1.0 - std::cos(std::numbers::pi * (v - lo) / (fan.taper * fan.vmin_mps)));
  else if (v > fan.vmax_mps && v < hi)
    g = 0.5 * (1.0 + std::cos(std::numbers::pi * (v - fan.vmax_mps) / (fan.taper * fan.vmax_mps)));
  return fan.mode == FkMode::pass ? g : 1.0 - g;
}

std::vector<float> fk_mask(const FkFan& fan, std::size_t w, std::size_t nk, double fs_hz, double dx_m, double scale) {
  const std::size_t rows = w / 2 + 1, cols = nk / 2 + 1;
  std::vector<float> mask(rows * cols);
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t m = 0; m < rows; ++m)
    for (std::size_t j = 0; j < cols; ++j) {
      // Same operation order as tests/golden/golden_fkfilter.py: f = m·fs/W, k = j/(Nk·dx), v = f/k.
      const double f = static_cast<double>(m) * fs_hz / static_cast<double>(w);
      const double k = static_cast<double>(j) / (static_cast<double>(nk) * dx_m);
      const double v = j == 0 ? inf : f / k;
      mask[m * cols + j] = static_cast<float>(fk_velocity_gain(fan, v) * scale);
    }
  return mask;
}

std::size_t fk_wavenumber_length(std::size_t n_channels, double pad) {
  auto n = static_cast<std::size_t>(std::ceil(pad * static_cast<double>(n_channels)));
  n = std::max<std::size_t>(n, 1);
  for (;; ++n) {
    std::size_t r = n;
    for (std::size_t p : {2u, 3u, 5u, 7u})
      while (r % p == 0)
        r /= p;
    if (r == 1) return n;
  }
}

} // namespace dasflow::atoms
