// Hdf5Output: rotation on the absolute time grid, .part -> .h5 renames, the xdas/CF netCDF4
// layout (read back with netCDF-C and the HDF5 C API), tie points across gaps, PRODML 2.0, errors.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <hdf5.h>
#include <netcdf.h>
#include <unistd.h>

#include "dasflow/io/hdf5_output.hpp"

namespace dasflow::io {
namespace {

namespace fs = std::filesystem;

// HDF5 spells H5P_DEFAULT/H5S_ALL with C casts.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
constexpr hid_t kDefault = H5P_DEFAULT;
constexpr hid_t kAll = H5S_ALL;
#pragma GCC diagnostic pop

// 2023-10-27T14:23:36Z (an even second, so 2 s windows start there) and 14:23:37.020Z.
constexpr std::int64_t kT36 = 1'698'416'616'000'000'000;
constexpr std::int64_t kT37_020 = 1'698'416'617'020'000'000;
constexpr double kFs = 100.0;
constexpr std::int64_t kStepNs = 10'000'000;

const std::string kPipeline = "pipeline:\n  - {atom: decimate, factor: 4}\n";
const std::string kVersion = "0.1.0-test";

StreamInfo make_stream(double fs_hz = kFs, std::int64_t origin_ns = 0) {
  StreamInfo s;
  s.fs_hz = fs_hz;
  s.origin_ns = origin_ns;
  s.n_channels = 3;
  s.coords = std::make_shared<const ChannelCoords>(ChannelCoords{.first = 10, .step = 2, .dx_m = 1.5});
  return s;
}

std::int64_t index_at(std::int64_t t_ns) { return t_ns / kStepNs; }

/// The true time of a sample at 100 Hz with origin 0 (no floating point); other rates go through
/// StreamInfo::time_ns, itself checked below.
std::int64_t exact_time_ns(const StreamInfo& stream, std::int64_t index) {
  if (stream.fs_hz == kFs && stream.origin_ns == 0) return index * kStepNs;
  return stream.time_ns(index);
}

/// Exactly representable, distinct per (index, channel) within a file.
float sample_value(std::int64_t index, std::size_t channel) {
  return static_cast<float>(index % 1'000'000) + 0.25f * static_cast<float>(channel);
}

/// Owns the samples behind a ChunkView.
struct TestChunk {
  std::vector<float> samples;
  ChunkView view;
};

TestChunk make_chunk(std::int64_t first_index, std::size_t n_samples, std::size_t n_channels = 3) {
  TestChunk c;
  c.samples.resize(n_samples * n_channels);
  for (std::size_t t = 0; t < n_samples; ++t)
    for (std::size_t ch = 0; ch < n_channels; ++ch)
      c.samples[t * n_channels + ch] = sample_value(first_index + static_cast<std::int64_t>(t), ch);
  c.view = ChunkView{std::span<const float>(c.samples), n_samples, n_channels, first_index, {}, kNoPendingEvents};
  return c;
}

/// Writes [first_index, first_index + n) in chunks of `chunk` rows.
void write_range(Hdf5Output& out, std::int64_t first_index, std::size_t n, std::size_t chunk) {
  for (std::size_t done = 0; done < n;) {
    const std::size_t take = std::min(chunk, n - done);
    const TestChunk c = make_chunk(first_index + static_cast<std::int64_t>(done), take);
    const Result<void> r = out.write(c.view);
    ASSERT_TRUE(r.ok()) << r.error().message;
    done += take;
  }
}

class Hdf5OutputTest : public ::testing::Test {
protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("dasflow_hdf5_output_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Hdf5OutputConfig config(double duration_s, FileFormat format = FileFormat::xdas) const {
    return Hdf5OutputConfig{
        .dir = (dir_ / "out").string(), .prefix = "das", .file_duration_s = duration_s, .format = format};
  }
  std::string out_path(const std::string& name) const { return (dir_ / "out" / name).string(); }
  std::vector<std::string> files_in_out() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_ / "out"))
      names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path dir_;
};

/// What the tests check in an xdas file, read with netCDF-C.
struct XdasContent {
  std::size_t n_time = 0, n_distance = 0;
  std::vector<long long> time_indices, time_values, distance_indices;
  std::vector<double> distance_values;
  std::vector<float> values;
  std::string conventions, pipeline, version, coordinate_interpolation, time_units, time_calendar;
  std::string time_interpolation_name, time_mapping, distance_mapping;
  double fs_hz = 0.0, dx_m = 0.0;
  long long origin_ns = -1, channel_first = 0, channel_step = 0, first_index = 0;
  nc_type values_type = NC_NAT, time_values_type = NC_NAT, distance_values_type = NC_NAT;

  /// Time of row r from the tie points (linear interpolation between neighbours, as xdas does).
  std::int64_t time_of_row(long long r) const {
    for (std::size_t k = 0; k + 1 < time_indices.size(); ++k)
      if (r >= time_indices[k] && r <= time_indices[k + 1])
        return time_values[k] +
               (r - time_indices[k]) * (time_values[k + 1] - time_values[k]) / (time_indices[k + 1] - time_indices[k]);
    return time_values.at(0);
  }
};

std::string get_string_att(int ncid, int varid, const char* name) {
  char* value = nullptr;
  if (nc_get_att_string(ncid, varid, name, &value) != NC_NOERR) return "<missing>";
  std::string s = value != nullptr ? value : "";
  nc_free_string(1, &value);
  return s;
}

