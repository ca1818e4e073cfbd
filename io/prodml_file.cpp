#include "dasflow/io/prodml_file.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <type_traits>
#include <utility>

#include <hdf5.h>

#include "dasflow/io/hdf5_output.hpp"

namespace dasflow::io {

static_assert(std::is_same_v<hid_t, std::int64_t>, "ProdmlFile stores hid_t as std::int64_t");

namespace {

// HDF5 spells these with C casts; naming them once keeps -Wold-style-cast quiet everywhere else.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
constexpr hid_t kDefault = H5P_DEFAULT;
constexpr hsize_t kUnlimited = H5S_UNLIMITED;
constexpr std::size_t kVariable = H5T_VARIABLE;
#pragma GCC diagnostic pop

/// Owns one HDF5 identifier; closes it with the function matching its kind.
class Handle {
public:
  Handle(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
  }
  hid_t get() const noexcept { return id_; }
  bool ok() const noexcept { return id_ >= 0; }

private:
  hid_t id_ = -1;
  herr_t (*closer_)(hid_t) = nullptr;
};

/// "<path>: <operation>: <HDF5 detail>".
Error h5_error(const std::string& path, const std::string& operation) {
  std::string message = path + ": " + operation;
  if (const std::string detail = hdf5_error_detail(); !detail.empty()) message += ": " + detail;
  return fail(Errc::io, std::move(message));
}

/// `YYYY-mm-ddTHH:MM:SS.ffffff+00:00` for µs since the epoch (the form of the Silixa file, which
/// both DASCore and xdas parse).
std::string iso_us(std::int64_t t_us) {
  const std::int64_t s = t_us >= 0 ? t_us / 1'000'000 : -((-t_us + 999'999) / 1'000'000);
  const std::int64_t frac = t_us - s * 1'000'000;
  const std::time_t tt = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::array<char, 64> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf.data();
}

/// ns -> µs, rounded to the nearest µs (half up).
std::int64_t ns_to_us(std::int64_t t_ns) {
  const std::int64_t shifted = t_ns + 500;
  return shifted >= 0 ? shifted / 1000 : -((-shifted + 999) / 1000);
}

std::string random_uuid() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  std::uint64_t hi = gen(), lo = gen();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL; // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL; // RFC 4122 variant
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32), static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF), static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf.data();
}

/// Writes a scalar attribute of a fixed numeric type, in place when it exists (Count is rewritten
/// after every append).
template <typename T>
Result<void> put_scalar(const std::string& path, hid_t loc, const char* name, hid_t file_type, hid_t mem_type,
                        T value) {
  if (H5Aexists(loc, name) > 0) {
    const Handle attr(H5Aopen(loc, name, kDefault), H5Aclose);
    if (!attr.ok() || H5Awrite(attr.get(), mem_type, &value) < 0)
      return h5_error(path, std::string("H5Awrite(") + name + ")");
    return {};
  }
  const Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const Handle attr(H5Acreate2(loc, name, file_type, space.get(), kDefault, kDefault), H5Aclose);
  if (!space.ok() || !attr.ok()) return h5_error(path, std::string("H5Acreate2(") + name + ")");
  if (H5Awrite(attr.get(), mem_type, &value) < 0) return h5_error(path, std::string("H5Awrite(") + name + ")");
  return {};
}

/// Writes a scalar fixed-length, null-terminated ASCII string attribute (the Silixa file's type),
/// rewriting in place when one of the same length exists.
Result<void> put_fixed_string(const std::string& path, hid_t loc, const char* name, const std::string& value) {
  const Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.ok() || H5Tset_size(type.get(), value.empty() ? 1 : value.size()) < 0 ||
      H5Tset_strpad(type.get(), H5T_STR_NULLTERM) < 0)
    return h5_error(path, std::string("H5Tset_size(") + name + ")");
  if (H5Aexists(loc, name) > 0) {
    const Handle old(H5Aopen(loc, name, kDefault), H5Aclose);
    const Handle old_type(old.ok() ? H5Aget_type(old.get()) : -1, H5Tclose);
    if (old_type.ok() && H5Tequal(old_type.get(), type.get()) > 0) {
      if (H5Awrite(old.get(), type.get(), value.c_str()) < 0)
        return h5_error(path, std::string("H5Awrite(") + name + ")");
      return {};
    }
    if (H5Adelete(loc, name) < 0) return h5_error(path, std::string("H5Adelete(") + name + ")");
  }
  const Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const Handle attr(H5Acreate2(loc, name, type.get(), space.get(), kDefault, kDefault), H5Aclose);
  if (!space.ok() || !attr.ok()) return h5_error(path, std::string("H5Acreate2(") + name + ")");
  if (H5Awrite(attr.get(), type.get(), value.c_str()) < 0) return h5_error(path, std::string("H5Awrite(") + name + ")");
  return {};
}

