#include "dasflow/io/hdf5_output.hpp"

#include "dasflow/io/hdf5_lock.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include "dasflow/io/failpoint.hpp"
#include "dasflow/io/prodml_file.hpp"
#include "dasflow/io/xdas_netcdf_file.hpp"
#include "fs_util.hpp"
#include "hdf5_util.hpp"

namespace dasflow::io {

namespace {

namespace fs = std::filesystem;

/// HDF5 chunks of about this many bytes along time: large enough for efficient I/O, small enough
/// that the partial chunk rewritten by each flush stays cheap.
constexpr std::size_t kTargetChunkBytes = std::size_t{1} << 20;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// HDF5 1.10 frees a file whose close failed (a flush hitting a full disk, an I/O error) but keeps
/// its ID; its atexit handler then closes that ID again and the process crashes at exit
/// (HDFGroup/hdf5 #2257, CVE-2020-10812; fixed in HDF5 1.14.1). dasflow closes every file
/// explicitly, so that handler has nothing to do: it is turned off before HDF5 initialises (a
/// no-op if something initialised HDF5 earlier).
struct Hdf5ProcessSetup {
  Hdf5ProcessSetup() noexcept { H5dont_atexit(); }
};
const Hdf5ProcessSetup kHdf5ProcessSetup;

/// Continues a CRC-32 (zlib's) over `n_values` floats as they are in memory.
std::uint32_t crc_floats(std::uint32_t crc, const float* values, std::size_t n_values) {
  const auto* bytes = reinterpret_cast<const Bytef*>(values);
  std::size_t left = n_values * sizeof(float);
  uLong c = crc;
  constexpr std::size_t kPiece = std::size_t{1} << 30; // what zlib's uInt length holds
  while (left > 0) {
    const std::size_t take = std::min(left, kPiece);
    c = crc32(c, bytes, static_cast<uInt>(take));
    bytes += take;
    left -= take;
  }
  return static_cast<std::uint32_t>(c);
}

} // namespace

std::string hdf5_error_detail() {
  std::string desc;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(out) = err->desc;
        return 0;
      },
      &desc);
  H5Eclear2(H5E_DEFAULT);
  return condense_hdf5_message(std::move(desc));
}

std::string hdf5_output_file_stem(const std::string& prefix, std::int64_t t_ns) {
  const std::int64_t ms = floor_div(t_ns, 1'000'000);
  const std::int64_t s = floor_div(ms, 1000);
  const std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "_%04d%02d%02dT%02d%02d%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms - s * 1000));
  return prefix + buf.data();
}

struct Hdf5Output::Impl {
  Hdf5OutputConfig config;
  StreamInfo stream;
  std::string pipeline_yaml;
  std::string version;
  std::int64_t duration_ns = 0;

  std::variant<std::monostate, XdasNetcdfFile, ProdmlFile> file; ///< the open file, if any
  std::int64_t file_window = 0;                                  ///< k of the open file's [k·D, (k+1)·D)
  std::string part_path, final_path;

  bool have_previous = false;
  std::int64_t next_index = 0; ///< index that continues the last row written
  std::vector<std::string> completed;
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0; ///< sample bytes appended in this run
  std::string last_file;   ///< file name (no directory, final `.h5` name) of the last file opened

  // What a checkpoint records of the open file's rows besides their indices, so that resume() can
  // check the rows it reads back and, when HDF5 can no longer read the file, read them without it:
  // a flush that fails half-way (disk full) may leave metadata that refers to blocks never written.
  std::uint32_t file_crc = 0;                     ///< CRC-32 (zlib) of the open file's rows, in file order
  std::size_t file_chunk_rows = 0;                ///< HDF5 chunk length (rows) of the open file's data
  std::vector<std::int64_t> file_chunk_addresses; ///< file offsets of its data chunks, as far as known
  std::vector<Hdf5Output::Notice> notices;        ///< what resume() did, for the caller's log

  bool is_open() const noexcept { return !std::holds_alternative<std::monostate>(file); }

  /// k such that the sample's time is in [k·D, (k+1)·D).
  std::int64_t window_of(std::int64_t index) const { return floor_div(stream.time_ns(index), duration_ns); }