XdasContent read_xdas(const std::string& path) {
  XdasContent c;
  int ncid = -1;
  const int st = nc_open(path.c_str(), NC_NOWRITE, &ncid);
  EXPECT_EQ(st, NC_NOERR) << path << ": " << nc_strerror(st);
  if (st != NC_NOERR) return c;
  int dim = -1, var = -1;
  std::size_t n_time_points = 0, n_distance_points = 0;
  EXPECT_EQ(nc_inq_dimid(ncid, "time", &dim), NC_NOERR);
  nc_inq_dimlen(ncid, dim, &c.n_time);
  EXPECT_EQ(nc_inq_dimid(ncid, "distance", &dim), NC_NOERR);
  nc_inq_dimlen(ncid, dim, &c.n_distance);
  EXPECT_EQ(nc_inq_dimid(ncid, "time_points", &dim), NC_NOERR);
  nc_inq_dimlen(ncid, dim, &n_time_points);
  EXPECT_EQ(nc_inq_dimid(ncid, "distance_points", &dim), NC_NOERR);
  nc_inq_dimlen(ncid, dim, &n_distance_points);

  c.time_indices.resize(n_time_points);
  c.time_values.resize(n_time_points);
  EXPECT_EQ(nc_inq_varid(ncid, "time_indices", &var), NC_NOERR);
  if (n_time_points > 0) nc_get_var_longlong(ncid, var, c.time_indices.data());
  EXPECT_EQ(nc_inq_varid(ncid, "time_values", &var), NC_NOERR);
  nc_inq_vartype(ncid, var, &c.time_values_type);
  if (n_time_points > 0) nc_get_var_longlong(ncid, var, c.time_values.data());
  c.time_units = get_string_att(ncid, var, "units");
  c.time_calendar = get_string_att(ncid, var, "calendar");

  c.distance_indices.resize(n_distance_points);
  c.distance_values.resize(n_distance_points);
  EXPECT_EQ(nc_inq_varid(ncid, "distance_indices", &var), NC_NOERR);
  nc_get_var_longlong(ncid, var, c.distance_indices.data());
  EXPECT_EQ(nc_inq_varid(ncid, "distance_values", &var), NC_NOERR);
  nc_inq_vartype(ncid, var, &c.distance_values_type);
  nc_get_var_double(ncid, var, c.distance_values.data());

  EXPECT_EQ(nc_inq_varid(ncid, "time_interpolation", &var), NC_NOERR);
  c.time_interpolation_name = get_string_att(ncid, var, "interpolation_name");
  c.time_mapping = get_string_att(ncid, var, "tie_points_mapping");
  EXPECT_EQ(nc_inq_varid(ncid, "distance_interpolation", &var), NC_NOERR);
  c.distance_mapping = get_string_att(ncid, var, "tie_points_mapping");

  EXPECT_EQ(nc_inq_varid(ncid, "__values__", &var), NC_NOERR);
  nc_inq_vartype(ncid, var, &c.values_type);
  c.coordinate_interpolation = get_string_att(ncid, var, "coordinate_interpolation");
  c.values.resize(c.n_time * c.n_distance);
  if (!c.values.empty()) {
    EXPECT_EQ(nc_get_var_float(ncid, var, c.values.data()), NC_NOERR);
  }

  c.conventions = get_string_att(ncid, NC_GLOBAL, "Conventions");
  c.pipeline = get_string_att(ncid, NC_GLOBAL, "dasflow_pipeline");
  c.version = get_string_att(ncid, NC_GLOBAL, "dasflow_version");
  nc_get_att_double(ncid, NC_GLOBAL, "dasflow_fs_hz", &c.fs_hz);
  nc_get_att_double(ncid, NC_GLOBAL, "dasflow_channel_dx_m", &c.dx_m);
  nc_get_att_longlong(ncid, NC_GLOBAL, "dasflow_origin_ns", &c.origin_ns);
  nc_get_att_longlong(ncid, NC_GLOBAL, "dasflow_channel_first", &c.channel_first);
  nc_get_att_longlong(ncid, NC_GLOBAL, "dasflow_channel_step", &c.channel_step);
  nc_get_att_longlong(ncid, NC_GLOBAL, "dasflow_first_index", &c.first_index);
  EXPECT_EQ(nc_close(ncid), NC_NOERR);
  return c;
}

/// Checks every row of an xdas file: values are those of `index_of_row(r)` and its tie-point time
/// is the stream's time of that index, to the nanosecond.
template <typename IndexOfRow>
void expect_rows(const XdasContent& c, const StreamInfo& stream, IndexOfRow index_of_row) {
  for (std::size_t r = 0; r < c.n_time; ++r) {
    const std::int64_t index = index_of_row(r);
    ASSERT_EQ(c.time_of_row(static_cast<long long>(r)), exact_time_ns(stream, index)) << "row " << r;
    for (std::size_t ch = 0; ch < c.n_distance; ++ch)
      ASSERT_EQ(c.values[r * c.n_distance + ch], sample_value(index, ch)) << "row " << r << " channel " << ch;
  }
}

