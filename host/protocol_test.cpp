#include "protocol.h"

#include <catch2/catch.hpp>

using namespace vidkeep;
using nlohmann::json;

namespace {
Status Parse(const std::string& payload, Request& r, LimitsConfig limits = {}) {
  return ParseRequest(payload, limits, r);
}
Status Parse(const json& payload, Request& r) { return Parse(payload.dump(), r); }
}  // namespace

TEST_CASE("a video request, field by field") {
  Request r;
  json req = {{"type", "video"},
              {"id", "a1"},
              {"video",
               {{"url", "https://cdn.example/v.mp4"},
                {"thumbnail_url", "https://cdn.example/v.webp"},
                {"prompt", "a cat"},
                {"chat_id", "c1"},
                {"source", "artifact"},
                {"page_url", "https://chat.example/chat/c1"},
                {"observed_at", "2026-11-24T10:00:00Z"},
                {"meta", {{"duration_s", 5.0}, {"width", 1280}, {"model", "m"}, {"extra", true}}},
                {"unknown_field", 1}}}};
  REQUIRE(Parse(req, r).ok());
  CHECK(r.type == RequestType::kVideo);
  CHECK(r.id == "a1");
  CHECK(r.video.url == "https://cdn.example/v.mp4");
  CHECK(r.video.source == Source::kArtifact);
  CHECK(r.video.meta["width"] == 1280);
  CHECK(r.IsWrite());

  struct Bad {
    const char* field;
    json value;
    ErrorCode code;
  };
  const Bad bad[] = {
      {"url", 5, ErrorCode::kBadRequest},
      {"url", nullptr, ErrorCode::kBadRequest},  // required
      {"url", "javascript:alert(1)", ErrorCode::kInvalidUrl},
      {"url", std::string(9000, 'a'), ErrorCode::kTooLarge},
      {"thumbnail_url", "data:image/png;base64,AA", ErrorCode::kInvalidUrl},
      {"prompt", json::object(), ErrorCode::kBadRequest},
      {"prompt", std::string(70000, 'p'), ErrorCode::kTooLarge},
      {"chat_id", json::array(), ErrorCode::kBadRequest},
      {"chat_id", "a\nb", ErrorCode::kBadRequest},
      {"source", "telepathy", ErrorCode::kBadRequest},
      {"page_url", "file:///x", ErrorCode::kInvalidUrl},
      {"meta", json::array(), ErrorCode::kBadRequest},
      {"meta", {{"width", "wide"}}, ErrorCode::kBadRequest},
      {"meta", {{"duration_s", "5s"}}, ErrorCode::kBadRequest},
      {"meta", {{"blob", std::string(20000, 'm')}}, ErrorCode::kTooLarge},
  };
  for (const auto& b : bad) {
    json copy = req;
    copy["video"][b.field] = b.value;
    INFO(b.field << " = " << b.value.dump().substr(0, 40));
    Request out;
    Status s = Parse(copy, out);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == b.code);
    CHECK(out.id == "a1");  // the id is echoed even when the request is refused
    CHECK(s.message().find(b.field) != std::string::npos);
  }
}

TEST_CASE("a prompt's content never refuses the video: NUL dropped, other controls kept") {
  Request r;
  json req = {{"type", "video"},
              {"id", "p1"},
              {"video",
               {{"url", "https://cdn.example/v.mp4"},
                {"prompt", std::string("a\0b\x1b]52;c;x\x07\x7f\xc2\x9b\n", 16)}}}};
  Status s = Parse(req, r);
  REQUIRE(s.ok());
  CHECK(r.video.prompt == "ab\x1b]52;c;x\x07\x7f\xc2\x9b\n");
  // The size limit counts what is kept.
  LimitsConfig small;
  small.max_prompt_bytes = 2;
  req["video"]["prompt"] = std::string("a\0\0b", 4);
  CHECK(Parse(req.dump(), r, small).ok());
}

