#include "dasflow/io/xdas_netcdf_file.hpp"

#include <array>
#include <limits>
#include <utility>

#include <netcdf.h>

#include "dasflow/io/hdf5_output.hpp"
#include "hdf5_util.hpp"

namespace dasflow::io {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// NC_STRING (variable-length UTF-8) attribute, the type xdas/h5netcdf write for string attributes.
int put_string_att(int ncid, int varid, const char* name, std::string_view value) {
  const std::string text(value);
  const char* data = text.c_str();
  return nc_put_att_string(ncid, varid, name, 1, &data);
}

/// netCDF-C reports any HDF5 failure as "NetCDF: HDF error"; the HDF5 error stack says why.
std::string nc_message(int status) {
  std::string message = nc_strerror(status);
  if (status != NC_EHDFERR) return message;
  if (const std::string detail = hdf5_error_detail(); !detail.empty()) message += " (" + detail + ")";
  return message;
}

/// While alive, HDF5 prints no error and the reason of the first HDF5 call that fails is kept.
/// netCDF-C reports every failure of H5Fcreate as EACCES ("Permission denied"), a full disk
/// included, and calls HDF5 again before returning, which empties HDF5's error stack: the true
/// reason has to be caught when HDF5 reports it.
class FirstHdf5Error {
public:
  FirstHdf5Error() {
    nc_initialize(); // netCDF sets HDF5's error reporting once, when it initialises: before this
    if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) < 0) {
      func_ = nullptr;
      data_ = nullptr;
    }
    H5Eset_auto2(H5E_DEFAULT, &FirstHdf5Error::keep, &reason_);
  }
  ~FirstHdf5Error() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  FirstHdf5Error(const FirstHdf5Error&) = delete;
  FirstHdf5Error& operator=(const FirstHdf5Error&) = delete;

  const std::string& reason() const noexcept { return reason_; }

private:
  static herr_t keep(hid_t stack, void* out) {
    auto& reason = *static_cast<std::string*>(out);
    if (!reason.empty()) return 0;
    std::string innermost;
    H5Ewalk2(
        stack, H5E_WALK_DOWNWARD,
        [](unsigned, const H5E_error2_t* err, void* text) -> herr_t {
          if (err->desc != nullptr && err->desc[0] != '\0') *static_cast<std::string*>(text) = err->desc;
          return 0;
        },
        &innermost);
    reason = condense_hdf5_message(std::move(innermost));
    return 0;
  }

  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
  std::string reason_;
};

} // namespace

XdasNetcdfFile::XdasNetcdfFile(std::string path, const StreamInfo& stream, int ncid)
    : path_(std::move(path)), stream_(stream), ncid_(ncid) {}

XdasNetcdfFile::XdasNetcdfFile(XdasNetcdfFile&& other) noexcept
    : path_(std::move(other.path_)), stream_(std::move(other.stream_)), ncid_(std::exchange(other.ncid_, -1)),
      values_var_(other.values_var_), time_indices_var_(other.time_indices_var_),
      time_values_var_(other.time_values_var_), n_rows_(other.n_rows_), next_index_(other.next_index_),
      segments_(std::move(other.segments_)), written_indices_(std::move(other.written_indices_)),
      written_values_(std::move(other.written_values_)) {}

XdasNetcdfFile& XdasNetcdfFile::operator=(XdasNetcdfFile&& other) noexcept {
  if (this != &other) {
    if (ncid_ >= 0) nc_close(ncid_);
    path_ = std::move(other.path_);
    stream_ = std::move(other.stream_);
    ncid_ = std::exchange(other.ncid_, -1);
    values_var_ = other.values_var_;
    time_indices_var_ = other.time_indices_var_;
    time_values_var_ = other.time_values_var_;
    n_rows_ = other.n_rows_;
    next_index_ = other.next_index_;
    segments_ = std::move(other.segments_);
    written_indices_ = std::move(other.written_indices_);
    written_values_ = std::move(other.written_values_);
  }
  return *this;
}

XdasNetcdfFile::~XdasNetcdfFile() {
  if (ncid_ >= 0) nc_close(ncid_);
}

Error XdasNetcdfFile::nc_error(const char* operation, int status) const {
  return fail(Errc::io, path_ + ": " + operation + ": " + nc_message(status));
}