  /// First absolute index after `index` whose time is at or past the end of window `window`.
  std::int64_t window_end_index(std::int64_t window, std::int64_t index) const {
    const std::int64_t end_ns = (window + 1) * duration_ns;
    const double remaining_s = static_cast<double>(end_ns - stream.time_ns(index)) * 1e-9;
    std::int64_t j =
        index + std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(remaining_s * stream.fs_hz)));
    // The estimate can be a sample off (rounding of the times); settle it on the exact times.
    while (j - 1 > index && stream.time_ns(j - 1) >= end_ns)
      --j;
    while (stream.time_ns(j) < end_ns)
      ++j;
    return j;
  }

  std::size_t chunk_rows() const {
    const std::size_t by_size = std::max<std::size_t>(1, kTargetChunkBytes / (sizeof(float) * stream.n_channels));
    const double per_file = std::ceil(config.file_duration_s * stream.fs_hz);
    const std::size_t by_file = per_file >= 1.0 && per_file < 1e12 ? static_cast<std::size_t>(per_file) : by_size;
    return std::max<std::size_t>(1, std::min(by_size, by_file));
  }

  Result<void> check_config() const {
    const std::string where = "hdf5 output " + config.dir;
    if (config.dir.empty()) return fail(Errc::config, "hdf5 output: empty directory");
    if (!(config.file_duration_s > 0.0) || !std::isfinite(config.file_duration_s) || duration_ns <= 0)
      return fail(Errc::config, where + ": file_duration must be > 0, got " + std::to_string(config.file_duration_s));
    if (!(stream.fs_hz > 0.0) || !std::isfinite(stream.fs_hz))
      return fail(Errc::config, where + ": stream rate must be > 0, got " + std::to_string(stream.fs_hz));
    if (stream.n_channels == 0) return fail(Errc::config, where + ": stream has no channels");
    if (!stream.coords || stream.coords->step == 0)
      return fail(Errc::config, where + ": stream has no channel coordinates (or a zero channel step)");
    if (stream.spectral && config.format == FileFormat::prodml && stream.spectral->kind != SpectralAxis::Kind::bands)
      return fail(Errc::config, where + ": PRODML has no layout for a spectrogram (only band energies, atom fbe); "
                                        "use format: xdas");
    return {};
  }

  /// Creates the directory and the `.part` file for rows starting at `index`.
  Result<void> open_file(std::int64_t index, std::int64_t window) {
    std::error_code ec;
    fs::create_directories(config.dir, ec);
    if (ec) return fail(Errc::io, config.dir + ": create_directories: " + ec.message());
    const std::string stem = hdf5_output_file_stem(config.prefix, stream.time_ns(index));
    const std::string base = (fs::path(config.dir) / stem).string();
    if (std::find(completed.begin(), completed.end(), base + ".h5") != completed.end())
      return fail(Errc::io, base + ".h5: a file of this output already has this name (two files starting in the "
                                   "same millisecond)");
    std::string part = base + ".h5.part";
    const std::size_t rows_per_chunk = chunk_rows();
    if (config.format == FileFormat::xdas) {
      DASFLOW_TRY_ASSIGN(
          f, XdasNetcdfFile::create(part, stream, index, version, pipeline_yaml, rows_per_chunk, config.compression));
      file = std::move(f);
    } else {
      DASFLOW_TRY_ASSIGN(
          f, ProdmlFile::create(part, stream, index, version, pipeline_yaml, rows_per_chunk, config.compression));
      file = std::move(f);
    }
    part_path = std::move(part);
    final_path = base + ".h5";
    last_file = stem + ".h5";
    file_window = window;
    file_crc = 0;
    file_chunk_rows = rows_per_chunk;
    file_chunk_addresses.clear();
    return {};
  }

  /// Drops the open file without renaming it (after an error): its `.part` stays for inspection.
  void abandon_file() { file = std::monostate{}; }

  /// Closes the open file's handle and makes the `.part` durable; nothing if no file is open.
  Result<void> close_part() {
    Result<void> closed;
    if (auto* x = std::get_if<XdasNetcdfFile>(&file)) closed = x->close();
    if (auto* p = std::get_if<ProdmlFile>(&file)) closed = p->close();
    file = std::monostate{};
    DASFLOW_TRY(closed);
    return fsync_path(part_path, 0);
  }

  /// Closes the open file, makes it durable and renames it to its final name.
  Result<void> finish_file() {
    if (!is_open()) return {};
    DASFLOW_TRY(close_part());
    failpoint("hdf5.closed");
    std::error_code ec;
    fs::rename(part_path, final_path, ec);
    if (ec) return fail(Errc::io, part_path + ": rename to " + final_path + ": " + ec.message());
    failpoint("hdf5.renamed");
    DASFLOW_TRY(fsync_path(config.dir, O_DIRECTORY));
    completed.push_back(final_path);
    return {};
  }

  /// The open file's runs of contiguous indices: (first index, rows).
  std::vector<std::pair<std::int64_t, std::size_t>> open_file_runs() const {
    if (const auto* x = std::get_if<XdasNetcdfFile>(&file)) return x->runs();
    if (const auto* p = std::get_if<ProdmlFile>(&file))
      return {{p->next_index() - static_cast<std::int64_t>(p->n_rows()), p->n_rows()}};
    return {};
  }

  /// Closes the open file's handle without finishing it: it stays `.part`, durable, to be continued.
  Result<void> suspend_file() { return is_open() ? close_part() : Result<void>{}; }

  Result<void> delete_files_after_checkpoint(std::int64_t cut_ns, const std::string& keep_name);
  /// What a checkpoint recorded of the open file's rows besides their runs (absent in checkpoints
  /// written before dasflow recorded it: then the rows are copied unchecked, through HDF5 only).
  struct SavedRows {
    std::optional<std::uint32_t> crc;
    std::size_t chunk_rows = 0;
    std::vector<std::int64_t> chunk_addresses;
  };
  /// Rebuilds the file the checkpoint left open: its rows up to the checkpoint, from the old file
  /// renamed `.resume`, into a new `.part`. Rows that cannot be read back are Errc::state_mismatch
  /// (lost: the old file is kept as `.damaged`); failing to write the new file is Errc::io, with the
  /// `.resume` file kept so the next start does it again.
  Result<void> rebuild_open_file(const std::string& name, std::int64_t window,
                                 const std::vector<std::pair<std::int64_t, std::size_t>>& runs, const SavedRows& saved);

  std::int64_t open_file_next_index() const {
    if (const auto* x = std::get_if<XdasNetcdfFile>(&file)) return x->next_index();
    if (const auto* p = std::get_if<ProdmlFile>(&file)) return p->next_index();
    return 0;
  }

  Result<void> append(const float* rows_ptr, std::size_t n_rows, std::int64_t index) {
    Result<void> r = fail(Errc::internal, "hdf5 output " + config.dir + ": append without an open file");
    if (auto* x = std::get_if<XdasNetcdfFile>(&file)) r = x->append(rows_ptr, n_rows, index);
    if (auto* p = std::get_if<ProdmlFile>(&file)) r = p->append(rows_ptr, n_rows, index);
    if (r.ok()) file_crc = crc_floats(file_crc, rows_ptr, n_rows * stream.n_channels);
    return r;
  }

  std::size_t open_file_rows() const {
    if (const auto* x = std::get_if<XdasNetcdfFile>(&file)) return x->n_rows();
    if (const auto* p = std::get_if<ProdmlFile>(&file)) return p->n_rows();
    return 0;
  }

  /// Looks up the file offsets of the open file's data chunks not yet known (unfiltered chunks
  /// never move once allocated, so each is looked up once).
  Result<void> update_chunk_addresses();

  /// The rows of a rebuilt file, copied from `read` (rows [row0, row0 + n) of the old file) into
  /// a new open file in the order of `runs`, checked against `crc` when there is one. A failed read
  /// or another CRC is Errc::state_mismatch (this source cannot give the rows back; the new file
  /// is deleted); a failure to write the new file is returned as it is (Errc::io).
  Result<void> copy_rows(std::int64_t window, const std::vector<std::pair<std::int64_t, std::size_t>>& runs,
                         const std::function<Result<void>(std::size_t, std::size_t, float*)>& read,
                         std::optional<std::uint32_t> crc, const std::string& source);
};