/// Variable-length UTF-8 string attribute (for free text of any length: version, pipeline YAML).
Result<void> put_vlen_string(const std::string& path, hid_t loc, const char* name, std::string_view value) {
  const std::string text(value);
  const char* data = text.c_str();
  const Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.ok() || H5Tset_size(type.get(), kVariable) < 0 || H5Tset_cset(type.get(), H5T_CSET_UTF8) < 0)
    return h5_error(path, std::string("H5Tset_size(") + name + ")");
  const Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const Handle attr(H5Acreate2(loc, name, type.get(), space.get(), kDefault, kDefault), H5Aclose);
  if (!space.ok() || !attr.ok()) return h5_error(path, std::string("H5Acreate2(") + name + ")");
  if (H5Awrite(attr.get(), type.get(), &data) < 0) return h5_error(path, std::string("H5Awrite(") + name + ")");
  return {};
}

/// `Dimensions = ["time", "locus"]`: a 1-D array of fixed-length strings, as in the Silixa file.
Result<void> put_dimensions(const std::string& path, hid_t loc) {
  const std::array<char, 10> names{'t', 'i', 'm', 'e', '\0', 'l', 'o', 'c', 'u', 's'};
  const Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  if (!type.ok() || H5Tset_size(type.get(), 5) < 0 || H5Tset_strpad(type.get(), H5T_STR_NULLTERM) < 0)
    return h5_error(path, "H5Tset_size(Dimensions)");
  const hsize_t n = 2;
  const Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  const Handle attr(H5Acreate2(loc, "Dimensions", type.get(), space.get(), kDefault, kDefault), H5Aclose);
  if (!space.ok() || !attr.ok()) return h5_error(path, "H5Acreate2(Dimensions)");
  if (H5Awrite(attr.get(), type.get(), names.data()) < 0) return h5_error(path, "H5Awrite(Dimensions)");
  return {};
}

Result<void> put_i64(const std::string& path, hid_t loc, const char* name, std::int64_t v) {
  return put_scalar(path, loc, name, H5T_STD_I64LE, H5T_NATIVE_INT64, v);
}
Result<void> put_f64(const std::string& path, hid_t loc, const char* name, double v) {
  return put_scalar(path, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v);
}

/// A float32 (time, locus) dataset growing along time, chunked along time. Returns its id (owned
/// by the caller).
Result<hid_t> create_rows(const std::string& p, hid_t loc, const char* name, std::int64_t m, std::size_t chunk_rows,
                          Compression compression) {
  const std::array<hsize_t, 2> dims{0, static_cast<hsize_t>(m)};
  const std::array<hsize_t, 2> max_dims{kUnlimited, static_cast<hsize_t>(m)};
  const std::array<hsize_t, 2> chunk{static_cast<hsize_t>(chunk_rows), static_cast<hsize_t>(m)};
  const Handle space(H5Screate_simple(2, dims.data(), max_dims.data()), H5Sclose);
  const Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.ok() || !dcpl.ok() || H5Pset_chunk(dcpl.get(), 2, chunk.data()) < 0 ||
      H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0)
    return h5_error(p, std::string("H5Pset_chunk(") + name + ")");
  for (const FilterStep& f : compression_filters(compression))
    if (H5Pset_filter(dcpl.get(), static_cast<H5Z_filter_t>(f.id), H5Z_FLAG_MANDATORY, f.params.size(),
                      f.params.data()) < 0)
      return h5_error(p, std::string("H5Pset_filter(") + name + ", " + std::to_string(f.id) + ")");
  const hid_t id = H5Dcreate2(loc, name, H5T_IEEE_F32LE, space.get(), kDefault, dcpl.get(), kDefault);
  if (id < 0) return h5_error(p, std::string("H5Dcreate2(") + name + ")");
  return id;
}

