#include "dasflow/atoms/fir_kernel.hpp"

#include <algorithm>
#include <cstring>

#include "dasflow/atoms/decimation_phase.hpp"
#include "kernel_dispatch.hpp"
#include "simd_group.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::size_t kBlockChannels = 512;
constexpr std::int64_t kStateVersion = 1;

/// One output row for a block of `nb` channels: the output sample of input tile row `row`. Input
/// row row − k comes from the tile (`in`, rows apart by `in_stride`) when k <= row, and otherwise
/// from the history (`hist`, `hist_rows` rows apart by `hist_stride`, oldest first).
///
/// scipy.signal.lfilter(b, [1], x) runs transposed direct form II with a zero-padded `a`; unrolled,
/// its output is  y[n] = ((b[N-1] x[n-N+1] + b[N-2] x[n-N+2]) + … + b[1] x[n-1]) + b[0] x[n]:
/// the oldest tap first, the newest last. Summing in exactly that order (in double) is what makes
/// us match scipy to rounding and makes the result independent of chunking and tiling.
DASFLOW_KERNEL void fir_row(const float* in, std::size_t in_stride, const float* hist, std::size_t hist_stride,
                            std::size_t hist_rows, std::size_t row, std::size_t nb, const double* b, std::size_t n_taps,
                            float* y) {
  const float* x = in + row * in_stride;
  if (n_taps == 1) {
    for (std::size_t c = 0; c < nb; ++c)
      y[c] = static_cast<float>(static_cast<double>(x[c]) * b[0]);
    return;
  }
  const auto input = [&](std::size_t k) {
    return k <= row ? in + (row - k) * in_stride : hist + (hist_rows + row - k) * hist_stride;
  };
  alignas(64) double acc[kBlockChannels];
  const float* oldest = input(n_taps - 1);
  for (std::size_t c = 0; c < nb; ++c)
    acc[c] = static_cast<double>(oldest[c]) * b[n_taps - 1];
  for (std::size_t k = n_taps - 2; k >= 1; --k) {
    const float* xk = input(k);
    const double bk = b[k];
    for (std::size_t c = 0; c < nb; ++c)
      acc[c] = acc[c] + static_cast<double>(xk[c]) * bk;
  }
  const double b0 = b[0];
  for (std::size_t c = 0; c < nb; ++c)
    y[c] = static_cast<float>(acc[c] + b0 * static_cast<double>(x[c]));
}

/// fir_row for 4 × kGroup channels at once with the accumulators in registers (simd_group.hpp): four
/// independent sums hide the latency of the adds. Same per-lane order of operations as fir_row.
/// Returns the channels done (a multiple of 4 × kGroup).
DASFLOW_KERNEL std::size_t fir_row_groups(const float* in, std::size_t in_stride, const float* hist,
                                          std::size_t hist_stride, std::size_t hist_rows, std::size_t row,
                                          std::size_t width, const double* b, std::size_t n_taps, float* y) {
  using simd::GroupD;
  constexpr std::size_t kWide = 4 * simd::kGroup;
  if (n_taps < 2) return 0;
  const auto input = [&](std::size_t k) {
    return k <= row ? in + (row - k) * in_stride : hist + (hist_rows + row - k) * hist_stride;
  };
  const std::size_t done = width / kWide * kWide;
  for (std::size_t c = 0; c < done; c += kWide) {
    const float* oldest = input(n_taps - 1) + c;
    const double bl = b[n_taps - 1];
    GroupD a0 = simd::load_widen(oldest) * bl, a1 = simd::load_widen(oldest + 8) * bl;
    GroupD a2 = simd::load_widen(oldest + 16) * bl, a3 = simd::load_widen(oldest + 24) * bl;
    for (std::size_t k = n_taps - 2; k >= 1; --k) {
      const float* xk = input(k) + c;
      const double bk = b[k];
      a0 = a0 + simd::load_widen(xk) * bk;
      a1 = a1 + simd::load_widen(xk + 8) * bk;
      a2 = a2 + simd::load_widen(xk + 16) * bk;
      a3 = a3 + simd::load_widen(xk + 24) * bk;
    }
    const float* x = in + row * in_stride + c;
    const double b0 = b[0];
    simd::narrow_store(y + c, a0 + b0 * simd::load_widen(x));
    simd::narrow_store(y + c + 8, a1 + b0 * simd::load_widen(x + 8));
    simd::narrow_store(y + c + 16, a2 + b0 * simd::load_widen(x + 16));
    simd::narrow_store(y + c + 24, a3 + b0 * simd::load_widen(x + 24));
  }
  return done;
}

} // namespace

