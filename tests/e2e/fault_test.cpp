// Fault injection with the real dasflowd binary (issue 7): the output volume filling up, and the
// checkpoint directory becoming unwritable. Each time the daemon says what happened, nothing it
// acknowledged (checkpointed) is lost, nothing corrupt is left under a final `.h5` name, and a later
// start ends with the same files and events, bit for bit, as one uninterrupted run.
//
// The faults are real: a small tmpfs under the outputs really runs out of space, a tmpfs under the
// checkpoints is really remounted read-only (a chmod would not stop root). Mounting needs
// CAP_SYS_ADMIN; without it these tests are skipped.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>

#include "detection_chain.hpp"
#include "http_get.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;

/// A tmpfs of `bytes` on `dir` (created if needed) for the lifetime of the object; unmounted at
/// the end, also when the test failed (lazily if something still holds it).
class Tmpfs {
public:
  Tmpfs(const fs::path& dir, std::uint64_t bytes, bool read_only = false) : dir_(dir) {
    fs::create_directories(dir);
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", read_only ? MS_RDONLY : 0, options.c_str()) == 0)
      mounted_ = true;
    else
      error_ = errno;
  }
  ~Tmpfs() {
    if (mounted_ && ::umount2(dir_.c_str(), 0) != 0) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const noexcept { return mounted_; }
  /// Why mounting failed: "" if it did not.
  std::string error() const { return mounted_ ? "" : std::strerror(error_); }
  bool no_privilege() const noexcept { return !mounted_ && error_ == EPERM; }

  /// Changes the size and the read-only flag. A file open for writing makes a remount read-only
  /// fail with EBUSY (the daemon may be saving a checkpoint): retried for a while.
  bool remount(std::uint64_t bytes, bool read_only) {
    const std::string options = "size=" + std::to_string(bytes);
    const auto flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0);
    return wait_for([&] { return ::mount("tmpfs", dir_.c_str(), "tmpfs", flags, options.c_str()) == 0; }, 10s);
  }

private:
  fs::path dir_;
  bool mounted_ = false;
  int error_ = 0;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<std::string> listing(const fs::path& d) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(d))
    out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

/// The lines of `log` that contain `text`.
std::vector<std::string> lines_with(const std::string& log, const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos) out.push_back(line);
  return out;
}

std::uint64_t total_bytes(const fs::path& d) {
  std::uint64_t n = 0;
  for (const auto& e : fs::directory_iterator(d))
    n += e.file_size();
  return n;
}

/// The detection chain of resume_test on 512 channels: every output file (8 s, 1000 rows at
/// 125 Hz) spans two HDF5 chunks of 512 rows (1 MiB each), so a full disk can strike in the
/// middle of a file whose first rows a checkpoint already acknowledged. Deterministic, not real
/// time: 30 s of data in well under a second.
std::string disk_config(const fs::path& out, const fs::path& ck) {
  std::ostringstream c;
  c << "name: fault\n"
       "source: {type: synthetic, channels: 512, fs: 500, chunk: 0.2, duration: 30, realtime: false,\n"
       "         start: 1700000000.3, dx: 10, event_interval: 3, event_amplitude: 12, event_frequency: 8,\n"
       "         event_velocity: 3000}\n"
       "pipeline:\n"
       "  - {atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}\n"
       "  - {atom: decimate, factor: 4}\n"
       "  - {atom: stalta, method: classic, sta: 0.2, lta: 2.0}\n"
       "  - {atom: trigger, on_threshold: 3.0, off_threshold: 1.5}\n"
       "  - {atom: coincidence, min_channels: 50, window: 0.5}\n"
       "outputs:\n"
       "  - {type: hdf5, path: "
    << out.string() << ", prefix: r, file_duration: 8}\n"
    << "  - {type: events, path: " << (out / "events.jsonl").string() << "}\n"
    << "checkpoint: {path: " << ck.string() << ", interval: 0.02}\n";
  return c.str();
}

/// What the newest checkpoint in `ck` says of the hdf5 output: the file it left open, if any.
struct CheckpointedFile {
  std::string name; ///< final `.h5` name
  bool open = false;
};

class Fault : public ::testing::Test {
protected:
  TempDir dir_{"fault"};
  int runs_ = 0;

  void SetUp() override {
    const Tmpfs probe(dir_.path() / "mount_probe", 1 << 20);
    if (probe.no_privilege()) GTEST_SKIP() << "mounting a tmpfs needs CAP_SYS_ADMIN: " << probe.error();
  }