namespace {

/// Milliseconds since the epoch of a `<prefix>_YYYYmmddTHHMMSS.fffZ.h5[.part|.resume]` file name
/// of this output, or nullopt for any other name (files that are not ours are never touched).
std::optional<std::int64_t> file_stamp_ms(const std::string& name, const std::string& prefix) {
  const std::string head = prefix + "_";
  if (name.rfind(head, 0) != 0) return std::nullopt;
  const std::string rest = name.substr(head.size());
  if (rest.size() < 23) return std::nullopt;
  const std::string tail = rest.substr(20);
  if (tail != ".h5" && tail != ".h5.part" && tail != ".h5.resume") return std::nullopt;
  int Y = 0, M = 0, D = 0, h = 0, m = 0, sec = 0, ms = 0;
  char T = 0, dot = 0, Z = 0;
  if (std::sscanf(rest.c_str(), "%4d%2d%2d%c%2d%2d%2d%c%3d%c", &Y, &M, &D, &T, &h, &m, &sec, &dot, &ms, &Z) != 10 ||
      T != 'T' || dot != '.' || Z != 'Z')
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

/// Where an output file keeps its rows: one dataset (xdas __values__, PRODML RawData) or, for band
/// energies in PRODML, one FbeData[b] per band, each holding `width` of a row's columns.
struct DataLayout {
  std::vector<std::string> datasets;
  std::size_t width = 0; ///< columns per dataset
};

DataLayout data_layout(FileFormat format, const StreamInfo& stream) {
  if (format == FileFormat::xdas) return {{"/__values__"}, stream.n_channels};
  if (stream.spectral == nullptr) return {{"/Acquisition/Raw[0]/RawData"}, stream.n_channels};
  DataLayout l;
  for (std::size_t b = 0; b < stream.spectral->n_bins(); ++b)
    l.datasets.push_back("/Acquisition/Processed/Fbe[0]/FbeData[" + std::to_string(b) + "]");
  l.width = stream.spectral->n_locations;
  return l;
}

/// Reads rows [row0, row0 + n) of an output file's data (time-major, every dataset's columns side
/// by side).
Result<void> read_output_rows(const std::string& path, const DataLayout& layout, std::size_t row0, std::size_t n,
                              float* out) {
  const Hdf5Lock lock;
  const QuietHdf5 quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) return fail(Errc::io, path + ": cannot open (HDF5: " + hdf5_reason() + ")");
  const std::size_t n_channels = layout.width * layout.datasets.size();
  for (std::size_t b = 0; b < layout.datasets.size(); ++b) {
    const std::string& name = layout.datasets[b];
    Handle set(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.valid()) return fail(Errc::io, path + ": no dataset " + name);
    Handle space(H5Dget_space(set.get()), H5Sclose);
    // (time, distance), or (time, frequency, distance) for a spectral product in the xdas layout.
    const int rank = H5Sget_simple_extent_ndims(space.get());
    hsize_t dims[3] = {0, 0, 1};
    if (rank < 2 || rank > 3 || H5Sget_simple_extent_dims(space.get(), dims, nullptr) != rank ||
        dims[1] * dims[2] != layout.width)
      return fail(Errc::io, path + ": " + name + " is not rows x " + std::to_string(layout.width));
    if (dims[0] < row0 + n)
      return fail(Errc::io, path + ": " + name + " holds " + std::to_string(dims[0]) + " rows, the checkpoint needs " +
                                std::to_string(row0 + n));
    if (n == 0) continue;
    const hsize_t start[3] = {row0, 0, 0}, count[3] = {n, dims[1], dims[2]};
    const hsize_t mem_dims[2] = {n, n_channels}, mem_start[2] = {0, b * layout.width};
    const hsize_t mem_count[2] = {n, layout.width};
    Handle mem(H5Screate_simple(2, mem_dims, nullptr), H5Sclose);
    if (H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr) < 0 ||
        H5Sselect_hyperslab(mem.get(), H5S_SELECT_SET, mem_start, nullptr, mem_count, nullptr) < 0)
      return fail(Errc::io, path + ": selecting rows failed");
    if (H5Dread(set.get(), H5T_NATIVE_FLOAT, mem.get(), space.get(), H5P_DEFAULT, out) < 0)
      return fail(Errc::io, path + ": reading rows " + std::to_string(row0) + ".." + std::to_string(row0 + n) + " of " +
                                name + " failed (HDF5: " + hdf5_reason() + ")");
  }
  return {};
}

