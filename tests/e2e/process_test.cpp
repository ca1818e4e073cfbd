// `dasflow process` end to end (DESIGN.md §5: "the same engine run in the foreground on files"),
// with the real binaries on a real recording (decimated_optodas.hdf5):
// - `process --config` writes the same files and events, bit for bit, as dasflowd on that config,
//   and ends with a summary line counting every input channel-sample;
// - `process --pipeline --input --output` equals the pipeline applied in process to the whole file;
// - a live source (asn, or synthetic without a duration) is refused with exit 78, as are a broken
//   pipeline file (named, with its line) and missing arguments (exit 2);
// - without a terminal, progress comes as plain lines; SIGINT drains and exits 130.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dasflow/io/hdf5_replay_source.hpp"
#include "dasflow/io/vendor_hdf5.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;

const std::string kOptodas = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";
const std::string kChain = "  - {atom: iirfilter, order: 4, cutoff: [2.0, 40.0], btype: bandpass}\n"
                           "  - {atom: decimate, factor: 4, numtaps: 32}\n"
                           "  - {atom: stalta, method: recursive, sta: 0.1, lta: 1.0}\n"
                           "  - {atom: trigger, on_threshold: 2.0, off_threshold: 1.2}\n";

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_ending(const fs::path& dir, const std::string& ending) {
  std::vector<fs::path> out;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.size() >= ending.size() && name.compare(name.size() - ending.size(), ending.size(), ending) == 0)
        out.push_back(e.path());
    }
  std::sort(out.begin(), out.end());
  return out;
}

class ProcessTool : public ::testing::Test {
protected:
  /// A config running the chain on the OptoDAS file into `out` (3-s files and an events file).
  std::string write_config(const std::string& name, const fs::path& out) {
    const std::string path = dir_ / (name + ".yaml");
    std::ofstream(path) << "name: optodas\n"
                           "source: {type: hdf5, path: "
                        << kOptodas << ", chunk: 0.37}\npipeline:\n"
                        << kChain << "outputs:\n  - {type: hdf5, path: " << out.string()
                        << ", prefix: optodas, file_duration: 3}\n  - {type: events, path: "
                        << (out / "events.jsonl").string() << "}\ncheckpoint: {path: " << (out / "ck").string()
                        << ", interval: 0}\n";
    return path;
  }
  /// Runs a binary to completion (bounded); its exit status, and its output in `log`.
  int run(const std::vector<std::string>& argv, const std::string& name, std::string& log) {
    Process p(argv, dir_ / (name + ".log"));
    const auto status = p.wait(120s);
    log = p.output();
    EXPECT_TRUE(status.has_value()) << argv[0] << " did not finish in time:\n" << log;
    return status.value_or(-1);
  }

  TempDir dir_{"process"};
};

TEST_F(ProcessTool, ConfigRunWritesWhatDasflowdWrites) {
  const fs::path by_daemon = dir_.path() / "daemon", by_tool = dir_.path() / "tool";
  std::string daemon_log, tool_log;
  ASSERT_EQ(run({DASFLOW_DASFLOWD, "--config", write_config("daemon", by_daemon)}, "dasflowd", daemon_log), 0)
      << daemon_log;
  ASSERT_EQ(run({DASFLOW_TOOL, "process", "--config", write_config("tool", by_tool), "--progress-interval", "0.01"},
                "process", tool_log),
            0)
      << tool_log;

  const auto want = files_ending(by_daemon, ".h5"), got = files_ending(by_tool, ".h5");
  ASSERT_GE(want.size(), 4u) << daemon_log; // 10 s of data in 3-s files on the absolute time grid
  ASSERT_EQ(got.size(), want.size()) << tool_log;
  EXPECT_TRUE(files_ending(by_tool, ".part").empty());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].filename(), want[i].filename());
    const XdasFile a = read_xdas(want[i]), b = read_xdas(got[i]);
    EXPECT_EQ(b.n_distance, a.n_distance);
    EXPECT_TRUE(bit_identical(b.values, a.values, a.n_distance)) << got[i];
    EXPECT_EQ(b.time_indices, a.time_indices) << got[i];
    EXPECT_EQ(b.time_values, a.time_values) << got[i];
  }
  const std::string events = read_text(by_daemon / "events.jsonl");
  EXPECT_FALSE(events.empty()) << "no trigger on the real file: the comparison of events proves nothing";
  EXPECT_EQ(read_text(by_tool / "events.jsonl"), events);
  // A checkpoint as dasflowd's: the final one says where a rerun would resume (at the end).
  EXPECT_FALSE(files_ending(by_tool / "ck", ".h5").empty());

  // The summary: every input channel-sample, and a rate. Not a terminal: plain progress lines.
  auto file = io::VendorFile::open(kOptodas, "auto");
  ASSERT_TRUE(file.ok());
  const std::size_t n = file->info().n_samples * file->info().n_channels;
  EXPECT_NE(tool_log.find("dasflow process: " + std::to_string(n) + " input channel-samples"), std::string::npos)
      << tool_log;
  EXPECT_NE(tool_log.find("M channel-samples/s"), std::string::npos) << tool_log;
  EXPECT_EQ(tool_log.find("\033["), std::string::npos) << "terminal escapes in a log file:\n" << tool_log;
  // The daemon's info lines stay quiet in the foreground (the log is at warn).
  EXPECT_EQ(tool_log.find("writer done"), std::string::npos) << tool_log;

  // Run again: the checkpoint says the record is complete; nothing is added or changed.
  std::string again;
  ASSERT_EQ(run({DASFLOW_TOOL, "process", "--config", dir_ / "tool.yaml"}, "again", again), 0) << again;
  EXPECT_EQ(read_text(by_tool / "events.jsonl"), events);
  EXPECT_EQ(files_ending(by_tool, ".h5").size(), want.size());
}

