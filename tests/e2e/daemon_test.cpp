// dasflowd end to end, with the real binary: replay of a real recording equals the pipeline applied
// in process, the written files have the documented layout, SIGTERM drains cleanly, config errors
// exit 78 naming the key, and gaps follow on_gap.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>
#include <netcdf.h>
#include <nlohmann/json.hpp>

#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/vendor_hdf5.hpp"
#include "process.hpp"
#include "test_support.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kOptodas = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";

/// What the daemon should write for the OptoDAS file: `pipeline` applied in process to the whole
/// file at once, at the absolute index the replay source gives its first sample.
struct InProcess {
  std::size_t n_channels = 0, n_samples = 0; ///< of the file
  Recording out;
};
InProcess optodas_in_process(const std::string& pipeline) {
  InProcess r;
  io::Hdf5ReplaySource src(io::ReplayConfig{kOptodas, "auto", 1.0});
  auto stream = src.open();
  Chunk first;
  const std::atomic<bool> stop{false};
  auto file = io::VendorFile::open(kOptodas, "auto");
  if (!stream.ok() || !src.next(first, stop).ok() || !file.ok()) {
    ADD_FAILURE() << "cannot read " << kOptodas;
    return r;
  }
  r.n_channels = file->info().n_channels;
  r.n_samples = file->info().n_samples;
  std::vector<float> x(r.n_samples * r.n_channels);
  EXPECT_TRUE(file->read_rows(0, r.n_samples, x.data()).ok());
  if (auto p = test::pipeline(pipeline, *stream))
    run_chunks(*p, x, r.n_channels, first.first_index, 0, {r.n_samples}, r.out);
  return r;
}

/// A fresh directory per test.
class Daemon : public ::testing::Test {
protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("dasflow_e2e_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string write_config(const std::string& text) {
    const std::string path = (dir_ / "config.yaml").string();
    std::ofstream(path) << text;
    return path;
  }
  /// Runs dasflowd to completion (bounded) and returns its exit status.
  int run(const std::string& config, std::string* output = nullptr, std::chrono::milliseconds timeout = 120s) {
    Process p({DASFLOW_DASFLOWD, "--config", config}, (dir_ / "dasflowd.log").string());
    const auto status = p.wait(timeout);
    if (output) *output = p.output();
    EXPECT_TRUE(status.has_value()) << "dasflowd did not finish in time:\n" << p.output();
    return status.value_or(-1);
  }
  std::vector<fs::path> files(const std::string& sub, const std::string& ending) const {
    std::vector<fs::path> out;
    if (fs::exists(dir_ / sub))
      for (const auto& e : fs::directory_iterator(dir_ / sub)) {
        const std::string name = e.path().filename().string();
        if (name.size() >= ending.size() && name.compare(name.size() - ending.size(), ending.size(), ending) == 0)
          out.push_back(e.path());
      }
    std::sort(out.begin(), out.end());
    return out;
  }
  fs::path dir_;
};

TEST_F(Daemon, ReplayOfARealFileEqualsThePipelineAppliedInProcess) {
  const std::string pipeline = "[{atom: iirfilter, order: 4, cutoff: [2.0, 40.0], btype: bandpass},"
                               " {atom: decimate, factor: 4}]";
  // In process: the whole file in one call, at the absolute index the replay source assigns.
  const InProcess in_process = optodas_in_process(pipeline);
  const Recording& want = in_process.out;
  const auto& info = in_process;

  // Uncompressed (the default) and compressed files hold the same samples.
  for (const std::string compression : {"none", "lz4", "blosc-zstd"}) {
    SCOPED_TRACE("compression: " + compression);
    const std::string out = "out-" + compression;
    const std::string config = write_config("source: {type: hdf5, path: " + kOptodas +
                                            ", chunk: 0.37}\n"
                                            "pipeline: " +
                                            pipeline +
                                            "\n"
                                            "outputs:\n"
                                            "  - {type: hdf5, path: " +
                                            (dir_ / out).string() +
                                            ", prefix: optodas, file_duration: 3, compression: " + compression + "}\n");
    std::string log;
    ASSERT_EQ(run(config, &log), 0) << log;
    EXPECT_TRUE(files(out, ".part").empty());
    const auto written = files(out, ".h5");
    ASSERT_GE(written.size(), 4u) << log; // 10 s of data in 3-s files on the absolute time grid

    std::vector<float> got;
    for (const auto& path : written) {
      const XdasFile f = read_xdas(path);
      EXPECT_NE(f.conventions.find("CF"), std::string::npos) << path;
      EXPECT_EQ(f.n_distance, info.n_channels);
      got.insert(got.end(), f.values.begin(), f.values.end());
    }
    EXPECT_TRUE(bit_identical(got, want.samples, info.n_channels));
  }
}

