// The service's rules for the real chat app (issue 12): which videos are
// sent and when, and what the app's own saves change
// (docs/protocol-extensions.md "The real chat app").
#include "service.h"

#include <catch2/catch.hpp>

using namespace vidkeep;
using nlohmann::json;

namespace {

constexpr const char* kChat = "3f2c9a9e-1b2c-4d5e-8f90-0123456789ab";
const std::string kPage = std::string("https://chat.example/chat/") + kChat;

FrameEvent Frame(const json& j) { return {FrameEvent::Kind::kFrame, j.dump(), 0}; }

struct Fixture {
  std::unique_ptr<Store> store = Store::Open(":memory:").value();
  Config config;
  std::unique_ptr<Service> service;
  int sync_kicks = 0;
  int next_id = 0;

  Fixture() { Restart(); }
  // A Service reads its config when made.
  void Restart() {
    service = std::make_unique<Service>(store.get(), config, true);
    service->set_on_sync_work([this] { ++sync_kicks; });
  }

  json Send(json request) {
    request["id"] = ++next_id;
    json answer = json::parse(service->HandleBatch({Frame(request)})[0].payload);
    INFO(answer.dump());
    REQUIRE(answer["ok"] == true);
    return answer;
  }
  json Video(const std::string& url, const std::string& source = "sse",
             const std::string& chat = kChat, json extra = json::object()) {
    json v = {{"url", url}, {"chat_id", chat}, {"source", source},
              {"page_url", "https://chat.example/chat/" + chat}};
    v.update(extra);
    return Send({{"type", "video"}, {"video", v}});
  }
  json Save(const std::string& phase, std::vector<json> attachments, json extra = json::object()) {
    json save = {{"chat_id", kChat}, {"phase", phase}, {"page_url", kPage},
                 {"attachments", attachments}};
    save.update(extra);
    return Send({{"type", "app_save"}, {"save", save}});
  }
  json Get(const std::string& id) { return Send({{"type", "get"}, {"video_id", id}}); }
  VideoRecord Record(const std::string& id) { return store->Get(id).value(); }
};

json Attachment(const std::string& url, const std::string& type = "video/mp4") {
  return {{"url", url}, {"contentType", "ignored"}, {"content_type", type}};
}

}  // namespace

TEST_CASE("generating sources are pending, seen sources local with the reason") {
  Fixture f;
  f.config.sync.app_save_grace_ms = 0;
  f.Restart();
  for (const char* source : {"sse", "websocket", "poll", "tool", "manual"}) {
    INFO(source);
    json a = f.Video(std::string("https://cdn.example/") + source + ".mp4", source);
    CHECK(a["sync"] == "pending");
    CHECK(f.Get(a["video_id"])["video"]["source"] == source);
  }
  for (const char* source : {"artifact", "inline"}) {
    INFO(source);
    json a = f.Video(std::string("https://cdn.example/") + source + ".mp4", source);
    CHECK(a["sync"] == "local");
    CHECK(f.Get(a["video_id"])["video"]["last_error"] ==
          "seen on the page only (opened from the chat's history?): not sent; resync sends it");
  }
}

TEST_CASE("why a video stays local: no chat, sync off, a chat id the app would refuse") {
  Fixture f;
  json no_chat = f.Send({{"type", "video"},
                         {"video", {{"url", "https://cdn.example/1.mp4"}, {"page_url", "https://chat.example/"}}}});
  CHECK(no_chat["sync"] == "local");
  CHECK(f.Record(no_chat["video_id"]).last_error ==
        "no chat id: the page's address named no chat when the video was made");

  json bad = f.Video("https://cdn.example/2.mp4", "sse", "c1");
  CHECK(bad["sync"] == "local");
  CHECK(f.Record(bad["video_id"]).last_error ==
        "chat id \"c1\" is not a UUID: the chat app would refuse it");
  // Not even a generating sighting sends it.
  CHECK(f.Video("https://cdn.example/2.mp4", "tool", "c1")["sync"] == "local");
  // Upper case is a UUID too.
  CHECK(f.Video("https://cdn.example/3.mp4", "sse", "3F2C9A9E-1B2C-4D5E-8F90-0123456789AB")["sync"] ==
        "pending");
  // The default pattern is checked without a regex: near misses stay local.
  for (const char* almost : {"3f2c9a9e-1b2c-4d5e-8f90-0123456789ag", "3f2c9a9e1-b2c-4d5e-8f90-0123456789ab",
                           "3f2c9a9e-1b2c-4d5e-8f90-0123456789abc", "3f2c9a9e-1b2c-4d5e-8f90-0123456789a"})
    CHECK(f.Video(std::string("https://cdn.example/n/") + almost + ".mp4", "sse", almost)["sync"] == "local");

  f.config.sync.chat_id_pattern = "";
  f.Restart();
  CHECK(f.Video("https://cdn.example/4.mp4", "sse", "c1")["sync"] == "pending");
  f.config.sync.chat_id_pattern = "chat-[0-9]+";
  f.Restart();
  json custom = f.Video("https://cdn.example/5.mp4", "sse", "c1");
  CHECK(f.Record(custom["video_id"]).last_error == "chat id \"c1\" does not match sync.chat_id_pattern");
  CHECK(f.Video("https://cdn.example/6.mp4", "sse", "chat-12")["sync"] == "pending");

  f.config.sync.enabled = false;
  f.Restart();
  json off = f.Video("https://cdn.example/7.mp4", "sse", "chat-13");
  CHECK(off["sync"] == "local");
  CHECK(f.Record(off["video_id"]).last_error == "sync is off (sync.enabled is false in the config)");
}