/// Rows copied per read when rebuilding a file: bounded memory whatever the file size.
constexpr std::size_t kCopyBytes = std::size_t{64} << 20;

// HDF5 spells these with C casts.
constexpr haddr_t kUndefinedAddress = std::numeric_limits<haddr_t>::max(); // HADDR_UNDEF
constexpr hid_t kAllFiles = static_cast<hid_t>(H5F_OBJ_ALL);

/// The HDF5 file this process has open at `path`. netCDF-C does not export the HDF5 id of the files
/// it writes, so it is found among the open files by name; when a failed close left an older one
/// with the same name behind, the newest (HDF5 ids only grow) is the one being written. Not owned.
Result<hid_t> open_hdf5_file(const std::string& path) {
  const ssize_t n = H5Fget_obj_count(kAllFiles, H5F_OBJ_FILE);
  if (n <= 0) return fail(Errc::internal, path + ": no HDF5 file is open in this process");
  std::vector<hid_t> ids(static_cast<std::size_t>(n));
  const ssize_t got = H5Fget_obj_ids(kAllFiles, H5F_OBJ_FILE, ids.size(), ids.data());
  hid_t found = H5I_INVALID_HID;
  for (ssize_t i = 0; i < got; ++i) {
    const ssize_t len = H5Fget_name(ids[static_cast<std::size_t>(i)], nullptr, 0);
    if (len < 0) continue;
    std::string name(static_cast<std::size_t>(len), '\0');
    H5Fget_name(ids[static_cast<std::size_t>(i)], name.data(), name.size() + 1);
    if (name == path) found = std::max(found, ids[static_cast<std::size_t>(i)]);
  }
  if (found < 0) return fail(Errc::internal, path + ": not among the HDF5 files open in this process");
  return found;
}

