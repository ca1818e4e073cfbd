#include "dasflow/atoms/sliding_spectrum.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

namespace dasflow::atoms {

namespace {

constexpr std::int64_t kStateVersion = 1;
constexpr std::size_t kGroupChannels = 32; // FFTW batch: 32 × n floats stay in L2 for n ≤ 4096

/// ⌈a / b⌉ for b > 0 and any sign of a.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && a > 0) ? q + 1 : q;
}

} // namespace

void SlidingSpectrum::configure(Setup setup) {
  setup_ = std::move(setup);
  double sum_w2 = 0.0;
  for (double w : setup_.window)
    sum_w2 += w * w; // numpy's (win * win).sum() uses pairwise summation; the difference is < 1 ulp
  scale_ = 1.0 / (setup_.fs_hz * sum_w2);
  group_ = std::min(kGroupChannels, std::max<std::size_t>(setup_.n_channels, 1));
  fft_.configure(FftPlan::Direction::real_to_complex, {static_cast<int>(setup_.nperseg)}, group_);
  psd_.assign(group_ * n_bins(), 0.0);
  mean_.assign(group_, 0.0);
  pending_.resize(0);
  reset();
}

void SlidingSpectrum::reset() noexcept {
  started_ = false;
  pending_first_ = 0;
  n_pending_ = 0;
}

double SlidingSpectrum::bin_hz(std::size_t f) const noexcept {
  return static_cast<double>(f) * setup_.fs_hz / static_cast<double>(setup_.nperseg);
}

std::size_t SlidingSpectrum::max_segments(std::size_t n_in) const noexcept {
  return (n_in + setup_.nperseg - 1) / setup_.hop + 1;
}

std::int64_t SlidingSpectrum::process(const ChunkView& in, const Sink& sink) {
  const std::size_t nch = setup_.n_channels;
  const auto hop = static_cast<std::int64_t>(setup_.hop);
  const auto n = static_cast<std::int64_t>(setup_.nperseg);
  // A discontinuity (a gap the runtime let through, or the first chunk) restarts segmentation:
  // a segment across a gap would mix unrelated samples.
  if (!started_ || in.first_index != pending_first_ + static_cast<std::int64_t>(n_pending_)) {
    started_ = true;
    pending_first_ = in.first_index;
    n_pending_ = 0;
  }
  const std::size_t rows = n_pending_ + in.n_samples;
  ext_.resize(rows * nch);
  if (n_pending_ != 0) std::memcpy(ext_.data(), pending_.data(), n_pending_ * nch * sizeof(float));
  if (in.n_samples != 0)
    std::memcpy(ext_.data() + n_pending_ * nch, in.samples.data(), in.n_samples * nch * sizeof(float));

  const std::int64_t end = pending_first_ + static_cast<std::int64_t>(rows);
  const std::int64_t k_first = ceil_div(pending_first_, hop);
  std::int64_t k = k_first;
  for (; k * hop + n <= end; ++k) {
    const auto row = static_cast<std::size_t>(k * hop - pending_first_);
    compute_segment(ext_.data() + row * nch, static_cast<std::size_t>(k - k_first), sink);
  }
  // Keep the rows from the next segment's start (all of them if it starts before the buffer).
  const std::int64_t keep_from = std::max(k * hop, pending_first_);
  const auto drop = static_cast<std::size_t>(std::min(keep_from, end) - pending_first_);
  n_pending_ = rows - drop;
  pending_.resize(n_pending_ * nch);
  if (n_pending_ != 0) std::memcpy(pending_.data(), ext_.data() + drop * nch, n_pending_ * nch * sizeof(float));
  pending_first_ += static_cast<std::int64_t>(drop);
  return k_first;
}

void SlidingSpectrum::process_into(const ChunkView& in, Chunk& out, std::size_t columns, const RowWriter& write) {
  out.reshape(max_segments(in.n_samples), columns);
  std::size_t rows = 0;
  out.first_index = process(in, [&](std::size_t r, std::size_t c0, std::size_t nb, const double* psd) {
    write(out.row(r), c0, nb, psd);
    rows = r + 1;
  });
  out.reshape(rows, columns); // shrinking keeps the buffer
}

StreamInfo SlidingSpectrum::output_stream(const StreamInfo& in, std::shared_ptr<SpectralAxis> axis) const {
  axis->n_locations = in.n_channels;
  axis->window_samples = setup_.nperseg;
  axis->overlap_samples = setup_.nperseg - setup_.hop;
  axis->input_fs_hz = in.fs_hz;
  StreamInfo out = in;
  out.fs_hz = in.fs_hz / static_cast<double>(setup_.hop);
  out.origin_ns = in.origin_ns + std::llround(static_cast<double>(setup_.nperseg) / 2.0 * 1e9 / in.fs_hz);
  out.n_channels = axis->n_bins() * in.n_channels;
  out.spectral = std::move(axis);
  return out;
}

