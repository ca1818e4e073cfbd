#pragma once
/// \file logging.hpp
/// spdlog set-up: one named logger per component (reader, proc, writer, ctl, config) on one shared
/// stdout sink. Under systemd (JOURNAL_STREAM set) lines carry no timestamp: journald adds its own.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace dasflow::daemon {

/// Sets the level ("trace" … "off") and the line format for every component logger.
void setup_logging(const std::string& level);

/// The logger of a component, created on first use with the shared sink.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

} // namespace dasflow::daemon
