#include "dasflow/atoms/fft_convolver.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace dasflow::atoms {

namespace {

/// Version 1 of these state kinds is FirKernel's direct-form history; see fft_convolver.hpp.
constexpr std::int64_t kStateVersion = 2;

} // namespace

std::size_t FftConvolver::fft_size_for(std::size_t n_taps) noexcept {
  const std::size_t want = std::max<std::size_t>(4 * n_taps, 64);
  std::size_t best = 0;
  for (std::size_t p2 = 1; p2 / 2 < want; p2 *= 2)
    for (std::size_t n = p2; n / 3 < want; n *= 3)
      if (n >= want && (best == 0 || n < best)) best = n;
  return best;
}

void FftConvolver::configure(std::vector<double> taps, std::size_t n_channels) {
  taps_ = std::move(taps);
  n_channels_ = n_channels;
  n_fft_ = fft_size_for(taps_.size());
  block_ = n_fft_ - (taps_.size() - 1);
  const int n = static_cast<int>(n_fft_);
  const std::size_t group = std::min(kGroupChannels, std::max<std::size_t>(n_channels, 1));

  // H[k] = DFT of the taps zero-padded to N, with the 1/N of the unnormalised inverse folded in.
  // Computed by the same single-precision FFTW as the data: its error (≈ 1e-7 relative) is far
  // inside the 1e-5-of-RMS bound of REFERENCE.md "Accuracy".
  FftPlan design;
  design.configure(FftPlan::Direction::real_to_complex, {n}, 1);
  for (std::size_t t = 0; t < taps_.size(); ++t)
    design.real(0)[t] = static_cast<float>(taps_[t]);
  design.execute();
  response_.resize(design.complex_size());
  const float scale = 1.0f / static_cast<float>(n_fft_);
  for (std::size_t k = 0; k < response_.size(); ++k)
    response_[k] = design.complex(0)[k] * scale;

  forward_.configure(FftPlan::Direction::real_to_complex, {n}, group);
  backward_.configure(FftPlan::Direction::complex_to_real, {n}, group);
  window_.resize(0);
  window_.resize(n_fft_ * n_channels_);
  reset();
}

void FftConvolver::reset() noexcept {
  window_.assign_zero();
  started_ = false;
  fill_ = 0;
  pending_ = 0;
  next_index_ = 0;
}

void FftConvolver::process(const ChunkView& in, Chunk& out, Chunk* delayed, std::size_t delay) {
  const std::size_t nch = n_channels_;
  const std::size_t hist = taps_.size() - 1;
  const auto l = static_cast<std::int64_t>(block_);
  if (!started_ && in.n_samples != 0) {
    // The block phase comes from the absolute index (STYLE.md §4), never from chunk positions.
    fill_ = static_cast<std::size_t>(((in.first_index % l) + l) % l);
    pending_ = 0;
    started_ = true;
  } else if (in.n_samples != 0 && in.first_index != next_index_) {
    // A gap the runtime let through (on_gap: continue). Like the direct form, the inputs before it
    // stay the filter's history, as if contiguous; but the block phase follows the new index, and
    // the (< L) outputs of the interrupted block cannot be emitted with their own indices in a
    // chunk that continues after the gap: they are dropped.
    const std::size_t have = hist + fill_;
    const std::size_t fill = static_cast<std::size_t>(((in.first_index % l) + l) % l);
    const std::size_t want = hist + fill;
    if (want <= have) {
      std::memmove(window_.data(), window_.data() + (have - want) * nch, want * nch * sizeof(float));
    } else {
      std::memmove(window_.data() + (want - have) * nch, window_.data(), have * nch * sizeof(float));
      std::memset(window_.data(), 0, (want - have) * nch * sizeof(float));
    }
    fill_ = fill;
    pending_ = 0;
  }
  if (in.n_samples != 0) next_index_ = in.end_index();
  std::size_t n_out = 0;
  if (fill_ + in.n_samples >= block_) {
    const std::size_t rest = in.n_samples - (block_ - fill_);
    n_out = pending_ + (block_ - fill_) + rest / block_ * block_;
  }
  out.reshape(n_out, nch);
  out.first_index = in.first_index - static_cast<std::int64_t>(pending_);
  if (delayed != nullptr) {
    delayed->reshape(n_out, nch);
    delayed->first_index = out.first_index;
  }
  std::size_t at = 0, out_row = 0;
  while (at < in.n_samples) {
    const std::size_t take = std::min(block_ - fill_, in.n_samples - at);
    std::memcpy(window_.data() + (hist + fill_) * nch, in.row(at), take * nch * sizeof(float));
    fill_ += take;
    pending_ += take;
    at += take;
    if (fill_ < block_) break;
    run_block(pending_, out, out_row, delayed, delay);
    out_row += pending_;
    // Overlap-save: the last M − 1 inputs of this block are the next block's history.
    if (hist != 0) std::memmove(window_.data(), window_.data() + block_ * nch, hist * nch * sizeof(float));
    fill_ = 0;
    pending_ = 0;
  }
}

