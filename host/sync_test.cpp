#include "sync.h"

#include <filesystem>

#include <catch2/catch.hpp>

#include "dedupe.h"
#include "save_message.h"
#include "test_support.h"

using namespace vidkeep;
using nlohmann::json;

namespace {

HttpResponse Answer(int status, std::string retry_after = {}, std::string body = {}) {
  HttpResponse r;
  r.status = status;
  r.retry_after = std::move(retry_after);
  r.body = std::move(body);
  if (status == 0) r.error = "connection reset";
  return r;
}

VideoRecord Record(const std::string& url, const std::string& prompt) {
  VideoRecord r;
  r.video.url = url;
  r.video.prompt = prompt;
  r.video.chat_id = "c1";
  r.video.page_url = "https://chat.example/chat/c1";
  r.origin = "https://chat.example";
  r.canonical_url = CanonicalUrl(url, SigningParams()).value();
  r.video_id = VideoIdFor("c1", r.canonical_url);
  r.sync = SyncState::kPending;
  r.created_at = "2026-11-24T10:00:00.000Z";
  return r;
}

}  // namespace

TEST_CASE("HTTP answers map to sync states (PROTOCOL.md section 4)") {
  SyncConfig config;
  config.backoff_base_ms = 100;
  config.backoff_cap_ms = 1000;
  std::mt19937_64 rng(1);
  const std::int64_t now = 1'000'000;
  struct Row {
    int status;
    SyncState state;
  };
  const Row rows[] = {{200, SyncState::kSynced},  {201, SyncState::kSynced},
                      {204, SyncState::kSynced},  {409, SyncState::kSynced},
                      {401, SyncState::kAuthRequired}, {403, SyncState::kAuthRequired},
                      {408, SyncState::kPending}, {429, SyncState::kPending},
                      {500, SyncState::kPending}, {503, SyncState::kPending},
                      {0, SyncState::kPending},   {400, SyncState::kFailed},
                      {404, SyncState::kFailed},  {302, SyncState::kAuthRequired},
                      {307, SyncState::kAuthRequired},
                      {413, SyncState::kFailed}};
  for (const auto& row : rows) {
    INFO(row.status);
    auto out = ClassifyResponse(Answer(row.status, {}, "server says no"), 3, config, now, rng);
    CHECK(out.state == row.state);
    CHECK(out.attempt.http_status == row.status);
    if (row.state == SyncState::kPending) {
      CHECK(out.next_try_ms > now);
      CHECK(out.next_try_ms <= now + config.backoff_cap_ms);
    }
    if (row.state == SyncState::kFailed)
      CHECK(out.last_error == "HTTP " + std::to_string(row.status) + ": server says no");
  }
}

TEST_CASE("a redirect from the save route is a sign-in, named by its path, never followed") {
  SyncConfig config;
  std::mt19937_64 rng(1);
  HttpResponse guest = Answer(307);
  guest.location = "/api/auth/guest?redirectUrl=http%3A%2F%2F127.0.0.1%3A3000%2Fapi%2Fsave-message";
  auto out = ClassifyResponse(guest, 0, config, 0, rng);
  CHECK(out.state == SyncState::kAuthRequired);
  CHECK(out.last_error == "HTTP 307: the app redirected to /api/auth/guest (sign-in or guest page)");
  CHECK(out.attempt.result == "auth_required");

  HttpResponse login = Answer(302);
  login.location = "https://chat.example/login?next=%2F";
  CHECK(ClassifyResponse(login, 7, config, 0, rng).last_error ==
        "HTTP 302: the app redirected to /login (sign-in or guest page)");
  // A redirect is no retryable failure: the attempt budget does not apply.
  CHECK(ClassifyResponse(login, 7, config, 0, rng).state == SyncState::kAuthRequired);
}

