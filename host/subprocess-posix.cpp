// RunSubprocess on Linux: fork, then in the child only system calls (a child
// of a threaded process may not allocate or lock between fork and exec), a
// close-on-exec pipe that reports why exec failed, poll() over the pipes with
// one deadline, a pidfd to wait for the exit without sleeping.
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace vidkeep {

namespace {

using Clock = std::chrono::steady_clock;

// What the child writes to the report pipe when it cannot run the program.
struct ChildFailure {
  enum Step : int { kSetup, kChdir, kLimit, kExec } step;
  int error;
};

void Close(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// Pipes and descriptors of one run; closes whatever is still open.
struct Fds {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1};
  ~Fds() {
    for (int* p : {in, out, err, report}) Close(p[0]), Close(p[1]);
  }
};

Status PipeError() { return Status::Unavailable(std::string("pipe: ") + std::strerror(errno)); }

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

// Blocks SIGPIPE in this thread while input is written, so a child that
// closes its stdin early is an EPIPE, not our death; a SIGPIPE we caused is
// taken off the thread's pending set before the mask is restored.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pending;
    sigemptyset(&block_);
    sigaddset(&block_, SIGPIPE);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &block_, &previous_);
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      const timespec zero{0, 0};
      while (sigtimedwait(&block_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  /// The mask before the block: what a child must exec with (a mask survives
  /// fork and exec, and a program started with SIGPIPE blocked misbehaves).
  const sigset_t& previous() const { return previous_; }

 private:
  sigset_t block_, previous_;
  bool was_pending_ = false;
};

// Waits up to `grace` for `pid` to exit; true with `*status` when it did.
bool WaitFor(pid_t pid, std::chrono::milliseconds grace, int* status) {
  const auto deadline = Clock::now() + grace;
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  while (true) {
    const pid_t r = ::waitpid(pid, status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) break;
    const int left = MillisLeft(deadline);
    if (left == 0) {
      if (pidfd >= 0) ::close(pidfd);
      return false;
    }
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, left);  // readable when the child exits
    } else {
      // Kernels before 5.3 have no pidfd.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(left, 10)));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  return true;
}

}  // namespace

std::vector<std::string> CurrentEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) out.emplace_back(*e);
  return out;
}