Result<XdasNetcdfFile> XdasNetcdfFile::create(std::string path, const StreamInfo& stream, std::int64_t first_index,
                                              std::string_view dasflow_version, std::string_view pipeline_yaml,
                                              std::size_t chunk_rows, Compression compression) {
  int ncid = -1;
  {
    const FirstHdf5Error first;
    if (const int st = nc_create(path.c_str(), NC_NETCDF4 | NC_CLOBBER, &ncid); st != NC_NOERR)
      return fail(Errc::io, path + ": nc_create: " + (first.reason().empty() ? nc_message(st) : first.reason()));
  }
  // From here the file object owns ncid and closes it on every early return.
  XdasNetcdfFile file(std::move(path), stream, ncid);
  file.next_index_ = first_index;

  // A spectral product (fbe, spectrogram) adds a frequency axis: __values__(time, frequency,
  // distance), whose C order is exactly the bin-major row of the stream.
  const SpectralAxis* spectral = stream.spectral.get();
  const std::size_t m = spectral != nullptr ? spectral->n_locations : stream.n_channels;
  const std::size_t n_bins = spectral != nullptr ? spectral->n_bins() : 0;
  const std::size_t n_distance_points = m > 1 ? 2 : 1;
  const ChannelCoords& coords = *stream.coords;

  // Each step is one netCDF call, made only while all before it succeeded (`if (st == NC_NOERR)`);
  // the first failure is reported with the step's name.
  int st = NC_NOERR;
  const char* op = "";
  const auto step = [&](const char* name, int status) {
    if (st == NC_NOERR && status != NC_NOERR) {
      st = status;
      op = name;
    }
  };

  int time_dim = -1, distance_dim = -1, time_points_dim = -1, distance_points_dim = -1;
  step("nc_def_dim(time)", nc_def_dim(ncid, "time", NC_UNLIMITED, &time_dim));
  if (st == NC_NOERR) step("nc_def_dim(distance)", nc_def_dim(ncid, "distance", m, &distance_dim));
  if (st == NC_NOERR) step("nc_def_dim(time_points)", nc_def_dim(ncid, "time_points", NC_UNLIMITED, &time_points_dim));
  if (st == NC_NOERR)
    step("nc_def_dim(distance_points)", nc_def_dim(ncid, "distance_points", n_distance_points, &distance_points_dim));

  int frequency_dim = -1, frequency_var = -1, low_var = -1, high_var = -1;
  if (spectral != nullptr) {
    if (st == NC_NOERR) step("nc_def_dim(frequency)", nc_def_dim(ncid, "frequency", n_bins, &frequency_dim));
    // A dimension coordinate (xarray and xdas read it as a dense coordinate): the bin frequency of a
    // spectrogram, the centre of each band of fbe, with the band edges beside it.
    if (st == NC_NOERR)
      step("nc_def_var(frequency)", nc_def_var(ncid, "frequency", NC_DOUBLE, 1, &frequency_dim, &frequency_var));
    if (st == NC_NOERR) step("nc_put_att(frequency.units)", put_string_att(ncid, frequency_var, "units", "Hz"));
    if (st == NC_NOERR)
      step("nc_def_var(frequency_low)", nc_def_var(ncid, "frequency_low", NC_DOUBLE, 1, &frequency_dim, &low_var));
    if (st == NC_NOERR)
      step("nc_def_var(frequency_high)", nc_def_var(ncid, "frequency_high", NC_DOUBLE, 1, &frequency_dim, &high_var));
  }

  // Data variable: float32, chunked along time; no fill, every row is written.
  int values_var = -1;
  const std::array<int, 3> values_dims = spectral != nullptr ? std::array<int, 3>{time_dim, frequency_dim, distance_dim}
                                                             : std::array<int, 3>{time_dim, distance_dim, -1};
  const int rank = spectral != nullptr ? 3 : 2;
  if (st == NC_NOERR)
    step("nc_def_var(__values__)", nc_def_var(ncid, "__values__", NC_FLOAT, rank, values_dims.data(), &values_var));
  const std::array<std::size_t, 3> values_chunks = spectral != nullptr
                                                       ? std::array<std::size_t, 3>{chunk_rows, n_bins, m}
                                                       : std::array<std::size_t, 3>{chunk_rows, m, 0};
  if (st == NC_NOERR)
    step("nc_def_var_chunking(__values__)", nc_def_var_chunking(ncid, values_var, NC_CHUNKED, values_chunks.data()));
  if (st == NC_NOERR) step("nc_def_var_fill(__values__)", nc_def_var_fill(ncid, values_var, 1, nullptr));
  // netCDF-C defines HDF5's shuffle with nc_def_var_deflate, and keeps it first in the pipeline.
  for (const FilterStep& f : compression_filters(compression)) {
    if (st != NC_NOERR) break;
    if (f.id == kShuffleFilterId)
      step("nc_def_var_deflate(__values__, shuffle)", nc_def_var_deflate(ncid, values_var, 1, 0, 0));
    else
      step("nc_def_var_filter(__values__)",
           nc_def_var_filter(ncid, values_var, f.id, f.params.size(), f.params.data()));
  }
  if (st == NC_NOERR && spectral != nullptr) {
    step("nc_put_att(spectral_kind)",
         put_string_att(ncid, values_var, "spectral_kind",
                        spectral->kind == SpectralAxis::Kind::bands ? "band_energy" : "psd"));
    step("nc_put_att(units)", put_string_att(ncid, values_var, "units", spectral->unit));
    step("nc_put_att(spectral_window)", put_string_att(ncid, values_var, "spectral_window", spectral->window_name));
    const auto window = static_cast<long long>(spectral->window_samples);
    const auto overlap = static_cast<long long>(spectral->overlap_samples);
    step("nc_put_att(spectral_window_samples)",
         nc_put_att_longlong(ncid, values_var, "spectral_window_samples", NC_INT64, 1, &window));
    step("nc_put_att(spectral_overlap_samples)",
         nc_put_att_longlong(ncid, values_var, "spectral_overlap_samples", NC_INT64, 1, &overlap));
    step("nc_put_att(spectral_input_fs_hz)",
         nc_put_att_double(ncid, values_var, "spectral_input_fs_hz", NC_DOUBLE, 1, &spectral->input_fs_hz));
  }
  if (st == NC_NOERR)
    step("nc_put_att(coordinate_interpolation)",
         put_string_att(ncid, values_var, "coordinate_interpolation",
                        "time: time_indices time_values distance: distance_indices distance_values"));

  // CF coordinate subsampling (tie points), the same trio of variables for each dimension.
  int time_interp_var = -1, time_indices_var = -1, time_values_var = -1;
  if (st == NC_NOERR)
    step("nc_def_var(time_interpolation)",
         nc_def_var(ncid, "time_interpolation", NC_DOUBLE, 0, nullptr, &time_interp_var));
  if (st == NC_NOERR) step("nc_def_var_fill(time_interpolation)", nc_def_var_fill(ncid, time_interp_var, 0, &kNaN));
  if (st == NC_NOERR)
    step("nc_put_att(interpolation_name)", put_string_att(ncid, time_interp_var, "interpolation_name", "linear"));
  if (st == NC_NOERR)
    step("nc_put_att(tie_points_mapping)",
         put_string_att(ncid, time_interp_var, "tie_points_mapping", "time_points: time_indices time_values"));
  const std::size_t tie_chunk = 64;
  if (st == NC_NOERR)
    step("nc_def_var(time_indices)",
         nc_def_var(ncid, "time_indices", NC_INT64, 1, &time_points_dim, &time_indices_var));
  if (st == NC_NOERR)
    step("nc_def_var_chunking(time_indices)", nc_def_var_chunking(ncid, time_indices_var, NC_CHUNKED, &tie_chunk));
  if (st == NC_NOERR)
    step("nc_def_var(time_values)", nc_def_var(ncid, "time_values", NC_INT64, 1, &time_points_dim, &time_values_var));
  if (st == NC_NOERR)
    step("nc_def_var_chunking(time_values)", nc_def_var_chunking(ncid, time_values_var, NC_CHUNKED, &tie_chunk));
  if (st == NC_NOERR)
    step("nc_put_att(units)", put_string_att(ncid, time_values_var, "units", "nanoseconds since 1970-01-01"));
  if (st == NC_NOERR)
    step("nc_put_att(calendar)", put_string_att(ncid, time_values_var, "calendar", "proleptic_gregorian"));

  int distance_interp_var = -1, distance_indices_var = -1, distance_values_var = -1;
  if (st == NC_NOERR)
    step("nc_def_var(distance_interpolation)",
         nc_def_var(ncid, "distance_interpolation", NC_DOUBLE, 0, nullptr, &distance_interp_var));
  if (st == NC_NOERR)
    step("nc_def_var_fill(distance_interpolation)", nc_def_var_fill(ncid, distance_interp_var, 0, &kNaN));
  if (st == NC_NOERR)
    step("nc_put_att(interpolation_name)", put_string_att(ncid, distance_interp_var, "interpolation_name", "linear"));
  if (st == NC_NOERR)
    step("nc_put_att(tie_points_mapping)", put_string_att(ncid, distance_interp_var, "tie_points_mapping",
                                                          "distance_points: distance_indices distance_values"));
  if (st == NC_NOERR)
    step("nc_def_var(distance_indices)",
         nc_def_var(ncid, "distance_indices", NC_INT64, 1, &distance_points_dim, &distance_indices_var));
  if (st == NC_NOERR)
    step("nc_def_var(distance_values)",
         nc_def_var(ncid, "distance_values", NC_DOUBLE, 1, &distance_points_dim, &distance_values_var));
  if (st == NC_NOERR) step("nc_def_var_fill(distance_values)", nc_def_var_fill(ncid, distance_values_var, 0, &kNaN));
  if (st == NC_NOERR) step("nc_put_att(units)", put_string_att(ncid, distance_values_var, "units", "m"));

  // Producer and stream description (global attributes).
  const double fs_hz = stream.fs_hz;
  const long long origin_ns = stream.origin_ns;
  const long long first = first_index;
  const long long channel_first = coords.first;
  const long long channel_step = coords.step;
  const double dx_m = coords.dx_m;
  if (st == NC_NOERR) step("nc_put_att(Conventions)", put_string_att(ncid, NC_GLOBAL, "Conventions", "CF-1.9"));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_version)", put_string_att(ncid, NC_GLOBAL, "dasflow_version", dasflow_version));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_pipeline)", put_string_att(ncid, NC_GLOBAL, "dasflow_pipeline", pipeline_yaml));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_fs_hz)", nc_put_att_double(ncid, NC_GLOBAL, "dasflow_fs_hz", NC_DOUBLE, 1, &fs_hz));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_origin_ns)",
         nc_put_att_longlong(ncid, NC_GLOBAL, "dasflow_origin_ns", NC_INT64, 1, &origin_ns));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_first_index)",
         nc_put_att_longlong(ncid, NC_GLOBAL, "dasflow_first_index", NC_INT64, 1, &first));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_channel_first)",
         nc_put_att_longlong(ncid, NC_GLOBAL, "dasflow_channel_first", NC_INT64, 1, &channel_first));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_channel_step)",
         nc_put_att_longlong(ncid, NC_GLOBAL, "dasflow_channel_step", NC_INT64, 1, &channel_step));
  if (st == NC_NOERR)
    step("nc_put_att(dasflow_channel_dx_m)",
         nc_put_att_double(ncid, NC_GLOBAL, "dasflow_channel_dx_m", NC_DOUBLE, 1, &dx_m));

  if (st == NC_NOERR) step("nc_enddef", nc_enddef(ncid));

  if (spectral != nullptr) {
    std::vector<double> centre(n_bins);
    for (std::size_t b = 0; b < n_bins; ++b)
      centre[b] = (spectral->low_hz[b] + spectral->high_hz[b]) / 2.0;
    if (st == NC_NOERR) step("nc_put_var_double(frequency)", nc_put_var_double(ncid, frequency_var, centre.data()));
    if (st == NC_NOERR)
      step("nc_put_var_double(frequency_low)", nc_put_var_double(ncid, low_var, spectral->low_hz.data()));
    if (st == NC_NOERR)
      step("nc_put_var_double(frequency_high)", nc_put_var_double(ncid, high_var, spectral->high_hz.data()));
  }
  // Fixed values: the interpolation variables (NaN, as xdas writes them) and the distance tie points.
  if (st == NC_NOERR) step("nc_put_var_double(time_interpolation)", nc_put_var_double(ncid, time_interp_var, &kNaN));
  if (st == NC_NOERR)
    step("nc_put_var_double(distance_interpolation)", nc_put_var_double(ncid, distance_interp_var, &kNaN));
  const std::array<long long, 2> distance_indices{0, static_cast<long long>(m) - 1};
  const std::array<double, 2> distance_values{coords.distance_m(0), coords.distance_m(m > 0 ? m - 1 : 0)};
  if (st == NC_NOERR)
    step("nc_put_var_longlong(distance_indices)",
         nc_put_var_longlong(ncid, distance_indices_var, distance_indices.data()));
  if (st == NC_NOERR)
    step("nc_put_var_double(distance_values)", nc_put_var_double(ncid, distance_values_var, distance_values.data()));
  if (st == NC_NOERR) step("nc_sync", nc_sync(ncid));
  if (st != NC_NOERR) return file.nc_error(op, st);

  file.values_var_ = values_var;
  file.time_indices_var_ = time_indices_var;
  file.time_values_var_ = time_values_var;
  return file;
}

