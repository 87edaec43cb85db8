// The store's side of the real chat app (issue 12): why a video is local,
// promotion of seen-only videos, the grace before a send, and the app's own
// saves (docs/protocol-extensions.md "The real chat app").
#include <catch2/catch.hpp>

#include "dedupe.h"
#include "store.h"

using namespace vidkeep;

namespace {

constexpr const char* kChat = "3f2c9a9e-1b2c-4d5e-8f90-0123456789ab";

VideoRecord Record(const std::string& url, SyncState sync = SyncState::kPending) {
  VideoRecord r;
  r.video.url = url;
  r.video.chat_id = kChat;
  r.video.page_url = std::string("https://chat.example/chat/") + kChat;
  r.canonical_url = CanonicalUrl(url, SigningParams()).value();
  r.video_id = VideoIdFor(kChat, r.canonical_url);
  r.origin = "https://chat.example";
  r.sync = sync;
  return r;
}

std::unique_ptr<Store> Memory() {
  auto s = Store::Open(":memory:");
  REQUIRE(s.ok());
  return std::move(s).value();
}

template <typename F>
auto Write(Store& store, F&& body) {
  REQUIRE(store.Begin().ok());
  auto out = body();
  REQUIRE(out.ok());
  REQUIRE(store.Commit().ok());
  return std::move(out).value();
}

PutOutcome Put(Store& store, const VideoRecord& r, const PutPlan& plan = {}) {
  return Write(store, [&] { return store.PutVideo(r, plan); });
}

VideoRecord SeenOnly(const std::string& url) {
  VideoRecord r = Record(url, SyncState::kLocal);
  r.video.source = Source::kArtifact;
  r.last_error = "seen on the page only";
  return r;
}

PutPlan SeenPlan() {
  PutPlan p;
  p.local_reason = LocalReason::kSeenOnly;
  return p;
}

std::vector<VideoRecord> Lease(Store& store, std::int64_t now, const std::string& owner = "me") {
  return Write(store, [&] {
    return store.LeaseDue(owner, {"https://chat.example"}, now, now, now + 60000, 10);
  });
}

AppSaveFact Finished(int status, const std::string& message_id = "m-1") {
  AppSaveFact f;
  f.phase = AppSavePhase::kFinished;
  f.http_status = status;
  f.message_id = message_id;
  f.now_ms = UnixMs();
  return f;
}

std::vector<SyncAttempt> HistoryOf(Store& store, const std::string& id) {
  auto h = store.History(id);
  REQUIRE(h.ok());
  return *h;
}

}  // namespace

TEST_CASE("a local video keeps its reason; only a generating sighting promotes a seen-only one") {
  auto store = Memory();
  VideoRecord seen = SeenOnly("https://cdn.example/seen.mp4");
  CHECK(Put(*store, seen, SeenPlan()).sync == SyncState::kLocal);
  CHECK(store->Get(seen.video_id)->last_error == "seen on the page only");

  // Seen again: still local.
  CHECK(Put(*store, seen, SeenPlan()).sync == SyncState::kLocal);

  // Generated (the stream carried it): pending, not due before the grace.
  const std::int64_t grace_end = UnixMs() + 60000;
  VideoRecord generated = Record("https://cdn.example/seen.mp4");
  generated.video.source = Source::kSse;
  PutPlan plan;
  plan.promotes_seen = true;
  plan.not_before_ms = grace_end;
  const std::int64_t before = store->LatestChange().value();
  PutOutcome out = Put(*store, generated, plan);
  CHECK(out.duplicate);
  CHECK(out.promoted);
  CHECK(out.sync == SyncState::kPending);
  auto got = store->Get(seen.video_id);
  CHECK(got->sync == SyncState::kPending);
  CHECK(got->last_error.empty());
  CHECK(got->next_try_ms == grace_end);
  CHECK(got->video.source == Source::kArtifact);  // the first sighting's source stays
  // The browser hears of it.
  auto changes = store->ChangesSince(before, 10);
  REQUIRE(changes->size() == 1);
  CHECK((*changes)[0].state == SyncState::kPending);

  // Another local reason is never promoted.
  VideoRecord off = Record("https://cdn.example/off.mp4", SyncState::kLocal);
  PutPlan off_plan;
  off_plan.local_reason = LocalReason::kBadChatId;
  Put(*store, off, off_plan);
  CHECK_FALSE(Put(*store, off, plan).promoted);
  CHECK(store->Get(off.video_id)->sync == SyncState::kLocal);
}

TEST_CASE("a pending video is not leased before its grace ends") {
  auto store = Memory();
  const std::int64_t now = UnixMs();
  PutPlan plan;
  plan.not_before_ms = now + 15000;
  VideoRecord r = Record("https://cdn.example/g.mp4");
  Put(*store, r, plan);
  CHECK(Lease(*store, now).empty());
  CHECK(store->NextDue({"https://chat.example"}).value() == now + 15000);
  CHECK(Lease(*store, now + 15000).size() == 1);
}

