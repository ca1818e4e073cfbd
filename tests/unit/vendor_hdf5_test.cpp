/// \file vendor_hdf5_test.cpp
/// Vendor HDF5 readers on the real sample files of ../shared/data/real/das (ASN OptoDAS, PRODML
/// 2.0 raw and FBE), on small files written here to reach the error paths, and on damaged copies.

#include "dasflow/io/vendor_hdf5.hpp"

#include <yaml-cpp/yaml.h>

#include "dasflow/io/hdf5_replay_source.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dasflow::io {
namespace {

namespace fs = std::filesystem;

constexpr hid_t kAll = 0; // H5S_ALL, which is defined with a C cast

std::string das_dir() { return std::string(DASFLOW_REAL_DATA_DIR) + "/das"; }
std::string optodas_path() { return das_dir() + "/decimated_optodas.hdf5"; }
std::string prodml_path() { return das_dir() + "/prodml_2.0.h5"; }
std::string fbe_path() { return das_dir() + "/prodml_fbe_1.h5"; }

/// A fresh directory under the system temp dir, removed with its contents at the end of the test.
class TempDir {
public:
  TempDir() {
    std::string templ = (fs::temp_directory_path() / "dasflow_vendor_hdf5_XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

private:
  fs::path path_;
};

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> b(static_cast<std::size_t>(fs::file_size(path)));
  in.read(b.data(), static_cast<std::streamsize>(b.size()));
  return b;
}
void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
/// The first n bytes of src written to dst.
void truncated_copy(const std::string& src, const std::string& dst, std::size_t n) {
  auto b = file_bytes(src);
  b.resize(std::min(n, b.size()));
  write_bytes(dst, b);
}
/// src with `count` bytes of `value` written at `offset`.
void damaged_copy(const std::string& src, const std::string& dst, std::size_t offset, std::size_t count, char value) {
  auto b = file_bytes(src);
  for (std::size_t i = offset; i < offset + count && i < b.size(); ++i)
    b[i] = value;
  write_bytes(dst, b);
}

// ---- Direct HDF5 access, independent of the reader under test.

std::vector<float> read_all_floats(const std::string& path, const std::string& dataset) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t sp = H5Dget_space(d);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp));
  std::vector<float> v(n);
  const herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, kAll, kAll, H5P_DEFAULT, v.data());
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  if (rc < 0) v.clear();
  return v;
}

std::vector<std::int64_t> read_all_int64(const std::string& path, const std::string& dataset) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t sp = H5Dget_space(d);
  std::vector<std::int64_t> v(static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp)));
  const herr_t rc = H5Dread(d, H5T_NATIVE_INT64, kAll, kAll, H5P_DEFAULT, v.data());
  H5Sclose(sp);
  H5Dclose(d);
  H5Fclose(f);
  if (rc < 0) v.clear();
  return v;
}