TEST_CASE("frames that are not requests") {
  struct Row {
    std::string payload;
    ErrorCode code;
    json id;
  };
  const Row rows[] = {
      {"", ErrorCode::kBadRequest, nullptr},
      {"not json", ErrorCode::kBadRequest, nullptr},
      {"[1,2]", ErrorCode::kBadRequest, nullptr},
      {"\"hello\"", ErrorCode::kBadRequest, nullptr},
      {"{\"type\":\"hello\"}", ErrorCode::kBadRequest, nullptr},
      {"{\"type\":\"hello\",\"id\":{}}", ErrorCode::kBadRequest, nullptr},
      {"{\"type\":\"hello\",\"id\":true}", ErrorCode::kBadRequest, nullptr},
      {"{\"id\":7}", ErrorCode::kBadRequest, 7},
      {"{\"id\":7,\"type\":3}", ErrorCode::kBadRequest, 7},
      {"{\"id\":7,\"type\":\"dance\"}", ErrorCode::kUnsupported, 7},
      {"{\"id\":\"x\",\"type\":\"hello\",\"p\":\"\xff\"}", ErrorCode::kBadRequest, nullptr},
      {"{\"id\":1,\"type\":\"list\",\"limit\":0}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"list\",\"limit\":\"5\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"list\",\"cursor\":\"zz\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"list\",\"cursor\":\"s12x\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"list\",\"sync\":\"done\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"get\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"delete\",\"video_ids\":\"a\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"resync\",\"video_ids\":[1]}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"configure\"}", ErrorCode::kBadRequest, 1},
      {"{\"id\":1,\"type\":\"configure\",\"server\":{\"origin\":\"http://chat.example\"}}", ErrorCode::kInvalidUrl, 1},
      {"{\"id\":1,\"type\":\"configure\",\"server\":{\"origin\":\"https://u:p@chat.example\"}}", ErrorCode::kInvalidUrl, 1},
      {"{\"id\":1,\"type\":\"configure\",\"server\":{\"origin\":\"https://c.example\",\"auth\":{\"cookie\":\"a\\r\\nX: y\"}}}", ErrorCode::kBadRequest, 1},
  };
  for (const auto& row : rows) {
    INFO(row.payload);
    Request r;
    Status s = Parse(row.payload, r);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == row.code);
    CHECK(r.id == row.id);
  }
}

TEST_CASE("deep nesting is refused without recursion") {
  for (const char* open_close : {"[]", "{}"}) {
    std::string deep;
    const int levels = 100000;
    for (int i = 0; i < levels; ++i) deep += open_close[0] == '[' ? "[" : "{\"a\":";
    deep += "1";
    for (int i = 0; i < levels; ++i) deep += open_close[1];
    Request r;
    Status s = Parse(deep, r);
    CHECK(s.code() == ErrorCode::kBadRequest);
    CHECK(s.message().find("deeper") != std::string::npos);
  }
}

TEST_CASE("list fields") {
  Request r;
  REQUIRE(Parse(json{{"type", "list"}, {"id", 2}, {"limit", 9999}, {"cursor", "s42"},
                     {"chat_id", "c"}, {"query", "cat"}, {"sync", "failed"}},
                r)
              .ok());
  CHECK(r.limit == kMaxListLimit);
  CHECK(r.before_seq == 42);
  CHECK(r.chat_id == "c");
  CHECK(r.sync == SyncState::kFailed);
}

TEST_CASE("configure normalizes the origin and keeps credentials") {
  Request r;
  REQUIRE(Parse(json{{"type", "configure"}, {"id", 3},
                     {"server", {{"origin", "https://Chat.Example/"}, {"auth", {{"bearer", "t0k"}}}}}},
                r)
              .ok());
  CHECK(r.origin == "https://chat.example");
  CHECK(r.auth.bearer == "t0k");
}

TEST_CASE("answers and events") {
  CHECK(json::parse(OkAnswer(5, {{"x", 1}})) == json{{"id", 5}, {"ok", true}, {"x", 1}});
  json err = json::parse(ErrorAnswer("q", Status::Unavailable("disk full")));
  CHECK(err["ok"] == false);
  CHECK(err["error"]["code"] == "unavailable");
  CHECK(err["error"]["retryable"] == true);
  json ev = json::parse(SyncStateEvent("v1", SyncState::kSynced, ""));
  CHECK_FALSE(ev.contains("id"));
  CHECK(ev["type"] == "sync_state");
  // Invalid UTF-8 never makes serialization throw.
  CHECK_NOTHROW(Dump(json(std::string("\xff\xfe"))));
}