  std::string write(const std::string& name, const std::string& text) const {
    const std::string path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }

  /// Runs dasflowd to its end (bounded) and returns its exit status (128 + signal if killed).
  int run(const std::string& config, std::string* log = nullptr) {
    Process p({DASFLOW_DASFLOWD, "--config", config}, dir_ / ("run" + std::to_string(++runs_) + ".log"));
    const auto status = p.wait(30s);
    if (log) *log = p.output();
    EXPECT_TRUE(status.has_value()) << "dasflowd did not finish:\n" << p.output();
    return status.value_or(-1);
  }

  CheckpointedFile checkpointed_file(const fs::path& ck) {
    Process show({DASFLOW_TOOL, "checkpoint", "show", ck.string()}, dir_ / "show.log");
    EXPECT_EQ(show.wait(30s), 0) << show.output();
    const std::string text = show.output();
    CheckpointedFile f;
    const std::size_t block = text.find("hdf5-output");
    if (block == std::string::npos) return f;
    const std::size_t name_at = text.find("file: ", block);
    const std::size_t open_at = text.find("file_open: ", block);
    if (name_at != std::string::npos) f.name = text.substr(name_at + 6, text.find('\n', name_at) - name_at - 6);
    f.open = open_at != std::string::npos && text.compare(open_at + 11, 1, "1") == 0;
    return f;
  }

  /// The same HDF5 data and time tie points, bit for bit.
  static void expect_same_file(const fs::path& want, const fs::path& got) {
    const XdasFile a = read_xdas(want), b = read_xdas(got);
    EXPECT_EQ(a.n_time, b.n_time) << got;
    EXPECT_EQ(a.n_distance, b.n_distance) << got;
    ASSERT_EQ(a.values.size(), b.values.size()) << got;
    EXPECT_EQ(std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)), 0) << got;
    EXPECT_EQ(a.time_indices, b.time_indices) << got;
    EXPECT_EQ(a.time_values, b.time_values) << got;
  }

  /// The end state: the same file names, every file's data and tie points, the same event bytes.
  static void expect_identical(const fs::path& want, const fs::path& got) {
    const auto names = listing(want);
    ASSERT_EQ(names, listing(got)) << "other files than in the uninterrupted run";
    for (const std::string& n : names) {
      if (ends_with(n, ".h5"))
        expect_same_file(want / n, got / n);
      else
        EXPECT_EQ(slurp(want / n), slurp(got / n)) << n;
    }
  }

  /// After a failure: every `.h5` file is complete (the same as the uninterrupted run's), the
  /// event file is a prefix of the uninterrupted run's that ends on a complete line, and anything
  /// else is an unfinished `.part` (or the `.resume` copy of one being rebuilt). A `.damaged` file
  /// would mean acknowledged rows were given up.
  static void expect_nothing_corrupt(const fs::path& want, const fs::path& got) {
    std::size_t unfinished = 0;
    for (const std::string& n : listing(got)) {
      if (ends_with(n, ".h5")) {
        ASSERT_TRUE(fs::exists(want / n)) << n << " is not a file of the uninterrupted run";
        expect_same_file(want / n, got / n);
      } else if (ends_with(n, ".h5.part") || ends_with(n, ".h5.resume")) {
        ++unfinished;
      } else if (n == "events.jsonl") {
        const std::string events = slurp(got / n), all = slurp(want / n);
        EXPECT_EQ(all.compare(0, events.size(), events), 0) << "the event file differs from the uninterrupted run's";
        EXPECT_TRUE(events.empty() || events.back() == '\n') << "the event file ends on a torn line";
      } else {
        ADD_FAILURE() << "unexpected file " << n;
      }
    }
    EXPECT_LE(unfinished, 2u);
  }
};

