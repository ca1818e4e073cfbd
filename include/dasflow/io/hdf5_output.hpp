#pragma once
/// \file hdf5_output.hpp
/// The `hdf5` output (DESIGN.md §4, §6; PROTOCOLS.md §3): one output stream written into rotating
/// files, in the xdas/CF netCDF4 layout (default) or PRODML 2.0.
///
/// Files are written as `<prefix>_<UTC start, YYYYmmddTHHMMSS.fffZ>.h5.part` and renamed to `.h5`
/// once complete, so a reader never sees a half-written file under its final name. File boundaries
/// sit on the absolute time grid: file k holds the samples whose time falls in [k·D, (k+1)·D)
/// seconds since the epoch (D = file_duration_s), so a restarted daemon cuts files at the same
/// places; a file's name is the time of its first sample. Every write() ends with a flush
/// (nc_sync / H5Fflush), so a crash loses at most the rows of the last write of the `.part` file.
///
/// Gaps (a chunk whose first_index does not continue the previous one): in the xdas layout a gap
/// inside a file adds a tie-point pair, so every sample's time stays exact. PRODML readers (DASCore,
/// xdas) rebuild time from PartStartTime/PartEndTime assuming even sampling, so in the prodml
/// format a gap ends the current file and the next rows start a new one. An overlap (first_index
/// going backwards) is refused with Errc::discontinuity.
///
/// Layouts, attribute names and types: XdasNetcdfFile (xdas_netcdf_file.hpp) and ProdmlFile
/// (prodml_file.hpp). Both record the producer as root attributes `dasflow_version`,
/// `dasflow_pipeline`, `dasflow_fs_hz`, `dasflow_origin_ns`, `dasflow_first_index`,
/// `dasflow_channel_first`, `dasflow_channel_step`, `dasflow_channel_dx_m`.
///
/// Checkpoints (output.hpp): checkpoint() fsyncs the open `.part` and records its name, its runs
/// of indices and its row count, the CRC-32 of its rows and the file offsets of its data chunks.
/// resume() deletes the files this output started after that point (named by their first sample's
/// time, so they sort after it) and rebuilds the open file from its first rows: the old file is
/// renamed `<name>.h5.resume`, its rows up to the checkpoint are copied into a new
/// `<name>.h5.part` and checked against the CRC, then it is deleted (an interrupted rebuild starts
/// again from the `.resume` file). close(false) leaves the open file as `.part` for the next run.
///
/// Why the chunk offsets: a flush that fails half-way (disk full, I/O error) leaves HDF5 metadata on
/// disk that may refer to blocks never written, and HDF5 rewrites some of it in place, so the
/// metadata of the checkpointed state is not guaranteed to survive. The data chunks are: they are
/// unfiltered, never move once allocated, and the rows before the checkpoint were fsynced in them.
/// When HDF5 cannot read the old file back (or reads rows with another CRC), resume() reads them
/// from those offsets instead. Not with `compression: lz4`: compressed chunks change size and move
/// when the partial last one is rewritten, so a compressed file HDF5 cannot read is reported
/// damaged (below) instead. Errors of resume(): rows that cannot be read back either way are
/// Errc::state_mismatch (lost; the old file is kept as `<name>.h5.damaged`, the output continues
/// with a new file); anything else, e.g. no room to write the new file, is Errc::io and leaves the
/// disk as it was (the `.resume` file included), to be tried again by the next start.
///
/// Not thread-safe; use from the thread that owns it (the writer thread, STYLE.md §6).
///
/// Process-wide effect: linking this file turns off HDF5's atexit cleanup (H5dont_atexit, at static
/// initialisation). HDF5 1.10 crashes in that cleanup after any file failed to close (disk full),
/// and dasflow closes its files explicitly. HDF5 users in the same process must close their files.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dasflow/core/chunk.hpp"
#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/compression.hpp"
#include "dasflow/io/output.hpp"

