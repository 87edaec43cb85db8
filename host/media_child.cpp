#include "media_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace vidkeep {

namespace {

struct ChildResult {
  int exit_code = -1;  // -1: killed or not started
  std::string out, err;
};

// The `vidkeep` beside the running executable (the host and the tool are
// always installed together).
std::string ToolPath() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("vidkeep") : (self.parent_path() / "vidkeep").string();
}

// Runs the tool with `args`, stdin from /dev/null, no other descriptor of
// ours (the host's stdin/stdout are the browser's pipe), stdout and stderr
// captured (at most 64 KiB each), killed at `timeout`.
Result<ChildResult> RunTool(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]), ::close(out[1]);
    return Status::Unavailable(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  const std::string tool = ToolPath();
  std::vector<std::string> argv_strings = {tool};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]), ::close(err[0]);
    return Status::Unavailable("cannot run " + tool + ": " + std::strerror(rc));
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
  auto run = RunTool({"media-probe", path}, std::chrono::seconds(20));
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
  auto run = RunTool({"media-thumbnail", video_path, jpeg_path}, std::chrono::seconds(30));
  if (!run.ok()) return run.status();
  if (run->exit_code != 0) return ToolError(*run);
  return {};
}

}  // namespace vidkeep
