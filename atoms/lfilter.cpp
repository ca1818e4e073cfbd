#include "dasflow/atoms/lfilter.hpp"

#include <algorithm>

#include "kernel_dispatch.hpp"

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {
constexpr std::size_t kBlockChannels = 256; // as in SosCascade: state of one block stays in cache
constexpr std::int64_t kStateVersion = 1;
} // namespace

std::unique_ptr<Atom> LFilter::from_config(ConfigReader& r) {
  Config c;
  c.b = r.numbers("b", true);
  c.a = r.has("a") ? r.numbers("a", true) : std::vector<double>{1.0};
  if (!c.a.empty() && c.a[0] == 0.0) r.error("a", "a[0] must not be 0 (it normalises the filter)");
  return std::make_unique<LFilter>(std::move(c));
}

Result<StreamInfo> LFilter::configure(const StreamInfo& in) {
  if (config_.b.empty()) return origin_.error("b", "needs at least one coefficient");
  if (config_.a.empty() || config_.a[0] == 0.0) return origin_.error("a", "a[0] must not be 0");
  // scipy.signal.lfilter divides both polynomials by a[0] and pads the shorter with zeros.
  const std::size_t n = std::max(config_.b.size(), config_.a.size());
  b_.assign(n, 0.0);
  a_.assign(n, 0.0);
  for (std::size_t i = 0; i < config_.b.size(); ++i)
    b_[i] = config_.b[i] / config_.a[0];
  for (std::size_t i = 0; i < config_.a.size(); ++i)
    a_[i] = config_.a[i] / config_.a[0];
  n_channels_ = in.n_channels;
  z_.resize(0);
  z_.resize((n - 1) * n_channels_);
  work_.resize(std::min(kBlockChannels, n_channels_));
  out_.resize(std::min(kBlockChannels, n_channels_));
  return in;
}

namespace {

/// Rows [0, n_rows) of one block of `nb` channels; b, a have n >= 2 coefficients; delay k of the
/// block starts at z + k * z_stride.
DASFLOW_KERNEL void lfilter_block(const float* x_in, float* y_out, std::size_t row_stride, std::size_t n_rows,
                                  std::size_t nb, const double* b, const double* a, std::size_t n, double* z,
                                  std::size_t z_stride, double* x, double* y) {
  for (std::size_t t = 0; t < n_rows; ++t) {
    const float* x_row = x_in + t * row_stride;
    for (std::size_t c = 0; c < nb; ++c)
      x[c] = static_cast<double>(x_row[c]);
    // Transposed direct form II in scipy's operation order (scipy/signal/lfilter.c.src):
    //   y      = z[0] + b[0] x
    //   z[k]   = (z[k+1] + x b[k+1]) - y a[k+1]     for k < n-2
    //   z[n-2] = x b[n-1] - y a[n-1]
    for (std::size_t c = 0; c < nb; ++c)
      y[c] = z[c] + b[0] * x[c];
    for (std::size_t k = 0; k + 2 < n; ++k) {
      double* const zk = z + k * z_stride;
      const double* const zk1 = zk + z_stride;
      const double bk = b[k + 1], ak = a[k + 1];
      for (std::size_t c = 0; c < nb; ++c)
        zk[c] = (zk1[c] + x[c] * bk) - y[c] * ak;
    }
    double* const zl = z + (n - 2) * z_stride;
    const double bl = b[n - 1], al = a[n - 1];
    for (std::size_t c = 0; c < nb; ++c)
      zl[c] = x[c] * bl - y[c] * al;
    float* y_row = y_out + t * row_stride;
    for (std::size_t c = 0; c < nb; ++c)
      y_row[c] = static_cast<float>(y[c]);
  }
}

/// The n == 1 case (a pure gain after normalisation): y = x b[0].
DASFLOW_KERNEL void gain_rows(const float* x_in, float* y_out, std::size_t count, double gain) {
  for (std::size_t i = 0; i < count; ++i)
    y_out[i] = static_cast<float>(static_cast<double>(x_in[i]) * gain);
}

} // namespace

Result<void> LFilter::process(const ChunkView& in, Chunk& out) {
  out.reshape(in.n_samples, n_channels_);
  out.first_index = in.first_index;
  pass_events(in, out);
  const std::size_t n = b_.size();
  if (n == 1) {
    gain_rows(in.samples.data(), out.samples.data(), in.n_samples * n_channels_, b_[0]);
    return {};
  }
  for (std::size_t c0 = 0; c0 < n_channels_; c0 += kBlockChannels) {
    const std::size_t nb = std::min(kBlockChannels, n_channels_ - c0);
    lfilter_block(in.samples.data() + c0, out.samples.data() + c0, n_channels_, in.n_samples, nb, b_.data(), a_.data(),
                  n, z_.data() + c0, n_channels_, work_.data(), out_.data());
  }
  return {};
}

StateTree LFilter::save_state() const {
  StateTree t("lfilter", kStateVersion);
  t.set("n_delays", static_cast<std::int64_t>(b_.empty() ? 0 : b_.size() - 1));
  t.set("n_channels", static_cast<std::int64_t>(n_channels_));
  t.set("z", std::vector<double>(z_.begin(), z_.end()));
  return t;
}

Result<void> LFilter::restore_state(const StateTree& s) {
  DASFLOW_TRY(s.expect("lfilter", kStateVersion));
  DASFLOW_TRY_ASSIGN(n_delays, s.get_int("n_delays"));
  DASFLOW_TRY_ASSIGN(n_channels, s.get_int("n_channels"));
  const auto want_delays = static_cast<std::int64_t>(b_.empty() ? 0 : b_.size() - 1);
  if (n_delays != want_delays || n_channels != static_cast<std::int64_t>(n_channels_))
    return fail(Errc::state_mismatch, "lfilter state is for " + std::to_string(n_delays) + " delays × " +
                                          std::to_string(n_channels) + " channels, the pipeline has " +
                                          std::to_string(want_delays) + " × " + std::to_string(n_channels_));
  DASFLOW_TRY_ASSIGN(z, s.get_doubles("z", z_.size()));
  std::copy(z.begin(), z.end(), z_.begin());
  return {};
}

std::string LFilter::config_yaml() const {
  return YamlFlowMap("lfilter").add("b", config_.b).add("a", config_.a).str();
}

} // namespace dasflow::atoms