TEST_CASE("media requests: media_read ranges, media_pin, media_fetch; bad fields refused") {
  Request r;
  REQUIRE(Parse(json{{"type", "media_read"}, {"id", 1}, {"video_id", "v"}}, r).ok());
  CHECK(r.type == RequestType::kMediaRead);
  CHECK(r.kind == FileKind::kVideo);
  CHECK(r.offset == 0);
  CHECK(r.length == kMaxMediaReadBytes);
  CHECK_FALSE(r.IsWrite());

  REQUIRE(Parse(json{{"type", "media_read"}, {"id", 2}, {"video_id", "v"}, {"kind", "thumbnail"},
                     {"offset", 1000}, {"length", 10 * 1024 * 1024}},
                r)
              .ok());
  CHECK(r.kind == FileKind::kThumbnail);
  CHECK(r.offset == 1000);
  CHECK(r.length == kMaxMediaReadBytes);  // a longer read is served in part

  for (const json& bad : {json{{"kind", "audio"}}, json{{"offset", -1}}, json{{"offset", "0"}},
                          json{{"length", 0}}, json{{"length", 1.5}}, json{{"video_id", 5}}}) {
    json req = {{"type", "media_read"}, {"id", 3}, {"video_id", "v"}};
    req.update(bad);
    Request out;
    CHECK(Parse(req, out).code() == ErrorCode::kBadRequest);
  }

  REQUIRE(Parse(json{{"type", "media_pin"}, {"id", 4}, {"video_ids", {"a", "b"}}, {"pinned", false}}, r).ok());
  CHECK(r.type == RequestType::kMediaPin);
  CHECK_FALSE(r.pinned);
  CHECK(r.video_ids.size() == 2);
  CHECK(r.IsWrite());
  Request no_flag;
  CHECK(Parse(json{{"type", "media_pin"}, {"id", 5}, {"video_ids", {"a"}}}, no_flag).code() ==
        ErrorCode::kBadRequest);
  REQUIRE(Parse(json{{"type", "media_fetch"}, {"id", 6}, {"video_ids", json::array()}}, r).ok());
  CHECK(r.type == RequestType::kMediaFetch);
}

TEST_CASE("records carry the media summary; media_state events; base64") {
  VideoRecord rec;
  rec.video_id = "v";
  rec.video.url = "https://cdn.example/v.mp4";
  MediaSummary& m = rec.media.emplace();
  m.video = {CacheState::kDownloading, 250, 1000, "video/mp4", "", "", false};
  m.thumbnail = {CacheState::kEvicted, 0, std::nullopt, "", "", "evicted: over quota", true};
  m.info = MediaFacts{5.0, 1280, 720, "h264", "", "mp4"};
  m.pinned = true;
  m.last_viewed_ms = 1000;
  json out = RecordToJson(rec);
  CHECK(out["media"]["video"]["state"] == "downloading");
  CHECK(out["media"]["video"]["percent"] == 25);
  CHECK(out["media"]["thumbnail"]["state"] == "not_cached");  // evicted shows as not cached...
  CHECK(out["media"]["thumbnail"]["error"] == "evicted: over quota");  // ...with why
  CHECK_FALSE(out["media"]["thumbnail"].contains("total"));  // unknown: no key
  CHECK_FALSE(out["media"]["thumbnail"].contains("percent"));
  CHECK(out["media"]["thumbnail"]["generated"] == true);
  CHECK_FALSE(out["media"]["video"].contains("generated"));  // false: no key
  CHECK_FALSE(out["media"]["video"].contains("sha256"));
  CHECK(out["media"]["video"]["content_type"] == "video/mp4");
  CHECK(out["media"]["info"]["width"] == 1280);
  CHECK(out["media"]["info"]["duration_s"] == 5.0);
  CHECK_FALSE(out["media"]["info"].contains("audio_codec"));
  CHECK(out["media"]["pinned"] == true);
  CHECK(out["media"]["last_viewed_at"] == "1970-01-01T00:00:01.000Z");

  json event = json::parse(MediaStateEvent("v", FileKind::kVideo, m.video));
  CHECK(event["type"] == "media_state");
  CHECK_FALSE(event.contains("id"));
  CHECK(event["kind"] == "video");
  CHECK(event["bytes"] == 250);

  CHECK(Base64("") == "");
  CHECK(Base64("f") == "Zg==");
  CHECK(Base64("foobar") == "Zm9vYmFy");
  CHECK(Base64(std::string("\0\xff", 2)) == "AP8=");
}