/// A full output volume at several points of the run: in the middle of a file's data, while
/// starting a file, while appending events. Each time dasflowd names the file and the reason and
/// exits 1; what is on disk is sound; a restart on the still-full volume fails too (it cannot
/// rebuild the open file) without giving anything up; once there is room, a restart resumes and
/// ends identical to an uninterrupted run.
TEST_F(Fault, DiskFullStopsCleanlyAndResumesExactlyOnceThereIsRoom) {
  ASSERT_EQ(run(write("ref.yaml", disk_config(dir_ / "ref", dir_ / "ref_ck"))), 0);
  const std::uint64_t total = total_bytes(dir_ / "ref");
  std::size_t rebuilt_with_rows = 0;
  for (const int percent : {20, 45, 50, 75}) {
    SCOPED_TRACE("output volume of " + std::to_string(percent) + "% of what the run writes");
    const fs::path out = dir_ / ("out" + std::to_string(percent));
    const fs::path ck = dir_ / ("ck" + std::to_string(percent)); // on the normal disk
    Tmpfs volume(out, total * static_cast<std::uint64_t>(percent) / 100);
    ASSERT_TRUE(volume.mounted()) << volume.error();
    const std::string config = write("run" + std::to_string(percent) + ".yaml", disk_config(out, ck));

    std::string log;
    ASSERT_EQ(run(config, &log), 1) << log;
    const auto full = lines_with(log, "No space left on device");
    ASSERT_FALSE(full.empty()) << log;
    EXPECT_NE(full.front().find("error"), std::string::npos) << full.front();
    EXPECT_NE(full.front().find(out.string() + "/"), std::string::npos) << "names the file: " << full.front();
    EXPECT_EQ(log.find("HDF5-DIAG"), std::string::npos) << log;
    EXPECT_NE(log.find("output write failures: 1\n"), std::string::npos) << log; // dasflow_output_write_failures_total
    expect_nothing_corrupt(dir_ / "ref", out);
    const CheckpointedFile open = checkpointed_file(ck);
    const bool acknowledged_rows_in_part = open.open && fs::exists(out / (open.name + ".part"));
    if (acknowledged_rows_in_part) ++rebuilt_with_rows;

    // Still full: a restart fails again, and changes nothing that matters.
    const int still_full = run(config, &log);
    EXPECT_TRUE(still_full >= 1 && still_full < 128) << still_full << "\n" << log;
    EXPECT_FALSE(lines_with(log, "No space left on device").empty()) << log;
    EXPECT_EQ(log.find("HDF5-DIAG"), std::string::npos) << log;
    if (acknowledged_rows_in_part) {
      // The rebuild of the open file cannot be written: the daemon must stop there, keeping the
      // old file, rather than run on without the rows it could not copy.
      EXPECT_NE(log.find("nothing acknowledged was lost"), std::string::npos) << log;
      EXPECT_EQ(log.find("running (pid"), std::string::npos) << log;
    }
    expect_nothing_corrupt(dir_ / "ref", out);

    ASSERT_TRUE(volume.remount(total * 2, false));
    ASSERT_EQ(run(config, &log), 0) << log;
    EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
    expect_identical(dir_ / "ref", out);
  }
  // At least one size hit the case that matters most: the file being written when the disk filled
  // held rows a checkpoint had acknowledged, which the resume had to copy out of it.
  EXPECT_GT(rebuilt_with_rows, 0u);
}

/// A failed HDF5 flush can leave metadata that refers to blocks never written, and HDF5 rewrites
/// some metadata in place: the open file may come out unreadable by HDF5. Simulated by wiping the
/// superblock of the file the disk filled up in: the rows the checkpoint acknowledged come back
/// all the same, from the data chunks the checkpoint located, checked against its CRC.
TEST_F(Fault, DiskFullLeavingTheOpenFileUnreadableLosesNoAcknowledgedRows) {
  ASSERT_EQ(run(write("ref.yaml", disk_config(dir_ / "ref", dir_ / "ref_ck"))), 0);
  const std::uint64_t total = total_bytes(dir_ / "ref");
  bool tested = false;
  // Sizes at which, for this stream, the disk fills in a file whose first rows are acknowledged.
  for (const int percent : {45, 40, 65, 70}) {
    const fs::path out = dir_ / ("out" + std::to_string(percent));
    const fs::path ck = dir_ / ("ck" + std::to_string(percent));
    Tmpfs volume(out, total * static_cast<std::uint64_t>(percent) / 100);
    ASSERT_TRUE(volume.mounted()) << volume.error();
    const std::string config = write("run" + std::to_string(percent) + ".yaml", disk_config(out, ck));
    std::string log;
    ASSERT_EQ(run(config, &log), 1) << log;
    const CheckpointedFile open = checkpointed_file(ck);
    const fs::path part = out / (open.name + ".part");
    if (!open.open || !fs::exists(part)) continue; // the disk filled elsewhere: try another size
    SCOPED_TRACE("output volume of " + std::to_string(percent) + "% of what the run writes");
    {
      std::fstream f(part, std::ios::in | std::ios::out | std::ios::binary);
      const std::string zeros(512, '\0');
      f.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
    }
    ASSERT_TRUE(volume.remount(total * 2, false));
    ASSERT_EQ(run(config, &log), 0) << log;
    const auto recovered = lines_with(log, "read from the data chunks the checkpoint recorded");
    ASSERT_EQ(recovered.size(), 1u) << log;
    EXPECT_NE(recovered.front().find("warn"), std::string::npos) << recovered.front();
    EXPECT_NE(recovered.front().find(open.name), std::string::npos) << recovered.front();
    expect_identical(dir_ / "ref", out);
    tested = true;
    break;
  }
  EXPECT_TRUE(tested) << "at none of the sizes did the disk fill in a file with acknowledged rows";
}

