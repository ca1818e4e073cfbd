#pragma once
/// \file checkpoint_report.hpp
/// `dasflow checkpoint show PATH`: a checkpoint file (or the newest usable one in a directory) as
/// readable text — what it resumes, where each output stands, and the state of every atom.

#include <string>

#include "dasflow/core/result.hpp"

namespace dasflow::daemon {

/// The report for a checkpoint file, or for the newest usable one in a directory (the ones that
/// had to be skipped are listed first). Errors name the file and what is wrong with it.
Result<std::string> checkpoint_report(const std::string& path);

} // namespace dasflow::daemon
