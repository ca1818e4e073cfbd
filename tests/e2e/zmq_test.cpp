// The live edge with the real binaries (issue 6): `dasflow simulate` (an ASN interrogator) →
// dasflowd (asn source) → zmq/HDF5 outputs → `dasflow sub`. Real sockets on 127.0.0.1.
// - the samples written equal the pipeline applied offline to the same synthetic data, bit for bit;
// - a header change mid-stream rebuilds the pipeline and the daemon keeps running;
// - garbage on the feed is counted and skipped; a subscriber that never reads costs nothing;
// - two daemons each taking half of the channels write what one daemon on all channels writes;
// - CURVE: the right key receives, a wrong key receives nothing.

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "dasflow/io/synthetic_source.hpp"
#include "dasflow/io/vendor_hdf5.hpp"
#include "http_get.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "test_support.hpp"
#include "xdas_file.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;

constexpr const char* kBandpass = "[{atom: iirfilter, order: 4, cutoff: [1.0, 20.0], btype: bandpass}]";

std::string tcp(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

class Live : public ::testing::Test {
protected:
  TempDir dir_{"zmq"};
  int feed_ = free_port();

  std::string daemon_config(const std::string& name, const std::string& extra_source, const std::string& outputs,
                            int control_port) const {
    const std::string path = dir_ / (name + ".yaml");
    std::ofstream(path) << "name: " << name << "\nsource: {type: asn, address: \"" << tcp(feed_) << "\", timeout: 2"
                        << extra_source << "}\npipeline: " << kBandpass << "\noutputs:\n"
                        << outputs << "control: {listen: \"127.0.0.1:" << control_port
                        << "\"}\n"
                        // These tests count every chunk: a slow moment (a loaded CI machine, TSan's
                        // 5-10x slowdown) must not make the live source drop one.
                        << "queue_depth: 64\n";
    return path;
  }
  std::string hdf5_out(const std::string& sub) const {
    return "  - {type: hdf5, path: " + (dir_ / sub) + ", prefix: live, file_duration: 3600}\n";
  }
  /// The samples of every .h5 file in `sub`, concatenated in name order, and the first time.
  std::pair<std::vector<float>, XdasFile> read_all(const std::string& sub) const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir_ / sub))
      if (e.path().extension() == ".h5") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<float> all;
    XdasFile first;
    for (std::size_t i = 0; i < files.size(); ++i) {
      XdasFile f = read_xdas(files[i]);
      all.insert(all.end(), f.values.begin(), f.values.end());
      if (i == 0) first = std::move(f);
    }
    return {all, first};
  }
};

TEST_F(Live, SimulateDaemonSubscriberEqualsThePipelineAppliedOffline) {
  const int ctl = free_port(), out = free_port();
  // The simulator holds its data until the daemon subscribed: the daemon sees the stream from its
  // first sample, so the offline run starts at the same index with the same (zero) state.
  Process sim({DASFLOW_TOOL, "simulate", "--publish",          tcp(feed_), "--channels", "48",         "--fs",   "500",
               "--chunk",    "0.1",      "--duration",         "3",        "--start",    "1700000000", "--seed", "5",
               "--speed",    "4",        "--wait-subscribers", "1"},
              dir_ / "sim.log");
  Process d({DASFLOW_DASFLOWD, "--config",
             daemon_config("one", "", hdf5_out("out") + "  - {type: zmq, address: \"" + tcp(out) + "\"}\n", ctl)},
            dir_ / "d.log");
  Process sub({DASFLOW_TOOL, "sub", tcp(out), "--json", "--count", "5", "--timeout", "30"}, dir_ / "sub.log");
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  ASSERT_EQ(sub.wait(60s), 0) << sub.output() << d.output();
  // Sequence numbers and indices continue from message to message.
  std::istringstream lines(sub.output());
  std::string line;
  std::int64_t prev_seq = -1, prev_end = -1;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    if (prev_seq >= 0) {
      EXPECT_EQ(j["seq"].get<std::int64_t>(), prev_seq + 1) << line;
    }
    if (prev_end >= 0) {
      EXPECT_EQ(j["first_index"].get<std::int64_t>(), prev_end) << line;
    }
    prev_seq = j["seq"];
    prev_end = j["first_index"].get<std::int64_t>() + j["n_samples"].get<std::int64_t>();
    EXPECT_EQ(j["n_channels"], 48);
    ++n;
  }
  EXPECT_EQ(n, 5);
  ASSERT_TRUE(eventually([&] {
    const auto m = http_get(ctl, "/metrics");
    return m && prometheus_value(m->body, "dasflow_chunks_total{stage=\"written\"}") >= 15;
  })) << d.output();
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait(60s), 0) << d.output();

  const auto [got, first] = read_all("out");
  ASSERT_EQ(got.size(), 1500u * 48u) << d.output(); // 3 s at 500 Hz, nothing lost
  io::SyntheticSource::Config c;
  c.channels = 48;
  c.fs_hz = 500;
  c.seed = 5;
  io::SyntheticSource src(c, 1'700'000'000'000'000'000);
  const std::int64_t first_index = first.time_values.at(0) / 2'000'000; // 500 Hz, origin 0
  EXPECT_EQ(first_index, 850'000'000'000);
  std::vector<float> x(got.size());
  for (std::size_t t = 0; t < 1500; ++t)
    src.fill_row(first_index + static_cast<std::int64_t>(t), x.data() + t * 48);
  StreamInfo in;
  in.fs_hz = 500;
  in.n_channels = 48;
  auto p = pipeline(kBandpass, in);
  ASSERT_NE(p, nullptr);
  Recording want;
  run_chunks(*p, x, 48, first_index, 0, {1500}, want);
  EXPECT_TRUE(bit_identical(got, want.samples, 48));
}

