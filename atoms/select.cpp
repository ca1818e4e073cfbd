#include "dasflow/atoms/select.hpp"

#include <cmath>

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> Select::from_config(ConfigReader& r) {
  Config c;
  const std::vector<double> v = r.numbers("channels", true);
  bool integers = true;
  for (double x : v)
    integers = integers && x == std::floor(x) && std::fabs(x) < 1e15;
  if (!v.empty() && (!integers || v.size() < 2 || v.size() > 3)) {
    r.error("channels", "must be [start, stop] or [start, stop, step] of integers");
  } else if (!v.empty()) {
    c.start = static_cast<std::int64_t>(v[0]);
    c.stop = static_cast<std::int64_t>(v[1]);
    c.step = v.size() == 3 ? static_cast<std::int64_t>(v[2]) : 1;
    if (c.start < 0) r.error("channels", "start must be >= 0, got " + std::to_string(c.start));
    if (c.stop <= c.start)
      r.error("channels",
              "stop must be greater than start, got [" + std::to_string(c.start) + ", " + std::to_string(c.stop) + "]");
    if (c.step < 1) r.error("channels", "step must be >= 1, got " + std::to_string(c.step));
  }
  return std::make_unique<Select>(c);
}

Result<StreamInfo> Select::configure(const StreamInfo& in) {
  DASFLOW_TRY(require_time_series(in, "it picks fibre channels"));
  if (config_.stop > static_cast<std::int64_t>(in.n_channels))
    return origin_.error("channels", "stop " + std::to_string(config_.stop) + " is beyond the input's " +
                                         std::to_string(in.n_channels) + " channels");
  n_out_ = static_cast<std::size_t>((config_.stop - config_.start + config_.step - 1) / config_.step);
  StreamInfo out = in;
  out.n_channels = n_out_;
  out.coords = std::make_shared<const ChannelCoords>(ChannelCoords{
      in.coords->number(static_cast<std::size_t>(config_.start)), in.coords->step * config_.step, in.coords->dx_m});
  return out;
}

Result<void> Select::process(const ChunkView& in, Chunk& out) {
  out.reshape(in.n_samples, n_out_);
  out.first_index = in.first_index;
  pass_events(in, out);
  const auto start = static_cast<std::size_t>(config_.start), step = static_cast<std::size_t>(config_.step);
  for (std::size_t t = 0; t < in.n_samples; ++t) {
    const float* x = in.row(t) + start;
    float* y = out.row(t);
    for (std::size_t j = 0; j < n_out_; ++j)
      y[j] = x[j * step];
  }
  return {};
}

std::string Select::config_yaml() const {
  return YamlFlowMap("select")
      .add("channels", std::vector<double>{static_cast<double>(config_.start), static_cast<double>(config_.stop),
                                           static_cast<double>(config_.step)})
      .str();
}

} // namespace dasflow::atoms
