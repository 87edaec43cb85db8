#include "checkpointer.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "dedupe.h"
#include "store.h"
#include "test_support.h"

using namespace vidkeep;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = FsPath(test::MakeTempDir("/tmp/vidkeep-ckpt-XXXXXX"));
  ~TempDir() { fs::remove_all(path); }
};

// Writes `batches` transactions of 200 videos with 2 KB prompts: ~100 WAL
// frames each.
void Fill(Store& store, int batches, int& next) {
  for (int b = 0; b < batches; ++b) {
    REQUIRE(store.Begin().ok());
    for (int i = 0; i < 200; ++i, ++next) {
      VideoRecord r;
      r.video.url = "https://cdn.example/v" + std::to_string(next) + ".mp4";
      r.video.chat_id = "c1";
      r.video.prompt = std::string(2000, 'a' + next % 26);
      r.canonical_url = CanonicalUrl(r.video.url, SigningParams()).value();
      r.video_id = VideoIdFor("c1", r.canonical_url);
      r.sync = SyncState::kLocal;
      REQUIRE(store.PutVideo(r).ok());
    }
    REQUIRE(store.Commit().ok());
  }
}

}  // namespace

TEST_CASE("with a WAL observer no commit checkpoints: the WAL grows past SQLite's automatic checkpoint") {
  TempDir dir;
  auto opened = Store::Open(Utf8Path(dir.path / "v.db"));
  REQUIRE(opened.ok());
  Store& store = **opened;
  std::vector<int> frames;
  store.set_wal_observer([&](int n) { frames.push_back(n); });
  int next = 0;
  Fill(store, 15, next);
  REQUIRE(frames.size() == 15);
  // SQLite's own checkpoint (at 1,000 frames) would have restarted the WAL.
  for (std::size_t i = 1; i < frames.size(); ++i) CHECK(frames[i] > frames[i - 1]);
  CHECK(frames.back() > Checkpointer::kPassiveFrames);
}

TEST_CASE("the checkpointer copies the WAL back and empties it once commits pause") {
  TempDir dir;
  const std::string path = Utf8Path(dir.path / "v.db");
  auto opened = Store::Open(path);
  REQUIRE(opened.ok());
  Store& store = **opened;
  boost::asio::io_context io;
  Checkpointer checkpointer(io, path, std::chrono::milliseconds(20));
  store.set_wal_observer([&](int n) { checkpointer.Committed(n); });
  int next = 0;
  Fill(store, 15, next);  // past kPassiveFrames: PASSIVE checkpoints too
  CHECK(fs::file_size(path + "-wal") > 0);

  // Bounded: the idle timer fires after 20 ms; the thread then truncates.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (fs::file_size(path + "-wal") > 0 && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(50));
  }
  CHECK(fs::file_size(path + "-wal") == 0);
  CHECK(checkpointer.done() >= 1);

  // Everything is in the database file, and writing goes on as before.
  Fill(store, 1, next);
  auto stats = store.Stats();
  REQUIRE(stats.ok());
  CHECK(stats->videos == next);
}