TEST_F(Live, HeaderChangesRebuildThePipelineAndTheDaemonKeepsRunning) {
  const int ctl = free_port();
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(feed_), "--channels", "40", "--fs", "500", "--chunk", "0.1",
               "--duration", "3", "--changes-every", "8", "--wait-subscribers", "1", "--speed", "2"},
              dir_ / "sim.log");
  Process d({DASFLOW_DASFLOWD, "--config", daemon_config("chg", "", hdf5_out("out"), ctl)}, dir_ / "d.log");
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  std::string body;
  ASSERT_TRUE(eventually([&] {
    const auto m = http_get(ctl, "/metrics");
    if (m) body = m->body;
    return m && prometheus_value(body, "dasflow_stream_changes_total") >= 2;
  })) << body
      << d.output();
  EXPECT_GE(prometheus_value(body, "dasflow_source_total{what=\"stream_changes\"}"), 2);
  d.signal(SIGTERM);
  ASSERT_EQ(d.wait(60s), 0) << d.output();
  EXPECT_NE(d.output().find("changed its acquisition"), std::string::npos);
  // Files of both shapes were written.
  std::set<std::size_t> widths;
  for (const auto& e : fs::directory_iterator(dir_ / "out"))
    if (e.path().extension() == ".h5") widths.insert(read_xdas(e.path()).n_distance);
  EXPECT_EQ(widths, (std::set<std::size_t>{20, 40}));
}

