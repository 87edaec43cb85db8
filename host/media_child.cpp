#include "media_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace vidkeep {

std::vector<std::string> ChildEnvironment(const char* const* env) {
  // What a C program and FFmpeg may look at; nothing the host holds for
  // itself (VIDKEEP_TOKEN, the session, proxies' credentials) is passed on.
  static const char* const kKeep[] = {"LANG", "LANGUAGE", "TZ", "TMPDIR", "ASAN_OPTIONS",
                                      "UBSAN_OPTIONS"};
  std::vector<std::string> out = {"PATH=/usr/bin:/bin"};
  for (; env && *env; ++env) {
    const std::string_view entry(*env);
    const std::string_view name = entry.substr(0, entry.find('='));
    bool keep = name.starts_with("LC_");
    for (const char* k : kKeep) keep = keep || name == k;
    if (keep) out.emplace_back(entry);
  }
  return out;
}

namespace {

// The `vidkeep` beside the running executable (the host and the tool are
// always installed together).
std::string ToolPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("vidkeep") : (self.parent_path() / "vidkeep").string();
}

}  // namespace

// Runs `program` with `args`, stdin from /dev/null, no other descriptor of
// ours (the host's stdin/stdout are the browser's pipe), stdout and stderr
// captured (at most 64 KiB each), the environment scrubbed and resource
// limits set in the child before exec, killed at `timeout`.
Result<ChildResult> RunSandboxed(const std::string& program, const std::vector<std::string>& args,
                                 std::chrono::seconds timeout, const ChildLimits& limits) {
  int out[2], err[2], report[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(report, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]), ::close(err[0]), ::close(err[1]);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  // Everything the child needs is made before fork: between fork and exec a
  // child of a threaded process may only make system calls.
  std::vector<std::string> argv_strings = {program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings = ChildEnvironment(environ);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  struct Limit {
    int resource;
    rlim_t value;
  };
  std::vector<Limit> rlimits = {{RLIMIT_CPU, limits.cpu_seconds},
                                {RLIMIT_FSIZE, limits.file_bytes},
                                {RLIMIT_CORE, 0}};
#if !defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer reserves terabytes of address space for its shadow.
  rlimits.push_back({RLIMIT_AS, limits.address_space_bytes});
#endif

  const pid_t pid = ::fork();
  if (pid == 0) {
    int fd = static_cast<int>(::syscall(SYS_open, "/dev/null", O_RDONLY));
    bool ok = fd >= 0 && ::dup2(fd, 0) == 0 && ::dup2(out[1], 1) == 1 && ::dup2(err[1], 2) == 2;
    for (const Limit& l : rlimits) {
      const rlimit r{l.value, l.value};
      ok = ok && ::setrlimit(l.resource, &r) == 0;
    }
    if (ok) {
      ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);  // `report` closes on exec, so must we
      ::execve(program.c_str(), argv.data(), envp.data());
    }
    const int e = errno;
    (void)!::write(report[1], &e, sizeof e);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(out[1]);
  ::close(err[1]);
  ::close(report[1]);
  if (pid < 0) {
    ::close(out[0]), ::close(err[0]), ::close(report[0]);
    return Status::Unavailable("cannot run " + program + ": " + std::strerror(fork_errno));
  }
  int exec_errno = 0;
  ssize_t got;
  while ((got = ::read(report[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (got == sizeof exec_errno) {
    ::close(out[0]), ::close(err[0]);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return Status::Unavailable("cannot run " + program + ": " + std::strerror(exec_errno));
  }

  ChildResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  bool killed = false;
  while (open_pipes > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        if (sinks[i]->size() < 64 * 1024) sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) return Status::Unavailable("the media tool took longer than " +
                                         std::to_string(timeout.count()) + " s and was stopped");
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    return Status::Error(ErrorCode::kUnsupported, std::string("the media tool crashed on this file (") +
                               strsignal(WTERMSIG(status)) + ")");
  return result;
}

namespace {

// The tool's own error line, or a generic one.
Status ToolError(const ChildResult& r) {
  std::string message = r.err;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (message.rfind("vidkeep: ", 0) == 0) message.erase(0, 9);
  if (message.empty()) message = "the media tool failed (exit " + std::to_string(r.exit_code) + ")";
  // Exit 3: the file is not a usable media file; anything else: could not work.
  return r.exit_code == 3 ? Status::Error(ErrorCode::kUnsupported, message) : Status::Unavailable(message);
}

}  // namespace

Result<MediaInfo> ProbeMediaInChild(const std::string& path) {
  auto run = RunSandboxed(ToolPath(), {"media-probe", path}, std::chrono::seconds(20), ChildLimits{20});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) return ToolError(*run);
  auto j = nlohmann::json::parse(run->out, nullptr, false);
  if (!j.is_object()) return Status::Internal("the media tool wrote something other than JSON");
  MediaInfo info;
  if (j.value("duration_s", nlohmann::json()).is_number()) info.duration_s = j["duration_s"].get<double>();
  if (j.value("width", nlohmann::json()).is_number_integer() && j.value("height", nlohmann::json()).is_number_integer()) {
    info.width = j["width"].get<int>();
    info.height = j["height"].get<int>();
  }
  for (auto [key, field] : {std::pair{"video_codec", &info.video_codec}, std::pair{"audio_codec", &info.audio_codec},
                            std::pair{"container", &info.container}})
    if (j.value(key, nlohmann::json()).is_string()) *field = j[key].get<std::string>().substr(0, 64);
  return info;
}

Status MakeThumbnailInChild(const std::string& video_path, const std::string& jpeg_path) {
  auto run = RunSandboxed(ToolPath(), {"media-thumbnail", video_path, jpeg_path},
                          std::chrono::seconds(30), ChildLimits{30});
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) return ToolError(*run);
  return {};
}

}  // namespace vidkeep
