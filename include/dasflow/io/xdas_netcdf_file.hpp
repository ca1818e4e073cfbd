#pragma once
/// \file xdas_netcdf_file.hpp
/// One output file in the xdas/CF-1.9 netCDF4 layout (PROTOCOLS.md §3), written with netCDF-C so
/// that netCDF-4's dimension-scale bookkeeping is right and `xdas.open_dataarray(path)`,
/// xarray and ncdump read it directly. Mirrors what xdas itself writes
/// (data/format-examples/xdas_netcdf.nc), with float32 data and int64 ns times:
///
/// ```
/// dimensions: time = UNLIMITED; distance = m; time_points = UNLIMITED; distance_points = 2 (1 if m == 1)
/// float  __values__(time, distance)            chunked (chunk_rows, m), no fill, shuffle + LZ4 if asked
///        string coordinate_interpolation = "time: time_indices time_values distance: distance_indices distance_values"
/// double time_interpolation                    scalar NaN, _FillValue = NaN
///        string interpolation_name = "linear", string tie_points_mapping = "time_points: time_indices time_values"
/// int64  time_indices(time_points)             row of each tie point
/// int64  time_values(time_points)              string units = "nanoseconds since 1970-01-01",
///                                              string calendar = "proleptic_gregorian"
/// double distance_interpolation                as time_interpolation, "distance_points: distance_indices
/// distance_values" int64  distance_indices(distance_points)     [0, m-1] double distance_values(distance_points)
/// metres, _FillValue = NaN, string units = "m" global: string Conventions = "CF-1.9", string dasflow_version, string
/// dasflow_pipeline,
///         double dasflow_fs_hz, int64 dasflow_origin_ns, int64 dasflow_first_index,
///         int64 dasflow_channel_first, int64 dasflow_channel_step, double dasflow_channel_dx_m
/// ```
///
/// A spectral product (StreamInfo::spectral: fbe, spectrogram) adds `frequency = n_bins`:
/// `__values__(time, frequency, distance)` (the bin-major row is its C order), chunked
/// (chunk_rows, n_bins, m) with m = n_locations; `double frequency(frequency)` (Hz: the bin, or the
/// band centre), `frequency_low`, `frequency_high` (band edges), and on `__values__` the attributes
/// spectral_kind ("psd" | "band_energy"), units, spectral_window, spectral_window_samples,
/// spectral_overlap_samples, spectral_input_fs_hz. xdas reads `frequency` as a dense coordinate.
///
/// Tie points: each run of contiguous absolute indices (a segment) contributes its first and last
/// row (one point if it has one row), so a gap inside the file adds a pair and every time is exact
/// on the stream's grid (StreamInfo::time_ns). They are rewritten after every append, so the file
/// is readable up to the last synced append.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dasflow/core/result.hpp"
#include "dasflow/core/stream.hpp"
#include "dasflow/io/compression.hpp"

namespace dasflow::io {

class XdasNetcdfFile {
public:
  /// Creates (truncating) `path` and writes the header and the distance coordinate. The file
  /// starts with no rows. `chunk_rows` (>= 1) is the HDF5 chunk length along time. `compression`
  /// applies to `__values__` only (netCDF-C's shuffle and nc_def_var_filter); check
  /// check_compression_available() first.
  static Result<XdasNetcdfFile> create(std::string path, const StreamInfo& stream, std::int64_t first_index,
                                       std::string_view dasflow_version, std::string_view pipeline_yaml,
                                       std::size_t chunk_rows, Compression compression);

  XdasNetcdfFile(XdasNetcdfFile&& other) noexcept;
  XdasNetcdfFile& operator=(XdasNetcdfFile&& other) noexcept;
  XdasNetcdfFile(const XdasNetcdfFile&) = delete;
  XdasNetcdfFile& operator=(const XdasNetcdfFile&) = delete;
  /// Closes the file without reporting errors (an abandoned file stays as it is on disk).
  ~XdasNetcdfFile();

  /// Appends `n_rows` time-major rows of the stream's n_channels floats; row 0 has absolute index
  /// `first_index`. A first_index other than next_index() starts a new tie-point segment; it must
  /// not be lower (the caller refuses overlaps). Ends with nc_sync.
  Result<void> append(const float* rows, std::size_t n_rows, std::int64_t first_index);
  /// Closes the netCDF file (nc_close). Idempotent.
  Result<void> close();

  const std::string& path() const noexcept { return path_; }
  std::size_t n_rows() const noexcept { return n_rows_; }
  /// Absolute index that would continue the last segment.
  std::int64_t next_index() const noexcept { return next_index_; }
  /// The runs of contiguous indices written so far: (first absolute index, rows), in file order.
  std::vector<std::pair<std::int64_t, std::size_t>> runs() const;

private:
  /// A run of rows with contiguous absolute indices.
  struct Segment {
    std::size_t first_row = 0;
    std::size_t last_row = 0;     ///< inclusive
    std::int64_t first_index = 0; ///< absolute index of first_row
    std::int64_t last_index = 0;  ///< absolute index of last_row
  };

  XdasNetcdfFile(std::string path, const StreamInfo& stream, int ncid);
  Result<void> write_tie_points();
  Error nc_error(const char* operation, int status) const;

  std::string path_;
  StreamInfo stream_;
  int ncid_ = -1;
  int values_var_ = -1, time_indices_var_ = -1, time_values_var_ = -1;
  std::size_t n_rows_ = 0;
  std::int64_t next_index_ = 0;
  std::vector<Segment> segments_;
  std::vector<long long> written_indices_; ///< tie points already in the file
  std::vector<long long> written_values_;
};

} // namespace dasflow::io