TEST_F(Live, GarbageAndSilentSubscribersCostNothing) {
  const int ctl = free_port(), out = free_port();
  // A hand-made publisher: a header, then data interleaved with garbage of every kind.
  zmq::context_t ctx(1);
  zmq::socket_t pub(ctx, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::linger, 0);
  pub.bind(tcp(feed_));
  Process d({DASFLOW_DASFLOWD, "--config",
             daemon_config("junk", "", "  - {type: zmq, address: \"" + tcp(out) + "\", hwm: 2}\n", ctl)},
            dir_ / "d.log");
  zmq::message_t m;
  ASSERT_TRUE(eventually([&] { return pub.recv(m, zmq::recv_flags::dontwait).has_value(); })); // subscribed
  // A subscriber that connects and never reads.
  zmq::socket_t idle(ctx, zmq::socket_type::sub);
  idle.set(zmq::sockopt::rcvhwm, 1);
  idle.set(zmq::sockopt::subscribe, "");
  idle.connect(tcp(out));
  const std::string header = R"({"bytesPerPackage": 64, "nPackagesPerMessage": 50, "nChannels": 16,
      "dataType": "float", "dt": 0.002, "dtUnit": "s", "dx": 1.0, "dxUnit": "m",
      "roiTable": [{"roiStart": 0, "roiEnd": 15, "roiDec": 1}]})";
  pub.send(zmq::buffer(header));
  std::vector<float> rows(50 * 16, 0.5f);
  std::string data(8 + rows.size() * 4, '\0');
  std::int64_t t0 = 1'700'000'000'000'000'000;
  const auto send_data = [&] {
    std::memcpy(data.data(), &t0, 8);
    std::memcpy(data.data() + 8, rows.data(), rows.size() * 4);
    pub.send(zmq::buffer(data));
    t0 += 100'000'000;
  };
  for (int k = 0; k < 200; ++k) {
    send_data();
    if (k % 20 == 5) pub.send(zmq::buffer(std::string("not json, not data")));
    if (k % 20 == 9) pub.send(zmq::buffer(data.substr(0, data.size() - 4)));               // short data
    if (k % 20 == 13) pub.send(zmq::buffer(std::string(R"({"nChannels": -3, "dt": 0})"))); // bad header
    if (k % 20 == 17) pub.send(zmq::buffer(std::string(R"([1, 2, 3])")));
    std::this_thread::sleep_for(2ms);
  }
  std::string body;
  ASSERT_TRUE(eventually([&] {
    const auto r = http_get(ctl, "/metrics");
    if (r) body = r->body;
    return r && prometheus_value(body, "dasflow_chunks_total{stage=\"written\"}") >= 200;
  })) << body
      << d.output();
  EXPECT_EQ(prometheus_value(body, "dasflow_source_total{what=\"malformed\"}"), 40) << body;
  EXPECT_EQ(prometheus_value(body, "dasflow_gaps_total"), 0) << body;
  EXPECT_NE(d.output().find("skipped a malformed message"), std::string::npos);
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(60s), 0) << d.output();
}

TEST_F(Live, InterrogatorRestartIsAReconnectAndAGap) {
  const int ctl = free_port();
  const auto simulate = [&](const char* log) {
    return std::make_unique<Process>(std::vector<std::string>{DASFLOW_TOOL, "simulate", "--publish", tcp(feed_),
                                                              "--channels", "16", "--fs", "200", "--chunk", "0.1",
                                                              "--duration", "1.5"},
                                     dir_ / log);
  };
  auto first = simulate("sim1.log");
  Process d({DASFLOW_DASFLOWD, "--config", daemon_config("restart", "", hdf5_out("out"), ctl)}, dir_ / "d.log");
  ASSERT_EQ(first->wait(60s), 0) << first->output();
  std::string body;
  const auto metrics = [&] {
    const auto r = http_get(ctl, "/metrics");
    if (r) body = r->body;
    return r.has_value();
  };
  // Silence longer than the source's timeout (2 s): the daemon reconnects, and goes on waiting.
  ASSERT_TRUE(eventually([&] {
    return metrics() && prometheus_value(body, "dasflow_source_total{what=\"reconnects\"}") >= 1;
  })) << body
      << d.output();
  const double written = prometheus_value(body, "dasflow_chunks_total{stage=\"written\"}");
  auto second = simulate("sim2.log"); // the interrogator is back, on the same port
  ASSERT_EQ(second->wait(60s), 0) << second->output();
  ASSERT_TRUE(eventually([&] {
    return metrics() && prometheus_value(body, "dasflow_chunks_total{stage=\"written\"}") > written;
  })) << body
      << d.output();
  EXPECT_GE(prometheus_value(body, "dasflow_gaps_total"), 1) << body; // the time it was away
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(60s), 0) << d.output();
}