TEST_CASE("a new pending video is not due before the grace; 0 makes it due at once") {
  Fixture f;
  const std::int64_t before = UnixMs();
  json a = f.Video("https://cdn.example/g.mp4");
  const std::int64_t after = UnixMs();
  const std::int64_t due = f.Record(a["video_id"]).next_try_ms;
  CHECK(due >= before + 15000);
  CHECK(due <= after + 15000);
  CHECK(f.sync_kicks == 1);  // the syncer learns when it becomes due

  f.config.sync.app_save_grace_ms = 0;
  f.Restart();
  CHECK(f.Record(f.Video("https://cdn.example/h.mp4")["video_id"]).next_try_ms == 0);
}

TEST_CASE("a seen video generated later is promoted; synced and saved_by_app ones stay") {
  Fixture f;
  f.config.sync.app_save_grace_ms = 1000;
  f.Restart();
  json seen = f.Video("https://cdn.example/p.mp4?X-Amz-Signature=a", "artifact");
  REQUIRE(seen["sync"] == "local");
  const int kicks = f.sync_kicks;
  const std::int64_t before = UnixMs();
  json gen = f.Video("https://cdn.example/p.mp4?X-Amz-Signature=b", "websocket");
  CHECK(gen["duplicate"] == true);
  CHECK(gen["sync"] == "pending");
  CHECK(f.sync_kicks == kicks + 1);
  VideoRecord r = f.Record(seen["video_id"]);
  CHECK(r.last_error.empty());
  CHECK(r.next_try_ms >= before + 1000);  // the same grace
  // Seen again later: nothing changes back.
  CHECK(f.Video("https://cdn.example/p.mp4", "inline")["sync"] == "pending");

  // saved_by_app stays on a generating duplicate.
  f.Save("finished", {Attachment("https://cdn.example/q.mp4")}, {{"http_status", 200}});
  CHECK(f.Video("https://cdn.example/q.mp4", "sse")["sync"] == "saved_by_app");
}

TEST_CASE("video.account round-trips; a duplicate fills a missing one") {
  Fixture f;
  json a = f.Video("https://cdn.example/acc.mp4");
  CHECK_FALSE(f.Get(a["video_id"])["video"].contains("account"));
  f.Video("https://cdn.example/acc.mp4", "sse", kChat,
          {{"account", {{"id", "u-1"}, {"label", "ann@example.com"}}}});
  json got = f.Get(a["video_id"])["video"];
  CHECK(got["account"] == json({{"id", "u-1"}, {"label", "ann@example.com"}}));
  CHECK_FALSE(got.contains("app_message_id"));
  json b = f.Video("https://cdn.example/acc2.mp4", "sse", kChat, {{"account", {{"id", "u-2"}}}});
  CHECK(f.Get(b["video_id"])["video"]["account"] == json({{"id", "u-2"}}));
}

TEST_CASE("app_save: started delays, finished 2xx saves, a failure makes it due now") {
  Fixture f;
  f.config.sync.app_save_grace_ms = 0;
  f.config.sync.app_save_wait_ms = 60000;
  f.Restart();
  json a = f.Video("https://cdn.example/s.mp4");
  const std::string id = a["video_id"];
  REQUIRE(f.Record(id).next_try_ms == 0);

  const std::int64_t before = UnixMs();
  CHECK(f.Save("started", {Attachment("https://cdn.example/s.mp4?token=x")})["matched"] == 1);
  CHECK(f.Record(id).next_try_ms >= before + 60000);

  CHECK(f.Save("finished", {Attachment("https://cdn.example/s.mp4")},
               {{"http_status", 500}, {"message_id", "m-1"}})["matched"] == 1);
  CHECK(f.Record(id).next_try_ms == 0);
  json got = f.Get(id);
  CHECK(got["video"]["sync"] == "pending");
  CHECK(got["history"].back()["reason"] == "the app's own save failed (HTTP 500)");

  CHECK(f.Save("finished", {Attachment("https://cdn.example/s.mp4")},
               {{"http_status", 200}, {"message_id", "m-2"},
                {"account", {{"id", "u-1"}, {"label", "ann"}}}})["matched"] == 1);
  got = f.Get(id);
  CHECK(got["video"]["sync"] == "saved_by_app");
  CHECK(got["video"]["app_message_id"] == "m-2");
  CHECK(got["video"]["account"]["id"] == "u-1");
  CHECK(got["history"].back()["reason"] == "saved by the app (message m-2)");

  json status = f.Send({{"type", "status"}});
  CHECK(status["saved_by_app"] == 1);
  json listed = f.Send({{"type", "list"}, {"sync", "saved_by_app"}});
  REQUIRE(listed["videos"].size() == 1);
  CHECK(listed["videos"][0]["video_id"] == id);
  // resync leaves it alone.
  CHECK(f.Send({{"type", "resync"}, {"video_ids", {id}}})["queued"] == 0);
  CHECK(f.Record(id).sync == SyncState::kSavedByApp);
}