/// Small writer for the synthetic files (C API; errors make the test fail through the reader).
class H5Writer {
public:
  explicit H5Writer(const std::string& path)
      : file_(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT)) {}
  ~H5Writer() { H5Fclose(file_); }
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;
  hid_t file() const { return file_; }

  hid_t group(const std::string& name) {
    const hid_t g = H5Gcreate2(file_, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    groups_.push_back(g);
    return g;
  }
  void close_groups() {
    for (const hid_t g : groups_)
      H5Gclose(g);
    groups_.clear();
  }

  /// A dataset with the given dims (empty = scalar) stored as file_type, written from mem_type.
  hid_t dataset(const std::string& name, hid_t file_type, hid_t mem_type, const std::vector<hsize_t>& dims,
                const void* data) {
    const hid_t sp =
        dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    const hid_t d = H5Dcreate2(file_, name.c_str(), file_type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (data != nullptr) H5Dwrite(d, mem_type, kAll, kAll, H5P_DEFAULT, data);
    H5Sclose(sp);
    return d;
  }
  void scalar(const std::string& name, double v) { H5Dclose(dataset(name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {}, &v)); }
  /// Fixed-length, NUL-padded strings as ASN writes them (scalar when `scalar_string`).
  void strings(const std::string& name, const std::vector<std::string>& values, bool scalar_string = false) {
    std::size_t width = 1;
    for (const auto& s : values)
      width = std::max(width, s.size());
    std::vector<char> buf(width * values.size(), '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
      std::copy(values[i].begin(), values[i].end(), buf.begin() + static_cast<std::ptrdiff_t>(i * width));
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Dclose(
        dataset(name, t, t, scalar_string ? std::vector<hsize_t>{} : std::vector<hsize_t>{values.size()}, buf.data()));
    H5Tclose(t);
  }

  static void attr(hid_t obj, const std::string& name, hid_t file_type, hid_t mem_type, const void* v) {
    const hid_t sp = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(obj, name.c_str(), file_type, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, mem_type, v);
    H5Aclose(a);
    H5Sclose(sp);
  }
  static void attr_double(hid_t obj, const std::string& name, double v) {
    attr(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
  }
  static void attr_int64(hid_t obj, const std::string& name, std::int64_t v) {
    attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v);
  }
  /// Fixed-length NUL-terminated strings as h5py writes them (scalar for one value).
  static void attr_strings(hid_t obj, const std::string& name, const std::vector<std::string>& values) {
    std::size_t width = 1;
    for (const auto& s : values)
      width = std::max(width, s.size());
    std::vector<char> buf(width * values.size(), '\0');
    for (std::size_t i = 0; i < values.size(); ++i)
      std::copy(values[i].begin(), values[i].end(), buf.begin() + static_cast<std::ptrdiff_t>(i * width));
    const hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    const hsize_t n = values.size();
    const hid_t sp = values.size() == 1 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, nullptr);
    const hid_t a = H5Acreate2(obj, name.c_str(), t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, buf.data());
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
  }

private:
  hid_t file_;
  std::vector<hid_t> groups_;
};

/// A small ASN-like file: int32 counts raw[t][c] = 3 * t - c - 7.
struct AsnSpec {
  hsize_t n_t = 20, n_ch = 4;
  double dt = 0.001, time = 1700000000.5, dx = 2.0, data_scale = 0.5;
  std::vector<std::int32_t> channels = {10, 12, 14, 16};
  std::vector<float> sensitivities; ///< row 0 of header/sensitivities (absent if empty)
  std::string sensitivity_unit;
  std::string unit = "rad/m/s";
  std::vector<std::string> dim_names = {"time", "distance"};
  bool write_dt = true;
};
std::int32_t asn_raw(std::size_t t, std::size_t c) {
  return static_cast<std::int32_t>(3 * t) - static_cast<std::int32_t>(c) - 7;
}

void write_asn(const std::string& path, const AsnSpec& s) {
  H5Writer w(path);
  w.group("/header");
  std::vector<std::int32_t> raw(s.n_t * s.n_ch);
  for (std::size_t t = 0; t < s.n_t; ++t)
    for (std::size_t c = 0; c < s.n_ch; ++c)
      raw[t * s.n_ch + c] = asn_raw(t, c);
  H5Dclose(w.dataset("/data", H5T_STD_I32LE, H5T_NATIVE_INT32, {s.n_t, s.n_ch}, raw.data()));
  if (s.write_dt) w.scalar("/header/dt", s.dt);
  w.scalar("/header/time", s.time);
  w.scalar("/header/dx", s.dx);
  const float scale = static_cast<float>(s.data_scale);
  H5Dclose(w.dataset("/header/dataScale", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {}, &scale));
  H5Dclose(w.dataset("/header/channels", H5T_STD_I32LE, H5T_NATIVE_INT32, {s.channels.size()}, s.channels.data()));
  if (!s.sensitivities.empty()) {
    H5Dclose(w.dataset("/header/sensitivities", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {1, s.sensitivities.size()},
                       s.sensitivities.data()));
    w.strings("/header/sensitivityUnits", {s.sensitivity_unit});
  }
  w.strings("/header/unit", {s.unit}, true);
  w.strings("/header/dimensionNames", s.dim_names);
  w.close_groups();
}

/// A small PRODML-like file: int32 counts raw[t][c] = 100 * t + c, RawDataTime in µs.
struct ProdmlSpec {
  hsize_t n_t = 10, n_ch = 3;
  std::vector<std::int64_t> times_us; ///< default: 1.6e15 + 1000 * t
  bool write_rate = true;
  double rate_hz = 1000.0;
  std::vector<std::string> dims = {"time", "locus"};
};

void write_prodml(const std::string& path, ProdmlSpec s) {
  if (s.times_us.empty())
    for (std::size_t t = 0; t < s.n_t; ++t)
      s.times_us.push_back(1'600'000'000'000'000 + 1000 * static_cast<std::int64_t>(t));
  H5Writer w(path);
  const hid_t acq = w.group("/Acquisition");
  H5Writer::attr_double(acq, "SpatialSamplingInterval", 0.5);
  H5Writer::attr_strings(acq, "SpatialSamplingIntervalUnit", {"m"});
  H5Writer::attr_int64(acq, "StartLocusIndex", 0);
  H5Writer::attr_strings(acq, "schemaVersion", {"2.0"});
  const hid_t raw_group = w.group("/Acquisition/Raw[0]");
  if (s.write_rate) H5Writer::attr_double(raw_group, "OutputDataRate", s.rate_hz);
  H5Writer::attr_int64(raw_group, "StartLocusIndex", 7);
  H5Writer::attr_int64(raw_group, "NumberOfLoci", static_cast<std::int64_t>(s.n_ch));
  H5Writer::attr_strings(raw_group, "RawDataUnit", {"rad"});
  std::vector<std::int32_t> raw(s.n_t * s.n_ch);
  for (std::size_t i = 0; i < raw.size(); ++i)
    raw[i] = static_cast<std::int32_t>(100 * (i / s.n_ch) + i % s.n_ch);
  const hid_t d =
      w.dataset("/Acquisition/Raw[0]/RawData", H5T_STD_I32LE, H5T_NATIVE_INT32, {s.n_t, s.n_ch}, raw.data());
  H5Writer::attr_strings(d, "Dimensions", s.dims);
  H5Dclose(d);
  H5Dclose(w.dataset("/Acquisition/Raw[0]/RawDataTime", H5T_STD_I64LE, H5T_NATIVE_INT64, {s.times_us.size()},
                     s.times_us.data()));
  w.close_groups();
}

/// Opens a file expected to be refused; the error must name the file and contain `needle`.
void expect_refused(const std::string& path, const std::string& needle, const std::string& format = "auto") {
  const auto r = VendorFile::open(path, format);
  ASSERT_FALSE(r.ok()) << path << " was accepted";
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
}

// =============================================================================================
// ASN OptoDAS: decimated_optodas.hdf5

TEST(VendorHdf5, OptodasMetadata) {
  const auto r = VendorFile::open(optodas_path(), "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const VendorFileInfo& in = r->info();
  EXPECT_EQ(in.path, optodas_path());
  EXPECT_EQ(in.format, "asn");
  EXPECT_EQ(in.fs_hz, 500.0); // header/dt = 0.002
  EXPECT_EQ(in.n_samples, 5000u);
  EXPECT_EQ(in.n_channels, 51u);
  // header/time = 1698416617.02 (float64) = 2023-10-27T14:23:37.02Z
  EXPECT_NEAR(static_cast<double>(in.start_ns - 1'698'416'617'020'000'000), 0.0, 1000.0);
  EXPECT_EQ(in.start_ns, 1'698'416'617'020'000'000); // the shortest decimal of the double, exactly
  EXPECT_EQ(in.coords.first, 32500);
  EXPECT_EQ(in.coords.step, 50);
  EXPECT_NEAR(in.coords.dx_m, 1.0213, 1e-6); // header/dx = 1.0213001907746815
  EXPECT_NEAR(in.coords.distance_m(1) - in.coords.distance_m(0), 51.065, 1e-4);
  EXPECT_EQ(in.unit, "strain/s"); // dataScale 1, sensitivities [[1]] with unit ""
  ASSERT_EQ(r->scale().size(), 1u);
  EXPECT_EQ(r->scale()[0], 1.0);

  // Explicit format gives the same.
  const auto r2 = VendorFile::open(optodas_path(), "asn");
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->info().start_ns, in.start_ns);
}

TEST(VendorHdf5, OptodasRowsEqualTheFile) {
  const auto r = VendorFile::open(optodas_path(), "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::size_t nc = r->info().n_channels;
  // h5dump -d /data -s 0,0 -c 3,51 -m %.9g: row 0 columns 0..2, row 2 column 50.
  std::vector<float> rows(3 * nc);
  ASSERT_TRUE(r->read_rows(0, 3, rows.data()).ok());
  EXPECT_EQ(rows[0], -7.62047065e-08f);
  EXPECT_EQ(rows[1], 3.06824205e-07f);
  EXPECT_EQ(rows[2], 2.60700318e-07f);
  EXPECT_EQ(rows[2 * nc + 50], -1.60430957e-08f);

  // Every value of a block, and of the whole file, equals /data read directly.
  const std::vector<float> direct = read_all_floats(optodas_path(), "/data");
  ASSERT_EQ(direct.size(), 5000u * nc);
  std::vector<float> block(66 * nc);
  ASSERT_TRUE(r->read_rows(1234, 66, block.data()).ok());
  EXPECT_TRUE(std::equal(block.begin(), block.end(), direct.begin() + 1234 * static_cast<std::ptrdiff_t>(nc)));
  std::vector<float> all(5000 * nc);
  ASSERT_TRUE(r->read_rows(0, 5000, all.data()).ok());
  EXPECT_EQ(all, direct);
}

// =============================================================================================
// PRODML 2.0 raw: prodml_2.0.h5

TEST(VendorHdf5, ProdmlMetadata) {
  const auto r = VendorFile::open(prodml_path(), "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const VendorFileInfo& in = r->info();
  EXPECT_EQ(in.format, "prodml");
  EXPECT_EQ(in.fs_hz, 200.0); // Raw[0]@OutputDataRate
  EXPECT_EQ(in.n_samples, 2500u);
  EXPECT_EQ(in.n_channels, 512u);
  const auto times = read_all_int64(prodml_path(), "/Acquisition/Raw[0]/RawDataTime");
  ASSERT_EQ(times.size(), 2500u);
  EXPECT_EQ(in.start_ns, times[0] * 1000); // µs → ns; this file's clock starts at the epoch
  EXPECT_EQ(in.start_ns, 0);
  EXPECT_EQ(in.coords.first, -260); // StartLocusIndex
  EXPECT_EQ(in.coords.step, 1);
  EXPECT_NEAR(in.coords.dx_m, 1.02095, 5e-6); // Acquisition@SpatialSamplingInterval = 1.0209519863128662
  EXPECT_EQ(in.unit, "(nm/m)/s * Hz/m");      // Raw[0]@RawDataUnit; no scale attribute: raw counts
  ASSERT_EQ(r->scale().size(), 1u);
  EXPECT_EQ(r->scale()[0], 1.0);
}

TEST(VendorHdf5, ProdmlRowsAreASliceOfTheWholeFile) {
  const auto r = VendorFile::open(prodml_path(), "prodml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::size_t nc = r->info().n_channels;
  std::vector<float> all(2500 * nc), part(10 * nc);
  ASSERT_TRUE(r->read_rows(0, 2500, all.data()).ok());
  ASSERT_TRUE(r->read_rows(100, 10, part.data()).ok());
  EXPECT_TRUE(std::equal(part.begin(), part.end(), all.begin() + 100 * static_cast<std::ptrdiff_t>(nc)));
  // int16 counts become float32 unchanged: row 100 starts 3793 2779 4411 3419 3401 3026 2000 -800.
  const float row100[] = {3793, 2779, 4411, 3419, 3401, 3026, 2000, -800};
  for (std::size_t c = 0; c < 8; ++c)
    EXPECT_EQ(part[c], row100[c]) << c;
  EXPECT_EQ(all, read_all_floats(prodml_path(), "/Acquisition/Raw[0]/RawData"));
}

TEST(VendorHdf5, ProdmlFbeIsRefused) {
  expect_refused(fbe_path(), "processed data only");
  expect_refused(fbe_path(), "no raw data");
  expect_refused(fbe_path(), "/Acquisition/Processed/Fbe[0]", "prodml");
}

TEST(VendorHdf5, OtherLayoutsAndFormatsAreRefused) {
  const std::string silixa = das_dir() + "/silixa_h5_1.hdf5";
  const auto r = VendorFile::open(silixa, "auto");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unrecognised DAS HDF5 layout in " + silixa +
                                   " (looked for /data+/header (ASN) and /Acquisition/Raw[0] (PRODML))");
  expect_refused(optodas_path(), "not a PRODML file", "prodml");
  expect_refused(prodml_path(), "not an ASN OptoDAS file", "asn");
  const auto bad_format = VendorFile::open(optodas_path(), "tdms");
  ASSERT_FALSE(bad_format.ok());
  EXPECT_EQ(bad_format.error().code, Errc::config);
  expect_refused(das_dir() + "/no_such_file.h5", "no such file");
  expect_refused(das_dir(), "not a regular file");
}

// =============================================================================================
// Row reads: bounds, release and reopen, moves.

TEST(VendorHdf5, ReadRowsChecksBoundsAndReopensAfterRelease) {
  auto r = VendorFile::open(optodas_path(), "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  VendorFile f = std::move(r.value());
  const std::size_t nc = f.info().n_channels;
  std::vector<float> a(2 * nc), b(2 * nc);
  EXPECT_TRUE(f.read_rows(4999, 0, nullptr).ok()); // nothing to read
  EXPECT_FALSE(f.read_rows(4999, 2, a.data()).ok());
  EXPECT_FALSE(f.read_rows(5001, 1, a.data()).ok());
  EXPECT_FALSE(f.read_rows(0, 1, nullptr).ok());
  ASSERT_TRUE(f.read_rows(4998, 2, a.data()).ok());
  f.release();
  ASSERT_TRUE(f.read_rows(4998, 2, b.data()).ok());
  EXPECT_EQ(a, b);
  VendorFile moved = std::move(f);
  ASSERT_TRUE(moved.read_rows(4998, 2, b.data()).ok());
  EXPECT_EQ(a, b);
}

TEST(VendorHdf5, AFileChangedAfterOpenIsNotRead) {
  const TempDir dir;
  const std::string path = dir / "changing.hdf5";
  fs::copy_file(optodas_path(), path);
  const auto r = VendorFile::open(path, "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::hours(1));
  std::vector<float> row(r->info().n_channels);
  const auto rr = r->read_rows(0, 1, row.data());
  ASSERT_FALSE(rr.ok());
  EXPECT_NE(rr.error().message.find(path), std::string::npos);
  EXPECT_NE(rr.error().message.find("changed on disk"), std::string::npos) << rr.error().message;
}

// =============================================================================================
// Replay sets.

TEST(VendorHdf5, ReplaySetOfTwoCopiesSortedByStart) {
  const TempDir dir;
  fs::copy_file(optodas_path(), dir / "b_copy.hdf5");
  fs::copy_file(optodas_path(), dir / "a_renamed.HDF5"); // extension case does not matter
  write_bytes(dir / "notes.txt", {'x'});                 // not an HDF5 extension: ignored
  fs::create_directory(dir / "sub.h5");                  // a directory: ignored (non-recursive)
  const auto set = open_replay_set(dir.str(), "auto");
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[0].info().start_ns, (*set)[1].info().start_ns);
  EXPECT_EQ((*set)[0].info().path, dir / "a_renamed.HDF5"); // equal starts: by path
  EXPECT_EQ((*set)[1].info().path, dir / "b_copy.hdf5");
}

TEST(VendorHdf5, ReplaySetSortsByStartTimeNotByName) {
  const TempDir dir;
  fs::copy_file(optodas_path(), dir / "a_optodas.hdf5"); // 2023
  fs::copy_file(prodml_path(), dir / "z_prodml.h5");     // 1970 (its clock was not set)
  const auto set = open_replay_set(dir.str(), "auto");
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[0].info().format, "prodml");
  EXPECT_EQ((*set)[1].info().format, "asn");
  EXPECT_LT((*set)[0].info().start_ns, (*set)[1].info().start_ns);

  // A single file is a set of one.
  const auto one = open_replay_set(dir / "z_prodml.h5", "prodml");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->size(), 1u);
}

TEST(VendorHdf5, ReplaySetErrorsNameTheFile) {
  const TempDir dir;
  fs::copy_file(optodas_path(), dir / "good.hdf5");
  truncated_copy(optodas_path(), dir / "cut.hdf5", 1000);
  const auto set = open_replay_set(dir.str(), "auto");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find(dir / "cut.hdf5"), std::string::npos) << set.error().message;

  const TempDir empty;
  const auto none = open_replay_set(empty.str(), "auto");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no *.h5"), std::string::npos) << none.error().message;
  EXPECT_FALSE(open_replay_set(empty / "missing", "auto").ok());
}

/// Descriptors of this process open on files under `dir`.
std::size_t fds_open_under(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    const auto target = fs::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind(dir, 0) == 0) ++n;
  }
  return n;
}