void SlidingSpectrum::compute_segment(const float* first_row, std::size_t row, const Sink& sink) {
  const std::size_t nch = setup_.n_channels, n = setup_.nperseg, bins = n_bins();
  const double* w = setup_.window.data();
  double* mean = mean_.data();
  for (std::size_t c0 = 0; c0 < nch; c0 += group_) {
    const std::size_t nb = std::min(group_, nch - c0);
    // Rows are read whole (nb contiguous channels) and scattered into the plan's rows; each
    // channel's arithmetic is still one fixed sequence in time order.
    std::fill(mean, mean + nb, 0.0);
    if (setup_.detrend_constant) {
      for (std::size_t t = 0; t < n; ++t) {
        const float* x = first_row + t * nch + c0;
        for (std::size_t j = 0; j < nb; ++j)
          mean[j] += static_cast<double>(x[j]);
      }
      for (std::size_t j = 0; j < nb; ++j)
        mean[j] /= static_cast<double>(n);
    }
    for (std::size_t t = 0; t < n; ++t) {
      const float* x = first_row + t * nch + c0;
      const double wt = w[t];
      for (std::size_t j = 0; j < nb; ++j)
        fft_.real(j)[t] = static_cast<float>((static_cast<double>(x[j]) - mean[j]) * wt);
    }
    for (std::size_t j = nb; j < group_; ++j) // the last group's unused transforms: zeros, never read
      std::fill(fft_.real(j), fft_.real(j) + n, 0.0f);
    fft_.execute();
    for (std::size_t j = 0; j < nb; ++j) {
      const std::complex<float>* X = fft_.complex(j);
      double* p = psd_.data() + j * bins;
      for (std::size_t f = 0; f < bins; ++f) {
        const double re = X[f].real(), im = X[f].imag();
        double v = (re * re + im * im) * scale_;
        // One-sided: every bin but DC and (even n) Nyquist carries its negative-frequency twin.
        if (f != 0 && !(n % 2 == 0 && f == bins - 1)) v *= 2.0;
        p[f] = v;
      }
    }
    sink(row, c0, nb, psd_.data());
  }
}

StateTree SlidingSpectrum::save(const char* kind) const {
  StateTree t(kind, kStateVersion);
  t.set("n_channels", static_cast<std::int64_t>(setup_.n_channels));
  t.set("nperseg", static_cast<std::int64_t>(setup_.nperseg));
  t.set("hop", static_cast<std::int64_t>(setup_.hop));
  t.set("started", static_cast<std::int64_t>(started_ ? 1 : 0));
  t.set("pending_first", pending_first_);
  t.set("n_pending", static_cast<std::int64_t>(n_pending_));
  // float32 samples widened to double: exact, restored by narrowing back.
  t.set("pending", std::vector<double>(pending_.begin(), pending_.begin() + n_pending_ * setup_.n_channels));
  return t;
}

Result<void> SlidingSpectrum::restore(const StateTree& state, const char* kind) {
  DASFLOW_TRY(state.expect(kind, kStateVersion));
  DASFLOW_TRY_ASSIGN(n_channels, state.get_int("n_channels"));
  DASFLOW_TRY_ASSIGN(nperseg, state.get_int("nperseg"));
  DASFLOW_TRY_ASSIGN(hop, state.get_int("hop"));
  if (n_channels != static_cast<std::int64_t>(setup_.n_channels) ||
      nperseg != static_cast<std::int64_t>(setup_.nperseg) || hop != static_cast<std::int64_t>(setup_.hop))
    return fail(Errc::state_mismatch, std::string(kind) + " state is for " + std::to_string(n_channels) +
                                          " channels, segments of " + std::to_string(nperseg) + " every " +
                                          std::to_string(hop) + "; the pipeline has " +
                                          std::to_string(setup_.n_channels) + ", " + std::to_string(setup_.nperseg) +
                                          " every " + std::to_string(setup_.hop));
  DASFLOW_TRY_ASSIGN(started, state.get_int("started"));
  DASFLOW_TRY_ASSIGN(pending_first, state.get_int("pending_first"));
  DASFLOW_TRY_ASSIGN(n_pending, state.get_int("n_pending"));
  if ((started != 0 && started != 1) || n_pending < 0 || n_pending >= nperseg ||
      pending_first < -(std::int64_t{1} << 62) || pending_first > (std::int64_t{1} << 62))
    return fail(Errc::state_mismatch, std::string(kind) + " state is inconsistent (started " + std::to_string(started) +
                                          ", " + std::to_string(n_pending) + " pending rows)");
  const auto rows = static_cast<std::size_t>(n_pending);
  DASFLOW_TRY_ASSIGN(pending, state.get_doubles("pending", rows * setup_.n_channels));
  started_ = started == 1;
  pending_first_ = pending_first;
  n_pending_ = rows;
  pending_.resize(pending.size());
  for (std::size_t i = 0; i < pending.size(); ++i)
    pending_[i] = static_cast<float>(pending[i]);
  return {};
}

} // namespace dasflow::atoms
