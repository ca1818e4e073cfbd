#include "dasflow/atoms/fk_filter.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <numbers>
#include <stdexcept>

#include "dasflow/core/assert.hpp"
#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {

constexpr std::int64_t kStateVersion = 1;
constexpr std::size_t kMinWindow = 8;

/// ceil(a / b) for b > 0 and any sign of a: the block grid is anchored at absolute index 0, and
/// C++ division truncates toward zero.
std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b, r = a % b;
  return r > 0 ? q + 1 : q;
}

} // namespace

std::unique_ptr<Atom> FkFilter::from_config(ConfigReader& r) {
  Config c;
  if (!r.has("vmin")) r.error("vmin", "is required (m/s; 0 for no lower limit)");
  c.fan.vmin_mps = r.number("vmin", 0.0);
  if (c.fan.vmin_mps < 0.0) r.error("vmin", "must be >= 0 m/s, got " + YamlFlowMap::format(c.fan.vmin_mps));
  if (const auto vmax = r.optional_number("vmax")) {
    c.fan.vmax_mps = *vmax;
    if (!(*vmax > c.fan.vmin_mps))
      r.error("vmax", "must be greater than vmin (" + YamlFlowMap::format(c.fan.vmin_mps) + "), got " +
                          YamlFlowMap::format(*vmax));
  }
  if (!r.has("window")) r.error("window", "is required (block length in seconds)");
  c.window_s = r.number("window", 1.0);
  if (!(c.window_s > 0.0)) r.error("window", "must be positive (seconds), got " + YamlFlowMap::format(c.window_s));
  c.fan.taper = r.number("taper", 0.1);
  if (!(c.fan.taper >= 0.0 && c.fan.taper < 1.0))
    r.error("taper", "must be in [0, 1) (fraction of each edge velocity), got " + YamlFlowMap::format(c.fan.taper));
  c.fan.mode = r.choice("mode", "pass", {"pass", "reject"}) == "reject" ? FkMode::reject : FkMode::pass;
  c.pad = r.number("pad", 2.0);
  if (!(c.pad >= 1.0 && c.pad <= 8.0)) r.error("pad", "must be between 1 and 8, got " + YamlFlowMap::format(c.pad));
  return std::make_unique<FkFilter>(c);
}

Result<StreamInfo> FkFilter::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it transforms along distance"));
  if (in.n_channels < 2)
    return origin_.error("", "fkfilter needs at least 2 channels, the stream has " + std::to_string(in.n_channels));
  const double dx = std::fabs(in.coords->dx_m * static_cast<double>(in.coords->step));
  if (!(dx > 0.0 && std::isfinite(dx)))
    return origin_.error("", "fkfilter needs a positive channel spacing, the stream has dx_m × step = " +
                                 YamlFlowMap::format(dx));
  const double half = std::round(config_.window_s * in.fs_hz / 2.0);
  if (!(half * 2.0 >= static_cast<double>(kMinWindow)))
    return origin_.error("window", "must span at least " + std::to_string(kMinWindow) + " samples (" +
                                       YamlFlowMap::format(static_cast<double>(kMinWindow) / in.fs_hz) +
                                       " s at fs = " + YamlFlowMap::format(in.fs_hz) + " Hz), got " +
                                       YamlFlowMap::format(config_.window_s));
  const std::size_t w = 2 * static_cast<std::size_t>(half);
  const std::size_t nk = fk_wavenumber_length(in.n_channels, config_.pad);
  // FFTW takes int sizes and strides.
  if (static_cast<double>(w) * static_cast<double>(nk + 2) > static_cast<double>(INT_MAX))
    return origin_.error("window", "block of " + std::to_string(w) + " samples × " + std::to_string(nk) +
                                       " wavenumbers is too large for one FFT; shorten the window");
  try {
    forward_.configure(FftPlan::Direction::real_to_complex, {static_cast<int>(w), static_cast<int>(nk)}, 1);
    inverse_.configure(FftPlan::Direction::complex_to_real, {static_cast<int>(w), static_cast<int>(nk)}, 1);
  } catch (const std::exception& e) {
    return origin_.error("window", e.what());
  }
  n_channels_ = in.n_channels;
  w_ = w;
  hop_ = w / 2;
  nk_ = nk;
  window_.resize(w);
  for (std::size_t n = 0; n < w; ++n) // periodic Hann: scipy.signal.get_window("hann", W, fftbins=True)
    window_[n] = static_cast<float>(
        0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(n) / static_cast<double>(w)));
  // FFTW's c2r is unnormalised: the 1/(W·Nk) of the inverse rides on the mask.
  mask_ = fk_mask(config_.fan, w, nk, in.fs_hz, dx, 1.0 / (static_cast<double>(w) * static_cast<double>(nk)));
  pending_.resize(0);
  pending_.resize(w * n_channels_);
  partial_.resize(0);
  partial_.resize(hop_ * n_channels_);
  reset();
  return in;
}

