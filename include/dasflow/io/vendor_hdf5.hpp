#pragma once
/// \file vendor_hdf5.hpp
/// Readers for vendor DAS recordings in HDF5, the input of the replay source (PROTOCOLS.md §5;
/// layouts in ../shared/data/real/README.md). Two layouts so far:
///
/// - **ASN OptoDAS** (`"asn"`): `/data` [time][channel] (float32, or integer in raw files) and a
///   `/header` group of datasets: `dt` (s), `time` (POSIX s, float64, first sample), `dx` (m per
///   channel number), `channels` (interrogator channel numbers, must be evenly spaced), `dataScale`,
///   optional `sensitivities` [n][1 or n_channels] with `sensitivityUnits`, `unit`, `dimensionNames`.
///   Physical value = raw · dataScale / sensitivities[0] (ASN's simpleDASreader, default
///   `sensitivitySelect=0`; PROTOCOLS.md §1 for the stream).
/// - **PRODML 2.x raw** (`"prodml"`): `/Acquisition/Raw[0]/RawData` [time][locus] with attribute
///   `Dimensions`, `RawDataTime` (int64 µs since the epoch), `Raw[0]@OutputDataRate`,
///   `Raw[0]@StartLocusIndex` (else `Acquisition@StartLocusIndex`), `Raw[0]@RawDataUnit`,
///   `Acquisition@SpatialSamplingInterval` (+ `…Unit` / `….uom`). PRODML defines no scale factor
///   for RawData: integer counts are returned as float32 values unchanged, in `RawDataUnit`.
///   Files holding only processed data (`/Acquisition/Processed/Fbe[…]`) are refused.
///
/// Everything here is metadata-only until read_rows(), which reads a hyperslab of rows. HDF5 errors
/// never print to stderr: every call silences HDF5's automatic error printing while it runs and
/// folds HDF5's own reason into the returned Error.
///
/// Damaged files: a truncated file is refused by HDF5 itself ("truncated file: eof = ..."), but
/// HDF5 1.10 can crash (SIGSEGV) on damaged metadata and leaks internal objects on some of its
/// error paths. open() therefore first reads the metadata, looks up every chunk of the chunk
/// index and reads the first and last rows in a forked child; the child's Error comes back
/// through a pipe (a refused file is never opened by this process), and a crash or a hang (60 s)
/// of the child becomes an error naming the file. About 4 ms per file on the samples.
///
/// Threads: the serial HDF5 library is not thread-safe. Every HDF5 call here holds hdf5_mutex(),
/// and the fork happens with it held; other HDF5 users of the process must hold it too. One
/// VendorFile is used from one thread at a time.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/hdf5_lock.hpp"

namespace dasflow::io {

/// Limits a file must respect before anything is allocated for it.
inline constexpr std::size_t kVendorMaxChannels = 1'000'000;                ///< columns of the data
inline constexpr std::size_t kVendorMaxSamples = std::size_t{1} << 40;      ///< rows of the data
inline constexpr std::size_t kVendorMaxStringBytes = std::size_t{64} << 10; ///< one string value

/// What a replay needs to know about one file, read from its metadata only.
struct VendorFileInfo {
  std::string path;
  std::string format;        ///< "asn" | "prodml"
  double fs_hz = 0;          ///< sampling rate; snapped to an integer when within 1e-9 relative of one
  std::int64_t start_ns = 0; ///< UTC ns of the first sample (as precise as the file states it:
                             ///< ASN's float64 seconds via their shortest decimal, PRODML's µs)
  std::size_t n_samples = 0, n_channels = 0;
  ChannelCoords coords; ///< channel numbers and spacing
  std::string unit;     ///< physical unit after scaling, as the file names it ("" if none)
};

/// An open vendor file: metadata plus row reads. Move-only; closes its HDF5 handles.
class VendorFile {
public:
  /// format: "auto" | "asn" | "prodml". Errors name the file and what is wrong (missing dataset,
  /// wrong rank or type, non-positive rate, uneven channel list, dataset larger than limits...).
  static Result<VendorFile> open(const std::string& path, const std::string& format);

  VendorFile(VendorFile&&) noexcept;
  VendorFile& operator=(VendorFile&&) noexcept;
  VendorFile(const VendorFile&) = delete;
  VendorFile& operator=(const VendorFile&) = delete;
  ~VendorFile();

  const VendorFileInfo& info() const;

  /// Reads rows [first_row, first_row + n_rows) of every channel as float32, scaled to physical
  /// units, time-major, into out (n_rows * n_channels floats). Reads only those rows (hyperslab).
  /// n_rows == 0 reads nothing and succeeds; rows past n_samples are an error.
  Result<void> read_rows(std::size_t first_row, std::size_t n_rows, float* out) const;

  /// Closes the HDF5 file; the next read_rows() reopens it (after checking that its size and
  /// modification time have not changed). open() leaves files closed, and read_rows() keeps at
  /// most 8 files of the process open (least recently read closed first), so a replay set of
  /// thousands of files holds few descriptors; a replay may release() a file it has finished.
  void release();

  /// Multiplier applied to the stored value of each channel (raw · scale = physical); one entry
  /// when every channel shares it.
  const std::vector<double>& scale() const;

  struct Impl; ///< opaque: HDF5 handles and reader state (vendor_hdf5.cpp)

private:
  explicit VendorFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The files of a replay: `path` is a file or a directory (every *.h5 / *.hdf5 / *.he5 in it,
/// extension case-insensitive, non-recursive); opened and sorted by start time (ties by path).
/// Errors name the offending file; an empty directory is an error. It does not check that the
/// files continue each other (rate, channels, gaps): that is the replay source's decision.
Result<std::vector<VendorFile>> open_replay_set(const std::string& path, const std::string& format);

} // namespace dasflow::io
