#include "media_probe.h"
#include "test_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace vidkeep;
namespace fs = std::filesystem;

namespace {

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteAll(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

bool HaveFfmpeg() {
  static const bool have = std::system("command -v ffmpeg >/dev/null 2>&1") == 0;
  return have;
}

/// Media files made by the ffmpeg CLI on first use, in one temporary folder
/// removed at exit. Tiny and fast: 320x240, ultrafast/realtime encoders.
class Fixtures {
 public:
  static Fixtures& Get() {
    static Fixtures fixtures;
    return fixtures;
  }

  /// The path of fixture `name` ("av.mp4", "av.webm", ...), made if need be.
  std::string Path(const std::string& name) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);  // Make() calls Path()
    const fs::path path = dir_ / name;
    if (!fs::exists(path)) Make(name, path);
    return path.string();
  }

  fs::path Dir() const { return dir_; }

  ~Fixtures() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

 private:
  Fixtures() {
    dir_ = test::MakeTempDir("/tmp/vidkeep-media-XXXXXX");
  }

  void Ffmpeg(const std::string& args, const fs::path& out) {
    const std::string cmd = "ffmpeg -nostdin -hide_banner -loglevel error -y " + args + " '" +
                            out.string() + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }

  void Make(const std::string& name, const fs::path& path) {
    const std::string video = "-f lavfi -i testsrc2=size=320x240:rate=24:duration=";
    const std::string audio = "-f lavfi -i sine=frequency=440:duration=";
    const std::string x264 = "-c:v libx264 -preset ultrafast -pix_fmt yuv420p";
    if (name == "av.mp4") {
      Ffmpeg(video + "2 " + audio + "2 " + x264 + " -c:a aac -shortest", path);
    } else if (name == "av.webm") {
      Ffmpeg(video + "2 " + audio +
                 "2 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 200k "
                 "-c:a libopus -shortest",
             path);
    } else if (name == "video.mp4") {
      Ffmpeg(video + "2 " + x264, path);
    } else if (name == "short.mp4") {
      Ffmpeg(video + "0.3 " + x264, path);
    } else if (name == "audio.m4a") {
      Ffmpeg(audio + "1 -c:a aac", path);
    } else if (name == "av.mov") {
      Ffmpeg("-i '" + Path("av.mp4") + "' -c copy -f mov", path);
    } else if (name == "av.mkv") {
      Ffmpeg("-i '" + Path("av.webm") + "' -c copy -f matroska", path);
    } else if (name == "truncated.mp4") {
      // moov sits at the end (no faststart): the first 2 KiB hold no index.
      WriteAll(path, ReadAll(Path("av.mp4")).substr(0, 2048));
    } else if (name == "text.mp4") {
      WriteAll(path, "this is not a video, just some text\nwith two lines\n");
    } else if (name == "empty.mp4") {
      WriteAll(path, "");
    } else {
      FAIL("unknown fixture " << name);
    }
  }

  std::recursive_mutex mutex_;
  fs::path dir_;
};

std::string Fixture(const std::string& name) { return Fixtures::Get().Path(name); }

/// A fresh folder for outputs, removed by the destructor.
struct OutDir {
  fs::path path;
  OutDir() {
    path = test::MakeTempDir("/tmp/vidkeep-thumb-XXXXXX");
  }
  ~OutDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string File(const std::string& name) const { return (path / name).string(); }
};

bool IsJpeg(const std::string& bytes) {
  return bytes.size() > 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8 &&
         static_cast<unsigned char>(bytes[2]) == 0xFF;
}

// Runs `fn` with fds 1 and 2 sent to a file and returns what was written there.
template <typename Fn>
std::string CaptureStdoutStderr(Fn fn) {
  std::fflush(stdout);
  std::fflush(stderr);
  char tmpl[] = "/tmp/vidkeep-capture-XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  const int saved_out = dup(1);
  const int saved_err = dup(2);
  dup2(fd, 1);
  dup2(fd, 2);
  fn();
  std::fflush(stdout);
  std::fflush(stderr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  close(fd);
  std::string captured = ReadAll(tmpl);
  unlink(tmpl);
  return captured;
}

#define REQUIRE_FFMPEG()                                                 \
  if (!HaveFfmpeg()) {                                                   \
    WARN("ffmpeg CLI not found: media fixtures not made, test skipped"); \
    return;                                                              \
  }

}  // namespace

TEST_CASE("ProbeMedia: h264/aac mp4") {
  REQUIRE_FFMPEG();
  auto info = ProbeMedia(Fixture("av.mp4"));
  REQUIRE(info.ok());
  REQUIRE(info->duration_s);
  CHECK(*info->duration_s == Approx(2.0).margin(0.1));
  CHECK(info->width == 320);
  CHECK(info->height == 240);
  CHECK(info->video_codec == "h264");
  CHECK(info->audio_codec == "aac");
  CHECK(info->container == "mp4");
}