TEST_CASE("retryable failures give up after sync.max_attempts attempts, naming the last reason") {
  SyncConfig config;  // max_attempts 8
  std::mt19937_64 rng(1);
  for (int status : {408, 429, 500, 503, 0}) {
    INFO(status);
    // The 7th attempt (6 before it) may still be retried...
    CHECK(ClassifyResponse(Answer(status, {}, "db down"), 6, config, 0, rng).state == SyncState::kPending);
    // ...the 8th is the last.
    auto last = ClassifyResponse(Answer(status, {}, "db down"), 7, config, 0, rng);
    CHECK(last.state == SyncState::kFailed);
    CHECK(last.next_try_ms == 0);
    CHECK(last.attempt.result == "failed");
    CHECK(last.last_error.starts_with("gave up after 8 attempts: "));
  }
  CHECK(ClassifyResponse(Answer(500, {}, "db down"), 7, config, 0, rng).last_error ==
        "gave up after 8 attempts: HTTP 500: db down");
  CHECK(ClassifyResponse(Answer(0), 7, config, 0, rng).last_error ==
        "gave up after 8 attempts: connection reset");
  config.max_attempts = 1;
  CHECK(ClassifyResponse(Answer(503), 0, config, 0, rng).last_error == "gave up after 1 attempts: HTTP 503");
  // Success and sign-in answers are no failures, whatever the count.
  CHECK(ClassifyResponse(Answer(200), 50, config, 0, rng).state == SyncState::kSynced);
  CHECK(ClassifyResponse(Answer(401), 50, config, 0, rng).state == SyncState::kAuthRequired);
}

namespace {

VideoRecord MadeBy(const std::string& id, const std::string& label) {
  VideoRecord r = Record("https://cdn.example/v/1.mp4", "p");
  r.origin = "http://127.0.0.1:3000";
  r.video.account_id = id;
  r.video.account_label = label;
  return r;
}

HeldCredentials Held(AccountCheck check, bool admin = false) {
  HeldCredentials h;
  h.auth.cookie = "authjs.session-token=secret-value";
  h.check = std::move(check);
  h.admin = admin;
  h.any_account = admin && !(h.check.checked && h.check.account);
  return h;
}

}  // namespace

TEST_CASE("a video goes only with credentials checked to be its account's") {
  const VideoRecord a = MadeBy("1234", "demo@example.com");
  const auto as_a = Held({true, Account{"1234", "demo@example.com"}, {}});
  const auto as_guest = Held({true, Account{"5678", "guest-5678@example.com"}, {}});
  const auto nobody = Held({true, std::nullopt, {}});
  const auto unknown = Held({false, std::nullopt, "the session endpoint answered HTTP 404"});

  CHECK(IdentityMismatch(a, &as_a).empty());
  CHECK(IdentityMismatch(a, &as_guest) ==
        "waiting for demo@example.com (user 1234) to sign in at http://127.0.0.1:3000; the browser "
        "is signed in as guest-5678@example.com (user 5678)");
  CHECK(IdentityMismatch(a, &nobody) ==
        "waiting for demo@example.com (user 1234) to sign in at http://127.0.0.1:3000; the browser "
        "has no session");
  CHECK(IdentityMismatch(a, &unknown) ==
        "waiting for demo@example.com (user 1234) to sign in at http://127.0.0.1:3000; whom the "
        "browser is signed in as is unknown (the session endpoint answered HTTP 404)");
  CHECK(IdentityMismatch(a, nullptr).find("holds no credentials") != std::string::npos);
  CHECK(IdentityMismatch(MadeBy("1234", ""), &as_guest).starts_with("waiting for user 1234 to sign in"));
  // The reason never carries the credentials.
  CHECK(IdentityMismatch(a, &as_guest).find("secret-value") == std::string::npos);

  // A video without an account (an app without a session endpoint) goes
  // with whatever is held.
  const VideoRecord anyone = MadeBy("", "");
  for (const auto* held : {&as_a, &as_guest, &nobody, &unknown}) CHECK(IdentityMismatch(anyone, held).empty());

  // The admin's token: a service token (no user) sends every account's
  // videos; a user's token only that user's.
  const auto service_token = Held({true, std::nullopt, {}}, true);
  const auto unchecked_token = Held({false, std::nullopt, "off"}, true);
  CHECK(IdentityMismatch(a, &service_token).empty());
  CHECK(IdentityMismatch(a, &unchecked_token).empty());
  const auto admin_guest = Held({true, Account{"5678", ""}, {}}, true);
  CHECK(IdentityMismatch(a, &admin_guest) ==
        "waiting for demo@example.com (user 1234) to sign in at http://127.0.0.1:3000; the admin's "
        "token belongs to user 5678");
  CHECK(IdentityMismatch(MadeBy("5678", ""), &admin_guest).empty());
}