Result<SubprocessResult> RunSubprocess(const SubprocessOptions& options) {
  if (options.argv.empty()) return Status::Internal("RunSubprocess: no program");
  const std::string& program = options.argv.front();
  Fds fds;
  if (::pipe2(fds.out, O_CLOEXEC) != 0 || ::pipe2(fds.report, O_CLOEXEC) != 0) return PipeError();
  if (options.capture_stderr && ::pipe2(fds.err, O_CLOEXEC) != 0) return PipeError();
  if (options.input && ::pipe2(fds.in, O_CLOEXEC) != 0) return PipeError();

  // Everything the child needs is made before fork.
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = options.env.value_or(std::vector<std::string>{});
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char** const child_env = options.env ? envp.data() : environ;
  struct Limit {
    int resource;
    rlim_t value;
  };
  std::vector<Limit> rlimits;
  const ResourceLimits& l = options.limits;
  if (l.cpu_seconds) rlimits.push_back({RLIMIT_CPU, *l.cpu_seconds});
  if (l.file_bytes) rlimits.push_back({RLIMIT_FSIZE, *l.file_bytes});
  if (!l.core_dumps) rlimits.push_back({RLIMIT_CORE, 0});
#if !defined(__SANITIZE_ADDRESS__)
  if (l.address_space_bytes) rlimits.push_back({RLIMIT_AS, *l.address_space_bytes});
#endif
  const char* const workdir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const bool own_group = options.own_process_group;

  // Input goes into the pipe before the child exists, as much as the pipe
  // holds (64 KiB on Linux; the rest while the output is read): a child that
  // exits without reading still had it delivered, so input_written does not
  // depend on who ran first. The child never inherits this end (O_CLOEXEC).
  const std::string& input = options.input ? *options.input : std::string();
  std::size_t written = 0;
  std::optional<SigpipeBlock> sigpipe;
  if (fds.in[1] >= 0 && !input.empty()) {
    sigpipe.emplace();
    ::fcntl(fds.in[1], F_SETFL, ::fcntl(fds.in[1], F_GETFL) | O_NONBLOCK);
    const ssize_t n = ::write(fds.in[1], input.data(), input.size());
    if (n > 0) written = static_cast<std::size_t>(n);
  }

  const pid_t pid = ::fork();
  if (pid == 0) {
    // The child: system calls only, then exec or report why not.
    ChildFailure failure{ChildFailure::kSetup, 0};
    if (own_group) ::setpgid(0, 0);
    if (sigpipe) ::sigprocmask(SIG_SETMASK, &sigpipe->previous(), nullptr);
    const int in = fds.in[0] >= 0 ? fds.in[0]
                                  : static_cast<int>(::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY));
    const int err = fds.err[1] >= 0 ? fds.err[1]
                                    : static_cast<int>(::syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY));
    bool ok = in >= 0 && err >= 0 && ::dup2(in, 0) == 0 && ::dup2(fds.out[1], 1) == 1 && ::dup2(err, 2) == 2;
    if (ok && workdir && ::chdir(workdir) != 0) ok = false, failure.step = ChildFailure::kChdir;
    for (const Limit& limit : rlimits) {
      const rlimit r{limit.value, limit.value};
      if (ok && ::setrlimit(limit.resource, &r) != 0) ok = false, failure.step = ChildFailure::kLimit;
    }
    if (ok) {
      ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // the report pipe closes on exec, so must the rest
      ::execve(argv[0], argv.data(), child_env);
      failure.step = ChildFailure::kExec;
    }
    failure.error = errno;
    (void)!::write(fds.report[1], &failure, sizeof failure);
    ::_exit(127);
  }
  const int fork_errno = errno;
  Close(fds.out[1]);
  Close(fds.err[1]);
  Close(fds.in[0]);
  Close(fds.report[1]);
  if (pid < 0) return Status::Unavailable("cannot run " + program + ": " + std::strerror(fork_errno));
  if (fds.in[1] >= 0 && written == input.size()) Close(fds.in[1]);  // end of input

  // EOF on the report pipe: exec succeeded (it closed the child's end).
  ChildFailure failure{};
  ssize_t got;
  while ((got = ::read(fds.report[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  if (got == static_cast<ssize_t>(sizeof failure)) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    const std::string why = std::strerror(failure.error);
    switch (failure.step) {
      case ChildFailure::kChdir:
        return Status::Unavailable("cannot run " + program + " in " + options.working_dir + ": " + why);
      case ChildFailure::kLimit:
        return Status::Unavailable("cannot limit " + program + ": " + why);
      default:
        return Status::Unavailable("cannot run " + program + ": " + why);
    }
  }

  SubprocessResult result;
  const auto deadline = Clock::now() + options.timeout;
  std::string* const sinks[] = {&result.out, &result.err};
  int* const readers[] = {&fds.out[0], &fds.err[0]};
  bool complete = false;
  int poll_errno = 0;
  while (!complete && (fds.out[0] >= 0 || fds.err[0] >= 0)) {
    const int left = MillisLeft(deadline);
    if (left == 0) {
      result.timed_out = true;
      break;
    }
    pollfd p[3] = {{fds.out[0], POLLIN, 0}, {fds.err[0], POLLIN, 0}, {fds.in[1], POLLOUT, 0}};
    if (::poll(p, 3, left) < 0) {
      if (errno == EINTR) continue;
      poll_errno = errno;  // the child is killed and reaped below
      break;
    }
    if (p[2].revents) {
      const ssize_t n = ::write(fds.in[1], input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == input.size()) {
        result.input_written = written == input.size();
        Close(fds.in[1]);
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = ::read(*readers[i], buffer, sizeof buffer);
      if (n > 0) {
        const std::string_view piece(buffer, static_cast<std::size_t>(n));
        std::string& sink = *sinks[i];
        sink.append(piece.substr(0, options.output_cap - std::min(options.output_cap, sink.size())));
        if (i == 0 && options.on_output && options.on_output(piece)) complete = true;
      } else if (n == 0 || errno != EINTR) {
        Close(*readers[i]);
      }
    }
  }
  if (fds.in[1] >= 0 && written < input.size()) result.input_written = false;
  Close(fds.in[1]);
  Close(fds.out[0]);
  Close(fds.err[0]);
  sigpipe.reset();

  int status = 0;
  if (result.timed_out || poll_errno || !WaitFor(pid, options.exit_grace, &status)) {
    ::kill(options.own_process_group ? -pid : pid, SIGKILL);
    result.killed = true;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (poll_errno) return Status::Internal(std::string("poll: ") + std::strerror(poll_errno));
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace vidkeep
