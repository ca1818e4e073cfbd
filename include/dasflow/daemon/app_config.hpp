#pragma once
/// \file app_config.hpp
/// The configuration file of DESIGN.md §4: what `dasflowd`, `dasflow demo` and `dasflow check` load.
/// Every error names the YAML path and line; the binaries exit 78 (EX_CONFIG) on one.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dasflow/core/registry.hpp"
#include "dasflow/core/sequential.hpp"
#include "dasflow/io/hdf5_output.hpp"
#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/synthetic_source.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "dasflow/io/zmq_source.hpp"

namespace dasflow::daemon {

/// What to do when the stream jumps (missing samples) — DESIGN.md §5.
enum class OnGap {
  keep_state, ///< `continue`: keep the state, record the gap
  reset,      ///< reset every atom (warm-up suppresses triggers again)
  fail,       ///< stop the daemon with an error
};

struct SourceConfig {
  enum class Type { synthetic, hdf5, zmq } type = Type::synthetic;
  io::SyntheticSource::Config synthetic;
  io::ReplayConfig replay;
  io::ZmqSourceConfig zmq; ///< type asn or dasflow
};

struct OutputConfig {
  enum class Type { hdf5, events, zmq } type = Type::hdf5;
  io::Hdf5OutputConfig hdf5;
  std::string events_path;
  io::ZmqOutputConfig zmq;
};

/// `checkpoint:` (DESIGN.md §5).
struct CheckpointConfig {
  std::string dir;          ///< `path`: the directory of checkpoint-*.h5 files
  double interval_s = 10.0; ///< wall-clock seconds between checkpoints (0 = after every chunk)
  std::size_t keep = 2;     ///< checkpoints kept (>= 2, so a damaged newest one has a fallback)
};

struct AppConfig {
  std::string name = "dasflow"; ///< stream name in events and files
  SourceConfig source;
  std::unique_ptr<Sequential> pipeline; ///< built, not yet configured
  std::vector<OutputConfig> outputs;
  OnGap on_gap = OnGap::keep_state;
  std::optional<CheckpointConfig> checkpoint;
  std::string control_listen; ///< `control.listen` ("127.0.0.1:9108"); empty = no HTTP control plane
  std::string log_level = "info";
  std::string log_file;           ///< `logging.file`: append the log there (reopened on SIGHUP); empty = stdout
  double stats_interval_s = 10.0; ///< period of the progress line in the log
  std::size_t queue_depth = 4;    ///< chunks each inter-stage queue holds
  std::size_t threads = 0;        ///< `threads`: pipeline threads; 0 = auto (one per core)
  std::string fft_wisdom;         ///< `fft.wisdom`: FFTW wisdom file (measured plans); empty = estimated plans
  std::string text;               ///< the file as given (recorded in outputs)
};

/// Parses and validates `text` (named `file_name` in messages). Errors are prefixed with the file.
Result<AppConfig> parse_app_config(const std::string& text, const std::string& file_name, const Registry& registry);

/// Reads and parses a config file.
Result<AppConfig> load_app_config(const std::string& path, const Registry& registry);

} // namespace dasflow::daemon
