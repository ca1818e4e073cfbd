#pragma once
/// \file config_origin.hpp
/// Where a piece of configuration came from, so that errors found late (at configure time, when
/// the input rate is known) still name the YAML path and line (DESIGN.md §4).

#include <map>
#include <string>
#include <string_view>

#include "dasflow/core/result.hpp"

namespace dasflow {

struct ConfigOrigin {
  std::string path;                                  ///< e.g. "pipeline[2]"; empty when built in code
  int line = 0;                                      ///< 1-based line of the entry, 0 when unknown
  std::map<std::string, int, std::less<>> key_lines; ///< 1-based line of each key present

  /// "pipeline[2].lta" (or just "lta" for atoms built in code; the entry itself for an empty key).
  std::string key_path(std::string_view key) const {
    if (key.empty()) return path.empty() ? std::string("config") : path;
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }
  int line_of(std::string_view key) const {
    const auto it = key_lines.find(key);
    return it == key_lines.end() ? line : it->second;
  }
  /// `pipeline[2].lta: must be greater than sta (0.5), got 0.2 (line 7)`.
  Error error(std::string_view key, std::string_view message) const {
    std::string m = key_path(key) + ": " + std::string(message);
    if (const int l = line_of(key); l > 0) m += " (line " + std::to_string(l) + ")";
    return fail(Errc::config, std::move(m));
  }
};

} // namespace dasflow
