#pragma once
/// \file config_reader.hpp
/// Typed reading of one YAML mapping with errors that name the YAML path and line. Every getter
/// records the key as known; finish() reports unknown keys and every error found, so a user fixes
/// a config in one pass (DESIGN.md §4, STYLE.md §5).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dasflow/core/config_origin.hpp"
#include "dasflow/core/result.hpp"

namespace dasflow {

/// 1-based line of a node, 0 when yaml-cpp has no mark (nodes built in code).
int yaml_line(const YAML::Node& node);

class ConfigReader {
public:
  /// `path` names the mapping, e.g. "pipeline[0]". A node that is not a mapping is recorded as an error.
  ConfigReader(const YAML::Node& map, std::string path);

  bool has(std::string_view key) const;
  /// False when the node is not a mapping (finish() then reports it).
  bool is_mapping() const { return map_.IsMap(); }

  /// Integer in [min, max]; `def` when absent. Rejects 4.5, "4", true.
  std::int64_t integer(std::string_view key, std::int64_t def, std::int64_t min, std::int64_t max);
  /// Finite number; `def` when absent.
  double number(std::string_view key, double def);
  /// Finite number, or nullopt when absent.
  std::optional<double> optional_number(std::string_view key);
  /// A number or a list of numbers (`cutoff: 5` or `cutoff: [1, 20]`); empty (and an error when required) if absent.
  std::vector<double> numbers(std::string_view key, bool required);
  /// A list of equal-length lists of numbers (`sos: [[b0, b1, b2, a0, a1, a2], ...]`).
  std::vector<std::vector<double>> matrix(std::string_view key, std::size_t row_length);
  /// true or false (YAML 1.2 spelling only: yes/no/on/off are refused as ambiguous); `def` when absent.
  bool boolean(std::string_view key, bool def);
  /// One of `allowed`; `def` when absent.
  std::string choice(std::string_view key, std::string_view def, std::initializer_list<std::string_view> allowed);
  /// The same, with the names held elsewhere (an enum's names, kept beside the enum).
  std::string choice(std::string_view key, std::string_view def, const std::vector<std::string>& allowed);

  /// Records an error about `key` (value checks done by the caller after reading).
  void error(std::string_view key, std::string_view message);
  /// Marks a key as known without reading it (e.g. `atom`, read by the registry).
  void known(std::string_view key);

  /// Path, line and per-key lines, for errors found later at configure time.
  const ConfigOrigin& origin() const noexcept { return origin_; }

  /// All recorded errors and unknown keys, one per line; ok when there are none.
  Result<void> finish() const;

private:
  YAML::Node get(std::string_view key);
  std::string choice_of(std::string_view key, std::string_view def, const std::vector<std::string_view>& allowed);
  std::optional<double> scalar_number(const YAML::Node& n, std::string_view key, std::string_view where);

  YAML::Node map_;
  ConfigOrigin origin_;
  std::set<std::string, std::less<>> known_;
  std::vector<std::string> errors_;
};

} // namespace dasflow