TEST(Hdf5OutputFileStem, IsPrefixAndUtcStartToTheMillisecond) {
  EXPECT_EQ(hdf5_output_file_stem("das", kT37_020), "das_20231027T142337.020Z");
  EXPECT_EQ(hdf5_output_file_stem("x", kT37_020 + 999'999), "x_20231027T142337.020Z");
  EXPECT_EQ(hdf5_output_file_stem("x", 0), "x_19700101T000000.000Z");
  EXPECT_EQ(hdf5_output_file_stem("x", -1), "x_19691231T235959.999Z");
}

TEST(Hdf5OutputSampleTime, IsExactAtEpochAnchoredIndices) {
  const StreamInfo s100 = make_stream();
  const std::int64_t i = index_at(kT37_020) + 1; // odd index: index·1e7 is not a double
  EXPECT_EQ(s100.time_ns(i), kT37_020 + kStepNs);
  EXPECT_EQ(s100.time_ns(-1), -kStepNs);
  const StreamInfo s3 = make_stream(3.0, 123);
  EXPECT_EQ(s3.time_ns(3 * std::int64_t{1'698'416'616} + 1),
            1'698'416'616'333'333'456);  // .333…3 + 123 rounds down
  EXPECT_EQ(s3.time_ns(2), 666'666'790); // .666…7 + 123
  const StreamInfo s62 = make_stream(62.5, 0);
  EXPECT_EQ(s62.time_ns(106'151'038'500), 1'698'416'616'000'000'000);
  EXPECT_EQ(s62.time_ns(106'151'038'501), 1'698'416'616'016'000'000);
}

TEST_F(Hdf5OutputTest, RotatesOnTheTimeGridIntoXdasFiles) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  {
    Hdf5Output out(config(2.0), stream, kPipeline, kVersion);
    write_range(out, i0, 500, 37); // 2.5 file durations, chunks straddling boundaries
    EXPECT_EQ(out.rows_written(), 500u);
    EXPECT_EQ(out.completed_files().size(), 2u); // the third is still open
    ASSERT_TRUE(out.close().ok());
    ASSERT_TRUE(out.close().ok()); // idempotent
    const std::vector<std::string> expected{out_path("das_20231027T142336.000Z.h5"),
                                            out_path("das_20231027T142338.000Z.h5"),
                                            out_path("das_20231027T142340.000Z.h5")};
    EXPECT_EQ(out.completed_files(), expected);
  }
  EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5", "das_20231027T142338.000Z.h5",
                                                      "das_20231027T142340.000Z.h5"}));

  const std::vector<std::size_t> rows{200, 200, 100};
  std::int64_t first = i0;
  for (std::size_t k = 0; k < 3; ++k) {
    SCOPED_TRACE("file " + std::to_string(k));
    const XdasContent c = read_xdas(out_path(files_in_out()[k]));
    EXPECT_EQ(c.n_time, rows[k]);
    EXPECT_EQ(c.n_distance, 3u);
    EXPECT_EQ(c.values_type, NC_FLOAT);
    EXPECT_EQ(c.time_values_type, NC_INT64);
    EXPECT_EQ(c.distance_values_type, NC_DOUBLE);
    // Tie points: first and last row, exact ns.
    EXPECT_EQ(c.time_indices, (std::vector<long long>{0, static_cast<long long>(rows[k]) - 1}));
    EXPECT_EQ(c.time_values,
              (std::vector<long long>{exact_time_ns(stream, first),
                                      exact_time_ns(stream, first + static_cast<std::int64_t>(rows[k]) - 1)}));
    EXPECT_EQ(c.time_values.front(), kT36 + static_cast<std::int64_t>(k) * 2'000'000'000);
    EXPECT_EQ(c.time_units, "nanoseconds since 1970-01-01");
    EXPECT_EQ(c.time_calendar, "proleptic_gregorian");
    EXPECT_EQ(c.time_interpolation_name, "linear");
    EXPECT_EQ(c.time_mapping, "time_points: time_indices time_values");
    EXPECT_EQ(c.distance_mapping, "distance_points: distance_indices distance_values");
    // Channels 10, 12, 14 at 1.5 m per channel number.
    EXPECT_EQ(c.distance_indices, (std::vector<long long>{0, 2}));
    EXPECT_EQ(c.distance_values, (std::vector<double>{15.0, 21.0}));
    EXPECT_EQ(c.coordinate_interpolation, "time: time_indices time_values distance: distance_indices distance_values");
    EXPECT_EQ(c.conventions, "CF-1.9");
    EXPECT_EQ(c.pipeline, kPipeline);
    EXPECT_EQ(c.version, kVersion);
    EXPECT_EQ(c.fs_hz, kFs);
    EXPECT_EQ(c.origin_ns, 0);
    EXPECT_EQ(c.first_index, first);
    EXPECT_EQ(c.channel_first, 10);
    EXPECT_EQ(c.channel_step, 2);
    EXPECT_EQ(c.dx_m, 1.5);
    expect_rows(c, stream, [&](std::size_t r) { return first + static_cast<std::int64_t>(r); });
    first += static_cast<std::int64_t>(rows[k]);
  }
}

TEST_F(Hdf5OutputTest, XdasLayoutHasTheHdf5TypesXdasReads) {
  const StreamInfo stream = make_stream();
  Hdf5Output out(config(60.0), stream, kPipeline, kVersion);
  write_range(out, index_at(kT36), 10, 10);
  ASSERT_TRUE(out.close().ok());
  ASSERT_EQ(out.completed_files().size(), 1u);

  const hid_t file = H5Fopen(out.completed_files()[0].c_str(), H5F_ACC_RDONLY, kDefault);
  ASSERT_GE(file, 0);
  const hid_t values = H5Dopen2(file, "__values__", kDefault);
  ASSERT_GE(values, 0);
  const hid_t type = H5Dget_type(values);
  EXPECT_GT(H5Tequal(type, H5T_IEEE_F32LE), 0);
  H5Tclose(type);
  const hid_t space = H5Dget_space(values);
  hsize_t dims[2] = {0, 0};
  EXPECT_EQ(H5Sget_simple_extent_ndims(space), 2);
  H5Sget_simple_extent_dims(space, dims, nullptr);
  EXPECT_EQ(dims[0], 10u);
  EXPECT_EQ(dims[1], 3u);
  H5Sclose(space);
  const hid_t dcpl = H5Dget_create_plist(values);
  EXPECT_EQ(H5Pget_layout(dcpl), H5D_CHUNKED);
  H5Pclose(dcpl);
  std::vector<float> data(30);
  EXPECT_GE(H5Dread(values, H5T_NATIVE_FLOAT, kAll, kAll, kDefault, data.data()), 0);
  EXPECT_EQ(data[4], sample_value(index_at(kT36) + 1, 1));
  H5Dclose(values);

  const hid_t tv = H5Dopen2(file, "time_values", kDefault);
  ASSERT_GE(tv, 0);
  const hid_t tv_type = H5Dget_type(tv);
  EXPECT_GT(H5Tequal(tv_type, H5T_STD_I64LE), 0);
  H5Tclose(tv_type);
  H5Dclose(tv);
  EXPECT_GT(H5Aexists(file, "Conventions"), 0);
  for (const char* name :
       {"time_indices", "time_interpolation", "distance_indices", "distance_values", "distance_interpolation"})
    EXPECT_GT(H5Lexists(file, name, kDefault), 0) << name;
  H5Fclose(file);
}

TEST_F(Hdf5OutputTest, GapInsideAFileAddsTiePointsAndKeepsTimesExact) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  Hdf5Output out(config(60.0), stream, kPipeline, kVersion);
  write_range(out, i0, 50, 20);      // rows 0..49
  write_range(out, i0 + 75, 30, 20); // gap of 25 samples: rows 50..79
  write_range(out, i0 + 200, 1, 1);  // a one-row segment: row 80
  write_range(out, i0 + 300, 5, 5);  // rows 81..85
  ASSERT_TRUE(out.close().ok());
  ASSERT_EQ(out.completed_files().size(), 1u);
  EXPECT_EQ(out.rows_written(), 86u);

  const XdasContent c = read_xdas(out.completed_files()[0]);
  EXPECT_EQ(c.n_time, 86u);
  EXPECT_EQ(c.time_indices, (std::vector<long long>{0, 49, 50, 79, 80, 81, 85}));
  EXPECT_EQ(c.time_values, (std::vector<long long>{exact_time_ns(stream, i0), exact_time_ns(stream, i0 + 49),
                                                   exact_time_ns(stream, i0 + 75), exact_time_ns(stream, i0 + 104),
                                                   exact_time_ns(stream, i0 + 200), exact_time_ns(stream, i0 + 300),
                                                   exact_time_ns(stream, i0 + 304)}));
  expect_rows(c, stream, [&](std::size_t r) -> std::int64_t {
    const auto row = static_cast<std::int64_t>(r);
    if (row < 50) return i0 + row;
    if (row < 80) return i0 + 75 + (row - 50);
    if (row == 80) return i0 + 200;
    return i0 + 300 + (row - 81);
  });
}

TEST_F(Hdf5OutputTest, GapAcrossFileBoundariesStartsTheFileOfTheNewWindow) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  Hdf5Output out(config(2.0), stream, kPipeline, kVersion);
  write_range(out, i0, 10, 10);
  write_range(out, i0 + 650, 10, 10); // 6.5 s later: window [42, 44)
  ASSERT_TRUE(out.close().ok());
  EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5", "das_20231027T142342.500Z.h5"}));
}

TEST_F(Hdf5OutputTest, OneChunkSpanningBoundariesIsSplitAtTheGrid) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT37_020);
  Hdf5Output out(config(1.0), stream, kPipeline, kVersion);
  const TestChunk chunk = make_chunk(i0, 300); // 37.020 .. 40.010
  const Result<void> r = out.write(chunk.view);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(out.close().ok());
  EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142337.020Z.h5", "das_20231027T142338.000Z.h5",
                                                      "das_20231027T142339.000Z.h5", "das_20231027T142340.000Z.h5"}));
  const std::vector<std::size_t> rows{98, 100, 100, 2};
  std::int64_t first = i0;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    SCOPED_TRACE("file " + std::to_string(k));
    const XdasContent c = read_xdas(out.completed_files()[k]);
    EXPECT_EQ(c.n_time, rows[k]);
    expect_rows(c, stream, [&](std::size_t row) { return first + static_cast<std::int64_t>(row); });
    first += static_cast<std::int64_t>(rows[k]);
  }
}

