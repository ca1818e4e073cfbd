#pragma once
/// \file tool_process.hpp
/// `dasflow process` (DESIGN.md §5): the daemon's engine run in the foreground on a finite source,
/// with a progress display on stderr and a summary line at the end.

#include <cstddef>
#include <string>

namespace dasflow::tool {

struct ProcessOptions {
  std::string config; ///< --config: a config file whose source is finite
  // Or a config made from the arguments:
  std::string pipeline; ///< --pipeline: a YAML list of atoms (what the `pipeline:` key holds)
  std::string input;    ///< --input: a vendor HDF5 file or a directory of them
  std::string output;   ///< --output: the directory files are written to
  std::string format = "xdas";
  std::string compression = "none";
  std::string prefix = "das";
  double file_duration_s = 60.0;
  double chunk_s = 1.0;
  std::string events; ///< --events: JSON Lines file for triggers and detections ("" = none)

  std::size_t threads = 0; ///< --threads: pipeline threads (0 = the config's `threads`)
  bool fresh = false;      ///< --fresh: ignore existing checkpoints
  std::string log_level;   ///< --log-level ("" = warn: the daemon's info lines stay quiet)
  double progress_s = -1;  ///< --progress-interval: < 0 automatic (0.2 s on a terminal, else 5 s), 0 none
};

/// 0 once the whole source was processed and written, 78 for a config error (a live or endless
/// source, a bad pipeline file), 130 after SIGINT/SIGTERM (what was read is written and, with a
/// checkpoint, the next run resumes), 1 on a runtime failure, 2 when neither --config nor the
/// three of --pipeline/--input/--output are given.
int run_process(const ProcessOptions& options);

} // namespace dasflow::tool