void FkFilter::reset() noexcept {
  state_ = State{};
  pending_.assign_zero();
  partial_.assign_zero();
}

void FkFilter::start(std::int64_t first_index) noexcept {
  state_.started = true;
  state_.next_in = first_index;
  state_.block = ceil_div(first_index, static_cast<std::int64_t>(hop_));
  state_.have_partial = false;
}

std::size_t FkFilter::n_pending() const noexcept {
  const std::int64_t d = state_.next_in - state_.block * static_cast<std::int64_t>(hop_);
  return d > 0 ? static_cast<std::size_t>(d) : 0;
}

bool FkFilter::run_block(float* dst) noexcept {
  const std::size_t c_n = n_channels_, cols = nk_ / 2 + 1;
  // x_b[n, c] = w[n] · x[b·H + n, c], zero-padded to Nk columns.
  float* re = forward_.real(0);
  for (std::size_t t = 0; t < w_; ++t) {
    const float wt = window_[t];
    const float* x = pending_.data() + t * c_n;
    float* d = re + t * nk_;
    for (std::size_t c = 0; c < c_n; ++c)
      d[c] = x[c] * wt;
    std::fill(d + c_n, d + nk_, 0.0f);
  }
  forward_.execute();
  // Y[m, j] = M[min(m, W − m), j] · X[m, j] / (W·Nk): the mask depends on |f| only, so row m and
  // row W − m share a mask row.
  const float* s = reinterpret_cast<const float*>(forward_.complex(0));
  float* d = reinterpret_cast<float*>(inverse_.complex(0));
  for (std::size_t m = 0; m < w_; ++m) {
    const float* g = mask_.data() + std::min(m, w_ - m) * cols;
    const float* sm = s + 2 * m * cols;
    float* dm = d + 2 * m * cols;
    for (std::size_t j = 0; j < cols; ++j) {
      dm[2 * j] = sm[2 * j] * g[j];
      dm[2 * j + 1] = sm[2 * j + 1] * g[j];
    }
  }
  inverse_.execute();
  const float* y = inverse_.real(0);
  // Overlap-add: out[i] = Y_{b−1}[i] + Y_b[i] for the block's first half, in this order.
  const bool emitted = state_.have_partial;
  if (emitted)
    for (std::size_t t = 0; t < hop_; ++t) {
      const float* p = partial_.data() + t * c_n;
      const float* yt = y + t * nk_;
      float* o = dst + t * c_n;
      for (std::size_t c = 0; c < c_n; ++c)
        o[c] = p[c] + yt[c];
    }
  for (std::size_t t = 0; t < hop_; ++t)
    std::memcpy(partial_.data() + t * c_n, y + (hop_ + t) * nk_, c_n * sizeof(float));
  state_.have_partial = true;
  state_.block += 1;
  // The second half of this block is the first half of the next one.
  std::memmove(pending_.data(), pending_.data() + hop_ * c_n, (w_ - hop_) * c_n * sizeof(float));
  return emitted;
}

Result<void> FkFilter::process(const ChunkView& in, Chunk& out) {
  DASFLOW_ASSERT(in.n_channels == n_channels_, "fkfilter: chunk width differs from the configured stream");
  const std::size_t c_n = n_channels_;
  const auto h = static_cast<std::int64_t>(hop_);
  out.reshape(max_output_samples(in.n_samples), c_n);
  if (in.n_samples > 0 && (!state_.started || in.first_index != state_.next_in)) start(in.first_index);
  out.first_index = !state_.started ? in.first_index : (state_.block + (state_.have_partial ? 0 : 1)) * h;
  std::size_t r = 0, emitted = 0;
  while (r < in.n_samples) {
    const std::int64_t grid = state_.block * h;
    if (state_.next_in < grid) { // rows before the first whole block: never part of a used block
      const auto skip = static_cast<std::size_t>(
          std::min<std::int64_t>(grid - state_.next_in, static_cast<std::int64_t>(in.n_samples - r)));
      r += skip;
      state_.next_in += static_cast<std::int64_t>(skip);
      continue;
    }
    const std::size_t have = n_pending();
    const std::size_t take = std::min(in.n_samples - r, w_ - have);
    std::memcpy(pending_.data() + have * c_n, in.row(r), take * c_n * sizeof(float));
    r += take;
    state_.next_in += static_cast<std::int64_t>(take);
    if (have + take == w_ && run_block(out.row(emitted))) emitted += hop_;
  }
  out.reshape(emitted, c_n);
  pass_events(in, out);
  return {};
}