TEST_F(Daemon, CompressionWithoutItsHdf5PluginIsAConfigErrorBeforeAnythingIsWritten) {
  // HDF5 finds its plugins through HDF5_PLUGIN_PATH when it is set: an empty directory has none.
  fs::create_directories(dir_ / "no-plugins");
  const std::string config =
      write_config("source: {type: hdf5, path: " + kOptodas +
                   "}\npipeline: [{atom: abs}]\noutputs:\n  - {type: hdf5, path: " + (dir_ / "out").string() +
                   ", compression: lz4}\n");
  for (const bool check_only : {true, false}) {
    SCOPED_TRACE(check_only ? "--check" : "run");
    std::vector<std::string> argv{"/usr/bin/env", "HDF5_PLUGIN_PATH=" + (dir_ / "no-plugins").string(),
                                  DASFLOW_DASFLOWD, "--config", config};
    if (check_only) argv.push_back("--check");
    Process p(argv, (dir_ / "noplugin.log").string());
    const auto status = p.wait(30s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 78) << p.output();
    EXPECT_NE(p.output().find("hdf5-filter-plugin"), std::string::npos) << p.output();
    EXPECT_FALSE(fs::exists(dir_ / "out")) << p.output();
  }
}

/// A dataset of a PRODML file as floats or int64s, with its dims (empty if absent).
template <typename T> std::vector<T> read_h5(hid_t file, const std::string& name, std::vector<hsize_t>& dims) {
  std::vector<T> out;
  dims.clear();
  const hid_t set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
  if (set < 0) return out;
  const hid_t space = H5Dget_space(set);
  dims.resize(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  std::size_t n = 1;
  for (hsize_t d : dims)
    n *= static_cast<std::size_t>(d);
  out.resize(n);
  H5Dread(set, std::is_same_v<T, float> ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT,
          out.data());
  H5Sclose(space);
  H5Dclose(set);
  return out;
}

template <typename T> T read_h5_attr(hid_t file, const std::string& object, const char* name) {
  T v{};
  const hid_t a = H5Aopen_by_name(file, object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return v;
  H5Aread(a, std::is_same_v<T, double> ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, &v);
  H5Aclose(a);
  return v;
}

TEST_F(Daemon, RealFileToFbeWritesPRODMLBandEnergies) {
  // The real-file run: OptoDAS recording → fbe → PRODML Processed/Fbe[0], as OptaSense's
  // FBE files (data/real/das/prodml_fbe_1.h5) lay it out, equal bit for bit to the atom in process.
  const std::string pipeline =
      "[{atom: fbe, window: 0.512, overlap: 0.5, bands: [[1.0, 10.0], [10.0, 50.0], [50.0, 250.0]]}]";
  const std::string config =
      write_config("source: {type: hdf5, path: " + kOptodas + ", chunk: 0.37}\npipeline: " + pipeline +
                   "\noutputs:\n  - {type: hdf5, path: " + (dir_ / "out").string() +
                   ", prefix: fbe, file_duration: 60, format: prodml}\n");
  std::string log;
  ASSERT_EQ(run(config, &log), 0) << log;
  const auto written = files("out", ".h5");
  ASSERT_EQ(written.size(), 1u) << log;

  const InProcess in_process = optodas_in_process(pipeline);
  const Recording& want = in_process.out;
  const auto& info = in_process;
  const std::size_t m = info.n_channels, rows = want.n_rows;
  ASSERT_GT(rows, 30u); // 10 s of 500 Hz in windows of 256 samples every 128

  const hid_t h5 = H5Fopen(written[0].c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(h5, 0);
  const std::string group = "/Acquisition/Processed/Fbe[0]";
  EXPECT_EQ(read_h5_attr<std::int64_t>(h5, group, "TransformSize"), 256);
  EXPECT_EQ(read_h5_attr<std::int64_t>(h5, group, "WindowSize"), 256);
  EXPECT_EQ(read_h5_attr<std::int64_t>(h5, group, "WindowOverlap"), 128);
  EXPECT_EQ(read_h5_attr<std::int64_t>(h5, group, "NumberOfLoci"), static_cast<std::int64_t>(m));
  EXPECT_DOUBLE_EQ(read_h5_attr<double>(h5, group, "OutputDataRate"), 500.0 / 128.0);
  std::vector<hsize_t> dims;
  const auto t_us = read_h5<std::int64_t>(h5, group + "/FbeDataTime", dims);
  ASSERT_EQ(t_us.size(), rows);
  for (std::size_t k = 1; k < rows; ++k)
    EXPECT_EQ(t_us[k] - t_us[k - 1], 256'000) << k; // hop 128 samples at 500 Hz
  const double bands[3][2] = {{1, 10}, {10, 50}, {50, 250}};
  std::vector<float> got(rows * 3 * m);
  for (std::size_t b = 0; b < 3; ++b) {
    const std::string name = group + "/FbeData[" + std::to_string(b) + "]";
    const auto band = read_h5<float>(h5, name, dims);
    ASSERT_EQ(dims.size(), 2u) << name;
    ASSERT_EQ(dims[0], rows);
    ASSERT_EQ(dims[1], m);
    EXPECT_DOUBLE_EQ(read_h5_attr<double>(h5, name, "StartFrequency"), bands[b][0]);
    EXPECT_DOUBLE_EQ(read_h5_attr<double>(h5, name, "EndFrequency"), bands[b][1]);
    for (std::size_t k = 0; k < rows; ++k)
      std::copy_n(band.data() + k * m, m, got.data() + (k * 3 + b) * m);
  }
  H5Fclose(h5);
  EXPECT_TRUE(bit_identical(got, want.samples, 3 * m));
  // Energies are physical: positive, and the band holding the recording's energy is not empty.
  EXPECT_GT(*std::max_element(got.begin(), got.end()), 0.0f);
  EXPECT_GE(*std::min_element(got.begin(), got.end()), 0.0f);
}

TEST_F(Daemon, SpectrogramGoesToXdasFilesWithAFrequencyAxisAndIsRefusedByPRODML) {
  std::string log;
  const std::string source = "source: {type: hdf5, path: " + kOptodas + "}\n";
  const std::string pipeline = "[{atom: spectrogram, nperseg: 128, noverlap: 64, window: hann}]";
  const std::string prodml =
      write_config(source + "pipeline: " + pipeline + "\noutputs:\n  - {type: hdf5, path: " + (dir_ / "p").string() +
                   ", prefix: s, format: prodml}\n");
  EXPECT_EQ(run(prodml, &log), 78) << log;
  EXPECT_NE(log.find("spectrogram"), std::string::npos) << log;
  EXPECT_TRUE(files("p", ".h5").empty());
  Process check({DASFLOW_DASFLOWD, "--check", "--config", prodml}, (dir_ / "check.log").string());
  const auto checked = check.wait(30s);
  ASSERT_TRUE(checked.has_value());
  EXPECT_EQ(*checked, 78) << check.output();
  EXPECT_NE(check.output().find("outputs[0]: hdf5 output"), std::string::npos) << check.output();

  const std::string xdas =
      write_config(source + "pipeline: " + pipeline + "\noutputs:\n  - {type: hdf5, path: " + (dir_ / "x").string() +
                   ", prefix: s, file_duration: 60}\n");
  ASSERT_EQ(run(xdas, &log), 0) << log;
  const auto written = files("x", ".h5");
  ASSERT_EQ(written.size(), 1u) << log;
  const XdasFile f = read_xdas(written[0]);
  auto file = io::VendorFile::open(kOptodas, "auto");
  ASSERT_TRUE(file.ok());
  const std::size_t m = file->info().n_channels;
  EXPECT_EQ(f.n_distance, m);
  ASSERT_EQ(f.n_frequency, 65u); // 128 / 2 + 1 bins
  EXPECT_DOUBLE_EQ(f.frequency[1], file->info().fs_hz / 128.0);
  // The same values as the atom in process, at the index the replay source gives.
  const Recording want = optodas_in_process(pipeline).out;
  EXPECT_EQ(f.n_time, want.n_rows);
  EXPECT_GT(want.n_rows, 70u); // 10 s at 500 Hz, a segment every 64 samples
  EXPECT_TRUE(bit_identical(f.values, want.samples, 65 * m));
}

TEST_F(Daemon, FftWisdomIsMeasuredOnceThenReusedAndGarbageIsRefused) {
  // fft.wisdom: the first start measures FFT plans and saves them; a second start reads them back
  // and writes the very same samples (as a resume must); a file that is not wisdom is a config error.
  const auto config = [&](const std::string& out, const std::string& wisdom) {
    return write_config("source: {type: hdf5, path: " + kOptodas +
                        "}\npipeline: [{atom: envelope, numtaps: 63},"
                        " {atom: fbe, window: 0.512, bands: [[1, 10], [10, 100]]}]\noutputs:\n  - {type: hdf5, path: " +
                        (dir_ / out).string() + ", prefix: w}\nfft: {wisdom: " + (dir_ / wisdom).string() + "}\n");
  };
  std::string log;
  ASSERT_EQ(run(config("a", "wisdom"), &log), 0) << log;
  ASSERT_TRUE(fs::exists(dir_ / "wisdom")) << log;
  std::ifstream w(dir_ / "wisdom");
  std::string head;
  std::getline(w, head);
  EXPECT_NE(head.find("fftwf_wisdom"), std::string::npos) << head;
  ASSERT_EQ(run(config("b", "wisdom"), &log), 0) << log;
  const auto a = files("a", ".h5"), b = files("b", ".h5");
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(bit_identical(read_xdas(b[0]).values, read_xdas(a[0]).values, 1));
  std::ofstream(dir_ / "garbage") << "not wisdom\n";
  EXPECT_EQ(run(config("c", "garbage"), &log), 78) << log;
  EXPECT_NE(log.find("fft.wisdom"), std::string::npos) << log;
}

TEST_F(Daemon, WrittenFilesHaveTheDocumentedLayout) {
  const std::string config = write_config("source: {type: synthetic, channels: 6, fs: 100, chunk: 0.25, duration: 3,"
                                          " realtime: false, dx: 2.5}\n"
                                          "pipeline: [{atom: scale, factor: 2}]\n"
                                          "outputs:\n  - {type: hdf5, path: " +
                                          (dir_ / "out").string() + ", prefix: lay, file_duration: 10}\n");
  std::string log;
  ASSERT_EQ(run(config, &log), 0) << log;
  const auto written = files("out", ".h5");
  ASSERT_FALSE(written.empty()) << log;
  int nc = -1;
  ASSERT_EQ(nc_open(written[0].c_str(), NC_NOWRITE, &nc), NC_NOERR);
  for (const char* name : {"__values__", "time_indices", "time_values", "distance_indices", "distance_values",
                           "time_interpolation", "distance_interpolation"}) {
    int v = -1;
    EXPECT_EQ(nc_inq_varid(nc, name, &v), NC_NOERR) << "missing variable " << name;
  }
  for (const char* dim : {"time", "distance", "time_points", "distance_points"}) {
    int d = -1;
    EXPECT_EQ(nc_inq_dimid(nc, dim, &d), NC_NOERR) << "missing dimension " << dim;
  }
  int values = -1;
  nc_inq_varid(nc, "__values__", &values);
  nc_type type = NC_NAT;
  nc_inq_vartype(nc, values, &type);
  EXPECT_EQ(type, NC_FLOAT);
  std::size_t len = 0;
  EXPECT_EQ(nc_inq_attlen(nc, values, "coordinate_interpolation", &len), NC_NOERR);
  EXPECT_EQ(nc_inq_attlen(nc, NC_GLOBAL, "dasflow_pipeline", &len), NC_NOERR);
  // Distances: channel numbers 0..5 at 2.5 m.
  int dv = -1;
  nc_inq_varid(nc, "distance_values", &dv);
  double d[2] = {0, 0};
  nc_get_var_double(nc, dv, d);
  EXPECT_DOUBLE_EQ(d[0], 0.0);
  EXPECT_DOUBLE_EQ(d[1], 12.5);
  nc_close(nc);
  const XdasFile f = read_xdas(written[0]);
  ASSERT_EQ(f.time_values.size(), 2u);
  EXPECT_EQ(f.time_values[1] - f.time_values[0], static_cast<long long>(f.n_time - 1) * 10'000'000); // 100 Hz
}

TEST_F(Daemon, SigtermDrainsAndLeavesOnlyCompleteFilesAndLines) {
  const std::string config =
      write_config("source: {type: synthetic, channels: 64, fs: 500, chunk: 0.2, realtime: true, event_interval: 1,"
                   " event_amplitude: 10, dx: 10}\n"
                   "pipeline:\n"
                   "  - {atom: iirfilter, order: 4, cutoff: [2, 40], btype: bandpass}\n"
                   "  - {atom: stalta, sta: 0.05, lta: 0.5}\n"
                   "  - {atom: trigger, on_threshold: 3, off_threshold: 1.5}\n"
                   "outputs:\n"
                   "  - {type: hdf5, path: " +
                   (dir_ / "out").string() +
                   ", prefix: live, file_duration: 1}\n"
                   "  - {type: events, path: " +
                   (dir_ / "out" / "events.jsonl").string() +
                   "}\n"
                   "logging: {stats_interval: 0.5}\n");
  Process p({DASFLOW_DASFLOWD, "--config", config}, (dir_ / "dasflowd.log").string());
  // Stop mid-run, once files have rotated and triggers have been written.
  const auto events_path = dir_ / "out" / "events.jsonl";
  ASSERT_TRUE(wait_for(
      [&] {
        std::error_code ec;
        return files("out", ".h5").size() >= 2 && fs::file_size(events_path, ec) > 0 && !ec;
      },
      30s))
      << p.output();
  p.signal(SIGTERM);
  const auto status = p.wait(20s);
  ASSERT_TRUE(status.has_value()) << p.output();
  EXPECT_EQ(*status, 0) << p.output();
  EXPECT_TRUE(files("out", ".part").empty()) << "a .part file survived the drain";
  for (const auto& f : files("out", ".h5"))
    EXPECT_GT(read_xdas(f).n_time, 0u) << f;
  std::ifstream events(dir_ / "out" / "events.jsonl");
  std::string text((std::istreambuf_iterator<char>(events)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty()) << "no trigger in several seconds of wavefronts:\n" << p.output();
  EXPECT_EQ(text.back(), '\n');
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "torn line: " << line;
    EXPECT_EQ(j["kind"], "trigger");
    EXPECT_TRUE(j.contains("on_time") && j.contains("off_time") && j.contains("distance_m"));
  }
  EXPECT_NE(p.output().find("SIGTERM: stopping"), std::string::npos) << p.output();
}

TEST_F(Daemon, LiveSourceDropsWholeChunksWhenTheProcessorFallsBehind) {
  // An 8001-tap direct-form FIR over 4000 channels on one thread costs several times real time per
  // 0.1-s chunk (32 G multiply-adds per second of data; method: direct, as auto would take the much
  // faster FFT path): the live reader must drop (never block), count, and the processor must see
  // the losses as gaps.
  const std::string config =
      write_config("source: {type: synthetic, channels: 4000, fs: 1000, chunk: 0.1, duration: 2, realtime: true}\n"
                   "pipeline: [{atom: firfilter, numtaps: 8001, cutoff: 10, method: direct}]\n"
                   "threads: 1\n"
                   "outputs: [{type: hdf5, path: " +
                   (dir_ / "out").string() +
                   ", prefix: slow, file_duration: 60}]\n"
                   "queue_depth: 1\n");
  std::string log;
  ASSERT_EQ(run(config, &log), 0) << log;
  EXPECT_NE(log.find("processor behind: dropped chunk"), std::string::npos) << log;
  EXPECT_NE(log.find("gap of"), std::string::npos) << log;
  EXPECT_TRUE(files("out", ".part").empty());
}

struct BrokenConfig {
  std::string name, yaml, want;
};
void PrintTo(const BrokenConfig& c, std::ostream* os) { *os << c.name; }

class DaemonConfigError : public Daemon, public ::testing::WithParamInterface<BrokenConfig> {};

TEST_P(DaemonConfigError, Exits78NamingTheKey) {
  const std::string config = write_config(GetParam().yaml);
  std::string log;
  EXPECT_EQ(run(config, &log, 30s), 78) << log;
  EXPECT_NE(log.find(GetParam().want), std::string::npos) << log;
}

const std::string kSynthetic = "source: {type: synthetic, channels: 4, fs: 100, duration: 1, realtime: false}\n";
INSTANTIATE_TEST_SUITE_P(
    Table, DaemonConfigError,
    ::testing::Values(
        BrokenConfig{"unknown_top_key", kSynthetic + "pipeline: [{atom: abs}]\nsauce: 1\n",
                     "config.yaml: sauce: unknown key"},
        BrokenConfig{"no_source", "pipeline: [{atom: abs}]\n", "source: is required"},
        BrokenConfig{"bad_source_type", "source: {type: tape}\npipeline: [{atom: abs}]\n",
                     "source.type: must be one of synthetic, hdf5, asn, dasflow, got 'tape'"},
        BrokenConfig{"replay_without_path", "source: {type: hdf5}\npipeline: [{atom: abs}]\n",
                     "source.path: is required"},
        BrokenConfig{"cutoff_above_nyquist",
                     kSynthetic + "pipeline:\n  - {atom: iirfilter, cutoff: 80, btype: lowpass}\n",
                     "pipeline[0].cutoff: must be below the Nyquist frequency of the input (50 Hz at fs = 100 Hz), got "
                     "80 (line 3)"},
        BrokenConfig{"output_without_path", kSynthetic + "pipeline: [{atom: abs}]\noutputs: [{type: hdf5}]\n",
                     "outputs[0].path: is required"},
        BrokenConfig{"bad_output_format",
                     kSynthetic + "pipeline: [{atom: abs}]\noutputs: [{type: hdf5, path: x, format: tdms}]\n",
                     "outputs[0].format: must be one of xdas, prodml, got 'tdms'"},
        BrokenConfig{"bad_on_gap", kSynthetic + "pipeline: [{atom: abs}]\non_gap: ignore\n",
                     "on_gap: must be one of continue, reset, fail, got 'ignore'"},
        BrokenConfig{"checkpoint_without_path", kSynthetic + "pipeline: [{atom: abs}]\ncheckpoint: {interval: 5}\n",
                     "checkpoint.path: is required"},
        BrokenConfig{"negative_checkpoint_interval",
                     kSynthetic + "pipeline: [{atom: abs}]\ncheckpoint: {path: ck, interval: -1}\n",
                     "checkpoint.interval: must be in [0, 1e6) s"},
        BrokenConfig{"keep_one_checkpoint", kSynthetic + "pipeline: [{atom: abs}]\ncheckpoint: {path: ck, keep: 1}\n",
                     "checkpoint.keep"},
        BrokenConfig{"control_host_name",
                     kSynthetic + "pipeline: [{atom: abs}]\ncontrol: {listen: \"localhost:9108\"}\n",
                     "control.listen:"},
        BrokenConfig{"control_unknown_key", kSynthetic + "pipeline: [{atom: abs}]\ncontrol: {port: 9108}\n",
                     "control.port: unknown key"},
        BrokenConfig{"yaml_syntax", "source: {type: synthetic\npipeline: [\n", "YAML syntax error"}),
    [](const ::testing::TestParamInfo<BrokenConfig>& p) { return p.param.name; });

TEST_F(Daemon, CheckValidatesWithoutRunning) {
  Process p({DASFLOW_DASFLOWD, "--check", "--config",
             write_config("source: {type: hdf5, path: " + kOptodas + "}\npipeline: [{atom: decimate, factor: 5}]\n")},
            (dir_ / "check.log").string());
  const auto status = p.wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << p.output();
  EXPECT_NE(p.output().find("500 Hz x 51 channels -> 100 Hz x 51 channels"), std::string::npos) << p.output();
}

/// A synthetic stream losing 0.5 s after 1 s, under each on_gap policy.
class DaemonGap : public Daemon {
protected:
  std::string config(const std::string& policy) {
    return write_config("source: {type: synthetic, channels: 3, fs: 200, chunk: 0.1, duration: 3, realtime: false,"
                        " gaps: [[1.0, 0.5]]}\n"
                        "pipeline: [{atom: lfilter, b: [0.5, 0.5]}]\n"
                        "outputs: [{type: hdf5, path: " +
                        (dir_ / "out").string() +
                        ", prefix: gap, file_duration: 3600}]\n"
                        "on_gap: " +
                        policy + "\n");
  }
};

TEST_F(DaemonGap, ContinueRecordsTheGapInTheFileTimes) {
  std::string log;
  ASSERT_EQ(run(config("continue"), &log), 0) << log;
  EXPECT_NE(log.find("gap of 100 samples (0.500 s)"), std::string::npos) << log;
  EXPECT_NE(log.find("continuing with the state kept"), std::string::npos) << log;
  std::size_t rows = 0, tie_points = 0;
  for (const auto& f : files("out", ".h5")) {
    const XdasFile x = read_xdas(f);
    rows += x.n_time;
    tie_points += x.time_indices.size();
    // Every tie-point pair spans contiguous samples at exactly 5 ms.
    for (std::size_t k = 0; k + 1 < x.time_indices.size(); k += 2)
      EXPECT_EQ(x.time_values[k + 1] - x.time_values[k], (x.time_indices[k + 1] - x.time_indices[k]) * 5'000'000LL);
  }
  EXPECT_EQ(rows, 500u); // 3 s at 200 Hz minus the 100 lost samples
  EXPECT_GE(tie_points, 4u) << "the gap must add a tie-point pair";
}

TEST_F(DaemonGap, ResetRestartsTheState) {
  std::string log;
  ASSERT_EQ(run(config("reset"), &log), 0) << log;
  EXPECT_NE(log.find("resetting the pipeline state"), std::string::npos) << log;
}

TEST_F(DaemonGap, FailStopsWithAnError) {
  std::string log;
  EXPECT_EQ(run(config("fail"), &log), 1) << log;
  EXPECT_NE(log.find("stream gap with on_gap: fail"), std::string::npos) << log;
  EXPECT_TRUE(files("out", ".part").empty()) << "even a failed run closes its files";
}

} // namespace
} // namespace dasflow::test
