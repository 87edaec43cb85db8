#include "service.h"
#include "test_support.h"

#include <filesystem>

#include <catch2/catch.hpp>

using namespace vidkeep;
using nlohmann::json;

namespace {

FrameEvent Frame(const json& j) { return {FrameEvent::Kind::kFrame, j.dump(), 0}; }

// A UUID: the chat app's chat ids are (sync.chat_id_pattern).
constexpr const char* kChat = "3f2c9a9e-1b2c-4d5e-8f90-0123456789ab";

json VideoJson(int n, const std::string& chat = kChat) {
  return {{"url", "https://cdn.example/" + std::to_string(n) + ".mp4"},
          {"prompt", std::string(2000, 'p') + std::to_string(n)},
          {"chat_id", chat},
          {"page_url", "https://chat.example/chat/" + chat}};
}

std::vector<json> Handle(Service& service, const std::vector<FrameEvent>& frames) {
  std::vector<json> out;
  for (const auto& a : service.HandleBatch(frames))
    out.push_back(a.configure ? json{{"deferred_configure", a.configure->origin}} : json::parse(a.payload));
  return out;
}

}  // namespace

TEST_CASE("a batch is one transaction; a bad request fails alone") {
  auto store = Store::Open(":memory:");
  REQUIRE(store.ok());
  Config config;
  Service service(store->get(), config, true);
  auto answers = Handle(service, {
      Frame({{"type", "video"}, {"id", 1}, {"video", VideoJson(1)}}),
      Frame({{"type", "video"}, {"id", 2}, {"video", {{"url", "file:///etc/passwd"}}}}),
      Frame({{"type", "list"}, {"id", 3}}),  // sees request 1's write
      Frame({{"type", "video"}, {"id", 4}, {"video", VideoJson(1)}}),
      FrameEvent{FrameEvent::Kind::kTooLarge, "", 99999999},
      Frame({{"type", "status"}, {"id", 5}}),
  });
  REQUIRE(answers.size() == 6);
  CHECK(answers[0]["ok"] == true);
  CHECK(answers[1]["error"]["code"] == "invalid_url");
  CHECK(answers[2]["videos"].size() == 1);
  CHECK(answers[3]["duplicate"] == true);
  CHECK(answers[4]["error"]["code"] == "too_large");
  CHECK(answers[4]["id"].is_null());
  CHECK(answers[5]["videos"] == 1);
  CHECK_FALSE((*store)->InTransaction());
}

TEST_CASE("sync state on insert") {
  auto store = Store::Open(":memory:");
  Config config;
  Service service(store->get(), config, true);
  json no_chat = VideoJson(1);
  no_chat.erase("chat_id");
  json plain_http = VideoJson(2);
  plain_http["page_url"] = std::string("http://chat.example/chat/") + kChat;
  auto answers = Handle(service, {Frame({{"type", "video"}, {"id", 1}, {"video", VideoJson(0)}}),
                                  Frame({{"type", "video"}, {"id", 2}, {"video", no_chat}}),
                                  Frame({{"type", "video"}, {"id", 3}, {"video", plain_http}})});
  CHECK(answers[0]["sync"] == "pending");
  CHECK(answers[1]["sync"] == "local");
  CHECK(answers[2]["sync"] == "local");  // never sent to a plain-http remote origin

  config.sync.enabled = false;
  Service off(store->get(), config, true);
  CHECK(Handle(off, {Frame({{"type", "video"}, {"id", 4}, {"video", VideoJson(5)}})})[0]["sync"] == "local");
}

TEST_CASE("list answers stay under the browser's 1 MiB limit") {
  auto store = Store::Open(":memory:");
  Config config;
  Service service(store->get(), config, true);
  std::vector<FrameEvent> frames;
  for (int i = 0; i < 500; ++i) {
    json v = VideoJson(i);
    v["prompt"] = std::string(60000, 'x');
    frames.push_back(Frame({{"type", "video"}, {"id", i}, {"video", v}}));
  }
  Handle(service, frames);
  std::string cursor;
  int total = 0;
  for (int page = 0; page < 100; ++page) {
    json req = {{"type", "list"}, {"id", "l"}, {"limit", 500}};
    if (!cursor.empty()) req["cursor"] = cursor;
    auto answer = service.HandleBatch({Frame(req)})[0].payload;
    CHECK(answer.size() < kMaxOutgoingFrameBytes);
    json a = json::parse(answer);
    total += static_cast<int>(a["videos"].size());
    if (a["next_cursor"].is_null()) break;
    CHECK(a["truncated"] == true);
    cursor = a["next_cursor"];
  }
  CHECK(total == 500);
}

TEST_CASE("a refused caller learns nothing and changes nothing") {
  auto store = Store::Open(":memory:");
  Config config;
  Service service(store->get(), config, false);
  auto answers = Handle(service, {Frame({{"type", "video"}, {"id", 1}, {"video", VideoJson(1)}}),
                                  Frame({{"type", "hello"}, {"id", 2}})});
  for (const auto& a : answers) CHECK(a["error"]["code"] == "unauthorized");
  CHECK((*store)->Stats()->videos == 0);
}

