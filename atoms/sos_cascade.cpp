#include "dasflow/atoms/sos_cascade.hpp"

#include <algorithm>
#include <cstring>

#include "kernel_dispatch.hpp"
#include "simd_group.hpp"

namespace dasflow::atoms {

namespace {
/// Channels per block: the block's state (2 × sections × block doubles) and its row scratch stay in
/// L1/L2 while every section runs over it. Blocking changes no result (channels are independent).
constexpr std::size_t kBlockChannels = 256;
constexpr std::int64_t kStateVersion = 1;
} // namespace

void SosCascade::configure(std::vector<Row> sos, std::size_t n_channels) {
  sos_ = std::move(sos);
  n_channels_ = n_channels;
  zi_.resize(0);
  zi_.resize(sos_.size() * 2 * n_channels);
}

namespace {

/// Rows [0, n_rows) of one block of `nb` channels through every section. `zi` points at the block's
/// first channel of section 0's z0; z1 of section s is at zi + (2s + 1) * zi_stride.
DASFLOW_KERNEL void sos_block(const float* x, std::size_t x_stride, float* y, std::size_t y_stride, std::size_t n_rows,
                              std::size_t nb, const SosCascade::Row* sos, std::size_t n_sections, double* zi,
                              std::size_t zi_stride, double* w) {
  for (std::size_t t = 0; t < n_rows; ++t) {
    const float* x_row = x + t * x_stride;
    for (std::size_t c = 0; c < nb; ++c)
      w[c] = static_cast<double>(x_row[c]);
    for (std::size_t s = 0; s < n_sections; ++s) {
      const double b0 = sos[s][0], b1 = sos[s][1], b2 = sos[s][2];
      const double a1 = sos[s][4], a2 = sos[s][5];
      double* const z0 = zi + (2 * s) * zi_stride;
      double* const z1 = z0 + zi_stride;
      // Transposed direct form II in scipy's sosfilt operation order (scipy/signal/_sosfilt.pyx):
      //   y  = b0 x + z0
      //   z0 = (b1 x - a1 y) + z1
      //   z1 = b2 x - a2 y
      for (std::size_t c = 0; c < nb; ++c) {
        const double xv = w[c];
        const double yv = b0 * xv + z0[c];
        z0[c] = (b1 * xv - a1 * yv) + z1[c];
        z1[c] = b2 * xv - a2 * yv;
        w[c] = yv;
      }
    }
    float* y_row = y + t * y_stride;
    for (std::size_t c = 0; c < nb; ++c)
      y_row[c] = static_cast<float>(w[c]);
  }
}

/// The same arithmetic for a group of kGroup channels with the whole cascade's state held in
/// registers across the rows (simd_group.hpp). Per row and section only the multiplies and adds
/// remain, no state loads or stores; the sections' recurrences are independent of each other,
/// which hides their latency. Lane by lane this is sos_block's arithmetic in the same order.
using simd::GroupD;
using simd::kGroup;

template <std::size_t S>
[[gnu::always_inline]] inline void sos_group(const float* x, std::size_t x_stride, float* y, std::size_t y_stride,
                                             std::size_t n_rows, const SosCascade::Row* sos, double* zi,
                                             std::size_t zi_stride) {
  GroupD z0[S], z1[S];
  for (std::size_t s = 0; s < S; ++s) {
    z0[s] = simd::load(zi + (2 * s) * zi_stride);
    z1[s] = simd::load(zi + (2 * s + 1) * zi_stride);
  }
  for (std::size_t t = 0; t < n_rows; ++t) {
    GroupD w = simd::load_widen(x + t * x_stride);
    for (std::size_t s = 0; s < S; ++s) { // scipy's order, as in sos_block
      const GroupD yv = sos[s][0] * w + z0[s];
      z0[s] = (sos[s][1] * w - sos[s][4] * yv) + z1[s];
      z1[s] = sos[s][2] * w - sos[s][5] * yv;
      w = yv;
    }
    simd::narrow_store(y + t * y_stride, w);
  }
  for (std::size_t s = 0; s < S; ++s) {
    simd::store(zi + (2 * s) * zi_stride, z0[s]);
    simd::store(zi + (2 * s + 1) * zi_stride, z1[s]);
  }
}

/// Whole groups of kGroup channels of a tile, for cascades of up to 8 sections (an order-16
/// lowpass or order-8 bandpass); returns the number of channels done (0: use sos_block).
DASFLOW_KERNEL std::size_t sos_groups(const float* x, std::size_t x_stride, float* y, std::size_t y_stride,
                                      std::size_t n_rows, std::size_t width, const SosCascade::Row* sos,
                                      std::size_t n_sections, double* zi, std::size_t zi_stride) {
  const std::size_t groups = width / kGroup;
  for (std::size_t g = 0; g < groups; ++g) {
    const std::size_t c = g * kGroup;
    switch (n_sections) {
    case 1: sos_group<1>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 2: sos_group<2>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 3: sos_group<3>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 4: sos_group<4>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 5: sos_group<5>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 6: sos_group<6>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 7: sos_group<7>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    case 8: sos_group<8>(x + c, x_stride, y + c, y_stride, n_rows, sos, zi + c, zi_stride); break;
    default: return 0;
    }
  }
  return groups * kGroup;
}

} // namespace

void SosCascade::process_tile(const ColumnTile& t) noexcept {
  alignas(64) double work[kBlockChannels]; // one row of one block, in double between sections
  const std::size_t done = sos_groups(t.in, t.in_stride, t.out, t.out_stride, t.in_rows, t.width, sos_.data(),
                                      sos_.size(), zi_.data() + t.c0, n_channels_);
  for (std::size_t c = done; c < t.width; c += kBlockChannels) {
    const std::size_t nb = std::min(kBlockChannels, t.width - c);
    sos_block(t.in + c, t.in_stride, t.out + c, t.out_stride, t.in_rows, nb, sos_.data(), sos_.size(),
              zi_.data() + t.c0 + c, n_channels_, work);
  }
}

StateTree SosCascade::save(const char* kind) const {
  StateTree t(kind, kStateVersion);
  t.set("n_sections", static_cast<std::int64_t>(sos_.size()));
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  t.set("zi", std::vector<double>(zi_.begin(), zi_.end()));
  return t;
}

Result<void> SosCascade::restore(const StateTree& state, const char* kind) {
  DASFLOW_TRY(state.expect(kind, kStateVersion));
  DASFLOW_TRY_ASSIGN(n_sections, state.get_int("n_sections"));
  DASFLOW_TRY_ASSIGN(n_channels, state.get_int("n_channels"));
  if (n_sections != static_cast<std::int64_t>(sos_.size()) || n_channels != static_cast<std::int64_t>(n_channels_))
    return fail(Errc::state_mismatch, std::string(kind) + " state is for " + std::to_string(n_sections) +
                                          " sections × " + std::to_string(n_channels) + " channels, the pipeline has " +
                                          std::to_string(sos_.size()) + " × " + std::to_string(n_channels_));
  DASFLOW_TRY_ASSIGN(zi, state.get_doubles("zi", zi_.size()));
  std::copy(zi.begin(), zi.end(), zi_.begin());
  return {};
}

} // namespace dasflow::atoms
