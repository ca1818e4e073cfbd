#include "dasflow/atoms/pointwise.hpp"

#include <cmath>

#include "dasflow/core/yaml_writer.hpp"
#include "kernel_dispatch.hpp"

namespace dasflow::atoms {

namespace {

DASFLOW_KERNEL void map_samples(const float* x, float* y, std::size_t n, Pointwise::Op op, double factor) {
  switch (op) {
  case Pointwise::Op::abs:
    for (std::size_t i = 0; i < n; ++i)
      y[i] = std::fabs(x[i]);
    break;
  case Pointwise::Op::square:
    for (std::size_t i = 0; i < n; ++i)
      y[i] = static_cast<float>(static_cast<double>(x[i]) * static_cast<double>(x[i]));
    break;
  case Pointwise::Op::scale:
    for (std::size_t i = 0; i < n; ++i)
      y[i] = static_cast<float>(static_cast<double>(x[i]) * factor);
    break;
  }
}

} // namespace

std::unique_ptr<Atom> Pointwise::abs_from_config(ConfigReader&) { return std::make_unique<Pointwise>(Config{Op::abs}); }
std::unique_ptr<Atom> Pointwise::square_from_config(ConfigReader&) {
  return std::make_unique<Pointwise>(Config{Op::square});
}
std::unique_ptr<Atom> Pointwise::scale_from_config(ConfigReader& r) {
  const auto factor = r.optional_number("factor");
  if (!factor) r.error("factor", "is required");
  return std::make_unique<Pointwise>(Config{Op::scale, factor.value_or(1.0)});
}

std::string_view Pointwise::kind() const noexcept {
  switch (config_.op) {
  case Op::abs: return "abs";
  case Op::square: return "square";
  case Op::scale: return "scale";
  }
  return "?";
}

Result<void> Pointwise::process(const ChunkView& in, Chunk& out) {
  process_by_columns(in, out);
  return {};
}

void Pointwise::process_tile(const ColumnTile& t) noexcept {
  if (t.in_stride == t.width && t.out_stride == t.width) {
    map_samples(t.in, t.out, t.in_rows * t.width, config_.op, config_.factor);
    return;
  }
  for (std::size_t r = 0; r < t.in_rows; ++r)
    map_samples(t.in + r * t.in_stride, t.out + r * t.out_stride, t.width, config_.op, config_.factor);
}

std::string Pointwise::config_yaml() const {
  YamlFlowMap m(kind());
  if (config_.op == Op::scale) m.add("factor", config_.factor);
  return m.str();
}

} // namespace dasflow::atoms