TEST_F(Hdf5OutputTest, BoundariesFollowTheAbsoluteGridAtAnIrregularRate) {
  // 3 Hz with an origin inside the first sample period: times are not whole ns multiples of 1/fs.
  const StreamInfo stream = make_stream(3.0, 123);
  const std::int64_t i0 = std::int64_t{3} * 1'698'416'616;
  Hdf5Output out(config(1.0), stream, kPipeline, kVersion);
  write_range(out, i0 + 1, 20, 7);
  ASSERT_TRUE(out.close().ok());
  ASSERT_EQ(out.completed_files().size(), 7u);
  std::int64_t first = i0 + 1;
  for (std::size_t k = 0; k < out.completed_files().size(); ++k) {
    const XdasContent c = read_xdas(out.completed_files()[k]);
    const std::int64_t window = exact_time_ns(stream, first) / 1'000'000'000;
    EXPECT_EQ(c.time_values.front(), exact_time_ns(stream, first));
    EXPECT_EQ(c.time_values.back(), exact_time_ns(stream, first + static_cast<std::int64_t>(c.n_time) - 1));
    EXPECT_EQ(c.time_values.back() / 1'000'000'000, window) << "file " << k << " crosses its window";
    if (first > i0 + 1) {
      EXPECT_LT(exact_time_ns(stream, first - 1) / 1'000'000'000, window) << "file " << k;
    }
    first += static_cast<std::int64_t>(c.n_time);
  }
  EXPECT_EQ(first, i0 + 21);
}

TEST_F(Hdf5OutputTest, PartFileUntilClosedAndNoneLeftAfterDestruction) {
  const StreamInfo stream = make_stream();
  {
    Hdf5Output out(config(60.0), stream, kPipeline, kVersion);
    write_range(out, index_at(kT36), 10, 10);
    EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5.part"}));
    // The .part file is readable after each write (flushed).
    const XdasContent c = read_xdas(out_path("das_20231027T142336.000Z.h5.part"));
    EXPECT_EQ(c.n_time, 10u);
    EXPECT_EQ(c.time_values.back(), exact_time_ns(stream, index_at(kT36) + 9));
  }
  EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5"}));
}

TEST_F(Hdf5OutputTest, OverlapAndWrongChannelCountAreRefused) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  Hdf5Output out(config(60.0), stream, kPipeline, kVersion);
  write_range(out, i0, 10, 10);
  const TestChunk overlap = make_chunk(i0 + 5, 10);
  const Result<void> r = out.write(overlap.view);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::discontinuity);
  const TestChunk wrong = make_chunk(i0 + 10, 4, 2);
  EXPECT_FALSE(out.write(wrong.view).ok());
  EXPECT_EQ(out.rows_written(), 10u);
  ASSERT_TRUE(out.close().ok());
}

