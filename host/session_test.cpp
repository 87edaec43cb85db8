#include "session.h"

#include <catch2/catch.hpp>

using namespace vidkeep;
using nlohmann::json;

namespace {

HttpResponse Answer(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

TEST_CASE("the session answer names the account: id, label email else name else type") {
  auto full = ParseSessionAnswer(Answer(200, R"({"user":{"id":"1234","email":"demo@example.com","name":"Demo","type":"regular"},"expires":"2027-01-01T00:00:00.000Z"})"));
  CHECK(full.checked);
  REQUIRE(full.account);
  CHECK(full.account->id == "1234");
  CHECK(full.account->label == "demo@example.com");
  CHECK(ParseSessionAnswer(Answer(200, R"({"user":{"id":"1","name":"Demo","type":"guest"}})")).account->label == "Demo");
  CHECK(ParseSessionAnswer(Answer(200, R"({"user":{"id":"1","type":"guest"}})")).account->label == "guest");
  CHECK(ParseSessionAnswer(Answer(200, R"({"user":{"id":"1","email":null}})")).account->label.empty());
  CHECK(ParseSessionAnswer(Answer(200, R"({"user":{"id":42}})")).account->id == "42");
}

TEST_CASE("null or {} is no session; 404, not JSON, no answer are unknown") {
  for (const char* none : {"null", "{}", R"({"user":null,"expires":"x"})"}) {
    INFO(none);
    auto c = ParseSessionAnswer(Answer(200, none));
    CHECK(c.checked);
    CHECK_FALSE(c.account);
  }
  struct Row {
    HttpResponse r;
    const char* why;
  };
  HttpResponse reset;
  reset.error = "reading from http://127.0.0.1:1: connection reset";
  const Row rows[] = {{Answer(404, "{}"), "the session endpoint answered HTTP 404"},
                      {Answer(307, ""), "the session endpoint answered HTTP 307"},
                      {Answer(500, "null"), "the session endpoint answered HTTP 500"},
                      {Answer(200, "<html>sign in</html>"), "the session endpoint's answer is not JSON"},
                      {Answer(200, "[1]"), "the session endpoint's answer is not a session"},
                      {Answer(200, R"({"user":{"email":"a@b"}})"), "the session names no user id"},
                      {reset, "reading from http://127.0.0.1:1: connection reset"}};
  for (const auto& row : rows) {
    INFO(row.why);
    auto c = ParseSessionAnswer(row.r);
    CHECK_FALSE(c.checked);
    CHECK_FALSE(c.account);
    CHECK(c.why == row.why);
  }
}

TEST_CASE("the configure answer carries account and account_checked") {
  json known = json::parse(ConfigureAnswer(7, {true, Account{"1234", "demo@example.com"}, {}}));
  CHECK(known == json{{"id", 7}, {"ok", true}, {"account", {{"id", "1234"}, {"label", "demo@example.com"}}},
                      {"account_checked", true}});
  json unlabeled = json::parse(ConfigureAnswer("c", {true, Account{"9", ""}, {}}));
  CHECK(unlabeled["account"] == json{{"id", "9"}, {"label", nullptr}});
  json nobody = json::parse(ConfigureAnswer(1, {true, std::nullopt, {}}));
  CHECK(nobody["account"].is_null());
  CHECK(nobody["account_checked"] == true);
  json unknown = json::parse(ConfigureAnswer(1, {false, std::nullopt, "HTTP 404"}));
  CHECK(unknown["account"].is_null());
  CHECK(unknown["account_checked"] == false);
}

TEST_CASE("Describe names the person by label and id") {
  CHECK(Describe({"1234", "demo@example.com"}) == "demo@example.com (user 1234)");
  CHECK(Describe({"1234", ""}) == "user 1234");
}
