// file_io.h on the platform at hand: UTF-8 paths beyond ASCII, binary
// bytes (0x1A, CR LF) kept as they are, rename over an existing file.
#include "file_io.h"

#include <catch2/catch.hpp>

#include "store.h"
#include "test_support.h"

using namespace vidkeep;

TEST_CASE("file_io: a UTF-8 folder and file name, binary bytes, rename over an existing file") {
  const std::string root = test::MakeTempDir("/tmp/vidkeep-file-io-XXXXXX");
  const std::string dir = root + "/vidéo \xe6\x97\xa5\xe6\x9c\xac/media";  // "vidéo 日本"
  REQUIRE(MakePrivateDirs(dir).ok());
  REQUIRE(CheckPrivateDir(dir).ok());
  REQUIRE(std::filesystem::is_directory(FsPath(dir)));
  CHECK(Utf8Path(FsPath(dir)) == dir);

  const std::string bytes("a\x1a\r\nb\n\0z", 8);
  const std::string file = dir + "/ñ.part";
  int fd = OpenFd(file, O_WRONLY | O_CREAT | O_TRUNC);
  REQUIRE(fd >= 0);
  CHECK(WriteFd(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  CHECK(SyncFd(fd) == 0);
  CHECK(CloseFd(fd) == 0);
  auto info = StatPath(file);
  REQUIRE(info);
  CHECK(info->regular);
  CHECK(info->size == bytes.size());

  const std::string target = dir + "/ñ.mp4";
  fd = OpenFd(target, O_WRONLY | O_CREAT | O_TRUNC);
  REQUIRE(fd >= 0);
  CHECK(CloseFd(fd) == 0);
  CHECK_FALSE(MoveReplacing(file, target));  // replaces the empty file
  CHECK_FALSE(StatPath(file));
  fd = OpenFd(target, O_RDONLY);
  REQUIRE(fd >= 0);
  std::string back(16, '\0');
  const ssize_t n = PreadFd(fd, back.data(), back.size(), 0);
  CHECK(CloseFd(fd) == 0);
  REQUIRE(n == static_cast<ssize_t>(bytes.size()));
  back.resize(static_cast<std::size_t>(n));
  CHECK(back == bytes);

  // SQLite takes the same UTF-8 path.
  {
    auto store = Store::Open(dir + "/v.db");
    REQUIRE(store.ok());
  }
  CHECK(StatPath(dir + "/v.db"));
  CHECK(RemoveFile(target) == 0);
  std::error_code ec;
  std::filesystem::remove_all(FsPath(root), ec);
  CHECK_FALSE(ec);
}