TEST_F(Hdf5OutputTest, ProdmlFormatWritesRawDataTimeAndAttributes) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  {
    Hdf5Output out(config(2.0, FileFormat::prodml), stream, kPipeline, kVersion);
    write_range(out, i0, 250, 40);
    ASSERT_TRUE(out.close().ok());
  }
  ASSERT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5", "das_20231027T142338.000Z.h5"}));

  const std::string path = out_path("das_20231027T142336.000Z.h5");
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault);
  ASSERT_GE(file, 0);
  const auto read_i64 = [](hid_t loc, const char* name) {
    std::int64_t v = -1;
    const hid_t a = H5Aopen(loc, name, kDefault);
    EXPECT_GE(a, 0) << name;
    H5Aread(a, H5T_NATIVE_INT64, &v);
    H5Aclose(a);
    return v;
  };
  const auto read_f64 = [](hid_t loc, const char* name) {
    double v = -1;
    const hid_t a = H5Aopen(loc, name, kDefault);
    EXPECT_GE(a, 0) << name;
    H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    return v;
  };
  const auto read_str = [](hid_t loc, const char* name) {
    const hid_t a = H5Aopen(loc, name, kDefault);
    EXPECT_GE(a, 0) << name;
    const hid_t t = H5Aget_type(a);
    EXPECT_EQ(H5Tis_variable_str(t), 0) << name << " must be a fixed-length string";
    std::string s(H5Tget_size(t), '\0');
    H5Aread(a, t, s.data());
    H5Tclose(t);
    H5Aclose(a);
    return std::string(s.c_str());
  };

  const hid_t acq = H5Gopen2(file, "/Acquisition", kDefault);
  ASSERT_GE(acq, 0);
  EXPECT_EQ(read_str(acq, "schemaVersion"), "2.0");
  EXPECT_EQ(read_i64(acq, "NumberOfLoci"), 3);
  EXPECT_EQ(read_i64(acq, "StartLocusIndex"), 5); // channel 10 / step 2
  EXPECT_EQ(read_f64(acq, "SpatialSamplingInterval"), 3.0);
  EXPECT_EQ(read_str(acq, "SpatialSamplingIntervalUnit"), "m");
  EXPECT_EQ(read_str(acq, "uuid").size(), 36u);
  EXPECT_EQ(read_str(acq, "MeasurementStartTime"), "2023-10-27T14:23:36.000000+00:00");
  H5Gclose(acq);

  const hid_t raw = H5Gopen2(file, "/Acquisition/Raw[0]", kDefault);
  ASSERT_GE(raw, 0);
  EXPECT_EQ(read_f64(raw, "OutputDataRate"), 100.0);
  EXPECT_EQ(read_i64(raw, "NumberOfLoci"), 3);
  EXPECT_EQ(read_i64(raw, "StartLocusIndex"), 5);

  const hid_t data = H5Dopen2(raw, "RawData", kDefault);
  ASSERT_GE(data, 0);
  const hid_t dtype = H5Dget_type(data);
  EXPECT_GT(H5Tequal(dtype, H5T_IEEE_F32LE), 0);
  H5Tclose(dtype);
  hsize_t dims[2] = {0, 0};
  const hid_t dspace = H5Dget_space(data);
  H5Sget_simple_extent_dims(dspace, dims, nullptr);
  H5Sclose(dspace);
  EXPECT_EQ(dims[0], 200u);
  EXPECT_EQ(dims[1], 3u);
  std::vector<float> values(200 * 3);
  EXPECT_GE(H5Dread(data, H5T_NATIVE_FLOAT, kAll, kAll, kDefault, values.data()), 0);
  for (std::size_t r = 0; r < 200; ++r)
    for (std::size_t ch = 0; ch < 3; ++ch)
      ASSERT_EQ(values[r * 3 + ch], sample_value(i0 + static_cast<std::int64_t>(r), ch));
  EXPECT_EQ(read_i64(data, "Count"), 600);
  EXPECT_EQ(read_i64(data, "StartIndex"), i0);
  EXPECT_EQ(read_str(data, "PartStartTime"), "2023-10-27T14:23:36.000000+00:00");
  EXPECT_EQ(read_str(data, "PartEndTime"), "2023-10-27T14:23:37.990000+00:00");
  {
    const hid_t a = H5Aopen(data, "Dimensions", kDefault);
    ASSERT_GE(a, 0);
    const hid_t t = H5Aget_type(a);
    const hid_t s = H5Aget_space(a);
    EXPECT_EQ(H5Sget_simple_extent_npoints(s), 2);
    const std::size_t size = H5Tget_size(t);
    std::vector<char> buf(2 * size);
    H5Aread(a, t, buf.data());
    // Fixed-length strings: "locus" fills its 5 bytes with no terminator, as in the Silixa file.
    EXPECT_EQ(std::string(buf.data(), strnlen(buf.data(), size)), "time");
    EXPECT_EQ(std::string(buf.data() + size, strnlen(buf.data() + size, size)), "locus");
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Dclose(data);

  const hid_t time = H5Dopen2(raw, "RawDataTime", kDefault);
  ASSERT_GE(time, 0);
  const hid_t ttype = H5Dget_type(time);
  EXPECT_GT(H5Tequal(ttype, H5T_STD_I64LE), 0);
  H5Tclose(ttype);
  std::vector<std::int64_t> times_us(200);
  EXPECT_GE(H5Dread(time, H5T_NATIVE_INT64, kAll, kAll, kDefault, times_us.data()), 0);
  for (std::size_t r = 0; r < 200; ++r)
    ASSERT_EQ(times_us[r], exact_time_ns(stream, i0 + static_cast<std::int64_t>(r)) / 1000) << "row " << r;
  EXPECT_EQ(read_i64(time, "Count"), 200);
  EXPECT_EQ(read_str(time, "PartEndTime"), "2023-10-27T14:23:37.990000+00:00");
  EXPECT_EQ(read_str(time, "StartTime"), "2023-10-27T14:23:36.000000+00:00");
  H5Dclose(time);
  H5Gclose(raw);

  {
    const hid_t a = H5Aopen(file, "dasflow_pipeline", kDefault);
    ASSERT_GE(a, 0);
    const hid_t t = H5Aget_type(a);
    char* text = nullptr;
    H5Aread(a, t, &text);
    EXPECT_EQ(std::string(text), kPipeline);
    H5free_memory(text);
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Fclose(file);
}

TEST_F(Hdf5OutputTest, ProdmlGapStartsANewFile) {
  const StreamInfo stream = make_stream();
  const std::int64_t i0 = index_at(kT36);
  Hdf5Output out(config(60.0, FileFormat::prodml), stream, kPipeline, kVersion);
  write_range(out, i0, 20, 20);
  write_range(out, i0 + 50, 20, 20);
  ASSERT_TRUE(out.close().ok());
  EXPECT_EQ(files_in_out(), (std::vector<std::string>{"das_20231027T142336.000Z.h5", "das_20231027T142336.500Z.h5"}));
  EXPECT_EQ(out.rows_written(), 40u);
}

TEST_F(Hdf5OutputTest, DirectoryThatCannotBeCreatedIsAClearError) {
  std::ofstream(dir_ / "plain_file") << "x";
  Hdf5OutputConfig cfg = config(60.0);
  cfg.dir = (dir_ / "plain_file" / "out").string();
  Hdf5Output out(cfg, make_stream(), kPipeline, kVersion);
  const TestChunk c = make_chunk(index_at(kT36), 5);
  const Result<void> r = out.write(c.view);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io);
  EXPECT_NE(r.error().message.find(cfg.dir), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("create_directories"), std::string::npos) << r.error().message;
  EXPECT_TRUE(out.close().ok());
}

