#include "dasflow/atoms/sos_filter.hpp"

#include "dasflow/core/yaml_writer.hpp"

namespace dasflow::atoms {

std::unique_ptr<Atom> SosFilter::from_config(ConfigReader& r) {
  Config c;
  for (const auto& row : r.matrix("sos", 6))
    c.sos.push_back({row[0], row[1], row[2], row[3], row[4], row[5]});
  for (std::size_t i = 0; i < c.sos.size(); ++i)
    if (c.sos[i][3] != 1.0) // scipy's _validate_sos rejects a0 != 1 rather than normalising
      r.error("sos", "row " + std::to_string(i) + " has a0 = " + YamlFlowMap::format(c.sos[i][3]) +
                         "; second-order sections need a0 == 1 (divide the row by a0)");
  return std::make_unique<SosFilter>(std::move(c));
}

Result<StreamInfo> SosFilter::configure(const StreamInfo& in) {
  if (config_.sos.empty()) return origin_.error("sos", "needs at least one section");
  cascade_.configure(config_.sos, in.n_channels);
  return in;
}

Result<void> SosFilter::process(const ChunkView& in, Chunk& out) {
  process_by_columns(in, out);
  return {};
}

std::string SosFilter::config_yaml() const {
  std::vector<std::vector<double>> rows;
  for (const auto& s : config_.sos)
    rows.emplace_back(s.begin(), s.end());
  return YamlFlowMap("sosfilter").add("sos", rows).str();
}

} // namespace dasflow::atoms