/// File offsets of the data chunks [first, first + count) of the output file open at `path`. Each
/// must be allocated, unfiltered and `chunk_bytes` long, i.e. hold its rows as plain float32.
Result<std::vector<std::int64_t>> data_chunk_addresses(const std::string& path, const std::string& dataset,
                                                       std::size_t chunk_rows, std::size_t chunk_bytes,
                                                       std::size_t first, std::size_t count) {
  DASFLOW_TRY_ASSIGN(file, open_hdf5_file(path));
  Handle set(H5Dopen2(file, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!set.valid()) return fail(Errc::io, path + ": no dataset " + dataset + " (HDF5: " + hdf5_reason() + ")");
  std::vector<std::int64_t> out;
  for (std::size_t k = first; k < first + count; ++k) {
    const std::array<hsize_t, 3> offset{static_cast<hsize_t>(k * chunk_rows), 0, 0}; // rank 2 or 3
    unsigned filters = 0;
    haddr_t address = kUndefinedAddress;
    hsize_t size = 0;
    if (H5Dget_chunk_info_by_coord(set.get(), offset.data(), &filters, &address, &size) < 0)
      return fail(Errc::io,
                  path + ": looking up data chunk " + std::to_string(k) + " failed (HDF5: " + hdf5_reason() + ")");
    if (address == kUndefinedAddress || filters != 0 || size != chunk_bytes ||
        address > static_cast<haddr_t>(std::numeric_limits<std::int64_t>::max()))
      return fail(Errc::internal, path + ": data chunk " + std::to_string(k) + " is not a plain allocated chunk of " +
                                      std::to_string(chunk_bytes) + " bytes");
    out.push_back(static_cast<std::int64_t>(address));
  }
  return out;
}

/// Reads rows [row0, row0 + n) of an output file's data straight from its chunks at `addresses`
/// (chunk k holds rows [k·chunk_rows, (k+1)·chunk_rows), time-major, float32 little-endian,
/// unfiltered), without HDF5: for a file whose metadata HDF5 can no longer read.
Result<void> read_raw_rows(int fd, const std::string& path, const std::vector<std::int64_t>& addresses,
                           std::size_t chunk_rows, std::size_t n_channels, std::size_t row0, std::size_t n,
                           float* out) {
  const std::size_t row_bytes = n_channels * sizeof(float);
  for (std::size_t row = row0; row < row0 + n;) {
    const std::size_t k = row / chunk_rows, within = row % chunk_rows;
    const std::size_t take = std::min(chunk_rows - within, row0 + n - row);
    if (k >= addresses.size())
      return fail(Errc::io, path + ": row " + std::to_string(row) + " is in no chunk the checkpoint recorded");
    auto* dst = reinterpret_cast<char*>(out + (row - row0) * n_channels);
    const std::size_t bytes = take * row_bytes;
    const auto at = static_cast<off_t>(static_cast<std::size_t>(addresses[k]) + within * row_bytes);
    for (std::size_t done = 0; done < bytes;) {
      const ssize_t got = ::pread(fd, dst + done, bytes - done, at + static_cast<off_t>(done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0)
        return fail(Errc::io, path + ": reading chunk " + std::to_string(k) + " at byte " + std::to_string(at) +
                                  " failed: " + (got == 0 ? std::string("end of file") : std::strerror(errno)));
      done += static_cast<std::size_t>(got);
    }
    if constexpr (std::endian::native == std::endian::big) {
      for (std::size_t i = 0; i < bytes; i += 4) {
        std::swap(dst[i], dst[i + 3]);
        std::swap(dst[i + 1], dst[i + 2]);
      }
    }
    row += take;
  }
  return {};
}

} // namespace

Result<void> Hdf5Output::Impl::delete_files_after_checkpoint(std::int64_t cut_ns, const std::string& keep_name) {
  std::error_code ec;
  if (!fs::exists(config.dir, ec)) return {};
  const std::int64_t cut_ms = floor_div(cut_ns, 1'000'000);
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(config.dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const auto stamp = file_stamp_ms(name, config.prefix);
    if (!stamp || *stamp < cut_ms) continue;
    const std::string stem = name.substr(0, name.find(".h5") + 3);
    if (stem == keep_name) continue;
    doomed.push_back(it->path());
  }
  if (ec) return fail(Errc::io, config.dir + ": cannot list: " + ec.message());
  std::sort(doomed.begin(), doomed.end());
  std::string names;
  for (const fs::path& f : doomed) {
    fs::remove(f, ec);
    if (ec) return fail(Errc::io, f.string() + ": cannot delete (written after the checkpoint): " + ec.message());
    names += (names.empty() ? "" : ", ") + f.filename().string();
  }
  if (doomed.empty()) return {};
  notices.push_back({false, config.dir + ": deleted what was written after the checkpoint: " + names});
  return fsync_path(config.dir, O_DIRECTORY);
}

Result<void> Hdf5Output::Impl::update_chunk_addresses() {
  const std::size_t n_rows = open_file_rows();
  if (!is_open() || n_rows == 0 || file_chunk_rows == 0) return {};
  // Compressed chunks have no fixed size and move when the partial last chunk is rewritten, so
  // they cannot be read without HDF5: a compressed file is recovered through HDF5 or reported
  // damaged.
  if (config.compression != Compression::none) return {};
  // Rows spread over several datasets (PRODML FBE) are not recoverable from one list of chunks:
  // such a file is recovered through HDF5 or reported damaged.
  const DataLayout layout = data_layout(config.format, stream);
  if (layout.datasets.size() != 1) return {};
  const std::size_t needed = (n_rows + file_chunk_rows - 1) / file_chunk_rows;
  const std::size_t known = file_chunk_addresses.size();
  if (needed <= known) return {};
  DASFLOW_TRY_ASSIGN(more,
                     data_chunk_addresses(part_path, layout.datasets.front(), file_chunk_rows,
                                          file_chunk_rows * stream.n_channels * sizeof(float), known, needed - known));
  file_chunk_addresses.insert(file_chunk_addresses.end(), more.begin(), more.end());
  return {};
}

Result<void> Hdf5Output::Impl::copy_rows(std::int64_t window,
                                         const std::vector<std::pair<std::int64_t, std::size_t>>& runs,
                                         const std::function<Result<void>(std::size_t, std::size_t, float*)>& read,
                                         std::optional<std::uint32_t> crc, const std::string& source) {
  const std::size_t block_rows = std::max<std::size_t>(1, kCopyBytes / (sizeof(float) * stream.n_channels));
  std::vector<float> buffer;
  std::size_t row = 0;
  bool opened = false;
  // The new file of a failed attempt holds only some of the rows: it goes, the next attempt (or
  // the next start, from the `.resume` file) writes it again.
  const auto discard = [&] {
    abandon_file();
    std::error_code ec;
    if (opened) fs::remove(part_path, ec);
  };
  for (const auto& [first_index, n_rows] : runs) {
    if (!is_open()) {
      DASFLOW_TRY(open_file(first_index, window));
      opened = true;
    }
    for (std::size_t done = 0; done < n_rows;) {
      const std::size_t take = std::min(block_rows, n_rows - done);
      buffer.resize(take * stream.n_channels);
      if (Result<void> r = read(row, take, buffer.data()); !r.ok()) {
        discard();
        return fail(Errc::state_mismatch, r.error().message);
      }
      if (Result<void> r = append(buffer.data(), take, first_index + static_cast<std::int64_t>(done)); !r.ok()) {
        discard();
        return r;
      }
      done += take;
      row += take;
      failpoint("hdf5.rebuild");
    }
  }
  if (crc && file_crc != *crc) {
    char text[96];
    std::snprintf(text, sizeof text, " (CRC-32 %08x, the checkpoint recorded %08x)", file_crc, *crc);
    discard();
    return fail(Errc::state_mismatch,
                source + ": the " + std::to_string(row) + " rows read back differ from those checkpointed" + text);
  }
  return {};
}

Result<void> Hdf5Output::Impl::rebuild_open_file(const std::string& name, std::int64_t window,
                                                 const std::vector<std::pair<std::int64_t, std::size_t>>& runs,
                                                 const SavedRows& saved) {
  const std::string base = (fs::path(config.dir) / name).string(); // ends in .h5
  const std::string part = base + ".part", resume = base + ".resume";
  std::error_code ec;
  // The source of the rows: an earlier interrupted rebuild's .resume, else the file itself,
  // whether still .part or already renamed at a rotation after the checkpoint.
  if (!fs::exists(resume, ec)) {
    const std::string from = fs::exists(part, ec) ? part : base;
    if (!fs::exists(from, ec))
      return fail(Errc::state_mismatch, base + ".part: the file the checkpoint continues is gone; its rows before "
                                               "the checkpoint are lost, a new file starts");
    fs::rename(from, resume, ec);
    if (ec) return fail(Errc::io, from + ": rename to " + resume + ": " + ec.message());
    DASFLOW_TRY(fsync_path(config.dir, O_DIRECTORY));
  }
  std::size_t total = 0;
  for (const auto& run : runs)
    total += run.second;
  const auto finished = [&]() -> Result<void> {
    fs::remove(resume, ec);
    return fsync_path(config.dir, O_DIRECTORY);
  };
  if (runs.empty()) return finished();

  // 1. Through HDF5, probed in a child first: a file torn by a crash may have damaged metadata.
  std::string problem;
  std::vector<float> probe_row(stream.n_channels);
  auto probe = run_isolated(
      resume,
      [&]() -> Result<std::string> {
        DASFLOW_TRY(read_output_rows(resume, data_layout(config.format, stream), total - 1, 1, probe_row.data()));
        return std::string{};
      },
      std::chrono::seconds(120));
  if (probe.ok()) {
    const auto through_hdf5 = [&](std::size_t row0, std::size_t n, float* out) {
      return read_output_rows(resume, data_layout(config.format, stream), row0, n, out);
    };
    Result<void> copied = copy_rows(window, runs, through_hdf5, saved.crc, resume);
    if (copied.ok()) {
      notices.push_back(
          {false, "rebuilt " + base + ".part with its " + std::to_string(total) + " rows up to the checkpoint"});
      return finished();
    }
    if (copied.error().code != Errc::state_mismatch) return copied; // writing failed: .resume is kept
    problem = copied.error().message;
  } else {
    problem = probe.error().message;
  }

  // 2. Straight from the data chunks the checkpoint recorded, when HDF5 cannot give the rows back.
  const bool raw_possible =
      saved.crc && saved.chunk_rows > 0 && saved.chunk_addresses.size() * saved.chunk_rows >= total &&
      std::all_of(saved.chunk_addresses.begin(), saved.chunk_addresses.end(), [](std::int64_t a) { return a >= 0; });
  if (raw_possible) {
    const int fd = ::open(resume.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(Errc::io, resume + ": open: " + std::strerror(errno));
    const auto raw = [&](std::size_t row0, std::size_t n, float* out) {
      return read_raw_rows(fd, resume, saved.chunk_addresses, saved.chunk_rows, stream.n_channels, row0, n, out);
    };
    Result<void> copied = copy_rows(window, runs, raw, saved.crc, resume);
    ::close(fd);
    if (copied.ok()) {
      notices.push_back({true, "HDF5 cannot read " + resume + " (" + problem + "); its " + std::to_string(total) +
                                   " rows up to the checkpoint were read from the data chunks the checkpoint " +
                                   "recorded, their CRC-32 checked, and " + base + ".part rebuilt from them"});
      return finished();
    }
    if (copied.error().code != Errc::state_mismatch) return copied;
    problem += "; reading its data chunks directly: " + copied.error().message;
  }
  const std::string damaged = base + ".damaged";
  fs::rename(resume, damaged, ec);
  return fail(Errc::state_mismatch,
              problem + "; moved to " + damaged + ", its rows before the checkpoint are " + "lost, a new file starts");
}

Hdf5Output::Hdf5Output(Hdf5OutputConfig config, StreamInfo stream, std::string pipeline_yaml,
                       std::string dasflow_version)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->stream = std::move(stream);
  impl_->pipeline_yaml = std::move(pipeline_yaml);
  impl_->version = std::move(dasflow_version);
  const double d_ns = impl_->config.file_duration_s * 1e9;
  impl_->duration_ns = std::isfinite(d_ns) && d_ns >= 1.0 && d_ns < 9e18 ? std::llround(d_ns) : 0;
}

Hdf5Output::~Hdf5Output() {
  if (!impl_) return;
  if (Result<void> r = close(); !r.ok()) std::fprintf(stderr, "dasflow: hdf5 output: %s\n", r.error().message.c_str());
}

Hdf5Output::Hdf5Output(Hdf5Output&&) noexcept = default;

Hdf5Output& Hdf5Output::operator=(Hdf5Output&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      if (Result<void> r = close(); !r.ok())
        std::fprintf(stderr, "dasflow: hdf5 output: %s\n", r.error().message.c_str());
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

Result<void> Hdf5Output::write(const ChunkView& chunk) {
  if (!impl_) return fail(Errc::internal, "hdf5 output: write on a moved-from output");
  const std::lock_guard lock(hdf5_mutex()); // netCDF and HDF5 are not thread-safe (hdf5_lock.hpp)
  // Failures are returned with HDF5's reason, never printed: netCDF turns HDF5's printing off only
  // once, and other HDF5 users in the process may have turned it on again since.
  const QuietHdf5 quiet;
  Impl& s = *impl_;
  DASFLOW_TRY(s.check_config());
  if (chunk.n_channels != s.stream.n_channels)
    return fail(Errc::internal, "hdf5 output " + s.config.dir + ": chunk at index " +
                                    std::to_string(chunk.first_index) + " has " + std::to_string(chunk.n_channels) +
                                    " channels, the stream has " + std::to_string(s.stream.n_channels));
  if (chunk.samples.size() < chunk.n_samples * chunk.n_channels)
    return fail(Errc::internal, "hdf5 output " + s.config.dir + ": chunk at index " +
                                    std::to_string(chunk.first_index) + " holds fewer samples than its shape");
  if (chunk.n_samples == 0) return {};
  if (s.have_previous && chunk.first_index < s.next_index)
    return fail(Errc::discontinuity,
                "hdf5 output " + s.config.dir + ": chunk at index " + std::to_string(chunk.first_index) +
                    " overlaps rows already written (next expected index " + std::to_string(s.next_index) + ")");

  std::size_t row = 0;
  while (row < chunk.n_samples) {
    const std::int64_t index = chunk.first_index + static_cast<std::int64_t>(row);
    const std::int64_t window = s.window_of(index);
    const std::int64_t window_end = s.window_end_index(window, index);
    const std::size_t take = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(chunk.n_samples - row), window_end - index));

    // A new time window, or a gap in a PRODML file (its readers assume even sampling), starts a new file.
    if (s.is_open() &&
        (s.file_window != window || (s.config.format == FileFormat::prodml && index != s.open_file_next_index()))) {
      if (Result<void> r = s.finish_file(); !r.ok()) return r;
    }
    if (!s.is_open()) DASFLOW_TRY(s.open_file(index, window));
    if (Result<void> r = s.append(chunk.row(row), take, index); !r.ok()) {
      s.abandon_file();
      return r;
    }
    s.rows += take;
    s.bytes += take * s.stream.n_channels * sizeof(float);
    row += take;
    s.have_previous = true;
    s.next_index = index + static_cast<std::int64_t>(take);
  }
  return {};
}

