#include "dasflow/core/yaml_writer.hpp"

#include <cstdio>

namespace dasflow {

YamlFlowMap::YamlFlowMap(std::string_view atom_kind) : text_("{atom: " + std::string(atom_kind)) {}

std::string YamlFlowMap::format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

YamlFlowMap& YamlFlowMap::add(std::string_view key, double v) {
  text_ += ", " + std::string(key) + ": " + format(v);
  return *this;
}
YamlFlowMap& YamlFlowMap::add(std::string_view key, std::int64_t v) {
  text_ += ", " + std::string(key) + ": " + std::to_string(v);
  return *this;
}
YamlFlowMap& YamlFlowMap::add(std::string_view key, std::string_view v) {
  text_ += ", " + std::string(key) + ": " + std::string(v);
  return *this;
}

namespace {
std::string list(const std::vector<double>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? ", " : "") + YamlFlowMap::format(v[i]);
  return s + "]";
}
} // namespace

YamlFlowMap& YamlFlowMap::add(std::string_view key, const std::vector<double>& v) {
  text_ += ", " + std::string(key) + ": " + list(v);
  return *this;
}
YamlFlowMap& YamlFlowMap::add(std::string_view key, const std::vector<std::vector<double>>& rows) {
  text_ += ", " + std::string(key) + ": [";
  for (std::size_t i = 0; i < rows.size(); ++i)
    text_ += (i ? ", " : "") + list(rows[i]);
  text_ += "]";
  return *this;
}

} // namespace dasflow
