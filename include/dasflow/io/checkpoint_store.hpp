#pragma once
/// \file checkpoint_store.hpp
/// Checkpoint files (DESIGN.md §5): a StateTree — the pipeline's state, the stream position and
/// each output's position — stored as an HDF5 file that `h5dump` and `dasflow checkpoint show` read.
///
/// Layout: every tree node is a group (the root is `/`) with attributes `dasflow_kind` and
/// `dasflow_state_version`; its scalar values (int64, double, string) are attributes, its vector
/// values 1-D datasets (int64 or float64, stored bit for bit), its children sub-groups named
/// `NNNN_<kind>` in order. The root also carries `dasflow_checksum` = "crc32:<8 hex digits>", the
/// CRC-32 (zlib's) of StateTree::serialize() of the whole tree: a file whose content does not
/// match it is refused (it detects damage, not tampering).
///
/// A directory holds `checkpoint-<sequence, 12 digits>.h5` files. save() is atomic: it writes
/// `.checkpoint-<seq>.h5.tmp`, fsyncs it, renames it to its final name and fsyncs the directory,
/// then deletes all but the newest `keep` checkpoints. load_latest() takes the newest file that
/// reads back with a matching checksum and reports the ones it had to skip, so a checkpoint torn by
/// a crash or damaged on disk falls back to the previous one.
///
/// Reading runs in a forked child (isolated_call.hpp): damaged HDF5 metadata can crash HDF5 1.10.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"

namespace dasflow::io {

/// FNV-1a, 64 bits (small texts: the pipeline config's identity).
std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes) noexcept;
/// CRC-32 as zlib computes it (large buffers: checkpoint content, ~1 GB/s).
std::uint32_t crc32_of(std::span<const std::uint8_t> bytes) noexcept;

/// Writes `tree` to `path` (truncating) in the layout above; returns the file size in bytes.
/// Value names starting with `dasflow_` are reserved and refused. Holds hdf5_mutex().
Result<std::uint64_t> write_state_file(const std::string& path, const StateTree& tree);
/// Reads a file written by write_state_file() (in a forked child) and checks its checksum.
Result<StateTree> read_state_file(const std::string& path);

class CheckpointStore {
public:
  explicit CheckpointStore(std::string dir, std::size_t keep = 2);

  struct Saved {
    std::string path;
    std::uint64_t sequence = 0;
    std::uint64_t bytes = 0;
  };
  /// Writes the next checkpoint atomically (creating the directory if needed).
  Result<Saved> save(const StateTree& tree);

  struct Loaded {
    StateTree tree;
    std::string path;
    std::uint64_t sequence = 0;
    std::vector<std::string> skipped; ///< one message per newer checkpoint that could not be used
  };
  /// The newest usable checkpoint; nullopt when the directory holds none. An Error when there are
  /// checkpoints but none is usable (every message in it).
  Result<std::optional<Loaded>> load_latest();

  const std::string& dir() const noexcept { return dir_; }

  /// Creates `dir` if needed and checks that files can be created in it (a probe file is created
  /// and removed), for a start-up check: the error names the directory and the system's reason
  /// (a parent that is a file, a read-only file system, no permission).
  static Result<void> check_writable(const std::string& dir);

private:
  /// Checkpoint files present, newest first: (sequence, path).
  Result<std::vector<std::pair<std::uint64_t, std::string>>> list() const;

  std::string dir_;
  std::size_t keep_;
  std::uint64_t next_sequence_ = 0; ///< 0 = not yet scanned
};

} // namespace dasflow::io