/// The int64 µs time dataset beside the rows (RawDataTime, FbeDataTime).
Result<hid_t> create_times(const std::string& p, hid_t loc, const char* name, std::size_t chunk_rows) {
  const hsize_t dim = 0, max_dim = kUnlimited;
  const hsize_t chunk = std::max<hsize_t>(static_cast<hsize_t>(chunk_rows), 1024);
  const Handle space(H5Screate_simple(1, &dim, &max_dim), H5Sclose);
  const Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!space.ok() || !dcpl.ok() || H5Pset_chunk(dcpl.get(), 1, &chunk) < 0)
    return h5_error(p, std::string("H5Pset_chunk(") + name + ")");
  const hid_t id = H5Dcreate2(loc, name, H5T_STD_I64LE, space.get(), kDefault, dcpl.get(), kDefault);
  if (id < 0) return h5_error(p, std::string("H5Dcreate2(") + name + ")");
  return id;
}

} // namespace

ProdmlFile::ProdmlFile(std::string path, const StreamInfo& stream, std::int64_t first_index)
    : path_(std::move(path)), stream_(stream), first_index_(first_index), next_index_(first_index) {}

ProdmlFile::ProdmlFile(ProdmlFile&& other) noexcept
    : path_(std::move(other.path_)), stream_(std::move(other.stream_)), file_id_(std::exchange(other.file_id_, -1)),
      data_ids_(std::exchange(other.data_ids_, {})), time_id_(std::exchange(other.time_id_, -1)),
      n_rows_(other.n_rows_), first_index_(other.first_index_), next_index_(other.next_index_),
      time_us_(std::move(other.time_us_)) {}

ProdmlFile& ProdmlFile::operator=(ProdmlFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    stream_ = std::move(other.stream_);
    file_id_ = std::exchange(other.file_id_, -1);
    data_ids_ = std::exchange(other.data_ids_, {});
    time_id_ = std::exchange(other.time_id_, -1);
    n_rows_ = other.n_rows_;
    first_index_ = other.first_index_;
    next_index_ = other.next_index_;
    time_us_ = std::move(other.time_us_);
  }
  return *this;
}

ProdmlFile::~ProdmlFile() { release(); }

void ProdmlFile::release() noexcept {
  if (time_id_ >= 0) H5Dclose(std::exchange(time_id_, -1));
  for (const std::int64_t d : std::exchange(data_ids_, {}))
    H5Dclose(d);
  if (file_id_ >= 0) H5Fclose(std::exchange(file_id_, -1));
  H5Eclear2(H5E_DEFAULT);
}

