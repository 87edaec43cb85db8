// libavformat runs in a child process, never in the host. Media files come
// from the internet: a crash or a hang in a demuxer or decoder must not take
// the host (and the browser's connection) with it, and linking FFmpeg's ~140
// libraries into the host tripled its start-up time and doubled its memory
// (docs/benchmarks.md). The child is `vidkeep media-probe` /
// `vidkeep media-thumbnail` (media_tool.cpp), the `vidkeep` installed beside
// the running executable.
#pragma once

#include <string>

#include "media_probe.h"
#include "status.h"

#include <chrono>
#include <vector>

namespace vidkeep {

/// What a media child may use. A hostile file can make a demuxer loop, eat
/// memory or write a huge "thumbnail": the kernel stops it at these limits
/// (besides the wall-clock timeout). No core files either.
struct ChildLimits {
  unsigned long cpu_seconds = 30;
  unsigned long address_space_bytes = 1UL << 30;  // 1 GiB
  unsigned long file_bytes = 32UL << 20;          // a thumbnail is a few MiB at most
};

struct ChildResult {
  int exit_code = -1;  // -1: killed or not started
  std::string out, err;
};

/// The environment a media child gets out of `env` ("NAME=value" each, as
/// CurrentEnvironment() has it): PATH=/usr/bin:/bin, the locale (LANG, LANGUAGE, LC_*), TZ,
/// TMPDIR and the sanitizers' options; nothing else (no VIDKEEP_TOKEN, no
/// credentials of any kind).
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& env);

/// Runs `program` with `args` through RunSubprocess (subprocess.h): stdin
/// /dev/null, stdout and stderr captured (64 KiB each), no other descriptor,
/// ChildEnvironment(CurrentEnvironment()), `limits` set in the child before
/// exec, killed after `timeout`. Blocks. A child that a signal ends (a
/// limit's SIGXCPU or SIGXFSZ, a crash) is an kUnsupported error: "crashed".
Result<ChildResult> RunSandboxed(const std::string& program, const std::vector<std::string>& args,
                                 std::chrono::seconds timeout, const ChildLimits& limits);

/// ProbeMedia in a child process, killed after 20 s. Blocks: call it off the
/// event loop.
Result<MediaInfo> ProbeMediaInChild(const std::string& path);
/// What `vidkeep media-probe` prints for ProbeMediaInChild to read: both ends
/// of that pipe's JSON are in media_child.cpp.
std::string ProbeOutput(const MediaInfo& info);

/// MakeThumbnail in a child process, killed after 30 s. Blocks likewise.
Status MakeThumbnailInChild(const std::string& video_path, const std::string& jpeg_path);

}  // namespace vidkeep
