#include "dasflow/atoms/sos_cascade.hpp"

#include <algorithm>

#include "kernel_dispatch.hpp"

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
  work_.resize(std::min(kBlockChannels, n_channels));
}

namespace {

/// Rows [0, n_rows) of one block of `nb` channels through every section. `zi` points at the block's
/// first channel of section 0's z0; z1 of section s is at zi + (2s + 1) * zi_stride.
DASFLOW_KERNEL void sos_block(const float* x, float* y, std::size_t row_stride, std::size_t n_rows, std::size_t nb,
                              const SosCascade::Row* sos, std::size_t n_sections, double* zi, std::size_t zi_stride,
                              double* w) {
  for (std::size_t t = 0; t < n_rows; ++t) {
    const float* x_row = x + t * row_stride;
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
    float* y_row = y + t * row_stride;
    for (std::size_t c = 0; c < nb; ++c)
      y_row[c] = static_cast<float>(w[c]);
  }
}

} // namespace

void SosCascade::process(const ChunkView& in, Chunk& out) noexcept {
  out.reshape(in.n_samples, n_channels_);
  out.first_index = in.first_index;
  for (std::size_t c0 = 0; c0 < n_channels_; c0 += kBlockChannels) {
    const std::size_t nb = std::min(kBlockChannels, n_channels_ - c0);
    sos_block(in.samples.data() + c0, out.samples.data() + c0, n_channels_, in.n_samples, nb, sos_.data(), sos_.size(),
              zi_.data() + c0, n_channels_, work_.data());
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