/// A synthetic stream at `start` (epoch seconds): real time for the run that meets the fault (it
/// has to last while the test remounts), not real time for the uninterrupted reference and for
/// the restart, which then play exactly the same samples.
std::string live_config(const fs::path& out, const fs::path& ck, long start, bool realtime, int port) {
  std::ostringstream c;
  c << "name: fault\n"
       "source: {type: synthetic, channels: 32, fs: 500, chunk: 0.1, duration: 30, realtime: "
    << (realtime ? "true" : "false") << ",\n         start: " << start
    << ", dx: 10, event_interval: 1, event_amplitude: 12, event_frequency: 8, event_velocity: 3000}\n"
    << kDetectionChainYaml
    << "outputs:\n"
       "  - {type: hdf5, path: "
    << out.string() << ", prefix: l, file_duration: 2}\n"
    << "  - {type: events, path: " << (out / "events.jsonl").string() << "}\n"
    << "checkpoint: {path: " << ck.string() << ", interval: 0.1}\n"
    << "queue_depth: 64\n"; // a slow moment of a loaded machine must not drop live chunks
  if (port > 0) c << "control: {listen: \"127.0.0.1:" << port << "\"}\n";
  return c.str();
}

/// The checkpoint directory turns read-only while the daemon runs: processing and output go on,
/// the first failure is logged with the path and the reason and the following ones only counted
/// (Prometheus and /status), checkpoints are saved again once it is writable, and a restart after
/// a kill resumes from one of those exactly.
TEST_F(Fault, ReadOnlyCheckpointDirectoryIsCountedAndCheckpointsResume) {
  const fs::path ck = dir_ / "ck";
  Tmpfs ck_volume(ck, 64 << 20);
  ASSERT_TRUE(ck_volume.mounted()) << ck_volume.error();
  const long start = static_cast<long>(std::time(nullptr));
  ASSERT_EQ(run(write("ref.yaml", live_config(dir_ / "ref", dir_ / "ref_ck", start, false, 0))), 0);

  const int port = free_port();
  Process p({DASFLOW_DASFLOWD, "--config", write("live.yaml", live_config(dir_ / "out", ck, start, true, port))},
            dir_ / "live.log");
  std::string metrics;
  const auto value = [&](const std::string& series) {
    const auto r = http_get(port, "/metrics");
    metrics = r && r->status == 200 ? r->body : "";
    return prometheus_value(metrics, series);
  };
  const std::string written = "dasflow_chunks_total{stage=\"written\"}";
  ASSERT_TRUE(eventually([&] { return value("dasflow_checkpoints_total") >= 3; }, 20s)) << metrics << p.output();
  EXPECT_EQ(prometheus_value(metrics, "dasflow_checkpoint_failures_total"), 0) << metrics;
  EXPECT_EQ(prometheus_value(metrics, "dasflow_output_write_failures_total"), 0) << metrics;

  ASSERT_TRUE(ck_volume.remount(64 << 20, true));
  ASSERT_TRUE(eventually([&] { return value("dasflow_checkpoint_failures_total") >= 5; }, 20s))
      << metrics << p.output();
  const double saved_before = prometheus_value(metrics, "dasflow_checkpoints_total");
  const double written_at_failure = prometheus_value(metrics, written);
  // Processing and output do not wait for the checkpoints.
  ASSERT_TRUE(eventually([&] { return value(written) >= written_at_failure + 10; }, 20s)) << metrics << p.output();
  EXPECT_EQ(prometheus_value(metrics, "dasflow_checkpoints_total"), saved_before) << metrics;
  const auto status = http_get(port, "/status");
  ASSERT_TRUE(status && status->status == 200);
  const auto j = nlohmann::json::parse(status->body);
  EXPECT_GE(j["checkpoint"]["failures"].get<double>(), 5) << status->body;
  ASSERT_TRUE(j["checkpoint"]["last_failure"].is_string()) << status->body;
  EXPECT_NE(j["checkpoint"]["last_failure"].get<std::string>().find("Read-only file system"), std::string::npos)
      << status->body;
  EXPECT_NE(j["checkpoint"]["last_failure"].get<std::string>().find(ck.string()), std::string::npos) << status->body;
  EXPECT_EQ(j["write_failures"], 0) << status->body;

  ASSERT_TRUE(ck_volume.remount(64 << 20, false));
  ASSERT_TRUE(eventually([&] { return value("dasflow_checkpoints_total") >= saved_before + 3; }, 20s))
      << metrics << p.output();
  EXPECT_EQ(prometheus_value(metrics, "dasflow_chunks_total{stage=\"dropped\"}"), 0) << metrics;
  const double failures = prometheus_value(metrics, "dasflow_checkpoint_failures_total");
  p.signal(SIGKILL); // no final checkpoint: the restart has only the ones saved after the fault
  ASSERT_EQ(p.wait(20s), 128 + SIGKILL);

  const std::string log = p.output();
  const auto first = lines_with(log, "checkpoint not saved");
  ASSERT_EQ(first.size(), 1u) << "logged once, not " << failures << " times:\n" << log;
  EXPECT_NE(first.front().find("error"), std::string::npos) << first.front();
  EXPECT_NE(first.front().find(ck.string()), std::string::npos) << first.front();
  EXPECT_NE(first.front().find("Read-only file system"), std::string::npos) << first.front();
  EXPECT_TRUE(lines_with(log, "checkpoints still failing").empty()) << log; // once a minute at most
  const auto again = lines_with(log, "checkpoints are saved again");
  ASSERT_EQ(again.size(), 1u) << log;
  EXPECT_NE(again.front().find("after " + std::to_string(static_cast<long>(failures)) + " failed"), std::string::npos)
      << again.front();

  std::string resumed;
  ASSERT_EQ(run(write("restart.yaml", live_config(dir_ / "out", ck, start, false, 0)), &resumed), 0) << resumed;
  // From a checkpoint saved after the fault: sequences count the saved ones, from 1.
  const std::size_t at = resumed.find("resumed from " + (ck / "checkpoint-").string());
  ASSERT_NE(at, std::string::npos) << resumed;
  const long sequence = std::stol(resumed.substr(at + 13 + (ck / "checkpoint-").string().size(), 12));
  EXPECT_GT(sequence, static_cast<long>(saved_before)) << resumed;
  expect_identical(dir_ / "ref", dir_ / "out");
}

