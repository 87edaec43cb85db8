// export --with-media's pieces that need no cached files: file name
// extensions, facts for people (sizes: string_util_test.cpp), and the folder it refuses.
#include "export.h"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "media_cache.h"
#include "test_support.h"

using namespace vidkeep;
namespace fs = std::filesystem;

TEST_CASE("extensions by content type, parameters and case ignored") {
  CHECK(ExtensionFor("video/mp4") == "mp4");
  CHECK(ExtensionFor("video/webm") == "webm");
  CHECK(ExtensionFor("video/quicktime") == "mov");
  CHECK(ExtensionFor("image/jpeg") == "jpg");
  CHECK(ExtensionFor("image/png") == "png");
  CHECK(ExtensionFor("image/webp") == "webp");
  CHECK(ExtensionFor("image/gif") == "gif");
  CHECK(ExtensionFor("Video/MP4; codecs=\"avc1\"") == "mp4");
  CHECK(ExtensionFor("application/octet-stream") == "bin");
  CHECK(ExtensionFor("") == "bin");
  CHECK(ExtensionFor("../../etc/passwd") == "bin");
}

TEST_CASE("facts for people") {
  MediaFacts facts;
  CHECK(DescribeFacts(facts).empty());
  facts.duration_s = 2.04;
  facts.width = 320;
  facts.height = 240;
  facts.video_codec = "h264";
  CHECK(DescribeFacts(facts) == "2.0 s, 320x240, h264");
  facts.audio_codec = "aac";
  facts.container = "mp4";
  CHECK(DescribeFacts(facts) == "2.0 s, 320x240, h264 + aac, mp4");
}

TEST_CASE("export --with-media: a folder that holds something needs force") {
  const fs::path dir = test::MakeTempDir("/tmp/vidkeep-export-XXXXXX");
  auto store = Store::Open(":memory:").value();
  const MediaFiles files((dir / "cache").string());
  const std::string out = (dir / "out").string();

  auto first = ExportWithMedia(*store, files, out, false);
  REQUIRE(first.ok());
  CHECK(first->videos == 0);
  CHECK(fs::exists(out + "/index.html"));
  CHECK(fs::is_directory(out + "/media"));
  std::ifstream json(out + "/videos.json");
  CHECK(std::string(std::istreambuf_iterator<char>(json), {}) == "[]\n");
  json.close();  // Windows replaces no open file

  auto again = ExportWithMedia(*store, files, out, false);
  REQUIRE_FALSE(again.ok());
  CHECK(again.status().code() == ErrorCode::kBadRequest);
  CHECK(ExportWithMedia(*store, files, out, true).ok());
  CHECK_FALSE(ExportWithMedia(*store, files, out + "/index.html", true).ok());  // not a folder
  fs::remove_all(dir);
}

// Issue 13, finding 6: spreadsheets read these first characters as a formula;
// a neutralized cell is quoted (it no longer equals the text).
TEST_CASE("CSV cells that a spreadsheet would run as a formula are neutralized, TAB and CR too") {
  CHECK(CsvCell("=1+1") == "\"'=1+1\"");
  CHECK(CsvCell("+1") == "\"'+1\"");
  CHECK(CsvCell("-1") == "\"'-1\"");
  CHECK(CsvCell("@SUM(A1)") == "\"'@SUM(A1)\"");
  CHECK(CsvCell("\t=cmd|' /C calc'!A0") == "\"'\t=cmd|' /C calc'!A0\"");
  CHECK(CsvCell("\r=1+1") == "\"'\r=1+1\"");
  CHECK(CsvCell("a cat") == "a cat");
  CHECK(CsvCell("a\t=tab inside") == "a\t=tab inside");
}
