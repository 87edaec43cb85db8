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
      {"prompt", std::string("a\0b", 3), ErrorCode::kBadRequest},
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