TEST_CASE("new credentials resume only the videos they may send") {
  CHECK(ResumableAccount(Held({true, Account{"1234", "a"}, {}})) == std::optional<std::string>("1234"));
  CHECK(ResumableAccount(Held({true, std::nullopt, {}})) == std::optional<std::string>(""));
  CHECK(ResumableAccount(Held({false, std::nullopt, "404"})) == std::optional<std::string>(""));
  CHECK(ResumableAccount(Held({true, std::nullopt, {}}, true)) == std::nullopt);
  CHECK(ResumableAccount(Held({true, Account{"9", ""}, {}}, true)) == std::optional<std::string>("9"));
}

TEST_CASE("the server's reason is kept to 500 bytes") {
  SyncConfig config;
  std::mt19937_64 rng(1);
  auto out = ClassifyResponse(Answer(400, {}, std::string(5000, 'r')), 0, config, 0, rng);
  CHECK(out.last_error.size() == std::string("HTTP 400: ").size() + 500);
}

TEST_CASE("backoff grows exponentially with full jitter, capped") {
  SyncConfig config;
  config.backoff_base_ms = 100;
  config.backoff_cap_ms = 5000;
  config.max_attempts = 1000;  // this test looks at the backoff, not the budget
  std::mt19937_64 rng(42);
  for (int attempts : {0, 1, 2, 3, 10, 40}) {
    const std::int64_t ceiling = std::min<std::int64_t>(5000, 100LL << std::min(attempts, 20));
    std::int64_t max_seen = 0;
    for (int i = 0; i < 200; ++i) {
      auto out = ClassifyResponse(Answer(503), attempts, config, 0, rng);
      CHECK(out.next_try_ms >= 1);
      CHECK(out.next_try_ms <= ceiling);
      max_seen = std::max(max_seen, out.next_try_ms);
    }
    CHECK(max_seen > ceiling / 2);  // jitter spreads over the whole range
  }
}

TEST_CASE("Retry-After in seconds and as an HTTP date") {
  CHECK(RetryAfterMs("120", 0) == 120000);
  CHECK(RetryAfterMs("0", 0) == 0);
  CHECK(RetryAfterMs("", 0) == std::nullopt);
  CHECK(RetryAfterMs("soon", 0) == std::nullopt);
  // Sun, 06 Nov 1994 08:49:37 GMT = 784111777 s
  CHECK(RetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 - 5000) == 5000);
  CHECK(RetryAfterMs("Sun, 06 Nov 1994 08:49:37 GMT", 784111777000 + 5000) == 0);

  SyncConfig config;
  config.backoff_base_ms = 1;
  config.backoff_cap_ms = 10;
  std::mt19937_64 rng(1);
  auto out = ClassifyResponse(Answer(429, "3"), 0, config, 1000, rng);
  CHECK(out.next_try_ms == 4000);  // the server's word beats our cap
}