void FirKernel::configure(std::vector<double> taps, std::size_t n_channels, std::int64_t factor) {
  taps_ = std::move(taps);
  factor_ = factor;
  n_channels_ = n_channels;
  history_.resize(0);
  history_.resize((taps_.size() - 1) * n_channels);
}

std::size_t FirKernel::max_output_samples(std::size_t n_in) const noexcept {
  const auto q = static_cast<std::size_t>(factor_);
  return (n_in + q - 1) / q;
}

ChunkShape FirKernel::begin(const ChunkView& in) noexcept {
  chunk_first_index_ = in.first_index;
  const KeptRows kept = kept_rows(in.first_index, in.n_samples, factor_);
  return {kept.count, factor_ == 1 ? in.first_index : kept.first_index / factor_};
}

std::size_t FirKernel::rows_out_through(std::size_t in_rows) const noexcept {
  return kept_rows(chunk_first_index_, in_rows, factor_).count;
}

void FirKernel::process_tile(const ColumnTile& t) noexcept {
  const std::size_t hist_rows = taps_.size() - 1;
  float* const hist = history_.data() + t.c0;
  const KeptRows kept = kept_rows(t.in_first_index, t.in_rows, factor_);
  for (std::size_t j = 0; j < kept.count; ++j) {
    const std::size_t row = kept.first_row + j * static_cast<std::size_t>(factor_);
    float* const y = t.out + j * t.out_stride;
    const std::size_t done =
        fir_row_groups(t.in, t.in_stride, hist, n_channels_, hist_rows, row, t.width, taps_.data(), taps_.size(), y);
    for (std::size_t c = done; c < t.width; c += kBlockChannels)
      fir_row(t.in + c, t.in_stride, hist + c, n_channels_, hist_rows, row, std::min(kBlockChannels, t.width - c),
              taps_.data(), taps_.size(), t.out + j * t.out_stride + c);
  }
  // The new history: the last hist_rows rows of (history, tile), for the tile's columns.
  const std::size_t bytes = t.width * sizeof(float);
  if (t.in_rows >= hist_rows) {
    for (std::size_t i = 0; i < hist_rows; ++i)
      std::memcpy(hist + i * n_channels_, t.in + (t.in_rows - hist_rows + i) * t.in_stride, bytes);
  } else {
    const std::size_t keep = hist_rows - t.in_rows;
    for (std::size_t i = 0; i < keep; ++i)
      std::memcpy(hist + i * n_channels_, hist + (i + t.in_rows) * n_channels_, bytes);
    for (std::size_t i = 0; i < t.in_rows; ++i)
      std::memcpy(hist + (keep + i) * n_channels_, t.in + i * t.in_stride, bytes);
  }
}

StateTree FirKernel::save(const char* kind) const {
  StateTree t(kind, kStateVersion);
  t.set("n_taps", static_cast<std::int64_t>(taps_.size()));
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  // float32 history widened to double: exact, and restored by narrowing back.
  t.set("history", std::vector<double>(history_.begin(), history_.end()));
  return t;
}

Result<void> FirKernel::restore(const StateTree& state, const char* kind) {
  DASFLOW_TRY(state.expect(kind, kStateVersion));
  DASFLOW_TRY_ASSIGN(n_taps, state.get_int("n_taps"));
  DASFLOW_TRY_ASSIGN(n_channels, state.get_int("n_channels"));
  if (n_taps != static_cast<std::int64_t>(taps_.size()) || n_channels != static_cast<std::int64_t>(n_channels_))
    return fail(Errc::state_mismatch, std::string(kind) + " state is for " + std::to_string(n_taps) + " taps × " +
                                          std::to_string(n_channels) + " channels, the pipeline has " +
                                          std::to_string(taps_.size()) + " × " + std::to_string(n_channels_));
  DASFLOW_TRY_ASSIGN(history, state.get_doubles("history", history_.size()));
  for (std::size_t i = 0; i < history.size(); ++i)
    history_[i] = static_cast<float>(history[i]);
  return {};
}

} // namespace dasflow::atoms