Result<void> XdasNetcdfFile::append(const float* rows, std::size_t n_rows, std::int64_t first_index) {
  if (ncid_ < 0) return fail(Errc::internal, path_ + ": append to a closed file");
  if (n_rows == 0) return {};
  if (first_index < next_index_)
    return fail(Errc::discontinuity, path_ + ": rows at index " + std::to_string(first_index) +
                                         " overlap the file, which continues at " + std::to_string(next_index_));

  // (time, distance), or (time, frequency, distance) for a spectral product: rows are whole either way.
  const SpectralAxis* spectral = stream_.spectral.get();
  const std::array<std::size_t, 3> start{n_rows_, 0, 0};
  const std::array<std::size_t, 3> count =
      spectral != nullptr ? std::array<std::size_t, 3>{n_rows, spectral->n_bins(), spectral->n_locations}
                          : std::array<std::size_t, 3>{n_rows, stream_.n_channels, 0};
  if (const int st = nc_put_vara_float(ncid_, values_var_, start.data(), count.data(), rows); st != NC_NOERR)
    return nc_error("nc_put_vara_float", st);

  const std::int64_t last_index = first_index + static_cast<std::int64_t>(n_rows) - 1;
  if (!segments_.empty() && first_index == next_index_) {
    segments_.back().last_row += n_rows;
    segments_.back().last_index = last_index;
  } else {
    segments_.push_back(Segment{n_rows_, n_rows_ + n_rows - 1, first_index, last_index});
  }
  n_rows_ += n_rows;
  next_index_ = last_index + 1;

  DASFLOW_TRY(write_tie_points());
  if (const int st = nc_sync(ncid_); st != NC_NOERR) return nc_error("nc_sync", st);
  return {};
}