TEST(VendorHdf5, ALongReplaySetKeepsFewFilesOpen) {
  const TempDir dir;
  for (int i = 0; i < 12; ++i)
    fs::copy_file(optodas_path(), dir / ("part" + std::to_string(100 + i) + ".hdf5"));
  auto set = open_replay_set(dir.str(), "asn");
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->size(), 12u);
  EXPECT_EQ(fds_open_under(dir.str()), 0u); // open() reads metadata and closes the file
  const std::size_t nc = (*set)[0].info().n_channels;
  std::vector<float> first(nc), again(nc);
  for (const VendorFile& f : *set)
    ASSERT_TRUE(f.read_rows(7, 1, first.data()).ok());
  EXPECT_LE(fds_open_under(dir.str()), 8u);                  // the least recently read were closed
  ASSERT_TRUE((*set)[0].read_rows(7, 1, again.data()).ok()); // closed, reopened on demand
  EXPECT_EQ(first, again);
  for (VendorFile& f : *set)
    f.release();
  EXPECT_EQ(fds_open_under(dir.str()), 0u);
}

// =============================================================================================
// Damaged files: clear errors naming the file, nothing on stderr, no crash.

TEST(VendorHdf5, TruncatedAndCorruptedCopiesGiveClearErrors) {
  const TempDir dir;
  H5E_auto2_t func_before = nullptr;
  void* data_before = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func_before, &data_before);

  testing::internal::CaptureStderr();
  for (const std::string& src : {optodas_path(), prodml_path()}) {
    const std::string name = fs::path(src).filename().string();
    const std::size_t size = fs::file_size(src);
    truncated_copy(src, dir / ("cut1000_" + name), 1000);
    expect_refused(dir / ("cut1000_" + name), "truncated");
    truncated_copy(src, dir / ("half_" + name), size / 2);
    expect_refused(dir / ("half_" + name), "truncated");
    truncated_copy(src, dir / ("cut8_" + name), 8); // the signature and nothing else
    expect_refused(dir / ("cut8_" + name), "damaged or truncated");
    damaged_copy(src, dir / ("nosig_" + name), 0, 8, '\0'); // superblock signature wiped
    expect_refused(dir / ("nosig_" + name), "not an HDF5 file");
  }
  write_bytes(dir / "empty.h5", {});
  expect_refused(dir / "empty.h5", "not an HDF5 file");
  write_bytes(dir / "text.h5", {'h', 'e', 'l', 'l', 'o', '\n'});
  expect_refused(dir / "text.h5", "not an HDF5 file");
  // 64 bytes of 0xff in the metadata of the ASN sample at offset 832: HDF5 1.10.8 dies with SIGSEGV
  // in H5HL_protect while looking up /header/...; the crash happens in the probe child.
  damaged_copy(optodas_path(), dir / "heap832.hdf5", 832, 64, '\xff');
  expect_refused(dir / "heap832.hdf5", "");
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed, "");

  // The caller's HDF5 error handler is restored.
  H5E_auto2_t func_after = nullptr;
  void* data_after = nullptr;
  H5Eget_auto2(H5E_DEFAULT, &func_after, &data_after);
  EXPECT_EQ(func_after, func_before);
  EXPECT_EQ(data_after, data_before);
}