TEST_CASE("a duplicate fills a missing account and keeps a known one") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/a.mp4");
  Put(*store, r);
  CHECK(store->Get(r.video_id)->video.account_id.empty());
  r.video.account_id = "u-1";
  r.video.account_label = "ann@example.com";
  Put(*store, r);
  r.video.account_id = "u-2";
  r.video.account_label = "bob@example.com";
  Put(*store, r);
  auto got = store->Get(r.video_id);
  CHECK(got->video.account_id == "u-1");
  CHECK(got->video.account_label == "ann@example.com");
}

TEST_CASE("resync sends a seen-only video but never touches saved_by_app or other local ones") {
  auto store = Memory();
  VideoRecord seen = SeenOnly("https://cdn.example/1.mp4");
  Put(*store, seen, SeenPlan());
  VideoRecord no_chat = Record("https://cdn.example/2.mp4", SyncState::kLocal);
  PutPlan no_chat_plan;
  no_chat_plan.local_reason = LocalReason::kNoChat;
  Put(*store, no_chat, no_chat_plan);
  VideoRecord by_app = Record("https://cdn.example/3.mp4");
  Put(*store, by_app);
  Write(*store, [&] { return store->ApplyAppSave(by_app, {}, Finished(200)); });
  REQUIRE(store->Get(by_app.video_id)->sync == SyncState::kSavedByApp);

  CHECK(Write(*store, [&] {
          return store->Resync({seen.video_id, no_chat.video_id, by_app.video_id});
        }) == 1);
  CHECK(store->Get(seen.video_id)->sync == SyncState::kPending);
  CHECK(store->Get(no_chat.video_id)->sync == SyncState::kLocal);
  CHECK(store->Get(by_app.video_id)->sync == SyncState::kSavedByApp);
  CHECK(store->Get(by_app.video_id)->app_message_id == "m-1");
}

TEST_CASE("app save started: a pending video waits for the app's answer") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/s.mp4");
  Put(*store, r);  // due now
  AppSaveFact started;
  started.phase = AppSavePhase::kStarted;
  started.now_ms = UnixMs();
  started.wait_until_ms = started.now_ms + 60000;
  auto out = Write(*store, [&] { return store->ApplyAppSave(r, {}, started); });
  CHECK_FALSE(out.created);
  CHECK(out.sync == SyncState::kPending);
  CHECK(store->Get(r.video_id)->next_try_ms == started.wait_until_ms);
  CHECK(Lease(*store, started.now_ms).empty());

  // Unseen: created pending with source app, waiting as well.
  VideoRecord unseen = Record("https://cdn.example/unseen.mp4");
  unseen.video.source = Source::kApp;
  out = Write(*store, [&] { return store->ApplyAppSave(unseen, {}, started); });
  CHECK(out.created);
  auto got = store->Get(unseen.video_id);
  CHECK(got->sync == SyncState::kPending);
  CHECK(got->video.source == Source::kApp);
  CHECK(got->next_try_ms == started.wait_until_ms);
}

TEST_CASE("app save finished with a 2xx: saved_by_app, with an event and a history line") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/f.mp4");
  Put(*store, r);
  const std::int64_t before = store->LatestChange().value();
  auto out = Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(200, "msg-9")); });
  CHECK(out.changed);
  CHECK(out.sync == SyncState::kSavedByApp);
  auto got = store->Get(r.video_id);
  CHECK(got->sync == SyncState::kSavedByApp);
  CHECK(got->app_message_id == "msg-9");
  auto changes = store->ChangesSince(before, 10);
  REQUIRE(changes->size() == 1);
  CHECK((*changes)[0].state == SyncState::kSavedByApp);
  auto history = HistoryOf(*store, r.video_id);
  REQUIRE(history.size() == 1);
  CHECK(history[0].reason == "saved by the app (message msg-9)");
  CHECK(history[0].result == "saved_by_app");
  CHECK(store->Stats()->count(SyncState::kSavedByApp) == 1);
  CHECK(Lease(*store, UnixMs() + 120000).empty());  // never sent

  // A later capture is a duplicate: it fills the prompt and keeps the state.
  VideoRecord capture = r;
  capture.video.prompt = "a cat surfing";
  capture.video.account_id = "u-1";
  PutOutcome dup = Put(*store, capture);
  CHECK(dup.duplicate);
  CHECK(dup.sync == SyncState::kSavedByApp);
  got = store->Get(r.video_id);
  CHECK(got->video.prompt == "a cat surfing");
  CHECK(got->video.account_id == "u-1");
}