TEST_F(Hdf5OutputTest, FileThatCannotBeCreatedNamesFileAndOperationWithoutHdf5Noise) {
  for (const FileFormat format : {FileFormat::xdas, FileFormat::prodml}) {
    SCOPED_TRACE(format == FileFormat::xdas ? "xdas" : "prodml");
    // A directory where the .part file should go: creation fails whoever runs the test.
    const std::string part = out_path("das_20231027T142336.000Z.h5.part");
    fs::create_directories(part);
    Hdf5Output out(config(60.0, format), make_stream(), kPipeline, kVersion);
    const TestChunk c = make_chunk(index_at(kT36), 5);
    ::testing::internal::CaptureStderr();
    const Result<void> r = out.write(c.view);
    const std::string stderr_text = ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::io);
    EXPECT_EQ(r.error().message.rfind(part + ": " + (format == FileFormat::xdas ? "nc_create: " : "H5Fcreate"), 0), 0u)
        << r.error().message;
    EXPECT_EQ(stderr_text, "");
    EXPECT_EQ(out.rows_written(), 0u);
    EXPECT_TRUE(out.completed_files().empty());
    fs::remove_all(part);
  }
}

TEST_F(Hdf5OutputTest, ReadOnlyDirectoryIsAClearError) {
  // Root ignores directory permissions, so as root the unwritable directory is /proc/self, where
  // nobody can create files.
  Hdf5OutputConfig cfg = config(60.0);
  const bool root = ::geteuid() == 0;
  if (root) {
    cfg.dir = "/proc/self";
  } else {
    fs::create_directories(dir_ / "out");
    fs::permissions(dir_ / "out", fs::perms::owner_read | fs::perms::owner_exec);
  }
  Hdf5Output out(cfg, make_stream(), kPipeline, kVersion);
  const TestChunk c = make_chunk(index_at(kT36), 5);
  const Result<void> r = out.write(c.view);
  if (!root) fs::permissions(dir_ / "out", fs::perms::owner_all);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("das_20231027T142336.000Z.h5.part: nc_create"), std::string::npos)
      << r.error().message;
}

// ---- Resuming the file a checkpoint left open, when that file is damaged.

/// 3,000 channels: 87 rows per 1 MiB HDF5 chunk, so a few hundred rows span several chunks.
StreamInfo wide_stream() {
  StreamInfo s = make_stream();
  s.n_channels = 3000;
  return s;
}