TEST_CASE("video.source takes the real chat app's names, never app") {
  for (const char* source : {"sse", "websocket", "poll", "tool", "artifact", "inline", "manual"}) {
    INFO(source);
    Request r;
    REQUIRE(Parse(json{{"type", "video"}, {"id", 1},
                       {"video", {{"url", "https://cdn.example/v.mp4"}, {"source", source}}}},
                  r)
                .ok());
    CHECK(ToString(r.video.source) == source);
  }
  Request r;
  Status s = Parse(json{{"type", "video"}, {"id", 1},
                        {"video", {{"url", "https://cdn.example/v.mp4"}, {"source", "app"}}}},
                   r);
  CHECK(s.code() == ErrorCode::kBadRequest);
  CHECK(s.message().find("video.source") != std::string::npos);
}

TEST_CASE("video.account: id and optional label strings, 200 bytes each") {
  auto parse = [](json account, Request& r) {
    return Parse(json{{"type", "video"}, {"id", 1},
                      {"video", {{"url", "https://cdn.example/v.mp4"}, {"account", account}}}},
                 r);
  };
  Request r;
  REQUIRE(parse({{"id", "u-1"}, {"label", "ann@example.com"}}, r).ok());
  CHECK(r.video.account_id == "u-1");
  CHECK(r.video.account_label == "ann@example.com");
  Request n;
  REQUIRE(parse(nullptr, n).ok());
  CHECK(n.video.account_id.empty());
  struct Bad {
    json account;
    const char* field;
    ErrorCode code;
  };
  const Bad bad[] = {{"u-1", "video.account", ErrorCode::kBadRequest},
                     {json::object(), "video.account.id", ErrorCode::kBadRequest},
                     {{{"id", 7}}, "video.account.id", ErrorCode::kBadRequest},
                     {{{"id", ""}}, "video.account.id", ErrorCode::kBadRequest},
                     {{{"id", "u"}, {"label", false}}, "video.account.label", ErrorCode::kBadRequest},
                     {{{"id", std::string(201, 'u')}}, "video.account.id", ErrorCode::kTooLarge},
                     {{{"id", "u"}, {"label", std::string(201, 'l')}}, "video.account.label", ErrorCode::kTooLarge}};
  for (const auto& b : bad) {
    INFO(b.account.dump().substr(0, 60));
    Request out;
    Status s = parse(b.account, out);
    CHECK(s.code() == b.code);
    CHECK(s.message().find(std::string("'") + b.field + "'") != std::string::npos);
  }
}