TEST_F(ProcessTool, PipelineFormEqualsThePipelineInProcess) {
  const std::string pipeline = dir_ / "chain.yaml";
  std::ofstream(pipeline) << "# the chain, as a config's pipeline: key holds it\n" << kChain;
  std::string log;
  ASSERT_EQ(run({DASFLOW_TOOL, "process", "--pipeline", pipeline, "--input", kOptodas, "--output", dir_ / "out",
                 "--prefix", "x", "--file-duration", "3600", "--events", dir_ / "out/events.jsonl", "--threads", "2"},
                "process", log),
            0)
      << log;
  const auto written = files_ending(dir_.path() / "out", ".h5");
  ASSERT_EQ(written.size(), 1u) << log;
  EXPECT_EQ(written[0].filename().string().rfind("x_", 0), 0u) << written[0];
  const XdasFile got = read_xdas(written[0]);

  // In process: the whole file in one call, at the absolute index the replay source gives it.
  io::Hdf5ReplaySource src(io::ReplayConfig{kOptodas, "auto", 1.0});
  auto stream = src.open();
  ASSERT_TRUE(stream.ok());
  Chunk first;
  const std::atomic<bool> stop{false};
  ASSERT_TRUE(src.next(first, stop).ok());
  auto file = io::VendorFile::open(kOptodas, "auto");
  ASSERT_TRUE(file.ok());
  const std::size_t rows = file->info().n_samples, channels = file->info().n_channels;
  std::vector<float> x(rows * channels);
  ASSERT_TRUE(file->read_rows(0, rows, x.data()).ok());
  auto p = test::pipeline(kChain, *stream);
  ASSERT_TRUE(p);
  Recording want;
  run_chunks(*p, x, channels, first.first_index, 0, {rows}, want);
  EXPECT_EQ(got.n_distance, channels);
  EXPECT_TRUE(bit_identical(got.values, want.samples, channels));
  std::size_t lines = 0;
  for (char c : read_text(dir_ / "out/events.jsonl"))
    lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, want.events.size());
}

TEST_F(ProcessTool, LiveAndEndlessSourcesAreRefusedWith78) {
  const std::string live = dir_ / "live.yaml";
  std::ofstream(live) << "source: {type: asn, address: \"tcp://127.0.0.1:9\"}\npipeline: [{atom: abs}]\n";
  std::string log;
  EXPECT_EQ(run({DASFLOW_TOOL, "process", "--config", live}, "live", log), 78) << log;
  EXPECT_NE(log.find("live feed"), std::string::npos) << log;
  EXPECT_NE(log.find("dasflowd"), std::string::npos) << log;

  const std::string endless = dir_ / "endless.yaml";
  std::ofstream(endless) << "source: {type: synthetic, channels: 4, fs: 100}\npipeline: [{atom: abs}]\n";
  EXPECT_EQ(run({DASFLOW_TOOL, "process", "--config", endless}, "endless", log), 78) << log;
  EXPECT_NE(log.find("source.duration"), std::string::npos) << log;
}