TEST_F(Live, TwoDaemonsOnHalfTheChannelsEqualOneOnAll) {
  const int c1 = free_port(), c2 = free_port(), c3 = free_port();
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(feed_), "--channels", "40", "--fs", "500", "--chunk", "0.1",
               "--duration", "2", "--speed", "4", "--wait-subscribers", "3"},
              dir_ / "sim.log");
  Process all({DASFLOW_DASFLOWD, "--config", daemon_config("all", "", hdf5_out("all"), c1)}, dir_ / "all.log");
  Process lo({DASFLOW_DASFLOWD, "--config", daemon_config("lo", ", channels: [0, 20, 1]", hdf5_out("lo"), c2)},
             dir_ / "lo.log");
  Process hi({DASFLOW_DASFLOWD, "--config", daemon_config("hi", ", channels: [20, 40, 1]", hdf5_out("hi"), c3)},
             dir_ / "hi.log");
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  for (auto [p, port] : {std::pair{&all, c1}, std::pair{&lo, c2}, std::pair{&hi, c3}}) {
    ASSERT_TRUE(eventually([&, port = port] {
      const auto m = http_get(port, "/metrics");
      return m && prometheus_value(m->body, "dasflow_chunks_total{stage=\"written\"}") >= 10;
    })) << p->output();
    p->signal(SIGTERM);
    ASSERT_EQ(p->wait(60s), 0) << p->output();
  }
  const auto [a, fa] = read_all("all");
  const auto [l, fl] = read_all("lo");
  const auto [h, fh] = read_all("hi");
  ASSERT_EQ(a.size(), 1000u * 40u);
  ASSERT_EQ(l.size(), 1000u * 20u);
  ASSERT_EQ(h.size(), 1000u * 20u);
  EXPECT_EQ(fa.time_values, fl.time_values);
  std::vector<float> side_by_side;
  for (std::size_t t = 0; t < 1000; ++t) {
    side_by_side.insert(side_by_side.end(), l.begin() + static_cast<std::ptrdiff_t>(t * 20),
                        l.begin() + static_cast<std::ptrdiff_t>(t * 20 + 20));
    side_by_side.insert(side_by_side.end(), h.begin() + static_cast<std::ptrdiff_t>(t * 20),
                        h.begin() + static_cast<std::ptrdiff_t>(t * 20 + 20));
  }
  EXPECT_TRUE(bit_identical(side_by_side, a, 40));
}

TEST_F(Live, DaemonsChainThroughTheDasflowStream) {
  // A: interrogator → bandpass → files + dasflow stream. B: A's stream (a shard of it) → files.
  const int ca = free_port(), cb = free_port(), out = free_port();
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(feed_), "--channels", "24", "--fs", "500", "--chunk", "0.1",
               "--duration", "3", "--speed", "2", "--wait-subscribers", "1"},
              dir_ / "sim.log");
  Process a({DASFLOW_DASFLOWD, "--config",
             daemon_config("a", "", hdf5_out("a") + "  - {type: zmq, address: \"" + tcp(out) + "\"}\n", ca)},
            dir_ / "a.log");
  const std::string b_config = dir_ / "b.yaml";
  std::ofstream(b_config) << "name: b\nsource: {type: dasflow, address: \"" << tcp(out)
                          << "\", timeout: 5, channels: [8, 24, 2]}\npipeline: [{atom: scale, factor: 1.0}]\n"
                          << "outputs:\n"
                          << hdf5_out("b") << "control: {listen: \"127.0.0.1:" << cb << "\"}\n";
  Process b({DASFLOW_DASFLOWD, "--config", b_config}, dir_ / "b.log");
  ASSERT_EQ(sim.wait(60s), 0) << sim.output();
  for (auto [p, port] : {std::pair{&a, ca}, std::pair{&b, cb}}) {
    ASSERT_TRUE(eventually([&, port = port] {
      const auto m = http_get(port, "/metrics");
      return m && prometheus_value(m->body, "dasflow_chunks_total{stage=\"written\"}") >= 5;
    })) << p->output();
  }
  std::this_thread::sleep_for(1s);
  for (Process* p : {&a, &b}) {
    p->signal(SIGTERM);
    ASSERT_EQ(p->wait(60s), 0) << p->output();
  }
  const auto [va, fa] = read_all("a");
  const auto [vb, fb] = read_all("b");
  ASSERT_EQ(fb.n_distance, 8u);
  ASSERT_FALSE(fb.time_values.empty());
  // B joined A's stream late: its rows are A's rows from B's first time on, columns 8, 10, ..., 22.
  const std::int64_t skip = (fb.time_values[0] - fa.time_values[0]) / 2'000'000; // 500 Hz
  ASSERT_GE(skip, 0);
  const std::size_t rows = vb.size() / 8;
  ASSERT_GT(rows, 100u);
  std::vector<float> want;
  for (std::size_t t = 0; t < rows; ++t)
    for (std::size_t c = 8; c < 24; c += 2)
      want.push_back(va.at((static_cast<std::size_t>(skip) + t) * 24 + c));
  EXPECT_TRUE(bit_identical(vb, want, 8));
}