TEST_CASE("the save-message body") {
  VideoRecord r = Record("https://cdn.example/v/1.MOV?sig=a", std::string(60, 'a'));
  r.video.thumbnail_url = "https://cdn.example/v/1.webp";
  json body = json::parse(SaveMessageBody(r));
  CHECK(body["chatId"] == "c1");
  const json& m = body["message"];
  CHECK(m["id"] == r.video_id);
  CHECK(m["role"] == "assistant");
  CHECK(m["content"] ==
        "Generated video: \"" + std::string(60, 'a') + "\"\n\nhttps://cdn.example/v/1.MOV?sig=a");
  CHECK(m["parts"] == json::array({{{"type", "text"}, {"text", m["content"]}}}));
  CHECK(m["attachments"][0]["name"] == std::string(50, 'a') + "...");
  CHECK(m["attachments"][0]["url"] == "https://cdn.example/v/1.MOV?sig=a");
  CHECK(m["attachments"][0]["contentType"] == "video/quicktime");
  CHECK(m["attachments"][0]["thumbnailUrl"] == "https://cdn.example/v/1.webp");
  CHECK(m["experimental_attachments"] == m["attachments"]);
  CHECK(m["createdAt"] == "2026-11-24T10:00:00.000Z");

  r.video.meta = {{"content_type", "video/webm"}};
  CHECK(VideoContentType(r) == "video/webm");
  r.video.meta = {{"content_type", "text/html"}};
  CHECK(VideoContentType(r) == "video/quicktime");
}

TEST_CASE("the message text carries the stored full link, also without a prompt") {
  VideoRecord r = Record("https://cdn.example/v/2.mp4?X-Amz-Signature=abc&X-Amz-Expires=60", "");
  CHECK(MessageText(r) == "Generated video\n\nhttps://cdn.example/v/2.mp4?X-Amz-Signature=abc&X-Amz-Expires=60");
  r.video.prompt = "a \"quoted\" cat";
  CHECK(MessageText(r) ==
        "Generated video: \"a \"quoted\" cat\"\n\nhttps://cdn.example/v/2.mp4?X-Amz-Signature=abc&X-Amz-Expires=60");
  json m = json::parse(SaveMessageBody(r))["message"];
  CHECK(m["content"] == MessageText(r));
  CHECK(m["parts"][0]["text"] == MessageText(r));
}

TEST_CASE("attachment names count characters, not bytes") {
  CHECK(AttachmentName("") == "Generated video");
  CHECK(AttachmentName("short") == "short");
  CHECK(AttachmentName(std::string(50, 'x')) == std::string(50, 'x'));
  std::string cyrillic;
  for (int i = 0; i < 60; ++i) cyrillic += "\xd0\xba";  // "к", 2 bytes each
  std::string first50;
  for (int i = 0; i < 50; ++i) first50 += "\xd0\xba";
  CHECK(AttachmentName(cyrillic) == first50 + "...");
}