std::string Hdf5Output::key() const {
  return impl_ ? "hdf5:" + impl_->config.dir + "/" + impl_->config.prefix : "hdf5:";
}

Result<StateTree> Hdf5Output::checkpoint() {
  if (!impl_) return fail(Errc::internal, "hdf5 output: checkpoint on a moved-from output");
  const std::lock_guard lock(hdf5_mutex());
  const QuietHdf5 quiet;
  Impl& s = *impl_;
  // Every append ended with a flush to the kernel; fsync makes it survive a power cut too.
  if (s.is_open()) {
    DASFLOW_TRY(fsync_path(s.part_path, 0));
    DASFLOW_TRY(s.update_chunk_addresses());
  }
  StateTree t("hdf5-output", 1);
  t.set("key", key());
  t.set("have_previous", std::int64_t{s.have_previous});
  t.set("next_index", s.next_index);
  t.set("rows", static_cast<std::int64_t>(s.rows));
  t.set("file", s.last_file);
  t.set("file_open", std::int64_t{s.is_open()});
  t.set("file_window", s.file_window);
  std::vector<std::int64_t> runs;
  for (const auto& [first, n] : s.open_file_runs()) {
    runs.push_back(first);
    runs.push_back(static_cast<std::int64_t>(n));
  }
  t.set("runs", std::move(runs));
  // The rows' CRC and where their chunks are: resume() checks what it reads back, and reads the
  // chunks directly if HDF5 cannot read the file any more.
  t.set("rows_crc32", static_cast<std::int64_t>(s.is_open() ? s.file_crc : 0));
  t.set("chunk_rows", static_cast<std::int64_t>(s.is_open() ? s.file_chunk_rows : 0));
  t.set("chunk_addresses", s.is_open() ? s.file_chunk_addresses : std::vector<std::int64_t>{});
  return t;
}

