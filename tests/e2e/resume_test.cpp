// The exactness proof of checkpoints (DESIGN.md §5, issue 5), with the real dasflowd binary: a run
// killed again and again — with SIGKILL at arbitrary chunks, in the middle of a checkpoint save,
// between closing and renaming a file, during the rebuild of a file at restart — and restarted
// each time until its stream ends, leaves the same HDF5 files (bit for bit, tie points included)
// and the same event file as one uninterrupted run. The same with SIGTERM stops, and with a
// damaged newest checkpoint. Kill points are placed with DASFLOW_FAILPOINT (io/failpoint.hpp).

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <hdf5.h>

#include "detection_chain.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;

const std::string kOptodas = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";

/// 30 s of deterministic synthetic data (fixed start, not real time) through the detection chain,
/// into 4-s files (8 of them, the first partial) and an event file. Triggers and coincidences
/// happen every 3 s, so event lines are written all along.
std::string synthetic_config(const std::string& out, const std::string& ck, double interval) {
  std::ostringstream c;
  c << "name: resume\n"
       "source: {type: synthetic, channels: 48, fs: 500, chunk: 0.2, duration: 30, realtime: false,\n"
       "         start: 1700000000.3, dx: 10, event_interval: 3, event_amplitude: 12, event_frequency: 8,\n"
       "         event_velocity: 3000}\n"
    << kDetectionChainYaml
    << "outputs:\n"
       "  - {type: hdf5, path: "
    << out << ", prefix: r, file_duration: 4}\n"
    << "  - {type: events, path: " << out << "/events.jsonl}\n"
    << "checkpoint: {path: " << ck << ", interval: " << interval << "}\n";
  return c.str();
}

/// A PRODML file's samples and times as raw bytes: /Acquisition/Raw[0]/RawData and RawDataTime, or
/// for band energies every /Acquisition/Processed/Fbe[0]/FbeData[b] (concatenated) and FbeDataTime.
std::pair<std::string, std::string> read_prodml(const fs::path& path) {
  std::pair<std::string, std::string> out;
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    ADD_FAILURE() << "cannot open " << path;
    return out;
  }
  std::vector<std::tuple<std::string, hid_t, std::string*>> sets;
  if (H5Lexists(f, "/Acquisition/Raw[0]/RawData", H5P_DEFAULT) > 0) {
    sets = {{"/Acquisition/Raw[0]/RawData", H5T_NATIVE_FLOAT, &out.first},
            {"/Acquisition/Raw[0]/RawDataTime", H5T_NATIVE_INT64, &out.second}};
  } else {
    const std::string fbe = "/Acquisition/Processed/Fbe[0]/";
    for (int b = 0; H5Lexists(f, (fbe + "FbeData[" + std::to_string(b) + "]").c_str(), H5P_DEFAULT) > 0; ++b)
      sets.emplace_back(fbe + "FbeData[" + std::to_string(b) + "]", H5T_NATIVE_FLOAT, nullptr);
    EXPECT_FALSE(sets.empty()) << path << " holds neither Raw[0]/RawData nor Fbe[0]/FbeData[0]";
    sets.emplace_back(fbe + "FbeDataTime", H5T_NATIVE_INT64, &out.second);
  }
  for (auto [name_s, type, dst_or_null] : sets) {
    std::string band;
    std::string* dst = dst_or_null != nullptr ? dst_or_null : &band;
    const char* name = name_s.c_str();
    const hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    const hid_t sp = H5Dget_space(d);
    const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(sp));
    dst->resize(n * H5Tget_size(type));
    if (n > 0) {
      constexpr hid_t kAll = 0; // H5S_ALL, without its C cast
      EXPECT_GE(H5Dread(d, type, kAll, kAll, H5P_DEFAULT, dst->data()), 0) << path << name;
    }
    H5Sclose(sp);
    H5Dclose(d);
    if (dst_or_null == nullptr) out.first += band;
  }
  H5Fclose(f);
  return out;
}

class Resume : public ::testing::Test {
protected:
  TempDir dir_{"resume"};

  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  /// Runs dasflowd to its end (bounded); `failpoint` arms DASFLOW_FAILPOINT for this run only.
  int run(const std::string& config, const std::string& failpoint = "", std::string* log = nullptr,
          const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv{DASFLOW_DASFLOWD, "--config", config};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (!failpoint.empty()) ::setenv("DASFLOW_FAILPOINT", failpoint.c_str(), 1);
    Process p(argv, dir_ / ("run" + std::to_string(++runs_) + ".log"));
    ::unsetenv("DASFLOW_FAILPOINT");
    const auto status = p.wait(120s);
    if (log) *log = p.output();
    EXPECT_TRUE(status.has_value()) << "dasflowd did not finish:\n" << p.output();
    return status.value_or(-1);
  }

