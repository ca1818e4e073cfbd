#pragma once
/// \file app_config.hpp
/// The top-level configuration file (DESIGN.md §4): what the binaries load. This session's scope:
/// `source` (synthetic) and `pipeline`; outputs, checkpoints and control join with the daemon.

#include <memory>
#include <string>

#include "dasflow/core/registry.hpp"
#include "dasflow/core/sequential.hpp"
#include "dasflow/io/synthetic_source.hpp"

namespace dasflow::daemon {

struct AppConfig {
  io::SyntheticSource::Config source;
  std::unique_ptr<Sequential> pipeline; ///< built, not yet configured
};

/// Parses and validates `text` (named `file_name` in messages). Every error names the YAML path and
/// line; a YAML syntax error names the file, line and column.
Result<AppConfig> parse_app_config(const std::string& text, const std::string& file_name, const Registry& registry);

/// Reads and parses a config file.
Result<AppConfig> load_app_config(const std::string& path, const Registry& registry);

} // namespace dasflow::daemon