StateTree FkFilter::save_state() const {
  StateTree t("fkfilter", kStateVersion);
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  t.set("window_samples", static_cast<std::int64_t>(w_));
  t.set("started", std::int64_t{state_.started ? 1 : 0});
  t.set("next_in", state_.next_in);
  t.set("block", state_.block);
  t.set("have_partial", std::int64_t{state_.have_partial ? 1 : 0});
  // float32 rows widened to double: exact, and restored by narrowing back (as FirKernel).
  const std::size_t n_pend = state_.started ? n_pending() : 0;
  t.set("pending", std::vector<double>(pending_.begin(), pending_.begin() + n_pend * n_channels_));
  t.set("partial", state_.have_partial ? std::vector<double>(partial_.begin(), partial_.end()) : std::vector<double>{});
  return t;
}

Result<void> FkFilter::restore_state(const StateTree& s) {
  DASFLOW_TRY(s.expect("fkfilter", kStateVersion));
  DASFLOW_TRY_ASSIGN(n_channels, s.get_int("n_channels"));
  DASFLOW_TRY_ASSIGN(w, s.get_int("window_samples"));
  if (n_channels != static_cast<std::int64_t>(n_channels_) || w != static_cast<std::int64_t>(w_))
    return fail(Errc::state_mismatch, "fkfilter state is for " + std::to_string(n_channels) + " channels and a " +
                                          std::to_string(w) + "-sample window, the pipeline has " +
                                          std::to_string(n_channels_) + " and " + std::to_string(w_));
  State st;
  DASFLOW_TRY_ASSIGN(started, s.get_int("started"));
  DASFLOW_TRY_ASSIGN(next_in, s.get_int("next_in"));
  DASFLOW_TRY_ASSIGN(block, s.get_int("block"));
  DASFLOW_TRY_ASSIGN(have_partial, s.get_int("have_partial"));
  st.started = started != 0;
  st.next_in = next_in;
  st.block = block;
  st.have_partial = have_partial != 0;
  const std::int64_t d = st.next_in - st.block * static_cast<std::int64_t>(hop_);
  if (d >= static_cast<std::int64_t>(w_) || (d < 0 && (st.have_partial || -d >= static_cast<std::int64_t>(hop_))))
    return fail(Errc::state_mismatch, "fkfilter state is inconsistent: next input " + std::to_string(next_in) +
                                          " against block " + std::to_string(block));
  const std::size_t n_pend = st.started && d > 0 ? static_cast<std::size_t>(d) : 0;
  DASFLOW_TRY_ASSIGN(pending, s.get_doubles("pending", n_pend * n_channels_));
  DASFLOW_TRY_ASSIGN(partial, s.get_doubles("partial", st.have_partial ? hop_ * n_channels_ : 0));
  state_ = st;
  pending_.assign_zero();
  partial_.assign_zero();
  std::transform(pending.begin(), pending.end(), pending_.begin(), [](double v) { return static_cast<float>(v); });
  std::transform(partial.begin(), partial.end(), partial_.begin(), [](double v) { return static_cast<float>(v); });
  return {};
}

std::string FkFilter::config_yaml() const {
  YamlFlowMap m("fkfilter");
  m.add("vmin", config_.fan.vmin_mps);
  if (std::isfinite(config_.fan.vmax_mps)) m.add("vmax", config_.fan.vmax_mps);
  m.add("window", config_.window_s).add("taper", config_.fan.taper);
  m.add("mode", config_.fan.mode == FkMode::pass ? "pass" : "reject").add("pad", config_.pad);
  return m.str();
}

} // namespace dasflow::atoms
