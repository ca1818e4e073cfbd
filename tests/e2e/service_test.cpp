// dasflowd as a service, with the real binary: the HTTP control plane over a real socket, the
// systemd notify protocol on a real datagram socket (READY, STATUS, WATCHDOG only while data
// advances, STOPPING), and SIGHUP reopening the log file (DESIGN.md §5).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "http_get.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

namespace dasflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using dasflow::testing::TempDir;
using Clock = std::chrono::steady_clock;

std::string read_file(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Service, ServesMetricsAndStatusOverHttp) {
  TempDir dir("service");
  const int port = free_port();
  const std::string config = dir / "svc.yaml";
  std::ofstream(config) << "name: svc\n"
                           "source: {type: synthetic, channels: 200, fs: 500, chunk: 0.1, realtime: true}\n"
                           "pipeline:\n"
                           "  - {atom: iirfilter, order: 2, cutoff: [1.0, 20.0], btype: bandpass}\n"
                           "  - {atom: decimate, factor: 2}\n"
                           "outputs: [{type: hdf5, path: "
                        << (dir / "out") << ", prefix: s, file_duration: 60}]\n"
                        << "checkpoint: {path: " << (dir / "ck") << ", interval: 0.2}\n"
                        << "control: {listen: \"127.0.0.1:" << port << "\"}\n";
  Process p({DASFLOW_DASFLOWD, "--config", config}, dir / "dasflowd.log");
  std::string body;
  ASSERT_TRUE(eventually([&] {
    const auto r = http_get(port, "/metrics");
    if (!r || r->status != 200) return false;
    body = r->body;
    return prometheus_value(body, "dasflow_chunks_total{stage=\"written\"}") >= 3 &&
           prometheus_value(body, "dasflow_checkpoints_total") >= 1;
  })) << body
      << p.output();
  for (const char* family : {"dasflow_samples_total", "dasflow_queue_depth", "dasflow_stage_busy_seconds_total",
                             "dasflow_lag_seconds", "dasflow_checkpoint_age_seconds", "dasflow_output_bytes_total",
                             "dasflow_triggers_total", "dasflow_gaps_total", "dasflow_chunks_total"})
    EXPECT_NE(body.find(std::string("# TYPE ") + family + " "), std::string::npos) << family;
  EXPECT_EQ(prometheus_value(body, "dasflow_stream_channels{stream=\"input\"}"), 200);
  EXPECT_EQ(prometheus_value(body, "dasflow_stream_rate_hz{stream=\"output\"}"), 250);
  EXPECT_GT(prometheus_value(body, "dasflow_samples_total{stage=\"in\"}"), 0);
  EXPECT_GE(prometheus_value(body, "dasflow_checkpoint_bytes"), 1000);
  const double lag = prometheus_value(body, "dasflow_lag_seconds");
  EXPECT_TRUE(lag > -1 && lag < 30) << lag;

  const auto status = http_get(port, "/status");
  ASSERT_TRUE(status && status->status == 200);
  EXPECT_NE(status->headers.find("application/json"), std::string::npos) << status->headers;
  const auto j = nlohmann::json::parse(status->body);
  EXPECT_EQ(j["name"], "svc");
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["input"]["channels"], 200);
  EXPECT_GE(j["checkpoint"]["count"].get<int>(), 1);
  EXPECT_TRUE(j["position"]["time"].is_string());
  const auto missing = http_get(port, "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(60s), 0) << p.output();
  EXPECT_FALSE(http_get(port, "/metrics").has_value()); // the port is closed with the daemon
}

TEST(Service, ControlPortInUseIsAClearError) {
  TempDir dir("service");
  const int port = free_port();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  const std::string config = dir / "svc.yaml";
  std::ofstream(config) << "source: {type: synthetic, channels: 8, fs: 100, duration: 1, realtime: false}\n"
                           "pipeline: [{atom: abs}]\n"
                           "outputs: []\n"
                           "control: {listen: \"127.0.0.1:"
                        << port << "\"}\n";
  Process p({DASFLOW_DASFLOWD, "--config", config}, dir / "dasflowd.log");
  EXPECT_EQ(p.wait(30s), 1) << p.output();
  EXPECT_NE(p.output().find("127.0.0.1:" + std::to_string(port)), std::string::npos) << p.output();
  EXPECT_NE(p.output().find("in use"), std::string::npos) << p.output();
  ::close(fd);
}

