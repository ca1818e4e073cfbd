#include "dasflow/atoms/lfilter.hpp"

#include <algorithm>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

namespace {
constexpr std::size_t kBlockChannels = 256; // as in SosCascade: state of one block stays in cache
constexpr std::int64_t kStateVersion = 1;
} // namespace

std::unique_ptr<Atom> LFilter::from_config(ConfigReader &r) {
  Config c;
  c.b = r.numbers("b", true);
  c.a = r.has("a") ? r.numbers("a", true) : std::vector<double>{1.0};
  if (!c.a.empty() && c.a[0] == 0.0) r.error("a", "a[0] must not be 0 (it normalises the filter)");
  return std::make_unique<LFilter>(std::move(c));
}

Result<StreamInfo> LFilter::configure(const StreamInfo &in) {
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

Result<void> LFilter::process(const ChunkView &in, Chunk &out) {
  out.reshape(in.n_samples, n_channels_);
  out.first_index = in.first_index;
  pass_events(in, out);
  const std::size_t n = b_.size();
  const std::size_t nch = n_channels_;
  double *const x = work_.data();
  double *const y = out_.data();
  for (std::size_t c0 = 0; c0 < nch; c0 += kBlockChannels) {
    const std::size_t nb = std::min(kBlockChannels, nch - c0);
    for (std::size_t t = 0; t < in.n_samples; ++t) {
      const float *x_row = in.row(t) + c0;
      for (std::size_t c = 0; c < nb; ++c)
        x[c] = static_cast<double>(x_row[c]);
      if (n == 1) {
        for (std::size_t c = 0; c < nb; ++c)
          y[c] = x[c] * b_[0];
      } else {
        // Transposed direct form II in scipy's operation order (scipy/signal/lfilter.c.src):
        //   y      = z[0] + b[0] x
        //   z[k]   = (z[k+1] + x b[k+1]) - y a[k+1]     for k < n-2
        //   z[n-2] = x b[n-1] - y a[n-1]
        double *const z0 = z_.data() + c0;
        for (std::size_t c = 0; c < nb; ++c)
          y[c] = z0[c] + b_[0] * x[c];
        for (std::size_t k = 0; k + 2 < n; ++k) {
          double *const zk = z_.data() + k * nch + c0;
          const double *const zk1 = zk + nch;
          const double bk = b_[k + 1], ak = a_[k + 1];
          for (std::size_t c = 0; c < nb; ++c)
            zk[c] = (zk1[c] + x[c] * bk) - y[c] * ak;
        }
        double *const zl = z_.data() + (n - 2) * nch + c0;
        const double bl = b_[n - 1], al = a_[n - 1];
        for (std::size_t c = 0; c < nb; ++c)
          zl[c] = x[c] * bl - y[c] * al;
      }
      float *y_row = out.row(t) + c0;
      for (std::size_t c = 0; c < nb; ++c)
        y_row[c] = static_cast<float>(y[c]);
    }
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

Result<void> LFilter::restore_state(const StateTree &s) {
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