void FftConvolver::run_block(std::size_t n_emit, Chunk& out, std::size_t out_row, Chunk* delayed, std::size_t delay) {
  const std::size_t nch = n_channels_;
  const std::size_t hist = taps_.size() - 1;
  const std::size_t first_pos = block_ - n_emit; // block position of the first output to emit
  const std::size_t n_bins = response_.size();
  for (std::size_t c0 = 0; c0 < nch; c0 += kGroupChannels) {
    const std::size_t g = std::min(kGroupChannels, nch - c0);
    for (std::size_t t = 0; t < n_fft_; ++t) {
      const float* row = window_.data() + t * nch + c0;
      for (std::size_t j = 0; j < g; ++j)
        forward_.real(j)[t] = row[j];
    }
    forward_.execute();
    // Y = X · H, written out so the compiler does not call the NaN-checking __mulsc3.
    for (std::size_t j = 0; j < g; ++j) {
      const std::complex<float>* x = forward_.complex(j);
      std::complex<float>* y = backward_.complex(j);
      for (std::size_t k = 0; k < n_bins; ++k) {
        const float xr = x[k].real(), xi = x[k].imag();
        const float hr = response_[k].real(), hi = response_[k].imag();
        y[k] = {xr * hr - xi * hi, xr * hi + xi * hr};
      }
    }
    backward_.execute();
    // Circular convolution equals the linear one from window row M − 1 on: block position p is
    // window row hist + p.
    for (std::size_t p = first_pos; p < block_; ++p) {
      float* dst = out.row(out_row + p - first_pos) + c0;
      for (std::size_t j = 0; j < g; ++j)
        dst[j] = backward_.real(j)[hist + p];
    }
  }
  if (delayed != nullptr)
    for (std::size_t p = first_pos; p < block_; ++p)
      std::memcpy(delayed->row(out_row + p - first_pos), window_.data() + (hist + p - delay) * nch,
                  nch * sizeof(float));
}

StateTree FftConvolver::save(const char* kind) const {
  StateTree t(kind, kStateVersion);
  t.set("n_taps", static_cast<std::int64_t>(taps_.size()));
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  t.set("block", static_cast<std::int64_t>(block_));
  t.set("started", static_cast<std::int64_t>(started_ ? 1 : 0));
  t.set("fill", static_cast<std::int64_t>(fill_));
  t.set("pending", static_cast<std::int64_t>(pending_));
  t.set("next_index", next_index_);
  // History and pending rows, float32 widened to double: exact, restored by narrowing back.
  const std::size_t n = (taps_.size() - 1 + fill_) * n_channels_;
  t.set("window", std::vector<double>(window_.begin(), window_.begin() + n));
  return t;
}

Result<void> FftConvolver::restore(const StateTree& state, const char* kind) {
  DASFLOW_TRY(state.expect(kind, kStateVersion));
  DASFLOW_TRY_ASSIGN(n_taps, state.get_int("n_taps"));
  DASFLOW_TRY_ASSIGN(n_channels, state.get_int("n_channels"));
  DASFLOW_TRY_ASSIGN(block, state.get_int("block"));
  if (n_taps != static_cast<std::int64_t>(taps_.size()) || n_channels != static_cast<std::int64_t>(n_channels_) ||
      block != static_cast<std::int64_t>(block_))
    return fail(Errc::state_mismatch, std::string(kind) + " FFT state is for " + std::to_string(n_taps) + " taps × " +
                                          std::to_string(n_channels) + " channels in blocks of " +
                                          std::to_string(block) + ", the pipeline has " + std::to_string(taps_.size()) +
                                          " × " + std::to_string(n_channels_) + " in blocks of " +
                                          std::to_string(block_));
  DASFLOW_TRY_ASSIGN(started, state.get_int("started"));
  DASFLOW_TRY_ASSIGN(fill, state.get_int("fill"));
  DASFLOW_TRY_ASSIGN(pending, state.get_int("pending"));
  DASFLOW_TRY_ASSIGN(next_index, state.get_int("next_index"));
  if (fill < 0 || fill >= block || pending < 0 || pending > fill || (started != 0 && started != 1))
    return fail(Errc::state_mismatch, std::string(kind) + " FFT state is inconsistent (fill " + std::to_string(fill) +
                                          ", pending " + std::to_string(pending) + ")");
  const std::size_t n = (taps_.size() - 1 + static_cast<std::size_t>(fill)) * n_channels_;
  DASFLOW_TRY_ASSIGN(window, state.get_doubles("window", n));
  window_.assign_zero();
  for (std::size_t i = 0; i < n; ++i)
    window_[i] = static_cast<float>(window[i]);
  started_ = started == 1;
  fill_ = static_cast<std::size_t>(fill);
  pending_ = static_cast<std::size_t>(pending);
  next_index_ = next_index;
  return {};
}

} // namespace dasflow::atoms