TEST_CASE("an app_save request, field by field") {
  const std::string chat = "3f2c9a9e-1b2c-4d5e-8f90-0123456789ab";
  json req = {{"type", "app_save"},
              {"id", "s1"},
              {"save",
               {{"chat_id", chat},
                {"message_id", "0b6c…"},
                {"phase", "finished"},
                {"http_status", 200},
                {"page_url", "https://chat.example/chat/" + chat},
                {"attachments",
                 {{{"url", "https://cdn.example/v.mp4"},
                   {"thumbnail_url", "https://cdn.example/v.webp"},
                   {"content_type", "video/mp4"}},
                  {{"url", "data:text/markdown,hi"}}}},
                {"account", {{"id", "u-1"}, {"label", "ann"}}}}}};
  Request r;
  REQUIRE(Parse(req, r).ok());
  CHECK(r.type == RequestType::kAppSave);
  CHECK(r.IsWrite());
  CHECK(r.app_save.chat_id == chat);
  CHECK(r.app_save.finished);
  CHECK(r.app_save.http_status == 200);
  REQUIRE(r.app_save.attachments.size() == 2);
  CHECK(r.app_save.attachments[0].thumbnail_url == "https://cdn.example/v.webp");
  CHECK(r.app_save.attachments[1].url == "data:text/markdown,hi");  // kept; the service skips it
  CHECK(r.app_save.account_label == "ann");

  json started = req;
  started["save"]["phase"] = "started";
  started["save"].erase("http_status");
  started["save"].erase("message_id");
  started["save"].erase("account");
  Request s;
  REQUIRE(Parse(started, s).ok());
  CHECK_FALSE(s.app_save.finished);
  CHECK(s.app_save.http_status == 0);

  json many = json::array();
  for (int i = 0; i < 33; ++i) many.push_back({{"url", "https://cdn.example/" + std::to_string(i) + ".mp4"}});
  struct Bad {
    const char* path;  // save.<path>, "" for save itself
    json value;
    ErrorCode code;
    const char* field;
  };
  const Bad bad[] = {
      {"", nullptr, ErrorCode::kBadRequest, "save"},
      {"", "x", ErrorCode::kBadRequest, "save"},
      {"chat_id", nullptr, ErrorCode::kBadRequest, "save.chat_id"},
      {"chat_id", 5, ErrorCode::kBadRequest, "save.chat_id"},
      {"chat_id", "", ErrorCode::kBadRequest, "save.chat_id"},
      {"chat_id", "a\nb", ErrorCode::kBadRequest, "save.chat_id"},
      {"chat_id", std::string(9000, 'c'), ErrorCode::kTooLarge, "save.chat_id"},
      {"message_id", 12, ErrorCode::kBadRequest, "save.message_id"},
      {"message_id", std::string(300, 'm'), ErrorCode::kTooLarge, "save.message_id"},
      {"phase", nullptr, ErrorCode::kBadRequest, "save.phase"},
      {"phase", "done", ErrorCode::kBadRequest, "save.phase"},
      {"http_status", "200", ErrorCode::kBadRequest, "save.http_status"},
      {"http_status", 2.5, ErrorCode::kBadRequest, "save.http_status"},
      {"http_status", -1, ErrorCode::kBadRequest, "save.http_status"},
      {"page_url", nullptr, ErrorCode::kBadRequest, "save.page_url"},
      {"page_url", "file:///x", ErrorCode::kInvalidUrl, "save.page_url"},
      {"attachments", nullptr, ErrorCode::kBadRequest, "save.attachments"},
      {"attachments", json::object(), ErrorCode::kBadRequest, "save.attachments"},
      {"attachments", many, ErrorCode::kTooLarge, "save.attachments"},
      {"attachments", {"https://cdn.example/v.mp4"}, ErrorCode::kBadRequest, "save.attachments[0]"},
      {"attachments", {json::object()}, ErrorCode::kBadRequest, "save.attachments[0].url"},
      {"attachments", {{{"url", 1}}}, ErrorCode::kBadRequest, "save.attachments[0].url"},
      {"attachments", {{{"url", std::string(9000, 'u')}}}, ErrorCode::kTooLarge, "save.attachments[0].url"},
      {"attachments", {{{"url", "https://a/v.mp4"}, {"thumbnail_url", 3}}}, ErrorCode::kBadRequest,
       "save.attachments[0].thumbnail_url"},
      {"attachments", {{{"url", "https://a/v.mp4"}, {"content_type", json::array()}}}, ErrorCode::kBadRequest,
       "save.attachments[0].content_type"},
      {"account", "u-1", ErrorCode::kBadRequest, "save.account"},
      {"account", {{"id", 1}}, ErrorCode::kBadRequest, "save.account.id"},
  };
  for (const auto& b : bad) {
    json copy = req;
    if (std::string(b.path).empty())
      copy["save"] = b.value;
    else
      copy["save"][b.path] = b.value;
    INFO(b.field << " = " << b.value.dump().substr(0, 40));
    Request out;
    Status st = Parse(copy, out);
    CHECK(st.code() == b.code);
    CHECK(out.id == "s1");
    CHECK(st.message().find(std::string("'") + b.field + "'") != std::string::npos);
  }
}