TEST_CASE("app save of an unseen video creates it saved_by_app with source app") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/new.mp4");
  r.video.source = Source::kApp;
  r.video.thumbnail_url = "https://cdn.example/new.webp";
  const std::int64_t before = store->LatestChange().value();
  auto out = Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(201, "m-new")); });
  CHECK(out.created);
  auto got = store->Get(r.video_id);
  CHECK(got->sync == SyncState::kSavedByApp);
  CHECK(got->video.source == Source::kApp);
  CHECK(got->video.thumbnail_url == "https://cdn.example/new.webp");
  CHECK(got->app_message_id == "m-new");
  CHECK(store->ChangesSince(before, 10)->size() == 1);
}

TEST_CASE("a capture after the app's save names how vidkeep saw the video, not source app") {
  // Firefox delivered the page's app_save before the event stream's capture
  // (e2e scenario 12): the record said source app, prompt filled, forever.
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/first-by-app.mp4");
  r.video.source = Source::kApp;
  Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(200, "m-app")); });
  VideoRecord captured = Record("https://cdn.example/first-by-app.mp4");
  captured.video.source = Source::kSse;
  captured.video.prompt = "a cat surfing";
  auto out = Put(*store, captured);
  CHECK(out.duplicate);
  auto got = store->Get(r.video_id);
  CHECK(got->sync == SyncState::kSavedByApp);
  CHECK(got->video.source == Source::kSse);
  CHECK(got->video.prompt == "a cat surfing");
  CHECK(got->app_message_id == "m-app");
}

TEST_CASE("app save of a video vidkeep already synced: stays synced, history says so") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/synced.mp4");
  Put(*store, r);
  REQUIRE(Lease(*store, UnixMs()).size() == 1);
  SendOutcome ok;
  ok.state = SyncState::kSynced;
  ok.attempt = {NowUtc(), 200, "synced", ""};
  REQUIRE(Write(*store, [&] { return store->FinishSend(r.video_id, "me", ok); }));
  auto out = Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(200, "m-2")); });
  CHECK_FALSE(out.changed);
  CHECK(out.sync == SyncState::kSynced);
  CHECK(store->Get(r.video_id)->sync == SyncState::kSynced);
  auto history = HistoryOf(*store, r.video_id);
  REQUIRE(history.size() == 2);
  CHECK(history[1].reason == "the app saved it too (message m-2)");
}

TEST_CASE("app save failed: a waiting video is due now; an unseen one is created due now") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/fail.mp4");
  PutPlan grace;
  grace.not_before_ms = UnixMs() + 60000;
  Put(*store, r, grace);
  auto out = Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(500)); });
  CHECK(out.sync == SyncState::kPending);
  CHECK(store->Get(r.video_id)->next_try_ms == 0);
  auto history = HistoryOf(*store, r.video_id);
  REQUIRE(history.size() == 1);
  CHECK(history[0].reason == "the app's own save failed (HTTP 500)");
  CHECK(history[0].http_status == 500);

  VideoRecord unseen = Record("https://cdn.example/fail2.mp4");
  unseen.video.source = Source::kApp;
  out = Write(*store, [&] { return store->ApplyAppSave(unseen, grace, Finished(0)); });
  CHECK(out.created);
  auto got = store->Get(unseen.video_id);
  CHECK(got->sync == SyncState::kPending);
  CHECK(got->next_try_ms == 0);
  CHECK(HistoryOf(*store, unseen.video_id)[0].reason == "the app's own save failed (no answer)");
  CHECK(Lease(*store, UnixMs()).size() == 2);
}

TEST_CASE("a send's late success does not undo the app's save") {
  auto store = Memory();
  VideoRecord r = Record("https://cdn.example/race.mp4");
  Put(*store, r);
  REQUIRE(Lease(*store, UnixMs(), "other-process").size() == 1);
  // While the other process's request is in flight, the app's save lands.
  Write(*store, [&] { return store->ApplyAppSave(r, {}, Finished(200, "m-3")); });
  SendOutcome ok;
  ok.state = SyncState::kSynced;
  ok.attempt = {NowUtc(), 200, "synced", ""};
  CHECK_FALSE(Write(*store, [&] { return store->FinishSend(r.video_id, "other-process", ok); }));
  auto got = store->Get(r.video_id);
  CHECK(got->sync == SyncState::kSavedByApp);
  CHECK(got->app_message_id == "m-3");
  auto history = HistoryOf(*store, r.video_id);
  REQUIRE(history.size() == 2);
  CHECK(history[1].reason == "not applied: the app had saved it itself meanwhile");
  // A failure after it does not apply either.
  SendOutcome bad;
  bad.state = SyncState::kFailed;
  bad.last_error = "HTTP 400";
  CHECK_FALSE(Write(*store, [&] { return store->FinishSend(r.video_id, "other-process", bad); }));
  CHECK(store->Get(r.video_id)->sync == SyncState::kSavedByApp);
}
