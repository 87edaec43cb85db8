// `vidkeep media-probe FILE` and `vidkeep media-thumbnail VIDEO JPEG`: the
// only code that runs libavformat, in a process of its own (media_child.h).
// Not for people: the host calls them. Output: JSON on stdout (probe); an
// error line on stderr; exit 0 ok, 3 not a usable media file, 1 otherwise.
#include "media_tool.h"

#include <iostream>
#include <string_view>

#include "media_child.h"
#include "media_probe.h"

namespace vidkeep {

namespace {
int Fail(const Status& s) {
  std::cerr << "vidkeep: " << s.message() << "\n";
  return s.code() == ErrorCode::kUnsupported || s.code() == ErrorCode::kNotFound ? 3 : 1;
}
}  // namespace

bool IsMediaToolCommand(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  return command == "media-probe" || command == "media-thumbnail";
}

int RunMediaTool(int argc, char** argv) {
  const std::string_view command = argv[1];
  if (command == "media-probe" && argc == 3) {
    auto info = ProbeMedia(argv[2]);
    if (!info.ok()) return Fail(info.status());
    std::cout << ProbeOutput(*info) << "\n";
    return 0;
  }
  if (command == "media-thumbnail" && argc == 4) {
    Status s = MakeThumbnail(argv[2], argv[3], 1.0, 480);
    return s.ok() ? 0 : Fail(s);
  }
  std::cerr << "usage: vidkeep media-probe FILE | vidkeep media-thumbnail VIDEO JPEG\n";
  return 2;
}

}  // namespace vidkeep
