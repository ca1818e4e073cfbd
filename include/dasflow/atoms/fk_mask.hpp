#pragma once
/// \file fk_mask.hpp
/// The frequency–wavenumber fan mask of `fkfilter`: a real gain per (f, k) cell that depends only on
/// the apparent velocity |v| = |f| / |k|, hence symmetric (M(−f, −k) = M(f, k)) and the filtered
/// block stays real.
///
/// Velocity gain G(v), v ≥ 0 in m/s, for the band [vmin, vmax] kept, taper fraction τ ∈ [0, 1):
///   G(v) = 1                                    for vmin ≤ v ≤ vmax
///   G(v) = ½ (1 − cos(π (v − vmin(1−τ)) / (τ vmin)))  for vmin(1−τ) < v < vmin   (lower cosine ramp)
///   G(v) = ½ (1 + cos(π (v − vmax) / (τ vmax)))       for vmax < v < vmax(1+τ)   (upper cosine ramp)
///   G(v) = 0                                    elsewhere
/// so the band the user names passes with unit gain and the taper lies outside it, over a fraction
/// τ of each edge velocity (τ = 0: hard edges; vmax = +∞: no upper edge, G(∞) = 1). mode reject uses
/// 1 − G(v).
///
/// Grid (block of W time samples × Nk wavenumber bins, channel spacing dx m):
///   |f| = min(m, W − m) · fs / W Hz for time-frequency row m ∈ [0, W),
///   |k| = j / (Nk · dx) cycles/m for wavenumber column j ∈ [0, Nk/2] (the half-complex axis),
///   v = |f| / |k|, with the k = 0 column (j = 0, including f = 0) taken as v = +∞ (signals equal on
///   every channel travel infinitely fast) and the f = 0 row with k ≠ 0 as v = 0.

#include <cstddef>
#include <limits>
#include <vector>

namespace dasflow::atoms {

/// Keep or remove the velocity band.
enum class FkMode { pass, reject };

/// What the fan keeps (see the file comment for the exact gain).
struct FkFan {
  double vmin_mps = 0.0;                                     ///< lower edge, m/s, ≥ 0
  double vmax_mps = std::numeric_limits<double>::infinity(); ///< upper edge, m/s, > vmin (may be +∞)
  double taper = 0.0;                                        ///< τ ∈ [0, 1)
  FkMode mode = FkMode::pass;
};

/// G(v) of the file comment (1 − G(v) in reject mode); v may be +∞.
double fk_velocity_gain(const FkFan& fan, double v_mps) noexcept;

/// The mask on the grid of the file comment, times `scale` (the inverse-FFT normalisation), as float:
/// (W/2 + 1) rows (m = 0..W/2; row m also serves W − m) × (Nk/2 + 1) columns, row-major.
std::vector<float> fk_mask(const FkFan& fan, std::size_t w, std::size_t nk, double fs_hz, double dx_m, double scale);

/// The channel-axis FFT length: the smallest 2·3·5·7-smooth integer ≥ ceil(pad · n_channels)
/// (FFTW has codelets for these radices, so every size is fast).
std::size_t fk_wavenumber_length(std::size_t n_channels, double pad);

} // namespace dasflow::atoms
