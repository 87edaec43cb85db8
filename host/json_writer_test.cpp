#include "json_writer.h"

#include <random>

#include <catch2/catch.hpp>

namespace vidkeep {
namespace {

using nlohmann::json;

std::string Nlohmann(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Ours(const std::string& s) {
  std::string out = "x";  // appends: what was there stays
  AppendJsonString(out, s);
  return out.substr(1);
}

TEST_CASE("strings are escaped exactly as nlohmann escapes them") {
  const std::string cases[] = {
      "", "plain", "quote \" and backslash \\", std::string("nul \0 inside", 12),
      "\b\f\n\r\t\x01\x1f\x7f", "кот на сёрфе", "emoji \xF0\x9F\x8E\xA5 end",
      // Invalid UTF-8: lone continuation, truncated sequences, overlong forms,
      // surrogates, above U+10FFFF, a lead byte at the very end.
      "a\x80z", "\xC3", "\xE2\x82", "x\xE2\x82y\n", "\xC0\xAF", "\xE0\x80\xAF",
      "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "ok\xF0\x9F\x8E",
      "\xE0\xA0\x80\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF",  // the edges that are valid
  };
  for (const auto& s : cases) {
    INFO(json::binary_t::container_type(s.begin(), s.end()).size());
    CHECK(Ours(s) == Nlohmann(s));
  }
}

TEST_CASE("random byte strings are escaped exactly as nlohmann escapes them") {
  std::mt19937 random(15);
  // Mostly text with some high and control bytes, so valid multi-byte
  // sequences, invalid ones and escapes all occur.
  const std::string alphabet = std::string("ab\"\\\n\x01\x7f", 7) + "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\x80\xBF\xED\xA0\xF4\x90";
  for (int round = 0; round < 20000; ++round) {
    std::string s(random() % 12, ' ');
    for (char& c : s)
      c = random() % 4 == 0 ? static_cast<char>(random() % 256) : alphabet[random() % alphabet.size()];
    INFO(round);
    REQUIRE(Ours(s) == Nlohmann(s));
  }
}

TEST_CASE("the writer places commas and values as a compact dump does") {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(-1);
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.Null();
  w.Bool(false);
  w.EndArray();
  w.IntField("b", 9223372036854775807);
  w.Key("c");
  w.Value(json{{"x", 5.04}, {"y", {1, 2.5, nullptr}}});
  w.NonEmptyString("d", "");
  w.NonEmptyString("e", "t\u00e9");
  w.EndObject();
  const json expected = {{"a", {-1, json::object(), json::array(), nullptr, false}},
                         {"b", 9223372036854775807},
                         {"c", {{"x", 5.04}, {"y", {1, 2.5, nullptr}}}},
                         {"e", "t\u00e9"}};
  CHECK(out == expected.dump());
}

}  // namespace
}  // namespace vidkeep
