#pragma once
/// \file logging.hpp
/// spdlog set-up: one named logger per component (reader, proc, writer, ctl, config) on one shared
/// sink — stdout by default, or a file (`logging.file`) that SIGHUP reopens, so logrotate can move
/// it away. Under systemd (JOURNAL_STREAM set) stdout lines carry no timestamp: journald adds its own.

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "dasflow/core/result.hpp"

namespace dasflow::daemon {

/// Sets the level ("trace" … "off") and the line format for every component logger.
void setup_logging(const std::string& level);

/// From now on every component logs (appends) to `path` instead of stdout, with timestamps.
Result<void> log_to_file(const std::string& path);

/// From now on every component logs to `sink` instead of stdout, formatted "[component] level:
/// message" (the foreground tool: stderr, around its progress bar). `logging.file` still wins.
void log_to_sink(std::shared_ptr<spdlog::sinks::sink> sink);

/// Closes and reopens the log file (after logrotate moved it); nothing when logging to stdout.
Result<void> reopen_log_file();

/// The logger of a component, created on first use with the shared sink.
std::shared_ptr<spdlog::logger> logger(const std::string& component);

} // namespace dasflow::daemon