TEST_CASE("records carry account and app_message_id, no key when unknown") {
  VideoRecord r;
  r.video_id = "id";
  r.video.url = "https://cdn.example/v.mp4";
  json plain = RecordToJson(r);
  CHECK_FALSE(plain.contains("account"));
  CHECK_FALSE(plain.contains("app_message_id"));
  r.video.account_id = "u-1";
  r.video.account_label = "ann";
  r.app_message_id = "m-1";
  r.sync = SyncState::kSavedByApp;
  json full = RecordToJson(r);
  CHECK(full["account"] == json({{"id", "u-1"}, {"label", "ann"}}));
  CHECK(full["app_message_id"] == "m-1");
  CHECK(full["sync"] == "saved_by_app");
}

TEST_CASE("doctor reads a hello answer leniently and parses its own hello request") {
  Request r;
  REQUIRE(Parse(HelloRequest("doctor", "doctor"), r).ok());
  CHECK(r.type == RequestType::kHello);
  CHECK(r.id == "doctor");
  CHECK(r.extension_version == "doctor");

  auto good = ParseHelloAnswer(OkAnswer("doctor", HelloAnswerJson("1.2.3", "/d/vidkeep.db")));
  REQUIRE(good.ok());
  CHECK(good->ok);
  CHECK(good->protocol == kProtocolVersion);
  CHECK(OkAnswer("doctor", HelloAnswerJson("1.2.3", "/d"))
            .find(R"("record_format":2)") != std::string::npos);
  CHECK(good->host_version == "1.2.3");
  CHECK(good->db_path == std::optional<std::string>("/d/vidkeep.db"));

  auto refused = ParseHelloAnswer(ErrorAnswer("doctor", Status::Error(ErrorCode::kUnauthorized, "no")));
  REQUIRE(refused.ok());
  CHECK_FALSE(refused->ok);
  CHECK(refused->error_code == "unauthorized");
  CHECK(refused->error_message == "no");

  // Mistyped fields are reported as found, never thrown on.
  auto odd = ParseHelloAnswer(R"({"ok":"yes","protocol":"1","host_version":7,"db_path":null})");
  REQUIRE(odd.ok());
  CHECK_FALSE(odd->ok);
  CHECK(odd->error_code == "?");
  CHECK(odd->protocol != kProtocolVersion);
  CHECK(Dump(odd->protocol) == R"("1")");
  CHECK(odd->host_version == "?");
  CHECK_FALSE(odd->db_path);
  CHECK_FALSE(ParseHelloAnswer("[1]").ok());
  CHECK_FALSE(ParseHelloAnswer("not json").ok());
}

TEST_CASE("the list answer: next_cursor null on the last page, truncated only when cut") {
  CHECK(ListAnswer("a", {}, false, 1000) ==
        R"({"id":"a","ok":true,"record_format":2,"videos":[],"next_cursor":null})");
  std::vector<VideoRecord> records(3);
  for (int i = 0; i < 3; ++i) {
    records[i].seq = 9 - i;
    records[i].video_id = "v" + std::to_string(i);
    records[i].video.url = "https://cdn.example/" + std::string(100, 'x');
  }
  const std::string one = RecordJsonText(records[0]);
  json all = json::parse(ListAnswer(7, records, true, 1000));
  CHECK(all["id"] == 7);
  CHECK(all["videos"].size() == 3);
  CHECK(all["next_cursor"] == "s7");  // more in the store: continue after the last
  CHECK_FALSE(all.contains("truncated"));
  CHECK(all["videos"][1] == json::parse(RecordJsonText(records[1])));
  // Room for two records: cut after the second, the cursor continues there.
  const std::string cut = ListAnswer(7, records, false, 120 + 2 * one.size());
  CHECK(cut.size() <= 120 + 2 * one.size());
  json two = json::parse(cut);
  CHECK(two["videos"].size() == 2);
  CHECK(two["next_cursor"] == "s8");
  CHECK(two["truncated"] == true);
  // The first record goes out whatever its size.
  CHECK(json::parse(ListAnswer(7, records, false, 10))["videos"].size() == 1);
}

