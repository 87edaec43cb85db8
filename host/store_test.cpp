#include "store.h"

#include <filesystem>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "dedupe.h"
#include "schema.h"
#include "test_support.h"

using namespace vidkeep;

namespace {

VideoRecord Record(const std::string& url, const std::string& chat = "c1",
                   const std::string& prompt = "a cat surfing a wave") {
  VideoRecord r;
  r.video.url = url;
  r.video.chat_id = chat;
  r.video.prompt = prompt;
  r.video.page_url = "https://chat.example/chat/" + chat;
  r.canonical_url = CanonicalUrl(url, SigningParams()).value();
  r.video_id = VideoIdFor(chat, r.canonical_url);
  r.origin = "https://chat.example";
  r.sync = chat.empty() ? SyncState::kLocal : SyncState::kPending;
  return r;
}

std::unique_ptr<Store> Memory() {
  auto s = Store::Open(":memory:");
  REQUIRE(s.ok());
  return std::move(s).value();
}

Result<PutOutcome> Put(Store& store, const VideoRecord& r) {
  REQUIRE(store.Begin().ok());
  auto out = store.PutVideo(r);
  REQUIRE(store.Commit().ok());
  return out;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = test::MakeTempDir("/tmp/vidkeep-store-XXXXXX");
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("insert, duplicate fill-in, get") {
  auto store = Memory();
  VideoRecord first = Record("https://cdn.example/v.mp4?X-Amz-Signature=a");
  first.video.prompt.clear();
  first.video.meta = {{"width", 1280}};
  auto a = Put(*store, first);
  REQUIRE(a.ok());
  CHECK_FALSE(a->duplicate);
  CHECK(a->sync == SyncState::kPending);

  VideoRecord second = first;
  second.video.url = "https://cdn.example/v.mp4?X-Amz-Signature=b";
  second.video.prompt = "late prompt";
  second.video.thumbnail_url = "https://cdn.example/t.webp";
  second.video.meta = {{"width", 99}, {"height", 720}};
  auto b = Put(*store, second);
  REQUIRE(b.ok());
  CHECK(b->duplicate);
  CHECK(b->video_id == a->video_id);

  auto got = store->Get(a->video_id);
  REQUIRE(got.ok());
  CHECK(got->video.url == second.video.url);           // fresher URL wins
  CHECK(got->video.prompt == "late prompt");          // filled in
  CHECK(got->video.thumbnail_url == "https://cdn.example/t.webp");
  CHECK(got->video.meta["width"] == 1280);            // first value kept
  CHECK(got->video.meta["height"] == 720);            // missing key added
  CHECK(got->canonical_url == "https://cdn.example/v.mp4");
  // Regression: a duplicate rewriting an unchanged prompt inside the
  // transaction that inserted it corrupted the FTS index.
  REQUIRE(store->Begin().ok());
  VideoRecord third = Record("https://cdn.example/w.mp4");
  REQUIRE(store->PutVideo(third).ok());
  REQUIRE(store->PutVideo(third).value().duplicate);
  REQUIRE(store->Commit().ok());
  CHECK_NOTHROW(store->db().exec("INSERT INTO videos_fts (videos_fts) VALUES ('integrity-check')"));
  ListQuery q;
  q.text = "late";
  CHECK(store->List(q)->videos.size() == 1);
  CHECK(store->Get("missing").status().code() == ErrorCode::kNotFound);
}

TEST_CASE("list: newest first, cursor paging, filters, full-text search") {
  auto store = Memory();
  REQUIRE(store->Begin().ok());
  for (int i = 0; i < 25; ++i) {
    auto r = Record("https://cdn.example/" + std::to_string(i) + ".mp4", i % 2 ? "odd" : "even",
                    i == 7 ? "Кот на серфе, surfing" : "prompt number " + std::to_string(i));
    REQUIRE(store->PutVideo(r).ok());
  }
  REQUIRE(store->Commit().ok());

  ListQuery q;
  q.limit = 10;
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    auto p = store->List(q);
    REQUIRE(p.ok());
    for (const auto& v : p->videos) seen.push_back(v.video.url);
    if (!p->more) break;
    q.before_seq = p->videos.back().seq;
  }
  REQUIRE(seen.size() == 25);
  CHECK(seen.front() == "https://cdn.example/24.mp4");
  CHECK(seen.back() == "https://cdn.example/0.mp4");

  ListQuery by_chat;
  by_chat.chat_id = "odd";
  by_chat.limit = 100;
  CHECK(store->List(by_chat)->videos.size() == 12);

  ListQuery text;
  text.text = "серф";  // prefix of the last word
  auto found = store->List(text);
  REQUIRE(found.ok());
  REQUIRE(found->videos.size() == 1);
  CHECK(found->videos[0].video.url == "https://cdn.example/7.mp4");
  text.text = "кот SURFING";  // case-insensitive, every word
  CHECK(store->List(text)->videos.size() == 1);
  text.text = "\"unbalanced AND (";  // FTS5 syntax in the input is just text
  CHECK(store->List(text).ok());
  text.text = "number 1";
  CHECK(store->List(text)->videos.size() == 11);  // 1, 10..19 by prefix

  ListQuery state;
  state.sync = SyncState::kSynced;
  CHECK(store->List(state)->videos.empty());
}

TEST_CASE("a failing savepoint undoes only its own writes") {
  auto store = Memory();
  REQUIRE(store->Begin().ok());
  REQUIRE(store->InSavepoint([&] { return store->PutVideo(Record("https://a.example/1.mp4")).status(); }).ok());
  Status failed = store->InSavepoint([&]() -> Status {
    REQUIRE(store->PutVideo(Record("https://a.example/2.mp4")).ok());
    return Status::BadRequest("refused");
  });
  CHECK_FALSE(failed.ok());
  REQUIRE(store->InSavepoint([&] { return store->PutVideo(Record("https://a.example/3.mp4")).status(); }).ok());
  REQUIRE(store->Commit().ok());
  auto stats = store->Stats();
  CHECK(stats->videos == 2);
}

TEST_CASE("delete, resync, stats, history") {
  auto store = Memory();
  auto a = Put(*store, Record("https://a.example/1.mp4"));
  auto local = Put(*store, Record("https://a.example/2.mp4", ""));
  REQUIRE(store->Begin().ok());
  CHECK(*store->Resync({a->video_id, local->video_id, "nope"}) == 1);
  for (int i = 0; i < 25; ++i)
    REQUIRE(store->AddAttempt(a->video_id, {NowUtc(), 500, "pending", "try " + std::to_string(i)}).ok());
  REQUIRE(store->Commit().ok());
  auto history = store->History(a->video_id);
  REQUIRE(history->size() == 20);
  CHECK(history->back().reason == "try 24");

  auto stats = store->Stats();
  CHECK(stats->videos == 2);
  CHECK(stats->count(SyncState::kPending) == 1);
  CHECK(stats->count(SyncState::kLocal) == 1);

  REQUIRE(store->Begin().ok());
  CHECK(*store->Delete({a->video_id, a->video_id}) == 1);
  REQUIRE(store->Commit().ok());
  CHECK(store->Stats()->videos == 1);
  CHECK(store->History(a->video_id)->empty());
  ListQuery q;
  q.text = "cat";
  CHECK(store->List(q)->videos.empty() == false);  // the local one still matches
}

TEST_CASE("short id prefixes resolve like git's") {
  auto store = Memory();
  auto a = Put(*store, Record("https://a.example/1.mp4"));
  CHECK(*store->ResolveId(a->video_id.substr(0, 6)) == a->video_id);
  CHECK(store->ResolveId("abc").status().code() == ErrorCode::kBadRequest);
  CHECK(store->ResolveId("zzzz").status().code() == ErrorCode::kBadRequest);
  CHECK(store->ResolveId("0000000").status().code() == ErrorCode::kNotFound);
}

TEST_CASE("a database file is mode 0600 (Linux; on Windows the profile's ACL protects it)", "[posix]") {
  TempDir dir;
  const std::string path = (dir.path / "v.db").string();
  auto one = Store::Open(path, {200, false});
  REQUIRE(one.ok());
  struct stat st{};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a database file: WAL, two connections") {
  TempDir dir;
  const std::string path = (dir.path / "v.db").string();
  auto one = Store::Open(path, {200, false});
  REQUIRE(one.ok());
  CHECK((*one)->db().execAndGet("PRAGMA journal_mode").getString() == "wal");

  auto two = Store::Open(path, {200, false});
  REQUIRE(two.ok());
  REQUIRE((*one)->Begin().ok());
  REQUIRE((*one)->PutVideo(Record("https://a.example/1.mp4")).ok());
  // The second writer waits the busy timeout, then gets `unavailable`.
  Status blocked = (*two)->Begin();
  CHECK(blocked.code() == ErrorCode::kUnavailable);
  CHECK(blocked.retryable());
  // Readers are not blocked, and do not see uncommitted writes.
  CHECK((*two)->Stats()->videos == 0);
  REQUIRE((*one)->Commit().ok());
  CHECK((*two)->Stats()->videos == 1);
  REQUIRE((*two)->Begin().ok());
  (*two)->Rollback();
}

TEST_CASE("a Transaction left without Commit rolls back and releases the write lock") {
  TempDir dir;
  const std::string path = (dir.path / "v.db").string();
  auto one = Store::Open(path, {200, false});
  auto two = Store::Open(path, {200, false});
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  {
    Store::Transaction transaction(**one);
    REQUIRE(transaction.status().ok());
    REQUIRE((*one)->PutVideo(Record("https://a.example/1.mp4")).ok());
    // The guard holds the lock: a second writer times out.
    Store::Transaction blocked(**two);
    CHECK(blocked.status().code() == ErrorCode::kUnavailable);
    CHECK(blocked.Commit().code() == ErrorCode::kUnavailable);  // commits nothing it never began
  }  // an early return or an exception leaves the same way
  CHECK_FALSE((*one)->InTransaction());
  CHECK((*one)->Stats()->videos == 0);
  Store::Transaction next(**two);
  REQUIRE(next.status().ok());
  REQUIRE((*two)->PutVideo(Record("https://a.example/2.mp4")).ok());
  REQUIRE(next.Commit().ok());
  CHECK(next.Commit().code() == ErrorCode::kInternal);  // once only
  CHECK((*one)->Stats()->videos == 1);
}

TEST_CASE("Transact commits a body that succeeds, rolls back one that fails") {
  auto store = Memory();
  auto put = store->Transact([&] { return store->PutVideo(Record("https://a.example/1.mp4")); });
  REQUIRE(put.ok());
  Status failed = store->Transact([&]() -> Status {
    REQUIRE(store->PutVideo(Record("https://a.example/2.mp4")).ok());
    return Status::Unavailable("the body failed");
  });
  CHECK(failed.message() == "the body failed");
  CHECK_FALSE(store->InTransaction());
  CHECK(store->Stats()->videos == 1);
}

TEST_CASE("every earlier schema migrates to the latest and keeps its data") {
  for (int version = 0; version < LatestSchemaVersion(); ++version) {
    INFO("from schema " << version);
    TempDir dir;
    const std::string path = (dir.path / "old.db").string();
    {
      SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      MigrateSchema(db, version);
      CHECK(db.execAndGet("PRAGMA user_version").getInt() == version);
      if (version >= 1) {
        db.exec("INSERT INTO videos (video_id, chat_id, canonical_url, url, prompt, source, created_at, updated_at) "
                "VALUES ('id-1', 'c', 'https://a/', 'https://a/', 'old surfing cat', 'sse', 't', 't')");
        db.exec("INSERT INTO outbox (seq, state) SELECT seq, 'pending' FROM videos");
        // From schema 2 on, the store (not a trigger) indexes new prompts.
        if (version >= 2) db.exec("INSERT INTO videos_fts (rowid, prompt) SELECT seq, prompt FROM videos");
        // A video without a chat id: schema 6 learns why it is local.
        db.exec("INSERT INTO videos (video_id, chat_id, canonical_url, url, source, created_at, updated_at) "
                "VALUES ('id-2', '', 'https://b/', 'https://b/', 'artifact', 't', 't')");
        db.exec("INSERT INTO outbox (seq, state) SELECT seq, 'local' FROM videos WHERE video_id = 'id-2'");
      }
    }
    auto store = Store::Open(path);
    REQUIRE(store.ok());
    CHECK((*store)->db().execAndGet("PRAGMA user_version").getInt() == LatestSchemaVersion());
    if (version >= 1) {
      ListQuery q;
      q.text = "surfing";
      auto found = (*store)->List(q);
      REQUIRE(found.ok());
      REQUIRE(found->videos.size() == 1);  // the FTS index was backfilled
      CHECK(found->videos[0].video_id == "id-1");
      // Schema 6: no account, no app message, and reasons for local videos.
      CHECK(found->videos[0].video.account_id.empty());
      CHECK(found->videos[0].app_message_id.empty());
      CHECK((*store)->db().execAndGet(
                "SELECT local_reason FROM outbox WHERE seq = (SELECT seq FROM videos WHERE video_id = 'id-2')")
                .getString() == "no_chat");
      CHECK((*store)->db().execAndGet(
                "SELECT local_reason IS NULL FROM outbox WHERE seq = (SELECT seq FROM videos WHERE video_id = 'id-1')")
                .getInt() == 1);
      // The new columns are written and read back.
      VideoRecord r = Record("https://c.example/v.mp4");
      r.video.account_id = "u-1";
      r.video.account_label = "a@example.com";
      REQUIRE((*store)->Begin().ok());
      REQUIRE((*store)->PutVideo(r).ok());
      REQUIRE((*store)->Commit().ok());
      CHECK((*store)->Get(r.video_id)->video.account_label == "a@example.com");
    }
  }
}

TEST_CASE("a database from a newer vidkeep is refused, not damaged") {
  TempDir dir;
  const std::string path = (dir.path / "new.db").string();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = 999");
  }
  auto store = Store::Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().message().find("newer") != std::string::npos);
}