TEST(VendorHdf5, DamagedMetadataNeverCrashes) {
  // 64 bytes of 0xff every 32 bytes through the metadata at the start of both samples: each copy
  // either opens and reads, or gives an error naming the file; this process survives all of them.
  const TempDir dir;
  testing::internal::CaptureStderr();
  int refused = 0, opened = 0;
  for (const std::string& src : {optodas_path(), prodml_path()}) {
    for (std::size_t offset = 0; offset < 2048; offset += 32) {
      const std::string path = dir / ("damaged_" + std::to_string(offset) + fs::path(src).extension().string());
      damaged_copy(src, path, offset, 64, '\xff');
      const auto r = VendorFile::open(path, "auto");
      if (!r.ok()) {
        ++refused;
        EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
        continue;
      }
      ++opened;
      std::vector<float> rows(2 * r->info().n_channels);
      const auto rr = r->read_rows(r->info().n_samples / 2, 2, rows.data());
      if (!rr.ok()) {
        EXPECT_NE(rr.error().message.find(path), std::string::npos) << rr.error().message;
      }
    }
  }
  EXPECT_GT(refused, 0);
  EXPECT_GT(opened, 0);
  const std::string printed = testing::internal::GetCapturedStderr();
  EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed.substr(0, 2000);
}

