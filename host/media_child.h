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

namespace vidkeep {

/// ProbeMedia in a child process, killed after 20 s. Blocks: call it off the
/// event loop.
Result<MediaInfo> ProbeMediaInChild(const std::string& path);

/// MakeThumbnail in a child process, killed after 30 s. Blocks likewise.
Status MakeThumbnailInChild(const std::string& video_path, const std::string& jpeg_path);

}  // namespace vidkeep