  /// Runs once with each failpoint in turn (each a restart from the previous run's checkpoint),
  /// then without until the stream ends. A failpoint must really stop the run it is armed in.
  void run_interrupted(const std::string& config, const std::vector<std::string>& failpoints, int expected_status) {
    for (const std::string& fp : failpoints) {
      std::string log;
      const int status = run(config, fp, &log);
      ASSERT_EQ(status, expected_status) << "failpoint " << fp << " did not stop the run:\n" << log;
    }
    std::string log;
    ASSERT_EQ(run(config, "", &log), 0) << log;
    EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  }

  static std::vector<fs::path> listing(const fs::path& d) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(d))
      out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  static std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  /// Same file names; every HDF5 file's samples and time tie points bit-identical; same event bytes.
  void expect_identical(const fs::path& want, const fs::path& got) {
    const auto names = listing(want);
    ASSERT_EQ(names, listing(got)) << "the interrupted run left other files";
    std::size_t n_h5 = 0;
    for (const fs::path& name : names) {
      const std::string n = name.string();
      if (n.size() > 3 && n.compare(n.size() - 3, 3, ".h5") == 0 && n.find("prodml") != std::string::npos) {
        ++n_h5;
        EXPECT_EQ(read_prodml(want / name), read_prodml(got / name)) << n;
      } else if (n.size() > 3 && n.compare(n.size() - 3, 3, ".h5") == 0) {
        ++n_h5;
        const XdasFile a = read_xdas(want / name), b = read_xdas(got / name);
        EXPECT_EQ(a.n_time, b.n_time) << n;
        EXPECT_EQ(a.n_distance, b.n_distance) << n;
        ASSERT_EQ(a.values.size(), b.values.size()) << n;
        EXPECT_EQ(std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)), 0) << n;
        EXPECT_EQ(a.time_indices, b.time_indices) << n;
        EXPECT_EQ(a.time_values, b.time_values) << n;
      } else {
        EXPECT_EQ(slurp(want / name), slurp(got / name)) << n;
      }
    }
    EXPECT_GT(n_h5, 2u);
  }

  int runs_ = 0;
};

TEST_F(Resume, SigkillAtManyPointsEndsIdenticalToOneRun) {
  // A checkpoint after every chunk makes each kill point land at a known place: the first kill
  // comes right after the chunk that crosses the first file boundary (file A finished and
  // renamed, B started after the last checkpoint); then the middle of checkpoint saves (before
  // and after the rename) and of file rotations (closed but not renamed; renamed but the next
  // file not yet opened).
  ASSERT_EQ(run(write("ref.yaml", synthetic_config(dir_ / "ref", dir_ / "ref_ck", 0))), 0);
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0));
  run_interrupted(config,
                  {"writer.chunk:19", "checkpoint.written:3", "writer.chunk:9", "hdf5.closed:1", "checkpoint.renamed:4",
                   "hdf5.renamed:1", "writer.chunk:1", "writer.checkpoint:2"},
                  128 + SIGKILL);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, SigkillAtRandomChunksWithSparseCheckpoints) {
  // Checkpoints every 20 ms of wall clock: kills fall several chunks after the last one, so the
  // restart trims rows and event lines written after it.
  ASSERT_EQ(run(write("ref.yaml", synthetic_config(dir_ / "ref", dir_ / "ref_ck", 0.02))), 0);
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0.02));
  std::mt19937 rng(815);
  std::vector<std::string> kills;
  for (int k = 0; k < 5; ++k)
    kills.push_back("writer.chunk:" + std::to_string(std::uniform_int_distribution<int>(1, 25)(rng)));
  run_interrupted(config, kills, 128 + SIGKILL);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, ProdmlOutputResumesExactly) {
  const auto prodml = [&](const std::string& out, const std::string& ck) {
    std::string text = synthetic_config(dir_ / out, dir_ / ck, 0);
    const std::string xdas = "prefix: r, file_duration: 4}";
    text.replace(text.find(xdas), xdas.size(), "prefix: prodml, file_duration: 4, format: prodml}");
    return text;
  };
  ASSERT_EQ(run(write("ref.yaml", prodml("ref", "ref_ck"))), 0);
  run_interrupted(write("run.yaml", prodml("out", "ck")),
                  {"writer.chunk:13", "hdf5.rebuild:1", "hdf5.closed:1", "writer.chunk:27", "writer.chunk:5"},
                  128 + SIGKILL);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, SpectralProductsResumeExactly) {
  // Band energies in PRODML (Fbe[0]/FbeData[b]) and a spectrogram in the xdas layout (a 3-D
  // __values__): trimming, rebuilding and resuming them read rows back from every dataset.
  const auto spectral = [&](const std::string& out, const std::string& ck, const std::string& atom,
                            const std::string& format) {
    std::string text = synthetic_config(dir_ / out, dir_ / ck, 0);
    const std::size_t p0 = text.find("pipeline:"), p1 = text.find("outputs:");
    text.replace(p0, p1 - p0, "pipeline: [{atom: iirfilter, order: 2, cutoff: 5, btype: highpass}, " + atom + "]\n");
    const std::string xdas = "prefix: r, file_duration: 4}";
    text.replace(text.find(xdas), xdas.size(), "prefix: " + format + ", file_duration: 4, format: " + format + "}");
    return text;
  };
  for (const auto& [atom, format] : {std::pair<std::string, std::string>{
                                         "{atom: fbe, window: 0.5, bands: [[1, 10], [10, 50], [50, 250]]}", "prodml"},
                                     {"{atom: spectrogram, nperseg: 64, noverlap: 16}", "xdas"}}) {
    SCOPED_TRACE(atom);
    fs::remove_all(dir_ / "ref");
    fs::remove_all(dir_ / "ref_ck");
    fs::remove_all(dir_ / "out");
    fs::remove_all(dir_ / "ck");
    std::string log;
    ASSERT_EQ(run(write("ref.yaml", spectral("ref", "ref_ck", atom, format)), "", &log), 0) << log;
    run_interrupted(write("run.yaml", spectral("out", "ck", atom, format)),
                    {"writer.chunk:13", "hdf5.rebuild:1", "hdf5.closed:1", "writer.chunk:27", "writer.chunk:5"},
                    128 + SIGKILL);
    expect_identical(dir_ / "ref", dir_ / "out");
  }
}

