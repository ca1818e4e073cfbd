#include "dasflow/io/hdf5_output.hpp"

#include "dasflow/io/hdf5_lock.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>
#include <utility>
#include <variant>

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include "dasflow/io/prodml_file.hpp"
#include "dasflow/io/xdas_netcdf_file.hpp"

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

/// fsync of a path opened read-only (a file, or a directory after a rename in it).
Result<void> fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return fail(Errc::io, path + ": open: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return fail(Errc::io, path + ": fsync: " + std::strerror(err));
  return {};
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
  // System errors read "file write failed: time = ..., filename = ..., errno = 28, error message =
  // 'No space left on device', buf = 0x..., ...": keep what failed and why.
  const std::size_t errno_at = desc.find("errno = ");
  const std::size_t message_at = desc.find("error message = '");
  if (errno_at != std::string::npos && message_at != std::string::npos) {
    const std::size_t text_at = message_at + std::strlen("error message = '");
    const std::size_t text_end = desc.find('\'', text_at);
    const std::size_t errno_end = desc.find_first_not_of("0123456789", errno_at + 8);
    return desc.substr(0, desc.find(':')) + ": " + desc.substr(text_at, text_end - text_at) + " (errno " +
           desc.substr(errno_at + 8, errno_end - errno_at - 8) + ")";
  }
  std::replace(desc.begin(), desc.end(), '\n', ' ');
  return desc;
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
    if (config.format == FileFormat::xdas) {
      DASFLOW_TRY_ASSIGN(f, XdasNetcdfFile::create(part, stream, index, version, pipeline_yaml, chunk_rows()));
      file = std::move(f);
    } else {
      DASFLOW_TRY_ASSIGN(f, ProdmlFile::create(part, stream, index, version, pipeline_yaml, chunk_rows()));
      file = std::move(f);
    }
    part_path = std::move(part);
    final_path = base + ".h5";
    file_window = window;
    return {};
  }

  /// Drops the open file without renaming it (after an error): its `.part` stays for inspection.
  void abandon_file() { file = std::monostate{}; }

  /// Closes the open file, makes it durable and renames it to its final name.
  Result<void> finish_file() {
    if (!is_open()) return {};
    Result<void> closed;
    if (auto* x = std::get_if<XdasNetcdfFile>(&file)) closed = x->close();
    if (auto* p = std::get_if<ProdmlFile>(&file)) closed = p->close();
    file = std::monostate{};
    DASFLOW_TRY(closed);
    DASFLOW_TRY(fsync_path(part_path, 0));
    std::error_code ec;
    fs::rename(part_path, final_path, ec);
    if (ec) return fail(Errc::io, part_path + ": rename to " + final_path + ": " + ec.message());
    DASFLOW_TRY(fsync_path(config.dir, O_DIRECTORY));
    completed.push_back(final_path);
    return {};
  }

  std::int64_t open_file_next_index() const {
    if (const auto* x = std::get_if<XdasNetcdfFile>(&file)) return x->next_index();
    if (const auto* p = std::get_if<ProdmlFile>(&file)) return p->next_index();
    return 0;
  }

  Result<void> append(const float* rows_ptr, std::size_t n_rows, std::int64_t index) {
    if (auto* x = std::get_if<XdasNetcdfFile>(&file)) return x->append(rows_ptr, n_rows, index);
    if (auto* p = std::get_if<ProdmlFile>(&file)) return p->append(rows_ptr, n_rows, index);
    return fail(Errc::internal, "hdf5 output " + config.dir + ": append without an open file");
  }
};

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
    row += take;
    s.have_previous = true;
    s.next_index = index + static_cast<std::int64_t>(take);
  }
  return {};
}

Result<void> Hdf5Output::close() {
  if (!impl_) return {};
  const std::lock_guard lock(hdf5_mutex());
  return impl_->finish_file();
}

const std::vector<std::string>& Hdf5Output::completed_files() const {
  static const std::vector<std::string> kNone;
  return impl_ ? impl_->completed : kNone;
}

std::uint64_t Hdf5Output::rows_written() const { return impl_ ? impl_->rows : 0; }

} // namespace dasflow::io