/// A datagram socket standing in for systemd's NOTIFY_SOCKET; messages with their arrival time.
class NotifySocket {
public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  /// Reads what arrived within `for_time`.
  void collect(std::chrono::milliseconds for_time) {
    const auto deadline = Clock::now() + for_time;
    while (Clock::now() < deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) messages.emplace_back(Clock::now(), std::string(buf, static_cast<std::size_t>(n)));
    }
  }
  std::vector<std::pair<Clock::time_point, std::string>> messages;

private:
  std::string path_;
  int fd_ = -1;
};

TEST(Service, TalksTheSystemdNotifyProtocol) {
  TempDir dir("service");
  NotifySocket notify(dir / "notify.sock");
  const std::string config = dir / "svc.yaml";
  // Real time, 0.1-s chunks, and a 2.5-s loss of data 1.5 s in: no chunk arrives meanwhile.
  std::ofstream(config) << "source: {type: synthetic, channels: 16, fs: 200, chunk: 0.1, realtime: true,\n"
                           "         gaps: [[1.5, 2.5]]}\n"
                           "pipeline: [{atom: abs}]\n"
                           "outputs: []\n"
                           "logging: {stats_interval: 0.5}\n";
  ::setenv("NOTIFY_SOCKET", (dir / "notify.sock").c_str(), 1);
  ::setenv("WATCHDOG_USEC", "200000", 1); // pings every 100 ms while data advances
  Process p({DASFLOW_DASFLOWD, "--config", config}, dir / "dasflowd.log");
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  notify.collect(5500ms);
  p.signal(SIGTERM);
  notify.collect(1500ms);
  ASSERT_EQ(p.wait(30s), 0) << p.output();

  ASSERT_FALSE(notify.messages.empty()) << p.output();
  const std::string& first = notify.messages.front().second;
  EXPECT_EQ(first.rfind("READY=1\nSTATUS=", 0), 0u) << first;
  EXPECT_NE(first.find("16 ch @ 200 Hz"), std::string::npos) << first;
  std::vector<Clock::time_point> pings;
  bool status_update = false, stopping = false;
  for (const auto& [t, m] : notify.messages) {
    if (m == "WATCHDOG=1") pings.push_back(t);
    if (m.rfind("STATUS=", 0) == 0 && m.find("lag") != std::string::npos) status_update = true;
    if (m.rfind("STOPPING=1", 0) == 0) stopping = true;
  }
  EXPECT_TRUE(status_update);
  EXPECT_TRUE(stopping);
  ASSERT_GE(pings.size(), 4u);
  // While no data came (the 2.5-s loss) the pings stopped: the longest silence spans most of it.
  std::chrono::duration<double> longest{0};
  for (std::size_t i = 1; i < pings.size(); ++i)
    longest = std::max<std::chrono::duration<double>>(longest, pings[i] - pings[i - 1]);
  EXPECT_GT(longest.count(), 1.5);
  EXPECT_LT(longest.count(), 4.5);
}

TEST(Service, SighupReopensTheLogFile) {
  TempDir dir("service");
  const std::string config = dir / "svc.yaml";
  std::ofstream(config) << "source: {type: synthetic, channels: 8, fs: 100, chunk: 0.1, realtime: true}\n"
                           "pipeline: [{atom: abs}]\n"
                           "outputs: []\n"
                           "logging: {stats_interval: 0.2, file: "
                        << (dir / "logs/dasflowd.log") << "}\n";
  Process p({DASFLOW_DASFLOWD, "--config", config}, dir / "stdout.log");
  ASSERT_TRUE(eventually([&] {
    return read_file(dir / "logs/dasflowd.log").find("running (pid") != std::string::npos;
  })) << p.output();
  fs::rename(dir / "logs/dasflowd.log", dir / "logs/dasflowd.log.1"); // what logrotate does
  p.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return read_file(dir / "logs/dasflowd.log").find("SIGHUP") != std::string::npos; }))
      << p.output();
  p.signal(SIGTERM);
  EXPECT_EQ(p.wait(30s), 0);
  EXPECT_NE(read_file(dir / "logs/dasflowd.log").find("exit 0"), std::string::npos);
  EXPECT_EQ(read_file(dir / "logs/dasflowd.log.1").find("exit 0"), std::string::npos);
  EXPECT_EQ(p.output().find("running (pid"), std::string::npos); // nothing went to stdout
}

} // namespace
} // namespace dasflow::test