TEST_F(Resume, SigtermStopsAndTheNextRunContinues) {
  ASSERT_EQ(run(write("ref.yaml", synthetic_config(dir_ / "ref", dir_ / "ref_ck", 1000))), 0);
  // A long interval: only the checkpoints a stop takes (and the first) exist.
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 1000));
  run_interrupted(config, {"writer.chunk:11:term", "writer.chunk:30:term", "writer.chunk:2:term"}, 0);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, InterruptedRebuildOfTheOpenFileIsRedone) {
  ASSERT_EQ(run(write("ref.yaml", synthetic_config(dir_ / "ref", dir_ / "ref_ck", 0))), 0);
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0));
  // Killed mid-file; the restart is killed while it copies that file's rows into a new one.
  run_interrupted(config, {"writer.chunk:14", "hdf5.rebuild:1"}, 128 + SIGKILL);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, DamagedNewestCheckpointFallsBackToThePreviousOne) {
  ASSERT_EQ(run(write("ref.yaml", synthetic_config(dir_ / "ref", dir_ / "ref_ck", 0))), 0);
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0));
  ASSERT_EQ(run(config, "writer.chunk:23"), 128 + SIGKILL);
  std::vector<fs::path> ck;
  for (const auto& e : fs::directory_iterator(dir_ / "ck"))
    if (e.path().extension() == ".h5") ck.push_back(e.path());
  std::sort(ck.begin(), ck.end());
  ASSERT_EQ(ck.size(), 2u);
  fs::resize_file(ck.back(), fs::file_size(ck.back()) / 2); // torn
  std::string log;
  ASSERT_EQ(run(config, "writer.chunk:9", &log), 128 + SIGKILL);
  EXPECT_NE(log.find("checkpoint skipped"), std::string::npos) << log;
  EXPECT_NE(log.find("falling back to the previous checkpoint " + ck.front().string()), std::string::npos) << log;
  // And a corrupted byte in the middle of the newest one (caught by the checksum).
  ck.clear();
  for (const auto& e : fs::directory_iterator(dir_ / "ck"))
    if (e.path().extension() == ".h5") ck.push_back(e.path());
  std::sort(ck.begin(), ck.end());
  {
    std::fstream f(ck.back(), std::ios::in | std::ios::out | std::ios::binary);
    const auto at = static_cast<std::streamoff>(fs::file_size(ck.back()) * 3 / 4);
    f.seekg(at);
    char c = 0;
    f.get(c);
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x10));
  }
  ASSERT_EQ(run(config, "", &log), 0) << log;
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, AnotherPipelineIsRefusedUnlessFresh) {
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0));
  ASSERT_EQ(run(config, "writer.chunk:10"), 128 + SIGKILL);
  std::string text = synthetic_config(dir_ / "out", dir_ / "ck", 0);
  text.replace(text.find("sta: 0.2"), 8, "sta: 0.3");
  const std::string changed = write("changed.yaml", text);
  std::string log;
  EXPECT_EQ(run(changed, "", &log), 78) << log;
  EXPECT_NE(log.find("written for another pipeline"), std::string::npos) << log;
  EXPECT_NE(log.find("sta: 0.2"), std::string::npos) << log; // shows what the checkpoint was for
  EXPECT_NE(log.find("--fresh"), std::string::npos) << log;
  EXPECT_EQ(run(changed, "", &log, {"--fresh"}), 0) << log;
  EXPECT_NE(log.find("--fresh: starting a new record"), std::string::npos) << log;
}