/// Writes [first_index, first_index + n) of the wide stream in chunks of 25 rows.
void write_wide(Hdf5Output& out, std::int64_t first_index, std::size_t n) {
  for (std::size_t done = 0; done < n; done += 25) {
    const TestChunk c = make_chunk(first_index + static_cast<std::int64_t>(done), std::min<std::size_t>(25, n - done),
                                   wide_stream().n_channels);
    const Result<void> r = out.write(c.view);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
}

/// A run that writes `n` wide rows from `first_index`, checkpoints, and stops with its file left
/// open (`.part`) for the next run: the checkpoint's position of that output.
StateTree checkpoint_then_stop(const Hdf5OutputConfig& cfg, std::int64_t first_index, std::size_t n) {
  Hdf5Output out(cfg, wide_stream(), kPipeline, kVersion);
  write_wide(out, first_index, n);
  auto p = out.checkpoint();
  EXPECT_TRUE(p.ok()) << p.error().message;
  EXPECT_TRUE(out.close(false).ok());
  return p.ok() ? std::move(p).value() : StateTree();
}

/// RawData or __values__ of a finished file, read with the HDF5 C API.
std::vector<float> read_data(const std::string& path, FileFormat format) {
  std::vector<float> values;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault);
  EXPECT_GE(f, 0) << path;
  if (f < 0) return values;
  const hid_t d = H5Dopen2(f, format == FileFormat::xdas ? "/__values__" : "/Acquisition/Raw[0]/RawData", kDefault);
  const hid_t sp = H5Dget_space(d);
  values.resize(static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp)));
  EXPECT_GE(H5Dread(d, H5T_NATIVE_FLOAT, kAll, kAll, kDefault, values.data()), 0);
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  return values;
}

void overwrite(const std::string& path, std::int64_t offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST_F(Hdf5OutputTest, CheckpointedRowsComeBackFromTheChunksWhenHdf5CannotReadTheFile) {
  const std::int64_t first = index_at(kT36);
  for (const FileFormat format : {FileFormat::xdas, FileFormat::prodml}) {
    SCOPED_TRACE(format == FileFormat::xdas ? "xdas" : "prodml");
    fs::remove_all(dir_ / "out");
    StateTree position;
    {
      Hdf5Output out(config(60.0, format), wide_stream(), kPipeline, kVersion);
      write_wide(out, first, 250);
      auto p = out.checkpoint();
      ASSERT_TRUE(p.ok()) << p.error().message;
      position = std::move(p).value();
      EXPECT_EQ(position.get_ints("chunk_addresses").value().size(), 3u); // rows 0-86, 87-173, 174-249
      write_wide(out, first + 250, 100);                                  // after the checkpoint: trimmed by the resume
      ASSERT_TRUE(out.close(false).ok());
    }
    const std::string part = out_path("das_20231027T142336.000Z.h5.part");
    overwrite(part, 0, std::string(512, '\0')); // the superblock: HDF5 cannot even open the file

    Hdf5Output out(config(60.0, format), wide_stream(), kPipeline, kVersion);
    const Result<void> r = out.resume(position);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto notices = out.take_notices();
    ASSERT_EQ(notices.size(), 1u);
    EXPECT_TRUE(notices[0].warning);
    EXPECT_NE(notices[0].message.find("read from the data chunks the checkpoint recorded"), std::string::npos)
        << notices[0].message;
    write_wide(out, first + 250, 150);
    ASSERT_TRUE(out.close().ok());
    EXPECT_EQ(files_in_out(), std::vector<std::string>{"das_20231027T142336.000Z.h5"});
    const std::vector<float> values = read_data(out_path("das_20231027T142336.000Z.h5"), format);
    ASSERT_EQ(values.size(), 400u * 3000u);
    for (std::size_t row = 0; row < 400; ++row)
      for (std::size_t ch = 0; ch < 3000; ch += 499)
        ASSERT_EQ(values[row * 3000 + ch], sample_value(first + static_cast<std::int64_t>(row), ch))
            << "row " << row << " channel " << ch;
  }
}

TEST_F(Hdf5OutputTest, CheckpointedRowsThatChangedOnDiskAreReportedLostNotResumedWrong) {
  const std::int64_t first = index_at(kT36);
  const StateTree position = checkpoint_then_stop(config(60.0), first, 100);
  // A sample of row 1 changed: HDF5 reads the file fine, the CRC does not match, nor do the chunks.
  const std::int64_t chunk0 = position.get_ints("chunk_addresses").value().at(0);
  overwrite(out_path("das_20231027T142336.000Z.h5.part"), chunk0 + 3000 * 4 + 8, "\x7f\x7f\x7f\x7f");
  Hdf5Output out(config(60.0), wide_stream(), kPipeline, kVersion);
  const Result<void> r = out.resume(position);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::state_mismatch) << r.error().message; // lost, not worth a retry
  EXPECT_NE(r.error().message.find("differ from those checkpointed"), std::string::npos) << r.error().message;
  EXPECT_EQ(files_in_out(), std::vector<std::string>{"das_20231027T142336.000Z.h5.damaged"});
}

TEST_F(Hdf5OutputTest, ResumeThatCannotWriteTheRebuiltFileKeepsEverythingForTheNextTry) {
  const std::int64_t first = index_at(kT36);
  const StateTree position = checkpoint_then_stop(config(60.0), first, 100);
  // An earlier resume was interrupted after the rename, and now the new file cannot be created
  // (a directory in its place; what a full disk does, without needing one).
  const std::string part = out_path("das_20231027T142336.000Z.h5.part");
  fs::rename(part, out_path("das_20231027T142336.000Z.h5.resume"));
  fs::create_directories(part);
  {
    Hdf5Output out(config(60.0), wide_stream(), kPipeline, kVersion);
    const Result<void> r = out.resume(position);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::io) << r.error().message; // the caller stops and tries again later
    EXPECT_TRUE(fs::exists(out_path("das_20231027T142336.000Z.h5.resume")));
  }
  fs::remove(part);
  Hdf5Output out(config(60.0), wide_stream(), kPipeline, kVersion);
  const Result<void> r = out.resume(position);
  ASSERT_TRUE(r.ok()) << r.error().message;
  write_wide(out, first + 100, 50);
  ASSERT_TRUE(out.close().ok());
  EXPECT_EQ(files_in_out(), std::vector<std::string>{"das_20231027T142336.000Z.h5"});
  const std::vector<float> values = read_data(out_path("das_20231027T142336.000Z.h5"), FileFormat::xdas);
  ASSERT_EQ(values.size(), 150u * 3000u);
  for (std::size_t row = 0; row < 150; ++row)
    ASSERT_EQ(values[row * 3000 + 7], sample_value(first + static_cast<std::int64_t>(row), 7)) << "row " << row;
}

