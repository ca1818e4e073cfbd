#include "dasflow/atoms/common_mode.hpp"

#include <algorithm>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> CommonMode::from_config(ConfigReader& r) {
  Config c;
  c.method = r.choice("method", "median", {"median", "mean"}) == "mean" ? Method::mean : Method::median;
  return std::make_unique<CommonMode>(c);
}

Result<StreamInfo> CommonMode::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it averages across fibre channels"));
  if (in.n_channels == 0) return origin_.error("", "needs at least one channel");
  scratch_.resize(in.n_channels);
  return in;
}

Result<void> CommonMode::process(const ChunkView& in, Chunk& out) {
  const std::size_t n = in.n_channels;
  out.reshape(in.n_samples, n);
  out.first_index = in.first_index;
  pass_events(in, out);
  for (std::size_t t = 0; t < in.n_samples; ++t) {
    const float* x = in.row(t);
    double common = 0.0;
    if (config_.method == Method::mean) {
      // Left-to-right sum: an order fixed by the channel axis alone.
      for (std::size_t c = 0; c < n; ++c)
        common += static_cast<double>(x[c]);
      common /= static_cast<double>(n);
    } else {
      float* s = scratch_.data();
      std::copy(x, x + n, s);
      const std::size_t mid = n / 2;
      std::nth_element(s, s + mid, s + n);
      common = s[mid];
      if (n % 2 == 0) {
        const float lower = *std::max_element(s, s + mid); // the other middle value
        common = (static_cast<double>(lower) + common) / 2.0;
      }
    }
    float* y = out.row(t);
    for (std::size_t c = 0; c < n; ++c)
      y[c] = static_cast<float>(static_cast<double>(x[c]) - common);
  }
  return {};
}

std::string CommonMode::config_yaml() const {
  return YamlFlowMap("common_mode").add("method", config_.method == Method::mean ? "mean" : "median").str();
}

} // namespace dasflow::atoms