TEST_CASE("ProbeMedia: vp9/opus webm, the same streams in mkv") {
  REQUIRE_FFMPEG();
  auto webm = ProbeMedia(Fixture("av.webm"));
  REQUIRE(webm.ok());
  REQUIRE(webm->duration_s);
  CHECK(*webm->duration_s == Approx(2.0).margin(0.1));
  CHECK(webm->width == 320);
  CHECK(webm->height == 240);
  CHECK(webm->video_codec == "vp9");
  CHECK(webm->audio_codec == "opus");
  CHECK(webm->container == "webm");

  auto mkv = ProbeMedia(Fixture("av.mkv"));
  REQUIRE(mkv.ok());
  CHECK(mkv->container == "matroska");
  CHECK(mkv->video_codec == "vp9");
}

TEST_CASE("ProbeMedia: QuickTime brand is mov") {
  REQUIRE_FFMPEG();
  auto info = ProbeMedia(Fixture("av.mov"));
  REQUIRE(info.ok());
  CHECK(info->container == "mov");
  CHECK(info->video_codec == "h264");
}

TEST_CASE("ProbeMedia: video only, audio only") {
  REQUIRE_FFMPEG();
  auto video = ProbeMedia(Fixture("video.mp4"));
  REQUIRE(video.ok());
  CHECK(video->video_codec == "h264");
  CHECK(video->audio_codec.empty());
  CHECK(video->width == 320);
  REQUIRE(video->duration_s);
  CHECK(*video->duration_s == Approx(2.0).margin(0.1));

  auto audio = ProbeMedia(Fixture("audio.m4a"));
  REQUIRE(audio.ok());
  CHECK(audio->video_codec.empty());
  CHECK(audio->audio_codec == "aac");
  CHECK_FALSE(audio->width);
  CHECK_FALSE(audio->height);
  CHECK(audio->container == "mp4");
}

TEST_CASE("ProbeMedia: bad files are errors, not crashes") {
  REQUIRE_FFMPEG();
  for (const char* name : {"truncated.mp4", "text.mp4", "empty.mp4"}) {
    INFO(name);
    auto info = ProbeMedia(Fixture(name));
    REQUIRE_FALSE(info.ok());
    CHECK(info.status().code() == ErrorCode::kUnsupported);
    CHECK(info.status().message().find("not a media file") != std::string::npos);
  }
  auto missing = ProbeMedia(Fixtures::Get().Dir().string() + "/no-such.mp4");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kNotFound);
  auto dir = ProbeMedia(Fixtures::Get().Dir().string());
  REQUIRE_FALSE(dir.ok());
  CHECK(dir.status().code() == ErrorCode::kUnsupported);
}

TEST_CASE("ProbeMedia and MakeThumbnail write nothing to stdout or stderr") {
  // FFmpeg logs "moov atom not found" and the like by default; stdout is the
  // native messaging pipe.
  REQUIRE_FFMPEG();
  const std::string truncated = Fixture("truncated.mp4");
  const std::string text = Fixture("text.mp4");
  const std::string av = Fixture("av.mp4");
  OutDir out;
  const std::string captured = CaptureStdoutStderr([&] {
    CHECK_FALSE(ProbeMedia(truncated).ok());
    CHECK_FALSE(ProbeMedia(text).ok());
    CHECK_FALSE(MakeThumbnail(truncated, out.File("t.jpg")).ok());
    CHECK(MakeThumbnail(av, out.File("a.jpg")).ok());
  });
  CHECK(captured.empty());
}

TEST_CASE("MakeThumbnail: a JPEG, scaled, aspect kept, replaced atomically") {
  REQUIRE_FFMPEG();
  OutDir out;
  const std::string jpg = out.File("thumb.jpg");
  WriteAll(jpg, "old");

  REQUIRE(MakeThumbnail(Fixture("av.mp4"), jpg).ok());
  CHECK(IsJpeg(ReadAll(jpg)));
  CHECK_FALSE(fs::exists(jpg + ".tmp"));
  auto full = ProbeMedia(jpg);
  REQUIRE(full.ok());
  CHECK(full->container == "jpeg");
  CHECK(full->video_codec == "mjpeg");
  CHECK(full->width == 320);  // never enlarged to 480
  CHECK(full->height == 240);

  REQUIRE(MakeThumbnail(Fixture("av.webm"), jpg, 1.0, 100).ok());
  auto small = ProbeMedia(jpg);
  REQUIRE(small.ok());
  REQUIRE(small->width);
  REQUIRE(small->height);
  CHECK(*small->width <= 100);
  CHECK(*small->width % 2 == 0);
  CHECK(*small->height % 2 == 0);
  CHECK(std::abs(*small->height * 4 - *small->width * 3) <= 8);  // 4:3 within a pixel
}

