#include "dasflow/atoms/envelope.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> Envelope::from_config(ConfigReader& r) {
  Config c;
  c.scale = r.boolean("db", false) ? Scale::db : Scale::linear;
  c.ref = r.number("ref", 1.0);
  if (!(c.ref > 0.0) || !std::isfinite(c.ref)) r.error("ref", "must be a positive number");
  if (c.scale == Scale::linear && r.has("ref")) r.error("ref", "applies only with db: true");
  c.numtaps = r.integer("numtaps", 255, 3, 100'001);
  if (c.numtaps % 2 == 0)
    r.error("numtaps",
            "must be odd (a type III Hilbert transformer has an integer delay), got " + std::to_string(c.numtaps));
  return std::make_unique<Envelope>(c);
}

std::vector<double> Envelope::hilbert_taps(std::size_t numtaps) {
  // Ideal discrete Hilbert transformer h[m] = (1 − cos πm) / (πm) = 2 / (πm) for odd m, 0 for even
  // m, truncated to |m| <= D and tapered by scipy.signal.windows.blackman(numtaps) to bound the
  // passband ripple (Gibbs) at the cost of a wider transition near 0 and Nyquist.
  const std::size_t d = (numtaps - 1) / 2;
  const double denom = static_cast<double>(numtaps - 1);
  std::vector<double> h(numtaps, 0.0);
  for (std::size_t n = 0; n < numtaps; ++n) {
    const auto m = static_cast<std::int64_t>(n) - static_cast<std::int64_t>(d);
    if (m % 2 == 0) continue;
    const double x = static_cast<double>(n) / denom;
    const double w = 0.42 - 0.5 * std::cos(2.0 * std::numbers::pi * x) + 0.08 * std::cos(4.0 * std::numbers::pi * x);
    h[n] = w * 2.0 / (std::numbers::pi * static_cast<double>(m));
  }
  return h;
}

Result<StreamInfo> Envelope::configure(const StreamInfo& in) {
  fft_.configure(hilbert_taps(static_cast<std::size_t>(config_.numtaps)), in.n_channels);
  return in;
}

Result<void> Envelope::process(const ChunkView& in, Chunk& out) {
  fft_.process(in, quadrature_, &delayed_, delay());
  out.reshape(quadrature_.n_samples, in.n_channels);
  out.first_index = quadrature_.first_index;
  const std::size_t n = quadrature_.n_samples * in.n_channels;
  const float* im = quadrature_.samples.data();
  const float* re = delayed_.samples.data();
  float* y = out.samples.data();
  if (config_.scale == Scale::linear) {
    for (std::size_t i = 0; i < n; ++i) {
      const double a = re[i], b = im[i];
      y[i] = static_cast<float>(std::sqrt(a * a + b * b));
    }
  } else {
    // 20 log10(env / ref) = 10 log10(env² / ref²); the floor keeps env = 0 finite.
    const double floor_sq = 1e-20;
    const double inv_ref_sq = 1.0 / (config_.ref * config_.ref);
    for (std::size_t i = 0; i < n; ++i) {
      const double a = re[i], b = im[i];
      y[i] = static_cast<float>(10.0 * std::log10(std::max((a * a + b * b) * inv_ref_sq, floor_sq)));
    }
  }
  pass_events(in, out);
  return {};
}

std::string Envelope::config_yaml() const {
  YamlFlowMap m("envelope");
  m.add("db", std::string_view(config_.scale == Scale::db ? "true" : "false"));
  if (config_.scale == Scale::db) m.add("ref", config_.ref);
  m.add("numtaps", config_.numtaps);
  return m.str();
}

} // namespace dasflow::atoms