Result<void> XdasNetcdfFile::write_tie_points() {
  std::vector<long long> indices, values;
  indices.reserve(2 * segments_.size());
  values.reserve(2 * segments_.size());
  for (const Segment& s : segments_) {
    indices.push_back(static_cast<long long>(s.first_row));
    values.push_back(stream_.time_ns(s.first_index));
    if (s.last_row > s.first_row) {
      indices.push_back(static_cast<long long>(s.last_row));
      values.push_back(stream_.time_ns(s.last_index));
    }
  }
  // Only the tail changes between appends: the last point moves, gaps add points.
  std::size_t k = 0;
  while (k < written_indices_.size() && k < indices.size() && written_indices_[k] == indices[k] &&
         written_values_[k] == values[k])
    ++k;
  if (k < indices.size()) {
    const std::size_t start = k;
    const std::size_t count = indices.size() - k;
    if (const int st = nc_put_vara_longlong(ncid_, time_indices_var_, &start, &count, indices.data() + k);
        st != NC_NOERR)
      return nc_error("nc_put_vara_longlong(time_indices)", st);
    if (const int st = nc_put_vara_longlong(ncid_, time_values_var_, &start, &count, values.data() + k); st != NC_NOERR)
      return nc_error("nc_put_vara_longlong(time_values)", st);
  }
  written_indices_ = std::move(indices);
  written_values_ = std::move(values);
  return {};
}

std::vector<std::pair<std::int64_t, std::size_t>> XdasNetcdfFile::runs() const {
  std::vector<std::pair<std::int64_t, std::size_t>> out;
  for (const Segment& seg : segments_)
    out.emplace_back(seg.first_index, seg.last_row - seg.first_row + 1);
  return out;
}

Result<void> XdasNetcdfFile::close() {
  if (ncid_ < 0) return {};
  const int st = nc_close(std::exchange(ncid_, -1));
  if (st != NC_NOERR) return nc_error("nc_close", st);
  return {};
}

} // namespace dasflow::io
