#pragma once
/// \file output.hpp
/// What the writer thread drives (DESIGN.md §1, §5): one destination of the processed stream — the
/// rotating HDF5 files, the events file, later the ZeroMQ publisher — with the two operations the
/// checkpoint barrier needs.

#include <cstdint>
#include <string>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/state_tree.hpp"
#include "dasflow/core/stream.hpp"

namespace dasflow::io {

class Output {
public:
  virtual ~Output() = default;

  /// Identifies the output across restarts ("hdf5:DIR/PREFIX", "events:PATH"): a checkpoint's
  /// position is applied to the configured output with the same key.
  virtual std::string key() const = 0;

  /// Writes one processed chunk: its rows, its events, or both (an output takes what it stores).
  virtual Result<void> write(const Chunk& chunk) = 0;

  /// Makes everything written so far durable (fsync) and returns where the output stands, so that
  /// resume() can bring the disk back to exactly this point. Called by the writer thread after
  /// the chunk a checkpoint follows has been written.
  virtual Result<StateTree> checkpoint() = 0;

  /// Before the first write of a resumed run: discards what was written after `position` (a
  /// checkpoint() result) and continues from it. Errors come in two kinds. Errc::io: the disk
  /// refused an operation (no space, read-only, ...) and nothing acknowledged was lost: what the
  /// resume needs is still on disk, and the caller must not write (it would build on a half-done
  /// resume) but stop, so that a later start tries again. Any other code: what the checkpoint
  /// acknowledged is no longer on disk (a file gone or unreadable) and no retry brings it back; the
  /// output is still usable afterwards for fresh data.
  virtual Result<void> resume(const StateTree& position) = 0;

  /// Ends the output. `stream_complete`: the stream is over, finish every file. Otherwise the
  /// daemon stops to be resumed later: make what was written durable and leave an unfinished file
  /// to be continued (the final checkpoint records it).
  virtual Result<void> close(bool stream_complete) = 0;

  /// The processed stream changed shape or rate (the input's acquisition changed and the pipeline
  /// was rebuilt): finish what belongs to the old stream; what follows is `stream`.
  virtual Result<void> change_stream(const StreamInfo& stream) = 0;

  /// Bytes of data this output has written in this run (rows or lines), for metrics.
  virtual std::uint64_t bytes_written() const noexcept = 0;
};

} // namespace dasflow::io
