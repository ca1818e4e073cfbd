#include "dasflow/atoms/fir_kernel.hpp"

#include <algorithm>
#include <cstring>

#include "dasflow/atoms/decimation_phase.hpp"
#include "kernel_dispatch.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::size_t kBlockChannels = 512;
constexpr std::int64_t kStateVersion = 1;

/// One output row for a block of `nb` channels. `x` points at the output sample's own input row in
/// a contiguous time axis (earlier rows at negative multiples of `stride`).
///
/// scipy.signal.lfilter(b, [1], x) runs transposed direct form II with a zero-padded `a`; unrolled,
/// its output is  y[n] = ((b[N-1] x[n-N+1] + b[N-2] x[n-N+2]) + … + b[1] x[n-1]) + b[0] x[n]:
/// the oldest tap first, the newest last. Summing in exactly that order (in double) is what makes
/// us match scipy to rounding and makes the result independent of chunking.
DASFLOW_KERNEL void fir_row(const float* x, std::size_t stride, std::size_t nb, const double* b, std::size_t n_taps,
                            double* acc, float* y) {
  if (n_taps == 1) {
    for (std::size_t c = 0; c < nb; ++c)
      y[c] = static_cast<float>(static_cast<double>(x[c]) * b[0]);
    return;
  }
  const float* oldest = x - (n_taps - 1) * stride;
  for (std::size_t c = 0; c < nb; ++c)
    acc[c] = static_cast<double>(oldest[c]) * b[n_taps - 1];
  for (std::size_t k = n_taps - 2; k >= 1; --k) {
    const float* xk = x - k * stride;
    const double bk = b[k];
    for (std::size_t c = 0; c < nb; ++c)
      acc[c] = acc[c] + static_cast<double>(xk[c]) * bk;
  }
  const double b0 = b[0];
  for (std::size_t c = 0; c < nb; ++c)
    y[c] = static_cast<float>(acc[c] + b0 * static_cast<double>(x[c]));
}

} // namespace

void FirKernel::configure(std::vector<double> taps, std::size_t n_channels, std::int64_t factor) {
  taps_ = std::move(taps);
  factor_ = factor;
  n_channels_ = n_channels;
  history_.resize(0);
  history_.resize((taps_.size() - 1) * n_channels);
  acc_.resize(std::min(kBlockChannels, n_channels));
}

std::size_t FirKernel::max_output_samples(std::size_t n_in) const noexcept {
  const auto q = static_cast<std::size_t>(factor_);
  return (n_in + q - 1) / q;
}

void FirKernel::process(const ChunkView& in, Chunk& out) {
  const std::size_t hist_rows = taps_.size() - 1;
  const std::size_t nch = n_channels_;
  // One contiguous time axis: the history rows, then the chunk.
  ext_.resize((hist_rows + in.n_samples) * nch);
  if (history_.size() != 0) std::memcpy(ext_.data(), history_.data(), history_.size() * sizeof(float));
  if (in.n_samples != 0)
    std::memcpy(ext_.data() + hist_rows * nch, in.samples.data(), in.n_samples * nch * sizeof(float));

  const KeptRows kept = kept_rows(in.first_index, in.n_samples, factor_);
  out.reshape(kept.count, nch);
  out.first_index = factor_ == 1 ? in.first_index : kept.first_index / factor_;
  for (std::size_t j = 0; j < kept.count; ++j) {
    const std::size_t row = kept.first_row + j * static_cast<std::size_t>(factor_);
    const float* x = ext_.data() + (hist_rows + row) * nch;
    for (std::size_t c0 = 0; c0 < nch; c0 += kBlockChannels)
      fir_row(x + c0, nch, std::min(kBlockChannels, nch - c0), taps_.data(), taps_.size(), acc_.data(),
              out.row(j) + c0);
  }
  // The new history: the last hist_rows rows of the extended axis.
  if (hist_rows != 0) std::memmove(history_.data(), ext_.data() + in.n_samples * nch, hist_rows * nch * sizeof(float));
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
