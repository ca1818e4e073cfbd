// SystemdNotifier against a fake systemd: an AF_UNIX datagram socket named by NOTIFY_SOCKET, as the
// service manager sets it up for a Type=notify unit. Each call must arrive as one datagram with
// exactly the sd_notify(3) text.

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dasflow/daemon/logging.hpp"
#include "dasflow/daemon/systemd_notify.hpp"

namespace dasflow {
namespace {

namespace fs = std::filesystem;
using std::chrono::microseconds;

/// Sets an environment variable for the lifetime of a test and restores the previous value.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  const char* name_;
  std::optional<std::string> old_;
};

/// The service manager's end: a datagram socket bound in a fresh temporary directory.
class FakeSystemd : public ::testing::Test {
protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "dasflow-notify-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "notify").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof addr.sun_path) << path_;
    path_.copy(addr.sun_path, path_.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0) << path_;
  }

  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  /// The next datagram, or nothing if none arrives within `timeout_ms`.
  std::optional<std::string> receive(int timeout_ms = 2000) const {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

  fs::path dir_;
  std::string path_;
  int fd_ = -1;
};

TEST_F(FakeSystemd, EachCallSendsItsExactText) {
  const ScopedEnv socket("NOTIFY_SOCKET", path_);
  const ScopedEnv usec("WATCHDOG_USEC", std::nullopt);
  const ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  daemon::SystemdNotifier n;
  ASSERT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_interval(), std::nullopt) << "WATCHDOG_USEC unset";

  n.ready("running: 2 chunks/s");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=running: 2 chunks/s");
  n.status("lag 0.3 s");
  EXPECT_EQ(receive(), "STATUS=lag 0.3 s");
  n.watchdog();
  EXPECT_EQ(receive(), "WATCHDOG=1");
  n.reloading();
  EXPECT_EQ(receive(), "RELOADING=1");
  n.ready("");
  EXPECT_EQ(receive(), "READY=1") << "an empty status is left out";
  n.stopping("draining and checkpointing");
  EXPECT_EQ(receive(), "STOPPING=1\nSTATUS=draining and checkpointing");
  n.stopping("");
  EXPECT_EQ(receive(), "STOPPING=1");
  n.errno_status(28);
  EXPECT_EQ(receive(), "ERRNO=28");
  EXPECT_EQ(receive(100), std::nullopt) << "one datagram per call";
}

TEST_F(FakeSystemd, StatusIsOneLine) {
  const ScopedEnv socket("NOTIFY_SOCKET", path_);
  daemon::SystemdNotifier n;
  n.status("config error:\npipeline[0].order: must be > 0\r\n");
  EXPECT_EQ(receive(), "STATUS=config error: pipeline[0].order: must be > 0  ");
  n.ready("a\nREADY=0");
  EXPECT_EQ(receive(), "READY=1\nSTATUS=a READY=0") << "a status cannot inject another assignment";
  n.stopping(std::string_view("x\0y", 3));
  EXPECT_EQ(receive(), "STOPPING=1\nSTATUS=x y") << "a NUL would cut the message short";
}

TEST_F(FakeSystemd, WatchdogIntervalForThisProcess) {
  const ScopedEnv socket("NOTIFY_SOCKET", path_);
  const ScopedEnv usec("WATCHDOG_USEC", "30000000");
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  const daemon::SystemdNotifier n;
  EXPECT_EQ(n.watchdog_interval(), microseconds(30'000'000));
}

TEST_F(FakeSystemd, WatchdogIntervalWithoutPidIsForThisProcess) {
  const ScopedEnv socket("NOTIFY_SOCKET", path_);
  const ScopedEnv usec("WATCHDOG_USEC", "5000000");
  const ScopedEnv pid("WATCHDOG_PID", std::nullopt);
  const daemon::SystemdNotifier n;
  EXPECT_EQ(n.watchdog_interval(), microseconds(5'000'000));
}

TEST_F(FakeSystemd, NoWatchdogIntervalForAnotherProcess) {
  const ScopedEnv socket("NOTIFY_SOCKET", path_);
  const ScopedEnv usec("WATCHDOG_USEC", "30000000");
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
  const daemon::SystemdNotifier n;
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(n.watchdog_interval(), std::nullopt) << "the watchdog belongs to WATCHDOG_PID, e.g. a parent";
}

TEST_F(FakeSystemd, WithoutNotifySocketNothingIsSent) {
  const ScopedEnv socket("NOTIFY_SOCKET", std::nullopt);
  const ScopedEnv usec("WATCHDOG_USEC", "30000000");
  const ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
  daemon::SystemdNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_EQ(n.watchdog_interval(), std::nullopt) << "no one to ping";
  {
    // Set only after construction: the notifier decided once, at start-up, that it is not under systemd.
    const ScopedEnv later("NOTIFY_SOCKET", path_);
    n.ready("running");
    n.status("running");
    n.watchdog();
    n.reloading();
    n.stopping("stopping");
    n.errno_status(5);
  }
  EXPECT_EQ(receive(200), std::nullopt);
}

TEST_F(FakeSystemd, UnreachableSocketIsIgnoredAndLoggedOnce) {
  const ScopedEnv socket("NOTIFY_SOCKET", (dir_ / "nobody-listens").string());
  auto ctl = daemon::logger("ctl");
  auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
  ctl->sinks().push_back(captured);
  const auto level = ctl->level();
  ctl->set_level(spdlog::level::debug);

  daemon::SystemdNotifier n;
  EXPECT_TRUE(n.enabled());
  for (int i = 0; i < 3; ++i) {
    n.ready("running");
    n.watchdog();
    n.stopping("stopping");
  }
  ctl->sinks().pop_back();
  ctl->set_level(level);

  EXPECT_EQ(receive(100), std::nullopt);
  // Once per process: a repeated run (--gtest_repeat) of this test in the same process logs nothing.
  static bool first_run = true;
  const auto lines = captured->last_formatted();
  ASSERT_EQ(lines.size(), first_run ? 1U : 0U);
  if (first_run) {
    EXPECT_NE(lines[0].find("sd_notify failed"), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find("debug"), std::string::npos) << lines[0];
  }
  first_run = false;
}

} // namespace
} // namespace dasflow