TEST_CASE("lean records: no key for what is unknown, no media with nothing to say") {
  VideoRecord r;
  r.seq = 3;
  r.video_id = "id";
  r.video.url = "https://cdn.example/v.mp4";
  r.canonical_url = "https://cdn.example/v.mp4";
  r.created_at = "2026-11-24T10:00:00.000Z";
  r.media.emplace();  // no media rows, not pinned, never viewed
  CHECK(RecordJsonText(r) ==
        R"({"canonical_url":"https://cdn.example/v.mp4","created_at":"2026-11-24T10:00:00.000Z",)"
        R"("source":"sse","sync":"local","sync_attempts":0,"url":"https://cdn.example/v.mp4","video_id":"id"})");
  // Every field set: the text is what a DOM of the same values dumps to.
  r.video.thumbnail_url = "https://cdn.example/t.webp";
  r.video.prompt = "a \"cat\"\n\x01 \xC3";  // escapes and invalid UTF-8
  r.video.chat_id = "c";
  r.video.page_url = "https://chat.example/c";
  r.video.observed_at = "2026-11-24T10:00:00Z";
  r.video.meta = {{"duration_s", 4.25}, {"w", 1}};
  r.origin = "https://chat.example";
  r.last_error = "HTTP 500";
  r.video.account_id = "u";
  r.app_message_id = "m";
  r.media->pinned = true;
  json expected = {{"account", {{"id", "u"}}},
                   {"app_message_id", "m"},
                   {"canonical_url", r.canonical_url},
                   {"chat_id", "c"},
                   {"created_at", r.created_at},
                   {"last_error", "HTTP 500"},
                   {"media", {{"pinned", true}}},
                   {"meta", r.video.meta},
                   {"observed_at", r.video.observed_at},
                   {"origin", r.origin},
                   {"page_url", r.video.page_url},
                   {"prompt", r.video.prompt},
                   {"source", "sse"},
                   {"sync", "local"},
                   {"sync_attempts", 0},
                   {"thumbnail_url", r.video.thumbnail_url},
                   {"url", r.video.url},
                   {"video_id", "id"}};
  CHECK(RecordJsonText(r) == Dump(expected));
}

TEST_CASE("a media_read answer: base64 data, eof at the file's end") {
  CHECK(Dump(MediaReadAnswerJson("", 5, 2, "abc")) ==
        R"({"content_type":null,"data":"YWJj","eof":true,"offset":2,"size":5})");
  CHECK(MediaReadAnswerJson("video/mp4", 6, 2, "abc")["eof"] == false);
}

TEST_CASE("a record's stored meta text is copied as it is, the same as the parsed meta") {
  VideoRecord parsed;
  parsed.video_id = "id";
  parsed.video.url = "https://cdn.example/v.mp4";
  for (const json& meta : {json::object(), json{{"duration_s", 5.0}, {"width", 1280}, {"model", "m"}},
                           json{{"z", {1, 2.5, nullptr}}, {"a", "t\u00e9\n"}, {"n", -0.1}, {"big", 1e300}}}) {
    parsed.video.meta = meta;
    VideoRecord stored = parsed;  // as Store::List reads it: the text only
    stored.video.meta = json::object();
    stored.meta_text = meta.dump();
    INFO(stored.meta_text);
    CHECK(RecordJsonText(stored) == RecordJsonText(parsed));
  }
  // Text that is not one JSON object (a hand-edited database) is never copied.
  VideoRecord odd = parsed;
  odd.video.meta = json{{"w", 1}};
  odd.meta_text = R"({"w":1)";
  CHECK(RecordToJson(odd)["meta"] == json{{"w", 1}});
}
