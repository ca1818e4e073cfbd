#pragma once
/// \file registry.hpp
/// An explicit map from atom names (`atom: iirfilter`) to factories, filled by
/// register_builtin_atoms(); no static self-registration (STYLE.md §5).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dasflow/core/atom.hpp"
#include "dasflow/core/config_reader.hpp"
#include "dasflow/core/sequential.hpp"

namespace dasflow {

class Registry {
public:
  /// Builds an atom from its YAML mapping. Report value problems through the reader (its errors
  /// and unknown keys are collected by the registry after the factory returns).
  using Factory = std::function<std::unique_ptr<Atom>(ConfigReader&)>;

  /// Registers `kind`; registering a name twice is a programmer error.
  void add(std::string kind, Factory factory);
  bool contains(std::string_view kind) const { return factories_.find(kind) != factories_.end(); }
  std::vector<std::string> kinds() const;

  /// Builds the atom described by `entry` (a mapping with an `atom:` key); `path` names it in errors.
  Result<std::unique_ptr<Atom>> create(const YAML::Node& entry, const std::string& path) const;

  /// Builds a Sequential from a YAML list of atom mappings (the config's `pipeline:`). Errors of all
  /// entries are reported together, each naming `path[i].key` and its line.
  Result<std::unique_ptr<Sequential>> build_pipeline(const YAML::Node& list,
                                                     const std::string& path = "pipeline") const;

private:
  std::map<std::string, Factory, std::less<>> factories_;
};

} // namespace dasflow
