// The `dasflow` tool's live-stream subcommands end to end (DESIGN.md §1), real binaries on real
// sockets (127.0.0.1):
// - `simulate` → `sub --protocol asn`: the header (shape, rate, ROI) and data messages with
//   continuous timestamps, whose samples are exactly io::SyntheticSource's for that seed and start;
// - `simulate --changes-every`: the shape alternates, each change announced by a header;
// - `simulate --cycle` live → `sub --stats`: repeated data with advancing timestamps, nothing lost,
//   latencies measured from the timestamps (bench/live.sh relies on both);
// - `replay --speed max` of a real OptoDAS file → `sub`: every sample of the file arrives, equal to
//   what io::VendorFile reads, and `sub --output` writes the same samples to FILE.h5;
// - `sub` on the dasflow protocol (an in-process io::ZmqOutput): a first_index jump is reported
//   as loss, per message and in the --stats summary;
// - `sub --timeout` on a silent address exits 1 saying so; bad arguments exit non-zero.

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dasflow/io/synthetic_source.hpp"
#include "dasflow/io/vendor_hdf5.hpp"
#include "dasflow/io/zmq_output.hpp"
#include "http_get.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;
using Json = nlohmann::json;

std::string tcp(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

/// The JSON lines of a tool's output (its stderr lines and a half-written last line skipped).
std::vector<Json> json_lines(const std::string& output) {
  std::vector<Json> out;
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

/// The end of a long log (the --dump lines are large).
std::string tail(const std::string& log, std::size_t n = 2000) {
  return log.size() <= n ? log : "..." + log.substr(log.size() - n);
}

std::vector<Json> of_topic(const std::vector<Json>& lines, const std::string& topic) {
  std::vector<Json> out;
  for (const Json& j : lines)
    if (j.value("topic", "") == topic) out.push_back(j);
  return out;
}

class Tool : public ::testing::Test {
protected:
  struct SubRun {
    std::optional<int> status;
    std::string output;
  };

  /// `dasflow sub <port_> <args>` against a dasflow-protocol publisher (PROTOCOLS.md §2) in this
  /// process: 4 channels at 100 Hz, 10 rows every 20 ms, 5 samples skipped after every 8th chunk,
  /// sample (i, ch) = i % 7 + 0.5 ch. Publishes until sub exits (at most 60 s).
  SubRun sub_against_jumping_publisher(const std::vector<std::string>& args) {
    StreamInfo stream;
    stream.fs_hz = 100;
    stream.n_channels = 4;
    io::ZmqOutputConfig cfg;
    cfg.address = tcp(port_);
    cfg.stream_name = "test";
    auto out = io::ZmqOutput::open(cfg, stream);
    EXPECT_TRUE(out.ok()) << out.error().message;
    if (!out.ok()) return {};
    std::atomic<bool> done{false};
    std::thread publisher([&] {
      Chunk c;
      std::int64_t index = 170'000'000'000;
      for (int k = 0; !done && k < 1000; ++k) {
        c.reshape(10, 4);
        c.first_index = index;
        for (std::size_t t = 0; t < 10; ++t)
          for (std::size_t ch = 0; ch < 4; ++ch)
            c.row(t)[ch] =
                static_cast<float>((index + static_cast<std::int64_t>(t)) % 7) + 0.5f * static_cast<float>(ch);
        (void)(*out)->write(c);
        index += 10 + (k % 8 == 7 ? 5 : 0);
        std::this_thread::sleep_for(20ms);
      }
    });
    std::vector<std::string> argv{DASFLOW_TOOL, "sub", tcp(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    Process sub(argv, dir_ / "sub.log");
    SubRun run{sub.wait(60s), ""};
    done = true;
    publisher.join();
    (void)(*out)->close(true);
    run.output = sub.output();
    return run;
  }

  TempDir dir_{"tool"};
  int port_ = free_port();
};

TEST_F(Tool, SimulateSpeaksAsnWithTheSyntheticSourcesSamples) {
  // Held until both subscribers joined, so they see the stream from its first sample.
  Process sim(
      {DASFLOW_TOOL, "simulate", "--publish",          tcp(port_), "--channels",  "6",          "--fs",      "200",
       "--chunk",    "0.1",      "--duration",         "2",        "--start",     "1700000000", "--seed",    "7",
       "--speed",    "4",        "--wait-subscribers", "2",        "--roi-start", "100",        "--roi-dec", "2"},
      dir_ / "sim.log");
  Process sub(
      {DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--json", "--dump", "--count", "5", "--timeout", "30"},
      dir_ / "sub.log");
  Process text({DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--count", "2", "--timeout", "30"},
               dir_ / "text.log");
  ASSERT_EQ(sub.wait(60s), 0) << tail(sub.output()) << sim.output();
  ASSERT_EQ(text.wait(60s), 0) << text.output();
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();

  const auto lines = json_lines(sub.output());
  const auto headers = of_topic(lines, "header");
  ASSERT_EQ(headers.size(), 1u) << tail(sub.output()); // a repeated identical header is not printed again
  EXPECT_EQ(headers[0]["n_channels"], 6);
  EXPECT_EQ(headers[0]["fs"], 200.0);
  EXPECT_EQ(headers[0]["packages"], 20);
  EXPECT_EQ(headers[0]["channel_first"], 100);
  EXPECT_EQ(headers[0]["channel_step"], 2);
  EXPECT_DOUBLE_EQ(headers[0]["dx_m"].get<double>(), 0.5); // 1 m between columns, 2 channel numbers apart

  const auto data = of_topic(lines, "data");
  ASSERT_EQ(data.size(), 5u) << tail(sub.output());
  io::SyntheticSource::Config c;
  c.channels = 6;
  c.fs_hz = 200;
  c.seed = 7;
  const io::SyntheticSource src(c, 1'700'000'000'000'000'000);
  std::vector<float> row(6);
  for (std::size_t k = 0; k < data.size(); ++k) {
    const Json& j = data[k];
    EXPECT_EQ(j["n_samples"], 20);
    EXPECT_EQ(j["n_channels"], 6);
    EXPECT_EQ(j["fs"], 200.0);
    EXPECT_EQ(j["lost"], false) << j.dump();
    // Continuous: message k starts 20 samples of 5 ms after message k-1, from the --start time.
    const std::int64_t t0 = j["t0_ns"];
    EXPECT_EQ(t0, 1'700'000'000'000'000'000 + static_cast<std::int64_t>(k) * 100'000'000);
    const std::int64_t first = j["first_index"];
    EXPECT_EQ(first, t0 / 5'000'000);
    const auto values = j["values"].get<std::vector<float>>();
    ASSERT_EQ(values.size(), 120u);
    double sum = 0;
    for (std::size_t t = 0; t < 20; ++t) {
      src.fill_row(first + static_cast<std::int64_t>(t), row.data());
      for (std::size_t ch = 0; ch < 6; ++ch) {
        EXPECT_EQ(values[t * 6 + ch], row[ch]) << "message " << k << " row " << t << " column " << ch;
        sum += row[ch];
      }
    }
    EXPECT_DOUBLE_EQ(j["sum"].get<double>(), sum);
  }
  // The human-readable form: UTC time of the first sample, shape, rate.
  EXPECT_NE(text.output().find("2023-11-14T22:13:20.000000000Z  20 x 6 @ 200 Hz"), std::string::npos) << text.output();
}

TEST_F(Tool, SimulateChangesEveryAnnouncesEachShapeWithAHeader) {
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(port_), "--channels", "8", "--fs", "200", "--chunk", "0.05",
               "--duration", "1", "--speed", "2", "--changes-every", "2", "--wait-subscribers", "1"},
              dir_ / "sim.log");
  Process sub({DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--json", "--count", "8", "--timeout", "30"},
              dir_ / "sub.log");
  ASSERT_EQ(sub.wait(60s), 0) << sub.output() << sim.output();
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  std::vector<int> shapes, headers;
  std::int64_t next = -1;
  for (const Json& j : json_lines(sub.output())) {
    if (j["topic"] == "header") headers.push_back(j["n_channels"]);
    if (j["topic"] != "data") continue;
    shapes.push_back(j["n_channels"]);
    if (next >= 0) { // time runs on across the changes
      EXPECT_EQ(j["first_index"].get<std::int64_t>(), next) << j.dump();
    }
    next = j["first_index"].get<std::int64_t>() + j["n_samples"].get<std::int64_t>();
  }
  EXPECT_EQ(shapes, (std::vector<int>{8, 8, 4, 4, 8, 8, 4, 4}));
  EXPECT_EQ(headers, (std::vector<int>{8, 4, 8, 4}));
}

TEST_F(Tool, SimulateCycleRepeatsItsDataLiveAndSubStatsMeasuresLatency) {
  // Live (speed 1, no --start): stamped with the system clock, sent when the sample after a
  // message's last is due. --cycle 0.5: five 0.1-s messages, then the same samples again.
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(port_), "--channels", "16", "--fs", "500", "--chunk", "0.1",
               "--duration", "3", "--cycle", "0.5", "--wait-subscribers", "2"},
              dir_ / "sim.log");
  Process stats({DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--json", "--stats", "1", "--count", "30",
                 "--timeout", "30"},
                dir_ / "stats.log");
  Process dump(
      {DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--json", "--dump", "--count", "12", "--timeout", "30"},
      dir_ / "dump.log");
  ASSERT_EQ(stats.wait(60s), 0) << stats.output() << sim.output();
  ASSERT_EQ(dump.wait(60s), 0) << tail(dump.output());
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  EXPECT_NE(sim.output().find("done: 30 data messages, 0 messages dropped (HWM)"), std::string::npos) << sim.output();

  const auto data = of_topic(json_lines(dump.output()), "data");
  ASSERT_EQ(data.size(), 12u) << tail(dump.output());
  for (std::size_t k = 0; k < data.size(); ++k) {
    EXPECT_EQ(data[k]["n_samples"], 50);
    EXPECT_FALSE(data[k]["lost"].get<bool>()) << data[k].dump(); // indices continue across the cycle
    if (k >= 5) {
      EXPECT_EQ(data[k]["values"], data[k - 5]["values"]) << k;
      EXPECT_EQ(data[k]["t0_ns"].get<std::int64_t>() - data[k - 5]["t0_ns"].get<std::int64_t>(), 500'000'000);
    }
  }

  Json final;
  for (const Json& j : json_lines(stats.output()))
    if (j.value("stats", "") == "final") final = j;
  ASSERT_TRUE(final.is_object()) << stats.output();
  EXPECT_EQ(final["messages"], 30);
  EXPECT_EQ(final["rows"], 1500);
  for (const char* k : {"lost_messages", "gaps", "overlaps", "gap_flags", "publisher_drops"})
    EXPECT_EQ(final[k], 0) << k << " " << final.dump();
  EXPECT_TRUE(final["first_seq"].is_null()); // no seq in the ASN framing
  EXPECT_EQ(final["latency_n"], 30);
  // Sent when the sample after the last is due: at least one sample period (2 ms) late.
  const double p50 = final["latency_p50_ms"], p99 = final["latency_p99_ms"];
  EXPECT_GE(p50, 1.9) << final.dump();
  EXPECT_LE(p50, p99);
  EXPECT_LT(p99, 2000) << final.dump(); // loaded CI machines, sanitizers
  // The first sample of a message is 49 sample periods older than its last.
  EXPECT_NEAR(final["first_sample_p50_ms"].get<double>() - p50, 98.0, 0.01) << final.dump();
}

TEST_F(Tool, ReplayAtMaxSpeedDeliversEverySampleOfTheFile) {
  const std::string path = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";
  auto file = io::VendorFile::open(path, "auto");
  ASSERT_TRUE(file.ok()) << file.error().message;
  const auto& info = file->info();
  std::vector<float> want(info.n_samples * info.n_channels);
  ASSERT_TRUE(file->read_rows(0, info.n_samples, want.data()).ok());

  Process sub(
      {DASFLOW_TOOL, "sub", tcp(port_), "--protocol", "asn", "--json", "--dump", "--output", dir_ / "got/replayed.h5"},
      dir_ / "sub.log");
  Process rep({DASFLOW_TOOL, "replay", path, "--publish", tcp(port_), "--speed", "max", "--wait-subscribers", "1"},
              dir_ / "replay.log");
  ASSERT_EQ(rep.wait(60s), 0) << rep.output();
  const auto rows_received = [&] {
    std::size_t n = 0;
    for (const Json& j : of_topic(json_lines(sub.output()), "data"))
      n += j["n_samples"].get<std::size_t>();
    return n;
  };
  ASSERT_TRUE(wait_for([&] { return rows_received() >= info.n_samples; }, 30s)) << rows_received();
  sub.signal(SIGTERM); // a clean exit: the file is closed and renamed
  ASSERT_EQ(sub.wait(30s), 0) << tail(sub.output());

  std::vector<float> got;
  std::int64_t next_t0 = -1;
  const auto data = of_topic(json_lines(sub.output()), "data");
  for (const Json& j : data) {
    EXPECT_EQ(j["n_channels"].get<std::size_t>(), info.n_channels);
    EXPECT_EQ(j["fs"].get<double>(), info.fs_hz);
    EXPECT_EQ(j["lost"], false) << j.dump();
    const std::int64_t t0 = j["t0_ns"];
    if (next_t0 >= 0) {
      EXPECT_EQ(t0, next_t0);
    }
    next_t0 = t0 + j["n_samples"].get<std::int64_t>() * std::llround(1e9 / info.fs_hz);
    const auto v = j["values"].get<std::vector<float>>();
    got.insert(got.end(), v.begin(), v.end());
  }
  ASSERT_FALSE(data.empty());
  // The file's own start time (it lies on the sample grid of a 500 Hz file).
  EXPECT_LE(std::llabs(data.front()["t0_ns"].get<std::int64_t>() - info.start_ns), 1000) << info.start_ns;
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the samples differ from the file's";

  // --output: one stream, so the file is exactly the path given.
  ASSERT_TRUE(fs::exists(dir_ / "got/replayed.h5")) << tail(sub.output());
  const XdasFile written = read_xdas(dir_ / "got/replayed.h5");
  EXPECT_EQ(written.n_time, info.n_samples);
  EXPECT_EQ(written.n_distance, info.n_channels);
  EXPECT_TRUE(written.values == want);
}

TEST_F(Tool, SubReportsADasflowStreamsIndexJumpAsLoss) {
  const SubRun sub = sub_against_jumping_publisher({"--json", "--count", "25", "--timeout", "20"});
  ASSERT_EQ(sub.status, 0) << sub.output;

  const auto data = of_topic(json_lines(sub.output), "data");
  ASSERT_EQ(data.size(), 25u) << sub.output;
  int gaps = 0;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const Json& j = data[k];
    if (k > 0) {
      EXPECT_EQ(j["seq"].get<std::uint64_t>(), data[k - 1]["seq"].get<std::uint64_t>() + 1);
    }
    EXPECT_EQ(j["n_samples"], 10);
    EXPECT_EQ(j["n_channels"], 4);
    EXPECT_EQ(j["fs"], 100.0);
    const std::int64_t first = j["first_index"];
    EXPECT_EQ(j["t0_ns"].get<std::int64_t>(), first * 10'000'000);
    if (j.contains("gap_samples")) {
      ++gaps;
      EXPECT_EQ(j["gap_samples"], 5) << j.dump();
      EXPECT_EQ(j["lost"], true);
      EXPECT_EQ(j["gap_before"], true);
    } else {
      EXPECT_EQ(j["lost"], false) << j.dump();
    }
    double sum = 0;
    for (std::int64_t t = 0; t < 10; ++t)
      for (int ch = 0; ch < 4; ++ch)
        sum += static_cast<double>((first + t) % 7) + 0.5 * ch;
    EXPECT_DOUBLE_EQ(j["sum"].get<double>(), sum);
  }
  EXPECT_GE(gaps, 2); // 25 messages span at least two of the jumps
}

TEST_F(Tool, SubStatsCountsADasflowStreamsLossesAndSeq) {
  // As above, with --stats: no line per message, a summary of the same losses at the end.
  const SubRun sub = sub_against_jumping_publisher({"--json", "--stats", "0.2", "--count", "25", "--timeout", "20"});
  ASSERT_EQ(sub.status, 0) << sub.output;

  std::vector<Json> lines = json_lines(sub.output);
  ASSERT_GE(lines.size(), 2u) << sub.output; // at least one interval line, then the final one
  for (const Json& j : lines)
    EXPECT_TRUE(j.contains("stats")) << j.dump();
  const Json& final = lines.back();
  EXPECT_EQ(final["stats"], "final");
  EXPECT_EQ(final["messages"], 25);
  EXPECT_EQ(final["rows"], 250);
  EXPECT_EQ(final["lost_messages"], 0);
  EXPECT_EQ(final["overlaps"], 0);
  EXPECT_GE(final["gaps"].get<int>(), 2);
  EXPECT_EQ(final["gap_samples"].get<int>(), 5 * final["gaps"].get<int>());
  EXPECT_EQ(final["gap_flags"], final["gaps"]);
  EXPECT_EQ(final["publisher_drops"], 0);
  EXPECT_EQ(final["last_seq"].get<std::uint64_t>() - final["first_seq"].get<std::uint64_t>(), 24u);
  EXPECT_EQ(final["latency_n"], 25);
}

TEST_F(Tool, SubTimeoutOnASilentAddressExitsOne) {
  Process sub({DASFLOW_TOOL, "sub", tcp(port_), "--timeout", "1"}, dir_ / "sub.log");
  EXPECT_EQ(sub.wait(30s), 1) << sub.output();
  EXPECT_NE(sub.output().find("nothing from " + tcp(port_) + " for 1 s"), std::string::npos) << sub.output();
}

TEST_F(Tool, BadArgumentsExitNonZeroWithAMessage) {
  const std::string file = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"sub"}, "ADDRESS is required"},
      {{"sub", tcp(port_), "--protocol", "mqtt"}, "mqtt"},
      {{"sub", tcp(port_), "--dump"}, "--json"},
      {{"sub", tcp(port_), "--curve-server-key", file}, "go together"},
      {{"simulate", "--channels", "8"}, "--publish is required"},
      {{"simulate", "--publish", tcp(port_), "--channels", "0"}, "--channels"},
      {{"simulate", "--publish", tcp(port_), "--speed", "-1"}, "--speed"},
      {{"simulate", "--publish", "nonsense://here", "--duration", "1"}, "cannot bind"},
      {{"replay", dir_ / "missing.h5", "--publish", tcp(port_)}, "missing.h5"},
      {{"replay", file, "--publish", tcp(port_), "--speed", "fast"}, "--speed"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv{DASFLOW_TOOL};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, dir_ / "bad.log");
    const auto status = p.wait(30s);
    ASSERT_TRUE(status.has_value()) << args[0];
    EXPECT_NE(*status, 0) << p.output();
    EXPECT_NE(p.output().find(message), std::string::npos) << "wanted \"" << message << "\" in: " << p.output();
  }
}

} // namespace
} // namespace dasflow::test