Result<ProdmlFile> ProdmlFile::create(std::string path, const StreamInfo& stream, std::int64_t first_index,
                                      std::string_view dasflow_version, std::string_view pipeline_yaml,
                                      std::size_t chunk_rows, Compression compression) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); // errors are returned, not printed
  ProdmlFile file(std::move(path), stream, first_index);
  const std::string& p = file.path_;
  file.file_id_ = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, kDefault, kDefault);
  if (file.file_id_ < 0) return h5_error(p, "H5Fcreate");
  const hid_t root = file.file_id_;

  const ChannelCoords& coords = *stream.coords;
  // A band-energy stream (fbe) goes to Processed/Fbe[0]: one FbeData[b] per band, each m loci wide.
  const SpectralAxis* fbe = stream.spectral.get();
  if (fbe != nullptr && fbe->kind != SpectralAxis::Kind::bands)
    return fail(Errc::config, p + ": PRODML has no layout for a spectrogram (only band energies, atom fbe); "
                                  "write it with format: xdas");
  const auto m = static_cast<std::int64_t>(fbe != nullptr ? fbe->n_locations : stream.n_channels);
  const double max_hz = (fbe != nullptr ? fbe->input_fs_hz : stream.fs_hz) / 2.0;
  const double spacing_m = static_cast<double>(coords.step) * coords.dx_m;
  const auto start_locus =
      static_cast<std::int64_t>(std::llround(static_cast<double>(coords.first) / static_cast<double>(coords.step)));
  const std::string start_iso = iso_us(ns_to_us(stream.time_ns(first_index)));

  DASFLOW_TRY(put_fixed_string(p, root, "uuid", random_uuid()));
  DASFLOW_TRY(put_vlen_string(p, root, "dasflow_version", dasflow_version));
  DASFLOW_TRY(put_vlen_string(p, root, "dasflow_pipeline", pipeline_yaml));
  DASFLOW_TRY(put_f64(p, root, "dasflow_fs_hz", stream.fs_hz));
  DASFLOW_TRY(put_i64(p, root, "dasflow_origin_ns", stream.origin_ns));
  DASFLOW_TRY(put_i64(p, root, "dasflow_first_index", first_index));
  DASFLOW_TRY(put_i64(p, root, "dasflow_channel_first", coords.first));
  DASFLOW_TRY(put_i64(p, root, "dasflow_channel_step", coords.step));
  DASFLOW_TRY(put_f64(p, root, "dasflow_channel_dx_m", coords.dx_m));

  const Handle acq(H5Gcreate2(root, "Acquisition", kDefault, kDefault, kDefault), H5Gclose);
  if (!acq.ok()) return h5_error(p, "H5Gcreate2(/Acquisition)");
  const hid_t a = acq.get();
  DASFLOW_TRY(put_fixed_string(p, a, "schemaVersion", "2.0"));
  DASFLOW_TRY(put_fixed_string(p, a, "uuid", random_uuid()));
  DASFLOW_TRY(put_fixed_string(p, a, "AcquisitionId", random_uuid()));
  DASFLOW_TRY(put_fixed_string(p, a, "VendorCode", "dasflow " + std::string(dasflow_version)));
  DASFLOW_TRY(put_fixed_string(p, a, "MeasurementStartTime", start_iso));
  DASFLOW_TRY(put_i64(p, a, "NumberOfLoci", m));
  DASFLOW_TRY(put_i64(p, a, "StartLocusIndex", start_locus));
  DASFLOW_TRY(put_f64(p, a, "SpatialSamplingInterval", spacing_m));
  DASFLOW_TRY(put_fixed_string(p, a, "SpatialSamplingIntervalUnit", "m"));
  DASFLOW_TRY(put_f64(p, a, "MinimumFrequency", 0.0));
  DASFLOW_TRY(put_f64(p, a, "MaximumFrequency", max_hz));
  DASFLOW_TRY(put_scalar(p, a, "TriggeredMeasurement", H5T_STD_U8LE, H5T_NATIVE_UINT8, std::uint8_t{0}));

  if (fbe == nullptr) {
    const Handle raw(H5Gcreate2(a, "Raw[0]", kDefault, kDefault, kDefault), H5Gclose);
    if (!raw.ok()) return h5_error(p, "H5Gcreate2(/Acquisition/Raw[0])");
    const hid_t r = raw.get();
    DASFLOW_TRY(put_i64(p, r, "NumberOfLoci", m));
    DASFLOW_TRY(put_f64(p, r, "OutputDataRate", stream.fs_hz));
    DASFLOW_TRY(put_scalar(p, r, "RawIndex", H5T_STD_U64LE, H5T_NATIVE_UINT64, std::uint64_t{0}));
    DASFLOW_TRY(put_i64(p, r, "StartLocusIndex", start_locus));
    DASFLOW_TRY(put_fixed_string(p, r, "uuid", random_uuid()));
    DASFLOW_TRY_ASSIGN(data, create_rows(p, r, "RawData", m, chunk_rows, compression));
    file.data_ids_.push_back(data);
    DASFLOW_TRY_ASSIGN(times, create_times(p, r, "RawDataTime", chunk_rows));
    file.time_id_ = times;
  } else {
    // As OptaSense's FBE files (data/real/das/prodml_fbe_1.h5): Processed/Fbe[0] with the transform's
    // description, FbeData[b] (time, locus) per band with its frequency range, FbeDataTime.
    const Handle processed(H5Gcreate2(a, "Processed", kDefault, kDefault, kDefault), H5Gclose);
    if (!processed.ok()) return h5_error(p, "H5Gcreate2(/Acquisition/Processed)");
    const Handle group(H5Gcreate2(processed.get(), "Fbe[0]", kDefault, kDefault, kDefault), H5Gclose);
    if (!group.ok()) return h5_error(p, "H5Gcreate2(/Acquisition/Processed/Fbe[0])");
    const hid_t g = group.get();
    DASFLOW_TRY(put_i64(p, g, "NumberOfLoci", m));
    DASFLOW_TRY(put_f64(p, g, "OutputDataRate", stream.fs_hz));
    DASFLOW_TRY(put_i64(p, g, "StartLocusIndex", start_locus));
    DASFLOW_TRY(put_i64(p, g, "TransformSize", static_cast<std::int64_t>(fbe->window_samples)));
    DASFLOW_TRY(put_fixed_string(p, g, "TransformType", "FFT"));
    DASFLOW_TRY(put_fixed_string(p, g, "WindowFunction", fbe->window_name == "hann" ? "HANNING" : fbe->window_name));
    DASFLOW_TRY(put_i64(p, g, "WindowOverlap", static_cast<std::int64_t>(fbe->overlap_samples)));
    DASFLOW_TRY(put_i64(p, g, "WindowSize", static_cast<std::int64_t>(fbe->window_samples)));
    DASFLOW_TRY(put_fixed_string(p, g, "FbeDataUnit", fbe->unit));
    DASFLOW_TRY(put_fixed_string(p, g, "uuid", random_uuid()));
    for (std::size_t b = 0; b < fbe->n_bins(); ++b) {
      const std::string name = "FbeData[" + std::to_string(b) + "]";
      DASFLOW_TRY_ASSIGN(data, create_rows(p, g, name.c_str(), m, chunk_rows, compression));
      file.data_ids_.push_back(data);
      DASFLOW_TRY(put_f64(p, data, "StartFrequency", fbe->low_hz[b]));
      DASFLOW_TRY(put_f64(p, data, "EndFrequency", fbe->high_hz[b]));
    }
    DASFLOW_TRY_ASSIGN(times, create_times(p, g, "FbeDataTime", chunk_rows));
    file.time_id_ = times;
  }
  for (const std::int64_t d : file.data_ids_) {
    DASFLOW_TRY(put_i64(p, d, "Count", 0));
    DASFLOW_TRY(put_fixed_string(p, d, "PartStartTime", start_iso));
    DASFLOW_TRY(put_fixed_string(p, d, "PartEndTime", start_iso));
    DASFLOW_TRY(put_i64(p, d, "StartIndex", first_index));
    DASFLOW_TRY(put_dimensions(p, d));
  }
  DASFLOW_TRY(put_i64(p, file.time_id_, "Count", 0));
  DASFLOW_TRY(put_fixed_string(p, file.time_id_, "PartStartTime", start_iso));
  DASFLOW_TRY(put_fixed_string(p, file.time_id_, "PartEndTime", start_iso));
  DASFLOW_TRY(put_i64(p, file.time_id_, "StartIndex", first_index));
  DASFLOW_TRY(put_fixed_string(p, file.time_id_, "StartTime", start_iso));

  if (H5Fflush(root, H5F_SCOPE_LOCAL) < 0) return h5_error(p, "H5Fflush");
  return file;
}