TEST_CASE("leases: one owner at a time, taken over after expiry") {
  const std::filesystem::path dir = test::MakeTempDir("/tmp/vidkeep-lease-XXXXXX");
  const std::string path = (dir / "v.db").string();
  auto a = Store::Open(path).value();
  auto b = Store::Open(path).value();
  const std::vector<std::string> origins = {"https://chat.example"};
  REQUIRE(a->Begin().ok());
  for (int i = 0; i < 10; ++i)
    REQUIRE(a->PutVideo(Record("https://cdn.example/" + std::to_string(i) + ".mp4", "p")).ok());
  REQUIRE(a->Commit().ok());

  auto lease = [&](Store& s, const std::string& owner, std::int64_t now, int limit) {
    REQUIRE(s.Begin().ok());
    auto got = s.LeaseDue(owner, origins, now, now, now + 1000, limit);
    REQUIRE(s.Commit().ok());
    return got.value();
  };
  auto first = lease(*a, "a", 100, 6);
  auto second = lease(*b, "b", 100, 10);
  CHECK(first.size() == 6);
  CHECK(second.size() == 4);
  for (const auto& x : first)
    for (const auto& y : second) CHECK(x.video_id != y.video_id);
  CHECK(lease(*b, "b", 500, 10).empty());        // all leased
  CHECK(lease(*b, "b", 1200, 10).size() == 10);  // expired: taken over

  // A failure recorded by the old owner no longer applies; a success does.
  SendOutcome retry;
  retry.state = SyncState::kPending;
  retry.next_try_ms = 5000;
  REQUIRE(a->Begin().ok());
  CHECK_FALSE(*a->FinishSend(first[0].video_id, "a", retry));
  // ...but the attempt happened: the history says so (a resend is explained).
  auto history = a->History(first[0].video_id);
  REQUIRE(history->size() == 1);
  CHECK(history->front().reason.find("not applied") != std::string::npos);
  SendOutcome done;
  done.state = SyncState::kSynced;
  CHECK(*a->FinishSend(first[1].video_id, "a", done));
  REQUIRE(a->Commit().ok());
  CHECK(b->Get(first[1].video_id)->sync == SyncState::kSynced);
  CHECK(*b->NextDue(origins) == 1200 + 1000);  // the earliest lease end

  // b's failure on the video a synced late does not undo the success.
  REQUIRE(b->Begin().ok());
  CHECK_FALSE(*b->FinishSend(first[1].video_id, "b", retry));
  REQUIRE(b->Commit().ok());
  CHECK(b->Get(first[1].video_id)->sync == SyncState::kSynced);
  // ...and b's lease stood through a's success: resynced, the video waits
  // for b's lease to end instead of going out beside b's request.
  REQUIRE(a->Begin().ok());
  CHECK(*a->Resync({first[1].video_id}) == 1);
  REQUIRE(a->Commit().ok());
  for (const auto& x : lease(*a, "c", 1500, 10)) CHECK(x.video_id != first[1].video_id);
  bool taken = false;
  for (const auto& x : lease(*a, "c", 2300, 10)) taken |= x.video_id == first[1].video_id;
  CHECK(taken);
  a.reset();  // closed first: Windows deletes no open file
  b.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("resuming after new credentials: only their account's videos and those without one, with a fresh budget") {
  auto store = Store::Open(":memory:").value();
  const std::vector<std::string> origins = {"https://chat.example"};
  auto put = [&](int n, const std::string& account) {
    VideoRecord r = Record("https://cdn.example/r" + std::to_string(n) + ".mp4", "p");
    r.video.account_id = account;
    r.video.account_label = account.empty() ? "" : account + "@example.com";
    REQUIRE(store->PutVideo(r).ok());
    return r.video_id;
  };
  REQUIRE(store->Begin().ok());
  const std::string a = put(1, "A"), b = put(2, "B"), none = put(3, "");
  auto leased = store->LeaseDue("me", origins, 100, 100, 10'000, 10);
  REQUIRE(leased.ok());
  REQUIRE(leased->size() == 3);
  for (const auto& record : *leased) {
    CHECK(record.video.account_id == (record.video_id == a ? "A" : record.video_id == b ? "B" : ""));
    SendOutcome waiting;
    waiting.state = SyncState::kAuthRequired;
    waiting.last_error = "waiting";
    REQUIRE(*store->FinishSend(record.video_id, "me", waiting));
  }
  REQUIRE(store->Commit().ok());
  auto state = [&](const std::string& id) { return store->Get(id)->sync; };

  REQUIRE(store->Begin().ok());
  CHECK(*store->ResumeOrigin("https://chat.example", std::string("A")) == 2);
  REQUIRE(store->Commit().ok());
  CHECK(state(a) == SyncState::kPending);
  CHECK(state(none) == SyncState::kPending);
  CHECK(state(b) == SyncState::kAuthRequired);
  CHECK(store->Get(a)->sync_attempts == 0);  // a fresh budget for the new session
  CHECK(store->Get(b)->sync_attempts == 1);

  REQUIRE(store->Begin().ok());
  CHECK(*store->ResumeOrigin("https://chat.example", std::string("")) == 0);  // no account-less one waits
  CHECK(*store->ResumeOrigin("https://other.example", std::nullopt) == 0);
  CHECK(*store->ResumeOrigin("https://chat.example", std::nullopt) == 1);  // the admin's service token
  REQUIRE(store->Commit().ok());
  CHECK(state(b) == SyncState::kPending);
}
