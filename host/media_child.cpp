#include "media_child.h"

#include <chrono>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "file_io.h"
#include "platform.h"
#include "subprocess.h"

namespace vidkeep {

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& env) {
  // What a C program and FFmpeg may look at; nothing the host holds for
  // itself (VIDKEEP_TOKEN, the session, proxies' credentials) is passed on.
  // SystemRoot: a Windows process cannot start its system DLLs without it.
  static const char* const kKeep[] = {"LANG", "LANGUAGE", "TZ", "TMPDIR", "ASAN_OPTIONS",
                                      "UBSAN_OPTIONS", "SystemRoot"};
  std::vector<std::string> out = {"PATH=/usr/bin:/bin"};
  for (const std::string& entry_string : env) {
    const std::string_view entry(entry_string);
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
  const std::string self = SelfExecutable();
  return self.empty() ? ToolFileName() : Utf8Path(FsPath(self).parent_path() / ToolFileName());
}

}  // namespace

// The sandbox is this policy (environment, limits, caps); the mechanics are
// RunSubprocess's.
Result<ChildResult> RunSandboxed(const std::string& program, const std::vector<std::string>& args,
                                 std::chrono::seconds timeout, const ChildLimits& limits) {
  SubprocessOptions options;
  options.argv = {program};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = ChildEnvironment(CurrentEnvironment());
  options.limits.cpu_seconds = limits.cpu_seconds;
  options.limits.address_space_bytes = limits.address_space_bytes;
  options.limits.file_bytes = limits.file_bytes;
  options.limits.core_dumps = false;
  options.output_cap = 64 * 1024;
  options.timeout = timeout;
  auto run = RunSubprocess(options);
  if (!run.ok()) return run.status();
  if (run->timed_out)
    return Status::Unavailable("the media tool took longer than " + std::to_string(timeout.count()) +
                               " s and was stopped");
  if (run->signal != 0)
    return Status::Error(ErrorCode::kUnsupported, std::string("the media tool crashed on this file (") +
                                                      SignalName(run->signal) + ")");
  return ChildResult{run->exit_code, std::move(run->out), std::move(run->err)};
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

std::string ProbeOutput(const MediaInfo& info) {
  nlohmann::json out = {{"video_codec", info.video_codec},
                        {"audio_codec", info.audio_codec},
                        {"container", info.container}};
  if (info.duration_s) out["duration_s"] = *info.duration_s;
  if (info.width && info.height) {
    out["width"] = *info.width;
    out["height"] = *info.height;
  }
  return out.dump();
}

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
