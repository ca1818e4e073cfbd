#include "dasflow/atoms/fir_kernel.hpp"

#include <algorithm>
#include <cstring>

#include "dasflow/atoms/decimation_phase.hpp"
#include "kernel_dispatch.hpp"
#include "simd_group.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::int64_t kStateVersion = 1;

/// Rows of float32 (`stride` apart) into consecutive rows of `width` doubles: exact, and done once
/// per input sample instead of once per tap.
DASFLOW_KERNEL void widen_rows(const float* src, std::size_t stride, std::size_t rows, std::size_t width, double* dst) {
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < width; ++c)
      dst[r * width + c] = static_cast<double>(src[r * stride + c]);
}

/// One output row of `width` channels. `x` points at the output sample's own input row in `ext`, a
/// contiguous time axis of rows of `width` doubles (input row n − k at x − k·width).
///
/// scipy.signal.lfilter(b, [1], x) runs transposed direct form II with a zero-padded `a`; unrolled,
/// its output is  y[n] = ((b[N-1] x[n-N+1] + b[N-2] x[n-N+2]) + … + b[1] x[n-1]) + b[0] x[n]:
/// the oldest tap first, the newest last. Summing in exactly that order (in double) is what makes
/// us match scipy to rounding and makes the result independent of chunking and tiling. Groups of
/// 4 × kGroup channels keep four accumulators in registers (simd_group.hpp), whose independent sums
/// hide the adds' latency; the remaining channels are summed one by one in the same order.
DASFLOW_KERNEL void fir_row(const double* x, std::size_t width, const double* b, std::size_t n_taps, float* y) {
  using simd::GroupD;
  if (n_taps == 1) {
    for (std::size_t c = 0; c < width; ++c)
      y[c] = static_cast<float>(x[c] * b[0]);
    return;
  }
  constexpr std::size_t kWide = 4 * simd::kGroup;
  const double* const oldest = x - (n_taps - 1) * width;
  const double bl = b[n_taps - 1], b0 = b[0];
  std::size_t c = 0;
  for (; c + kWide <= width; c += kWide) {
    GroupD a0 = simd::load(oldest + c) * bl, a1 = simd::load(oldest + c + 8) * bl;
    GroupD a2 = simd::load(oldest + c + 16) * bl, a3 = simd::load(oldest + c + 24) * bl;
    for (std::size_t k = n_taps - 2; k >= 1; --k) {
      const double* xk = x - k * width + c;
      const double bk = b[k];
      a0 = a0 + simd::load(xk) * bk;
      a1 = a1 + simd::load(xk + 8) * bk;
      a2 = a2 + simd::load(xk + 16) * bk;
      a3 = a3 + simd::load(xk + 24) * bk;
    }
    simd::narrow_store(y + c, a0 + b0 * simd::load(x + c));
    simd::narrow_store(y + c + 8, a1 + b0 * simd::load(x + c + 8));
    simd::narrow_store(y + c + 16, a2 + b0 * simd::load(x + c + 16));
    simd::narrow_store(y + c + 24, a3 + b0 * simd::load(x + c + 24));
  }
  for (; c < width; ++c) {
    double acc = oldest[c] * bl;
    for (std::size_t k = n_taps - 2; k >= 1; --k)
      acc = acc + (x - k * width)[c] * b[k]; // row n − k (pointer first: c − k·width would wrap)
    y[c] = static_cast<float>(acc + b0 * x[c]);
  }
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
  // The history and the tile as one contiguous time axis of doubles, per thread, in column blocks
  // small enough to stay in cache (however long the filter).
  thread_local AlignedBuffer<double> ext;
  const std::size_t ext_rows = hist_rows + t.in_rows;
  const std::size_t block = std::max<std::size_t>(32, (std::size_t{1} << 16) / ext_rows / 32 * 32);
  for (std::size_t c0 = 0; c0 < t.width; c0 += block) {
    const std::size_t w = std::min(block, t.width - c0);
    ext.resize(std::max(ext.size(), ext_rows * w));
    widen_rows(hist + c0, n_channels_, hist_rows, w, ext.data());
    widen_rows(t.in + c0, t.in_stride, t.in_rows, w, ext.data() + hist_rows * w);
    for (std::size_t j = 0; j < kept.count; ++j) {
      const std::size_t row = kept.first_row + j * static_cast<std::size_t>(factor_);
      fir_row(ext.data() + (hist_rows + row) * w, w, taps_.data(), taps_.size(), t.out + j * t.out_stride + c0);
    }
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