TEST_CASE("without a store every request is unavailable and retryable") {
  Config config;
  Service service(nullptr, config, true, "config /x: 'limits.max_batch' must be a whole number");
  auto a = Handle(service, {Frame({{"type", "video"}, {"id", 1}, {"video", VideoJson(1)}})})[0];
  CHECK(a["error"]["code"] == "unavailable");
  CHECK(a["error"]["retryable"] == true);
  CHECK(a["error"]["message"].get<std::string>().find("limits.max_batch") != std::string::npos);
}

TEST_CASE("disk full in the middle of a batch: every ok is committed, the rest unavailable") {
  const std::string dir = test::MakeTempDir("/tmp/vidkeep-full-XXXXXX");
  const std::string path = dir + "/v.db";
  auto store = Store::Open(path);
  REQUIRE(store.ok());
  Config config;
  Service service(store->get(), config, true);
  std::vector<std::string> acknowledged;
  std::vector<FrameEvent> before;
  for (int i = 1000; i < 1020; ++i) before.push_back(Frame({{"type", "video"}, {"id", i}, {"video", VideoJson(i)}}));
  for (const auto& a : Handle(service, before)) {
    REQUIRE(a["ok"] == true);
    acknowledged.push_back(a["video_id"]);
  }
  // max_page_count makes the database "full" a few pages from now.
  const int pages = (*store)->db().execAndGet("PRAGMA page_count").getInt();
  (*store)->db().exec("PRAGMA max_page_count = " + std::to_string(pages + 8));
  std::vector<FrameEvent> frames;
  for (int i = 0; i < 300; ++i) {
    json v = VideoJson(i);
    v["prompt"] = std::string(1500, 'a' + i % 26);
    frames.push_back(Frame({{"type", "video"}, {"id", i}, {"video", v}}));
  }
  auto answers = Handle(service, frames);
  int ok = 20, unavailable = 0;
  for (const auto& a : answers) {
    if (a["ok"] == true) {
      ++ok;
      acknowledged.push_back(a["video_id"]);
    } else {
      CHECK(a["error"]["code"] == "unavailable");
      CHECK(a["error"]["retryable"] == true);
      ++unavailable;
    }
  }
  CHECK(unavailable > 0);
  CHECK((*store)->Get(acknowledged.front()).ok());  // reads keep working
  // Reads still work, and whatever was acknowledged is really there.
  auto reopened = Store::Open(path);
  REQUIRE(reopened.ok());
  for (const auto& id : acknowledged) CHECK((*reopened)->Get(id).ok());
  CHECK((*reopened)->Stats()->videos == ok);
  CHECK((*reopened)->db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  reopened = Status::Internal("closed");  // closed first: Windows deletes no open file
  store = Status::Internal("closed");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_CASE("a batch wakes sync and media once, only for what it did, and forgets it after") {
  auto store = Store::Open(":memory:");
  REQUIRE(store.ok());
  Config config;
  Service service(store->get(), config, true);
  int sync_kicks = 0, media_kicks = 0;
  service.set_on_sync_work([&] { ++sync_kicks; });
  service.set_on_media_work([&] { ++media_kicks; });
  auto batch = [&](const std::vector<FrameEvent>& frames) {
    sync_kicks = media_kicks = 0;
    return Handle(service, frames);
  };

  // Two new videos: one wake-up each, not one per video.
  batch({Frame({{"type", "video"}, {"id", 1}, {"video", VideoJson(1)}}),
         Frame({{"type", "video"}, {"id", 2}, {"video", VideoJson(2)}})});
  CHECK(sync_kicks == 1);
  CHECK(media_kicks == 1);

  // Nothing new: no wake-up, and nothing left over from the batch before.
  batch({Frame({{"type", "video"}, {"id", 3}, {"video", VideoJson(1)}}),
         Frame({{"type", "status"}, {"id", 4}})});
  CHECK(sync_kicks == 0);
  CHECK(media_kicks == 0);

  // A local video (no chat) is stored for download but not for sync.
  json no_chat = VideoJson(5);
  no_chat.erase("chat_id");
  auto answers = batch({Frame({{"type", "video"}, {"id", 5}, {"video", no_chat}})});
  CHECK(answers[0]["sync"] == "local");
  CHECK(sync_kicks == 0);
  CHECK(media_kicks == 1);

  // Resync and media_fetch wake only when they queued something.
  batch({Frame({{"type", "resync"}, {"id", 6}, {"video_ids", {answers[0]["video_id"]}}}),
         Frame({{"type", "media_fetch"}, {"id", 7}, {"video_ids", {"ffff"}}})});
  CHECK(sync_kicks == 0);
  CHECK(media_kicks == 0);
}