Result<void> ProdmlFile::append(const float* rows, std::size_t n_rows, std::int64_t first_index) {
  if (file_id_ < 0) return fail(Errc::internal, path_ + ": append to a closed file");
  if (n_rows == 0) return {};
  if (first_index != next_index_)
    return fail(Errc::discontinuity, path_ + ": PRODML rows must be contiguous: got index " +
                                         std::to_string(first_index) + ", expected " + std::to_string(next_index_));
  const auto width = static_cast<hsize_t>(stream_.n_channels);   // columns of a row in memory
  const auto m = width / static_cast<hsize_t>(data_ids_.size()); // loci per dataset
  const auto n0 = static_cast<hsize_t>(n_rows_);
  const auto n = static_cast<hsize_t>(n_rows);

  // Rows first (dataset b takes columns [b·m, (b+1)·m) of every row), then their times, then the
  // attributes that describe them.
  for (std::size_t b = 0; b < data_ids_.size(); ++b) {
    const hid_t data_id = data_ids_[b];
    const std::array<hsize_t, 2> new_dims{n0 + n, m};
    if (H5Dset_extent(data_id, new_dims.data()) < 0) return h5_error(path_, "H5Dset_extent(data)");
    const Handle file_space(H5Dget_space(data_id), H5Sclose);
    const std::array<hsize_t, 2> start{n0, 0};
    const std::array<hsize_t, 2> count{n, m};
    const std::array<hsize_t, 2> mem_dims{n, width};
    const std::array<hsize_t, 2> mem_start{0, static_cast<hsize_t>(b) * m};
    const Handle mem_space(H5Screate_simple(2, mem_dims.data(), nullptr), H5Sclose);
    if (!file_space.ok() || !mem_space.ok() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr) < 0 ||
        H5Sselect_hyperslab(mem_space.get(), H5S_SELECT_SET, mem_start.data(), nullptr, count.data(), nullptr) < 0)
      return h5_error(path_, "H5Sselect_hyperslab(data)");
    if (H5Dwrite(data_id, H5T_NATIVE_FLOAT, mem_space.get(), file_space.get(), kDefault, rows) < 0)
      return h5_error(path_, "H5Dwrite(data)");
  }
  {
    time_us_.resize(n_rows);
    for (std::size_t i = 0; i < n_rows; ++i)
      time_us_[i] = ns_to_us(stream_.time_ns(first_index + static_cast<std::int64_t>(i)));
    const hsize_t new_dim = n0 + n;
    if (H5Dset_extent(time_id_, &new_dim) < 0) return h5_error(path_, "H5Dset_extent(times)");
    const Handle file_space(H5Dget_space(time_id_), H5Sclose);
    const Handle mem_space(H5Screate_simple(1, &n, nullptr), H5Sclose);
    if (!file_space.ok() || !mem_space.ok() ||
        H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &n0, nullptr, &n, nullptr) < 0)
      return h5_error(path_, "H5Sselect_hyperslab(times)");
    if (H5Dwrite(time_id_, H5T_NATIVE_INT64, mem_space.get(), file_space.get(), kDefault, time_us_.data()) < 0)
      return h5_error(path_, "H5Dwrite(times)");
  }
  n_rows_ += n_rows;
  next_index_ = first_index + static_cast<std::int64_t>(n_rows);

  const std::string end_iso = iso_us(time_us_.back());
  const auto total = static_cast<std::int64_t>(n_rows_);
  for (const hid_t data_id : data_ids_) {
    DASFLOW_TRY(put_i64(path_, data_id, "Count", total * static_cast<std::int64_t>(m)));
    DASFLOW_TRY(put_fixed_string(path_, data_id, "PartEndTime", end_iso));
  }
  DASFLOW_TRY(put_i64(path_, time_id_, "Count", total));
  DASFLOW_TRY(put_fixed_string(path_, time_id_, "PartEndTime", end_iso));

  if (H5Fflush(file_id_, H5F_SCOPE_LOCAL) < 0) return h5_error(path_, "H5Fflush");
  return {};
}

Result<void> ProdmlFile::close() {
  if (file_id_ < 0) return {};
  // Close everything even after a failure; report the first one.
  const char* failed = nullptr;
  if (H5Dclose(std::exchange(time_id_, -1)) < 0) failed = "H5Dclose(times)";
  for (const std::int64_t d : std::exchange(data_ids_, {}))
    if (H5Dclose(d) < 0 && failed == nullptr) failed = "H5Dclose(data)";
  if (H5Fclose(std::exchange(file_id_, -1)) < 0 && failed == nullptr) failed = "H5Fclose";
  if (failed != nullptr) return h5_error(path_, failed);
  return {};
}

} // namespace dasflow::io