TEST_F(Resume, ReplayOfARealFileKilledRepeatedlyEndsIdentical) {
  const auto config = [&](const std::string& out, const std::string& ck) {
    return "source: {type: hdf5, path: " + kOptodas +
           ", chunk: 0.15}\n"
           "pipeline:\n"
           "  - {atom: iirfilter, order: 4, cutoff: [2.0, 40.0], btype: bandpass}\n"
           "  - {atom: decimate, factor: 2}\n"
           "  - {atom: stalta, method: recursive, sta: 0.1, lta: 1.0}\n"
           "  - {atom: trigger, on_threshold: 2.5, off_threshold: 1.2}\n"
           "outputs:\n"
           "  - {type: hdf5, path: " +
           (dir_ / out) + ", prefix: optodas, file_duration: 2}\n  - {type: events, path: " + (dir_ / out) +
           "/events.jsonl}\ncheckpoint: {path: " + (dir_ / ck) + ", interval: 0}\n";
  };
  ASSERT_EQ(run(write("ref.yaml", config("ref", "ref_ck"))), 0);
  run_interrupted(write("run.yaml", config("out", "ck")),
                  {"writer.chunk:5", "hdf5.closed:1", "checkpoint.written:7", "writer.chunk:12", "hdf5.renamed:1"},
                  128 + SIGKILL);
  expect_identical(dir_ / "ref", dir_ / "out");
}

TEST_F(Resume, CheckpointShowPrintsWhereARunStands) {
  const std::string config = write("run.yaml", synthetic_config(dir_ / "out", dir_ / "ck", 0));
  ASSERT_EQ(run(config, "writer.chunk:10"), 128 + SIGKILL);
  Process show({DASFLOW_TOOL, "checkpoint", "show", dir_ / "ck"}, dir_ / "show.log");
  ASSERT_EQ(show.wait(60s), 0) << show.output();
  const std::string text = show.output();
  for (const char* expected :
       {"checksum ok", "resumes at:   input index", "48 channels at 500 Hz in, 125 Hz out", "stalta (v", "iirfilter (v",
        "hdf5-output (v", "events-output (v", "file_open: 1", "[float64 x "})
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  // A damaged file is refused with the reason.
  std::vector<fs::path> ck;
  for (const auto& e : fs::directory_iterator(dir_ / "ck"))
    ck.push_back(e.path());
  std::sort(ck.begin(), ck.end());
  fs::resize_file(ck.back(), 100);
  Process bad({DASFLOW_TOOL, "checkpoint", "show", ck.back()}, dir_ / "bad.log");
  EXPECT_EQ(bad.wait(60s), 1);
  EXPECT_NE(bad.output().find(ck.back().string()), std::string::npos) << bad.output();
}

TEST_F(Resume, LiveSourceResumesWithTheMissedTimeAsAGap) {
  const std::string config = write("live.yaml", "source: {type: synthetic, channels: 32, fs: 200, chunk: 0.1}\n"
                                                "pipeline: [{atom: iirfilter, order: 2, cutoff: 5.0, btype: lowpass}]\n"
                                                "outputs: [{type: hdf5, path: " +
                                                    (dir_ / "out") +
                                                    ", prefix: live, file_duration: 60}]\n"
                                                    "checkpoint: {path: " +
                                                    (dir_ / "ck") + ", interval: 0}\n");
  ASSERT_EQ(run(config, "writer.chunk:4"), 128 + SIGKILL);
  std::this_thread::sleep_for(300ms); // the interrogator keeps going meanwhile
  std::string log;
  ASSERT_EQ(run(config, "writer.chunk:3:term", &log), 0) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  EXPECT_NE(log.find("gap of"), std::string::npos) << log;
}

} // namespace
} // namespace dasflow::test