Result<void> Hdf5Output::resume(const StateTree& position) {
  if (!impl_) return fail(Errc::internal, "hdf5 output: resume on a moved-from output");
  const std::lock_guard lock(hdf5_mutex());
  const QuietHdf5 quiet;
  Impl& s = *impl_;
  DASFLOW_TRY(s.check_config());
  if (s.is_open() || s.rows > 0) return fail(Errc::internal, "hdf5 output " + s.config.dir + ": resume after writing");
  DASFLOW_TRY(position.expect("hdf5-output", 1));
  DASFLOW_TRY_ASSIGN(have_previous, position.get_int("have_previous"));
  DASFLOW_TRY_ASSIGN(next_index, position.get_int("next_index"));
  DASFLOW_TRY_ASSIGN(rows, position.get_int("rows"));
  DASFLOW_TRY_ASSIGN(file, position.get_string("file"));
  DASFLOW_TRY_ASSIGN(file_open, position.get_int("file_open"));
  DASFLOW_TRY_ASSIGN(window, position.get_int("file_window"));
  DASFLOW_TRY_ASSIGN(flat, position.get_ints("runs"));
  if (flat.size() % 2 != 0 || file.find('/') != std::string::npos)
    return fail(Errc::state_mismatch, "hdf5 output " + s.config.dir + ": malformed checkpoint position");
  std::vector<std::pair<std::int64_t, std::size_t>> runs;
  for (std::size_t i = 0; i < flat.size(); i += 2) {
    if (flat[i + 1] <= 0) return fail(Errc::state_mismatch, "hdf5 output " + s.config.dir + ": malformed run");
    runs.emplace_back(flat[i], static_cast<std::size_t>(flat[i + 1]));
  }
  s.have_previous = have_previous != 0;
  s.next_index = next_index;
  s.rows = static_cast<std::uint64_t>(std::max<std::int64_t>(0, rows));
  s.last_file = file;
  // Nothing written before the checkpoint: a re-run recreates (clobbers) any file of this output.
  if (!s.have_previous) return {};
  DASFLOW_TRY(s.delete_files_after_checkpoint(s.stream.time_ns(next_index), file));
  if (file_open == 0) return {};
  Impl::SavedRows saved;
  const auto crc = position.get_int("rows_crc32");
  const auto chunk_rows = position.get_int("chunk_rows");
  const auto addresses = position.get_ints("chunk_addresses");
  if (crc.ok() && chunk_rows.ok() && addresses.ok() && *crc >= 0 && *crc <= 0xffffffffLL && *chunk_rows >= 0) {
    saved.crc = static_cast<std::uint32_t>(*crc);
    saved.chunk_rows = static_cast<std::size_t>(*chunk_rows);
    saved.chunk_addresses = *addresses;
  }
  return s.rebuild_open_file(file, window, runs, saved);
}

