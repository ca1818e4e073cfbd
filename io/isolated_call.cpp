#include "isolated_call.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dasflow/io/hdf5_lock.hpp"

// Sanitizer runtimes (ASan, UBSan) define this; a fuzzer registers a death callback with it that
// saves the input as a crash. Weak: absent (null) in a normal build.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace dasflow::io {

namespace {

/// Reply framing on the pipe: 'K' then the payload, or 'E', one digit (Errc) and the message.
constexpr char kReplyOk = 'K';
constexpr char kReplyError = 'E';

void write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void child_main(int fd, pid_t parent, const std::function<Result<std::string>()>& work) {
  in_isolated_child() = true;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1); // the parent died before the line above
  for (const int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    std::signal(sig, SIG_DFL);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
  // Nothing on the terminal (a sanitizer's crash report included), no exit handlers.
  const int null_fd = ::open("/dev/null", O_WRONLY);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
  }
  std::string reply;
  if (auto r = work(); r.ok()) {
    reply = kReplyOk + std::move(*r);
  } else {
    reply = std::string{kReplyError, static_cast<char>('0' + static_cast<int>(r.error().code))} + r.error().message;
  }
  write_all(fd, reply.data(), reply.size());
  ::_exit(0);
}

} // namespace

bool& in_isolated_child() noexcept {
  static bool flag = false;
  return flag;
}

Result<std::string> run_isolated(const std::string& what, const std::function<Result<std::string>()>& work,
                                 std::chrono::seconds timeout) {
  if (const char* cap = std::getenv("DASFLOW_ISOLATED_TIMEOUT"); cap && std::atoi(cap) > 0)
    timeout = std::min(timeout, std::chrono::seconds(std::atoi(cap)));
  const std::lock_guard lock(hdf5_mutex());
  const pid_t parent = ::getpid();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return work(); // no isolation available: run here
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return work();
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], parent, work);
  }
  ::close(fds[1]);
  // Read the reply until the child closes the pipe (it exits), within the timeout.
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;
    char buf[65536];
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; // EOF: the child has exited (or closed the pipe)
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  if (timed_out) {
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return fail(Errc::io, what + ": did not finish within " + std::to_string(timeout.count()) +
                              " s in a test process (the file is corrupt or the disk hangs)");
  }
  pid_t done = 0;
  while ((done = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  const bool exited_ok = done == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (exited_ok && !reply.empty() && reply[0] == kReplyOk) return reply.substr(1);
  if (exited_ok && reply.size() >= 2 && reply[0] == kReplyError) {
    const int code = reply[1] - '0';
    const Errc errc = code >= 0 && code <= static_cast<int>(Errc::internal) ? static_cast<Errc>(code) : Errc::io;
    return fail(errc, reply.substr(2));
  }
  if (done != pid) return work(); // reaped elsewhere (SIGCHLD ignored): no verdict, run here
  const std::string how = WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                              : "exit status " + std::to_string(WEXITSTATUS(status));
  return fail(Errc::io,
              what + ": the HDF5 library crashed (" + how + ") reading it in a test process; the file is corrupt");
}

} // namespace dasflow::io