/// At start-up a checkpoint directory that cannot be created, or not written, is refused with
/// exit 73 (EX_CANTCREAT) before anything is written: a run that could never checkpoint could never
/// be resumed.
TEST_F(Fault, CheckpointDirectoryThatCannotBeWrittenAtStartIsRefused) {
  std::ofstream(dir_ / "plain_file") << "x";
  const fs::path ro = dir_ / "ro";
  Tmpfs ro_volume(ro, 1 << 20, true);
  ASSERT_TRUE(ro_volume.mounted()) << ro_volume.error();
  const struct {
    fs::path ck;
    const char* reason;
  } cases[] = {{dir_.path() / "plain_file" / "ck", "Not a directory"},
               {ro / "ck", "Read-only file system"},
               {ro, "cannot create files in the checkpoint directory: Read-only file system"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.ck.string());
    const fs::path out = dir_ / "out";
    std::string log;
    EXPECT_EQ(run(write("start.yaml", disk_config(out, c.ck)), &log), 73) << log;
    const auto lines = lines_with(log, c.reason);
    ASSERT_EQ(lines.size(), 1u) << log;
    EXPECT_NE(lines.front().find("checkpoint.path: " + c.ck.string()), std::string::npos) << lines.front();
    EXPECT_FALSE(fs::exists(out)) << "wrote outputs it could never resume";
  }
}

} // namespace
} // namespace dasflow::test
