#pragma once
/// \file yaml_writer.hpp
/// Canonical flow-style YAML for atom configs: keys in the order written, doubles printed with 17
/// significant digits so that reading the text back gives the same bits (used for the start-up log
/// and the checkpoint's config hash).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dasflow {

class YamlFlowMap {
public:
  /// Starts `{atom: kind`.
  explicit YamlFlowMap(std::string_view atom_kind);
  YamlFlowMap& add(std::string_view key, double v);
  YamlFlowMap& add(std::string_view key, std::int64_t v);
  YamlFlowMap& add(std::string_view key, std::string_view v);
  YamlFlowMap& add(std::string_view key, const std::vector<double>& v);
  YamlFlowMap& add(std::string_view key, const std::vector<std::vector<double>>& rows);
  /// The finished `{atom: kind, key: value, ...}`.
  std::string str() const { return text_ + "}"; }

  static std::string format(double v);

private:
  std::string text_;
};

} // namespace dasflow