// ---- compression: lz4 (shuffle + HDF5 filter 32004), read back through HDF5's own plugin.

/// The filter ids of a finished file's sample dataset, in pipeline order, and its bytes on disk.
struct StoredData {
  std::vector<int> filters;
  hsize_t storage_bytes = 0;
};
StoredData stored_data(const std::string& path, FileFormat format) {
  StoredData out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, kDefault);
  EXPECT_GE(f, 0) << path;
  if (f < 0) return out;
  const hid_t d = H5Dopen2(f, format == FileFormat::xdas ? "/__values__" : "/Acquisition/Raw[0]/RawData", kDefault);
  const hid_t dcpl = H5Dget_create_plist(d);
  for (int k = 0; k < H5Pget_nfilters(dcpl); ++k) {
    unsigned flags = 0;
    std::size_t n_values = 0;
    out.filters.push_back(
        H5Pget_filter2(dcpl, static_cast<unsigned>(k), &flags, &n_values, nullptr, 0, nullptr, nullptr));
  }
  out.storage_bytes = H5Dget_storage_size(d);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
  return out;
}

TEST_F(Hdf5OutputTest, CompressedDataReadsBackThroughHdf5sPluginsEqualToTheRowsWritten) {
  const std::int64_t first = index_at(kT36);
  set_compression_threads(2); // Blosc splits each chunk over 2 threads
  for (const Compression compression : {Compression::lz4, Compression::blosc_zstd}) {
    ASSERT_TRUE(check_compression_available(compression, "test").ok())
        << "HDF5 cannot load the plugin (Debian packages hdf5-filter-plugin, hdf5-filter-plugin-blosc-serial)";
    std::vector<int> want_filters;
    for (const FilterStep& f : compression_filters(compression))
      want_filters.push_back(static_cast<int>(f.id));
    for (const FileFormat format : {FileFormat::xdas, FileFormat::prodml}) {
      SCOPED_TRACE(compression_name(compression) + (format == FileFormat::xdas ? " xdas" : " prodml"));
      fs::remove_all(dir_ / "out");
      Hdf5OutputConfig cfg = config(60.0, format);
      cfg.compression = compression;
      {
        Hdf5Output out(cfg, wide_stream(), kPipeline, kVersion);
        ASSERT_TRUE(out.check().ok());
        write_wide(out, first, 400); // 25-row writes: the partial last chunk is rewritten by each flush
        ASSERT_TRUE(out.close().ok());
      }
      const std::string path = out_path("das_20231027T142336.000Z.h5");
      const StoredData stored = stored_data(path, format);
      EXPECT_EQ(stored.filters, want_filters);
      // sample_value() is a slow ramp: shuffled, its exponent bytes are runs that compress well.
      EXPECT_LT(stored.storage_bytes, 400u * 3000u * sizeof(float) / 2) << "not compressed";
      const std::vector<float> values = read_data(path, format);
      ASSERT_EQ(values.size(), 400u * 3000u);
      for (std::size_t row = 0; row < 400; ++row)
        for (std::size_t ch = 0; ch < 3000; ++ch)
          ASSERT_EQ(values[row * 3000 + ch], sample_value(first + static_cast<std::int64_t>(row), ch))
              << "row " << row << " channel " << ch;
    }
  }
  set_compression_threads(1);
}

TEST_F(Hdf5OutputTest, Lz4CompressedOpenFileIsRebuiltOnResumeAndNotReadFromRawChunks) {
  const std::int64_t first = index_at(kT36);
  Hdf5OutputConfig cfg = config(60.0, FileFormat::prodml);
  cfg.compression = Compression::lz4;
  const StateTree position = checkpoint_then_stop(cfg, first, 250);
  // Compressed chunks move when rewritten: the checkpoint records none to read without HDF5.
  EXPECT_TRUE(position.get_ints("chunk_addresses").value().empty());
  {
    Hdf5Output out(cfg, wide_stream(), kPipeline, kVersion);
    const Result<void> r = out.resume(position);
    ASSERT_TRUE(r.ok()) << r.error().message;
    write_wide(out, first + 250, 150);
    ASSERT_TRUE(out.close().ok());
  }
  const std::string path = out_path("das_20231027T142336.000Z.h5");
  EXPECT_EQ(stored_data(path, FileFormat::prodml).filters.size(), 2u); // the rebuilt file is compressed too
  const std::vector<float> values = read_data(path, FileFormat::prodml);
  ASSERT_EQ(values.size(), 400u * 3000u);
  for (std::size_t row = 0; row < 400; ++row)
    ASSERT_EQ(values[row * 3000 + 11], sample_value(first + static_cast<std::int64_t>(row), 11)) << "row " << row;

  // When HDF5 cannot open the file, its rows are reported lost and the file kept aside.
  fs::remove_all(dir_ / "out");
  const StateTree again = checkpoint_then_stop(cfg, first, 250);
  overwrite(out_path("das_20231027T142336.000Z.h5.part"), 0, std::string(512, '\0'));
  Hdf5Output out(cfg, wide_stream(), kPipeline, kVersion);
  const Result<void> r = out.resume(again);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::state_mismatch) << r.error().message;
  EXPECT_EQ(files_in_out(), std::vector<std::string>{"das_20231027T142336.000Z.h5.damaged"});
}

TEST_F(Hdf5OutputTest, InvalidFileDurationIsAConfigError) {
  Hdf5Output out(config(0.0), make_stream(), kPipeline, kVersion);
  const TestChunk c = make_chunk(index_at(kT36), 5);
  const Result<void> r = out.write(c.view);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::config);
}

} // namespace
} // namespace dasflow::io