TEST_F(ProcessTool, SyntheticWithADurationRunsAsFastAsItCan) {
  // realtime: true would take 20 s; process runs the same stream at full speed.
  const std::string config = dir_ / "synthetic.yaml";
  std::ofstream(config)
      << "source: {type: synthetic, channels: 8, fs: 100, duration: 20, realtime: true, start: 1.7e9}\n"
         "pipeline: [{atom: decimate, factor: 2}]\noutputs: [{type: hdf5, path: "
      << (dir_ / "out") << ", prefix: s}]\n";
  std::string log;
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run({DASFLOW_TOOL, "process", "--config", config}, "synthetic", log), 0) << log;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
  EXPECT_NE(log.find("realtime ignored"), std::string::npos) << log;
  EXPECT_NE(log.find("dasflow process: 16000 input channel-samples"), std::string::npos) << log;
  EXPECT_EQ(read_xdas(files_ending(dir_.path() / "out", ".h5").at(0)).n_time, 1000u);
}

TEST_F(ProcessTool, ProgressLinesThenSigintDrainsAndExits130) {
  // Long enough to be interrupted: 10 min of 1,000 channels, as fast as possible.
  const std::string config = dir_ / "long.yaml";
  std::ofstream(config) << "source: {type: synthetic, channels: 1000, fs: 1000, duration: 600, realtime: false, "
                           "start: 1.7e9}\npipeline: [{atom: decimate, factor: 4}]\n"
                           "outputs: [{type: hdf5, path: "
                        << (dir_ / "out") << ", prefix: s}]\ncheckpoint: {path: " << (dir_ / "ck")
                        << ", interval: 0.2}\n";
  Process p({DASFLOW_TOOL, "process", "--config", config, "--progress-interval", "0.05"}, dir_ / "long.log");
  ASSERT_TRUE(wait_for([&] { return p.output().find("ETA") != std::string::npos; }, 60s)) << p.output();
  p.signal(SIGINT);
  const auto status = p.wait(60s);
  ASSERT_TRUE(status.has_value()) << p.output();
  EXPECT_EQ(*status, 130) << p.output();
  const std::string log = p.output();
  EXPECT_NE(log.find("progress: "), std::string::npos) << log;
  EXPECT_NE(log.find("of 10:00 of data"), std::string::npos) << log;
  EXPECT_NE(log.find("dasflow process: interrupted (the next run resumes) after "), std::string::npos) << log;
  EXPECT_FALSE(files_ending(dir_.path() / "ck", ".h5").empty());
}

TEST_F(ProcessTool, BadArgumentsAndPipelineFiles) {
  std::string log;
  // Neither a config nor the three of --pipeline/--input/--output.
  EXPECT_EQ(run({DASFLOW_TOOL, "process", "--input", kOptodas}, "args", log), 2) << log;
  // A pipeline error names the pipeline file and its line.
  const std::string bad = dir_ / "bad.yaml";
  std::ofstream(bad) << "- {atom: iirfilter, order: 4, cutoff: [2.0, 40.0], btype: bandpass}\n"
                        "- {atom: decimate, factr: 4}\n";
  EXPECT_EQ(run({DASFLOW_TOOL, "process", "--pipeline", bad, "--input", kOptodas, "--output", dir_ / "o"}, "bad", log),
            78)
      << log;
  EXPECT_NE(log.find(bad + ": pipeline[1]"), std::string::npos) << log;
  EXPECT_NE(log.find("line 2"), std::string::npos) << log;
  // Above Nyquist (found when the pipeline is designed at the file's rate): still exit 78.
  const std::string nyquist = dir_ / "nyquist.yaml";
  std::ofstream(nyquist) << "- {atom: iirfilter, order: 4, cutoff: [2.0, 4000.0], btype: bandpass}\n";
  EXPECT_EQ(run({DASFLOW_TOOL, "process", "--pipeline", nyquist, "--input", kOptodas, "--output", dir_ / "o"},
                "nyquist", log),
            78)
      << log;
  EXPECT_NE(log.find(nyquist + ": pipeline[0].cutoff: must be below the Nyquist"), std::string::npos) << log;
}

} // namespace
} // namespace dasflow::test