// =============================================================================================
// Error paths and scaling on small files written here.

TEST(VendorHdf5, AsnScalesBySensitivityPerChannel) {
  const TempDir dir;
  AsnSpec s;
  s.sensitivities = {2.0f, 4.0f, 8.0f, 16.0f};
  s.sensitivity_unit = "rad/m/strain";
  write_asn(dir / "scaled.hdf5", s);
  const auto r = VendorFile::open(dir / "scaled.hdf5", "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const VendorFileInfo& in = r->info();
  EXPECT_EQ(in.fs_hz, 1000.0);
  EXPECT_EQ(in.start_ns, 1'700'000'000'500'000'000);
  EXPECT_EQ(in.coords, (ChannelCoords{10, 2, 2.0}));
  EXPECT_EQ(in.unit, "strain/s"); // (rad/m/s) / (rad/m/strain)
  std::vector<float> rows(s.n_t * s.n_ch);
  ASSERT_TRUE(r->read_rows(0, s.n_t, rows.data()).ok());
  for (std::size_t t = 0; t < s.n_t; ++t)
    for (std::size_t c = 0; c < s.n_ch; ++c)
      EXPECT_EQ(rows[t * s.n_ch + c], static_cast<float>(asn_raw(t, c) * 0.5 / s.sensitivities[c])) << t << "," << c;
}

TEST(VendorHdf5, AsnScalesIntegerCountsByDataScale) {
  const TempDir dir;
  write_asn(dir / "counts.hdf5", AsnSpec{});
  const auto r = VendorFile::open(dir / "counts.hdf5", "asn");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->info().unit, "rad/m/s");
  std::vector<float> rows(2 * 4);
  ASSERT_TRUE(r->read_rows(5, 2, rows.data()).ok());
  for (std::size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(rows[i], static_cast<float>(asn_raw(5 + i / 4, i % 4) * 0.5)) << i;
}

TEST(VendorHdf5, AsnErrorsSayWhatIsWrong) {
  const TempDir dir;
  {
    AsnSpec s;
    s.channels = {10, 12, 15, 17};
    write_asn(dir / "uneven.hdf5", s);
    expect_refused(dir / "uneven.hdf5", "not evenly spaced");
  }
  {
    AsnSpec s;
    s.channels = {10, 12, 14};
    write_asn(dir / "count.hdf5", s);
    expect_refused(dir / "count.hdf5", "lists 3 channels but /data has 4 columns");
  }
  for (const double dt : {0.0, -0.001}) {
    AsnSpec s;
    s.dt = dt;
    write_asn(dir / "rate.hdf5", s);
    expect_refused(dir / "rate.hdf5", "/header/dt: sample interval must be > 0");
  }
  {
    AsnSpec s;
    s.write_dt = false;
    write_asn(dir / "nodt.hdf5", s);
    expect_refused(dir / "nodt.hdf5", "missing dataset /header/dt");
  }
  {
    AsnSpec s;
    s.dim_names = {"distance", "time"};
    write_asn(dir / "transposed.hdf5", s);
    expect_refused(dir / "transposed.hdf5", "distance-major data are not supported");
  }
  {
    AsnSpec s;
    s.unit = std::string(70'000, 'u');
    write_asn(dir / "longunit.hdf5", s);
    expect_refused(dir / "longunit.hdf5", "more than the limit of 65536");
  }
  {
    AsnSpec s;
    s.sensitivities = {1.0f, 2.0f};
    write_asn(dir / "sens.hdf5", s);
    expect_refused(dir / "sens.hdf5", "/header/sensitivities has 2 values per row");
  }
  {
    // A dataset wider than the channel limit (chunked and never written: the file stays small).
    write_asn(dir / "wide.hdf5", AsnSpec{});
    const hid_t f = H5Fopen((dir / "wide.hdf5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "/data", H5P_DEFAULT);
    const hsize_t dims[2] = {1, kVendorMaxChannels + 1}, chunk[2] = {1, 1024};
    const hid_t sp = H5Screate_simple(2, dims, nullptr);
    const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    H5Dclose(H5Dcreate2(f, "/data", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT));
    H5Pclose(dcpl);
    H5Sclose(sp);
    H5Fclose(f);
    expect_refused(dir / "wide.hdf5", "1000001 channels, more than the limit of 1000000");
  }
}

TEST(VendorHdf5, ProdmlSyntheticFile) {
  const TempDir dir;
  write_prodml(dir / "raw.h5", ProdmlSpec{});
  const auto r = VendorFile::open(dir / "raw.h5", "auto");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->info().fs_hz, 1000.0);
  EXPECT_EQ(r->info().start_ns, 1'600'000'000'000'000'000);
  EXPECT_EQ(r->info().coords, (ChannelCoords{7, 1, 0.5})); // Raw[0]@StartLocusIndex wins
  EXPECT_EQ(r->info().unit, "rad");
  std::vector<float> rows(2 * 3);
  ASSERT_TRUE(r->read_rows(8, 2, rows.data()).ok()); // int32 counts, read through double
  const std::vector<float> expected = {800, 801, 802, 900, 901, 902};
  EXPECT_EQ(rows, expected);

  // Without OutputDataRate the rate comes from RawDataTime.
  ProdmlSpec no_rate;
  no_rate.write_rate = false;
  write_prodml(dir / "norate.h5", no_rate);
  const auto r2 = VendorFile::open(dir / "norate.h5", "prodml");
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->info().fs_hz, 1000.0);
}

TEST(VendorHdf5, ProdmlErrorsSayWhatIsWrong) {
  const TempDir dir;
  {
    ProdmlSpec s; // a 5 ms gap after row 4
    for (std::size_t t = 0; t < s.n_t; ++t)
      s.times_us.push_back(1'000'000 * 100 + 1000 * static_cast<std::int64_t>(t) + (t >= 5 ? 5000 : 0));
    write_prodml(dir / "gap.h5", s);
    expect_refused(dir / "gap.h5", "gap in the file or wrong rate");
  }
  {
    ProdmlSpec s;
    s.rate_hz = -200;
    write_prodml(dir / "rate.h5", s);
    expect_refused(dir / "rate.h5", "sampling rate must be > 0");
  }
  {
    ProdmlSpec s;
    s.dims = {"locus", "time"};
    write_prodml(dir / "transposed.h5", s);
    expect_refused(dir / "transposed.h5", "distance-major data are not supported");
  }
  {
    ProdmlSpec s;
    s.times_us = {1, 2, 3};
    write_prodml(dir / "times.h5", s);
    expect_refused(dir / "times.h5", "expected 10 times");
  }
}

// Limits on what a file may ask of the replay source (issue 7): refused at open() with numbers,
// before a chunk buffer is allocated.
TEST(ReplayLimits, TooManyChannelsOrTooLargeAChunkIsAClearError) {
  const auto open_with = [](const std::string& yaml) {
    auto cfg = parse_replay_config(YAML::Load(yaml), "source");
    EXPECT_TRUE(cfg.ok()) << yaml;
    Hdf5ReplaySource src(*cfg);
    return src.open();
  };
  const std::string base = "{type: hdf5, path: " + optodas_path();
  ASSERT_TRUE(open_with(base + "}").ok());
  auto few = open_with(base + ", max_channels: 10}");
  ASSERT_FALSE(few.ok());
  EXPECT_NE(few.error().message.find("more than source.max_channels (10)"), std::string::npos) << few.error().message;
  auto big = open_with(base + ", chunk: 100000, max_chunk_bytes: 1048576}");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("more than source.max_chunk_bytes (1048576); lower source.chunk"),
            std::string::npos)
      << big.error().message;
  EXPECT_FALSE(parse_replay_config(YAML::Load(base + ", max_channels: 0}"), "source").ok());
}

} // namespace
} // namespace dasflow::io