TEST_CASE("app_save of unseen videos: created with source app; a later capture fills it in") {
  Fixture f;
  f.config.sync.app_save_grace_ms = 0;
  f.Restart();
  json ok = f.Save("finished",
                   {Attachment("https://cdn.example/u.mp4"),
                    {{"url", "https://cdn.example/u.webm"}, {"thumbnail_url", "https://cdn.example/u.webp"}}},
                   {{"http_status", 200}, {"message_id", "m-9"}});
  CHECK(ok["matched"] == 2);
  json list = f.Send({{"type", "list"}});
  REQUIRE(list["videos"].size() == 2);
  json webm = list["videos"][0];
  CHECK(webm["source"] == "app");
  CHECK(webm["sync"] == "saved_by_app");
  CHECK(webm["thumbnail_url"] == "https://cdn.example/u.webp");
  CHECK(webm["app_message_id"] == "m-9");
  CHECK(webm["chat_id"] == kChat);

  json capture = f.Video("https://cdn.example/u.mp4", "sse", kChat,
                         {{"prompt", "a cat surfing"}, {"meta", {{"width", 1280}}}});
  CHECK(capture["duplicate"] == true);
  CHECK(capture["sync"] == "saved_by_app");
  json got = f.Get(capture["video_id"])["video"];
  CHECK(got["prompt"] == "a cat surfing");
  CHECK(got["meta"]["width"] == 1280);

  // Unseen and failed: pending, due now; unseen and started: pending, waiting.
  f.Save("finished", {Attachment("https://cdn.example/v.mp4")}, {{"http_status", 0}});
  f.Save("started", {Attachment("https://cdn.example/w.mp4")});
  list = f.Send({{"type", "list"}, {"sync", "pending"}})["videos"];
  REQUIRE(list.size() == 2);
  CHECK(f.Record(list[1]["video_id"]).next_try_ms == 0);
  CHECK(f.Record(list[0]["video_id"]).next_try_ms > UnixMs() + 50000);
}

TEST_CASE("app_save of a video vidkeep already synced: stays synced, its history says so") {
  Fixture f;
  f.config.sync.app_save_grace_ms = 0;
  f.Restart();
  const std::string id = f.Video("https://cdn.example/done.mp4")["video_id"];
  REQUIRE(f.store->Begin().ok());
  REQUIRE(f.store->LeaseDue("me", {"https://chat.example"}, UnixMs(), UnixMs(), UnixMs() + 1000, 5)->size() == 1);
  SendOutcome synced;
  synced.state = SyncState::kSynced;
  synced.attempt = {NowUtc(), 200, "synced", ""};
  REQUIRE(f.store->FinishSend(id, "me", synced).value());
  REQUIRE(f.store->Commit().ok());
  f.Save("finished", {Attachment("https://cdn.example/done.mp4")}, {{"http_status", 200}, {"message_id", "m-5"}});
  json got = f.Get(id);
  CHECK(got["video"]["sync"] == "synced");
  CHECK(got["history"].back()["reason"] == "the app saved it too (message m-5)");
}

TEST_CASE("app_save ignores non-video attachments, bad links, repeats and other chat ids") {
  Fixture f;
  json a = f.Save("finished",
                  {{{"url", "https://cdn.example/notes.md"}, {"content_type", "text/markdown"}},
                   {{"url", "https://cdn.example/pic.png?x=.mp4"}},
                   {{"url", "javascript:alert(1).mp4"}},
                   {{"url", "https://user:pw@cdn.example/x.mp4"}},
                   Attachment("https://cdn.example/one.mp4"),
                   Attachment("https://cdn.example/one.mp4?X-Amz-Signature=z")},
                  {{"http_status", 200}});
  CHECK(a["matched"] == 1);
  CHECK(f.store->Stats()->videos == 1);

  json other = f.Send({{"type", "app_save"},
                       {"save", {{"chat_id", "not-a-uuid"}, {"phase", "finished"}, {"http_status", 200},
                                 {"page_url", "https://chat.example/chat/not-a-uuid"},
                                 {"attachments", {Attachment("https://cdn.example/two.mp4")}}}}});
  CHECK(other["matched"] == 0);
  CHECK(f.store->Stats()->videos == 1);
}