Result<void> Hdf5Output::close(bool stream_complete) {
  if (!impl_) return {};
  const std::lock_guard lock(hdf5_mutex());
  const QuietHdf5 quiet;
  return stream_complete ? impl_->finish_file() : impl_->suspend_file();
}

Result<void> Hdf5Output::check() const {
  if (!impl_) return fail(Errc::internal, "hdf5 output: check on a moved-from output");
  DASFLOW_TRY(impl_->check_config());
  return check_compression_available(impl_->config.compression, "hdf5 output " + impl_->config.dir);
}

Result<void> Hdf5Output::change_stream(const StreamInfo& stream) {
  if (!impl_) return fail(Errc::internal, "hdf5 output: change_stream on a moved-from output");
  const std::lock_guard lock(hdf5_mutex());
  const QuietHdf5 quiet;
  DASFLOW_TRY(impl_->finish_file());
  impl_->stream = stream;
  impl_->have_previous = false;
  return {};
}

const std::vector<std::string>& Hdf5Output::completed_files() const {
  static const std::vector<std::string> kNone;
  return impl_ ? impl_->completed : kNone;
}

std::uint64_t Hdf5Output::bytes_written() const noexcept { return impl_ ? impl_->bytes : 0; }

std::uint64_t Hdf5Output::rows_written() const { return impl_ ? impl_->rows : 0; }

std::vector<Hdf5Output::Notice> Hdf5Output::take_notices() {
  return impl_ ? std::exchange(impl_->notices, {}) : std::vector<Notice>{};
}

} // namespace dasflow::io