namespace dasflow::io {

/// On-disk layout of the hdf5 output (`format:` key).
enum class FileFormat {
  xdas,  ///< CF-1.9 netCDF4 with tie-point coordinates, as xdas writes it (PROTOCOLS.md §3)
  prodml ///< PRODML 2.0: /Acquisition/Raw[0]/RawData + RawDataTime (µs)
};

/// Settings of one hdf5 output.
struct Hdf5OutputConfig {
  std::string dir;               ///< output directory; created (with parents) if missing
  std::string prefix = "das";    ///< file name prefix
  double file_duration_s = 60.0; ///< rotation period D in seconds, > 0; boundaries at multiples of D since the epoch
  FileFormat format = FileFormat::xdas;
  Compression compression = Compression::none; ///< of the sample data (compression.hpp)
};

/// Writes one output stream (its StreamInfo fixed at construction) into rotating files.
class Hdf5Output final : public Output {
public:
  /// Does no I/O: the directory and the first file are created by the first write() with rows,
  /// so configuration problems (unwritable directory) surface there as an Error.
  /// `pipeline_yaml` and `dasflow_version` are recorded in every file.
  Hdf5Output(Hdf5OutputConfig config, StreamInfo stream, std::string pipeline_yaml, std::string dasflow_version);
  /// Closes (finalises and renames) an open file; errors are only logged to stderr.
  ~Hdf5Output() override;
  Hdf5Output(const Hdf5Output&) = delete;
  Hdf5Output& operator=(const Hdf5Output&) = delete;
  Hdf5Output(Hdf5Output&&) noexcept;
  /// Closes this output's open file first (errors logged), then takes over `other`'s.
  Hdf5Output& operator=(Hdf5Output&&) noexcept;

  /// Appends the rows of `chunk` (n_channels must equal the stream's). Rows are split across file
  /// boundaries as needed; a first_index that does not continue the previous chunk is a gap.
  /// Errors (Errc::io) name the file and the failed operation; after one, the file being written
  /// is abandoned as `.part` and the next write() starts a new file.
  Result<void> write(const ChunkView& chunk);
  /// Finalises and renames the open file (if any). Idempotent.
  Result<void> close() { return close(true); }

  std::string key() const override;
  Result<void> write(const Chunk& chunk) override { return write(chunk.view()); }
  Result<StateTree> checkpoint() override;
  Result<void> resume(const StateTree& position) override;
  Result<void> close(bool stream_complete) override;
  /// Whether this output can hold the stream it was made for (rate, channels, and a spectral
  /// product only in a layout that has room for it) and its compression is available:
  /// Errc::config naming the output otherwise.
  Result<void> check() const;
  /// Finishes the open file; the next rows start a file of the new stream.
  Result<void> change_stream(const StreamInfo& stream) override;
  /// Sample bytes appended (rows × channels × 4) in this run.
  std::uint64_t bytes_written() const noexcept override;
  /// Completed files so far (final .h5 paths), in order.
  const std::vector<std::string>& completed_files() const;
  /// Rows appended to files so far (all files, including the open one).
  std::uint64_t rows_written() const;

  /// Something resume() did that the operator should find in the log: files deleted, the open file
  /// rebuilt, rows recovered without HDF5 (`warning`).
  struct Notice {
    bool warning = false;
    std::string message;
  };
  /// The notices since the last call (then cleared).
  std::vector<Notice> take_notices();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The innermost message of the calling thread's HDF5 error stack, condensed for an Error message
/// ("file write failed: No space left on device (errno 28)"), or "" if the stack is empty. Clears
/// the stack. Used by the two file writers after a failed HDF5 or netCDF-4 call.
std::string hdf5_error_detail();

/// `<prefix>_<YYYYmmddTHHMMSS.fffZ>` for a first sample at `t_ns` (UTC, milliseconds rounded
/// down), without extension. Exposed for tools that look files up by time.
std::string hdf5_output_file_stem(const std::string& prefix, std::int64_t t_ns);

} // namespace dasflow::io