TEST_F(Live, ReplayPlaysARealFileAsALiveFeed) {
  const std::string file = std::string(DASFLOW_REAL_DATA_DIR) + "/das/decimated_optodas.hdf5";
  auto vf = io::VendorFile::open(file, "auto");
  ASSERT_TRUE(vf.ok()) << vf.error().message;
  const auto& info = vf->info();
  std::vector<float> x(info.n_samples * info.n_channels);
  ASSERT_TRUE(vf->read_rows(0, info.n_samples, x.data()).ok());
  Process sub({DASFLOW_TOOL, "sub", tcp(feed_), "--protocol", "asn", "--json", "--timeout", "20"}, dir_ / "sub.log");
  Process replay({DASFLOW_TOOL, "replay", file, "--publish", tcp(feed_), "--speed", "max", "--chunk", "0.5",
                  "--wait-subscribers", "1"},
                 dir_ / "replay.log");
  ASSERT_EQ(replay.wait(60s), 0) << replay.output();
  std::this_thread::sleep_for(1s);
  sub.signal(SIGTERM);
  ASSERT_TRUE(sub.wait(30s).has_value());
  // Every row arrived, in order, with the file's values (message sums in double).
  std::istringstream lines(sub.output());
  std::string line;
  std::size_t row = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '{') continue;
    const auto j = nlohmann::json::parse(line);
    if (j["topic"] != "data") continue;
    ASSERT_EQ(j["n_channels"].get<std::size_t>(), info.n_channels);
    const auto n = j["n_samples"].get<std::size_t>();
    double sum = 0;
    for (std::size_t i = row * info.n_channels; i < (row + n) * info.n_channels; ++i)
      sum += x.at(i);
    EXPECT_EQ(j["sum"].get<double>(), sum) << "message at row " << row;
    EXPECT_EQ(j["fs"].get<double>(), info.fs_hz);
    row += n;
  }
  EXPECT_EQ(row, info.n_samples) << sub.output();
}

TEST_F(Live, CurveTheRightKeyReceivesAWrongKeyNothing) {
  const int ctl = free_port(), out = free_port();
  for (const char* k : {"server", "client", "stranger"}) {
    Process g({DASFLOW_TOOL, "keygen", dir_ / (std::string(k) + ".keys")}, dir_ / "keygen.log");
    ASSERT_EQ(g.wait(30s), 0) << g.output();
  }
  // The allow-list: the client's public key only.
  {
    std::ifstream in(dir_ / "client.keys");
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') break;
    std::ofstream(dir_ / "allowed") << line << "\n";
  }
  Process sim({DASFLOW_TOOL, "simulate", "--publish", tcp(feed_), "--channels", "8", "--fs", "200", "--chunk", "0.1",
               "--duration", "60"},
              dir_ / "sim.log");
  Process d({DASFLOW_DASFLOWD, "--config",
             daemon_config("curve", "",
                           "  - {type: zmq, address: \"" + tcp(out) + "\", curve: {server_keys: " +
                               (dir_ / "server.keys") + ", allowed_clients: " + (dir_ / "allowed") + "}}\n",
                           ctl)},
            dir_ / "d.log");
  Process good({DASFLOW_TOOL, "sub", tcp(out), "--count", "3", "--timeout", "30", "--curve-server-key",
                dir_ / "server.keys", "--curve-client-keys", dir_ / "client.keys"},
               dir_ / "good.log");
  Process bad({DASFLOW_TOOL, "sub", tcp(out), "--count", "1", "--timeout", "4", "--curve-server-key",
               dir_ / "server.keys", "--curve-client-keys", dir_ / "stranger.keys"},
              dir_ / "bad.log");
  Process plain({DASFLOW_TOOL, "sub", tcp(out), "--count", "1", "--timeout", "4"}, dir_ / "plain.log");
  EXPECT_EQ(good.wait(60s), 0) << good.output() << d.output();
  EXPECT_EQ(bad.wait(60s), 1) << bad.output();
  EXPECT_EQ(plain.wait(60s), 1) << plain.output();
  EXPECT_NE(bad.output().find("nothing from"), std::string::npos) << bad.output();
  d.signal(SIGTERM);
  EXPECT_EQ(d.wait(60s), 0) << d.output();
  sim.signal(SIGTERM);
  EXPECT_EQ(sim.wait(30s), 0);
}

} // namespace
} // namespace dasflow::test