TEST_CASE("MakeThumbnail: the frame at the time asked, the first when the video is shorter") {
  REQUIRE_FFMPEG();
  OutDir out;
  // testsrc2 moves: frames a second apart differ, so their JPEGs differ.
  REQUIRE(MakeThumbnail(Fixture("av.mp4"), out.File("at0.jpg"), 0.0).ok());
  REQUIRE(MakeThumbnail(Fixture("av.mp4"), out.File("at1.jpg"), 1.0).ok());
  CHECK(ReadAll(out.File("at0.jpg")) != ReadAll(out.File("at1.jpg")));
  // Encoding is deterministic: the same frame gives the same bytes.
  REQUIRE(MakeThumbnail(Fixture("av.mp4"), out.File("at1-again.jpg"), 1.0).ok());
  CHECK(ReadAll(out.File("at1.jpg")) == ReadAll(out.File("at1-again.jpg")));

  // A 0.3 s clip: 1.0 s and an absurd time are past its end, so its first frame.
  REQUIRE(MakeThumbnail(Fixture("short.mp4"), out.File("s0.jpg"), 0.0).ok());
  REQUIRE(MakeThumbnail(Fixture("short.mp4"), out.File("s1.jpg"), 1.0).ok());
  REQUIRE(MakeThumbnail(Fixture("short.mp4"), out.File("sbig.jpg"), 1e300).ok());
  REQUIRE(MakeThumbnail(Fixture("short.mp4"), out.File("sneg.jpg"), -5).ok());
  const std::string first = ReadAll(out.File("s0.jpg"));
  CHECK(IsJpeg(first));
  CHECK(ReadAll(out.File("s1.jpg")) == first);
  CHECK(ReadAll(out.File("sbig.jpg")) == first);
  CHECK(ReadAll(out.File("sneg.jpg")) == first);

  REQUIRE(MakeThumbnail(Fixture("video.mp4"), out.File("v.jpg"), 1.5, 160).ok());
  auto v = ProbeMedia(out.File("v.jpg"));
  REQUIRE(v.ok());
  CHECK(v->width == 160);
  CHECK(v->height == 120);
}

TEST_CASE("MakeThumbnail: failures leave no .tmp and the old file untouched") {
  REQUIRE_FFMPEG();
  OutDir out;
  const std::string jpg = out.File("thumb.jpg");
  WriteAll(jpg, "old");
  const std::map<std::string, ErrorCode> cases = {
      {"truncated.mp4", ErrorCode::kUnsupported},
      {"text.mp4", ErrorCode::kUnsupported},
      {"empty.mp4", ErrorCode::kUnsupported},
      {"audio.m4a", ErrorCode::kUnsupported},  // no video stream
  };
  for (const auto& [name, code] : cases) {
    INFO(name);
    Status s = MakeThumbnail(Fixture(name), jpg);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == code);
    CHECK_FALSE(s.message().empty());
    CHECK(ReadAll(jpg) == "old");
    CHECK_FALSE(fs::exists(jpg + ".tmp"));
  }
  CHECK(MakeThumbnail(out.File("missing.mp4"), jpg).code() == ErrorCode::kNotFound);

  // Unwritable destination: a folder that does not exist.
  const std::string nowhere = out.File("no-such-dir/thumb.jpg");
  Status s = MakeThumbnail(Fixture("av.mp4"), nowhere);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == ErrorCode::kUnavailable);
  CHECK_FALSE(fs::exists(nowhere + ".tmp"));

  CHECK(MakeThumbnail(Fixture("av.mp4"), jpg, 1.0, 1).code() == ErrorCode::kBadRequest);
  CHECK(MakeThumbnail(Fixture("av.mp4"), "", 1.0).code() == ErrorCode::kBadRequest);
  CHECK(ReadAll(jpg) == "old");
  CHECK(std::distance(fs::directory_iterator(out.path), fs::directory_iterator()) == 1);
}

TEST_CASE("MakeThumbnail and ProbeMedia from several threads at once") {
  REQUIRE_FFMPEG();
  OutDir out;
  const std::string mp4 = Fixture("av.mp4");
  const std::string webm = Fixture("av.webm");
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string& in = i % 2 ? webm : mp4;
      Status s = MakeThumbnail(in, out.File("t" + std::to_string(i) + ".jpg"), 0.5 * i, 120);
      if (s.ok() && !ProbeMedia(in).ok()) s = Status::Internal("probe failed");
      results[i] = s;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    INFO(i << ": " << results[i].message());
    CHECK(results[i].ok());
    CHECK(IsJpeg(ReadAll(out.File("t" + std::to_string(i) + ".jpg"))));
  }
}
