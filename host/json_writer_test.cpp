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
    std::string s(random() % 40, ' ');
    for (char& c : s)
      c = random() % 4 == 0 ? static_cast<char>(random() % 256) : alphabet[random() % alphabet.size()];
    INFO(round);
    REQUIRE(Ours(s) == Nlohmann(s));
  }
}

TEST_CASE("every byte value in every place of an 8-byte word is seen") {
  // The fast path looks at 8 bytes at a time: each byte value at each
  // position of a word, among plain letters, must come out as nlohmann has it.
  for (int b = 0; b < 256; ++b)
    for (std::size_t at = 0; at < 17; ++at) {
      std::string s(24, 'a');
      s[at] = static_cast<char>(b);
      INFO(b << " at " << at);
      REQUIRE(Ours(s) == Nlohmann(s));
    }
}

TEST_CASE("IsJsonObject: true only for one valid JSON object") {
  for (const char* good : {"{}", " {} ", R"({"a":1})", R"({"duration_s":5.0,"height":720,"model":"m"})",
                           R"({"a":[1,-2.5e+3,0,true,false,null,"x\u00e9\n",{}],"b":{"c":[]}})",
                           "{\"k\":\"\xD0\xBA\xF0\x9F\x8E\xA5\"}", R"({"e":"\ud83c\udfa5\u0000"})", R"({"a" : [ 1 , 2 ] })"})
    CHECK(IsJsonObject(good));
  const std::string huge = "{\"a\":1" + std::string(400, '0') + "}";  // overflows a double
  for (const char* bad : {"", "[]", "1", "\"x\"", "{", "}", "{}{}", "{} x", R"({"a"})", R"({"a":})",
                          R"({"a":1,})", R"({,"a":1})", R"({"a":[1,]})", R"({"a":01})", R"({"a":1.})",
                          R"({"a":.5})", R"({"a":-})", R"({"a":1e})", R"({"a":tru})", R"({"a":"\x"})",
                          R"({"a":"\u12g4"})", "{\"a\":\"\x01\"}", "{\"a\":\"\xC3\"}", R"({a:1})",
                          R"({"a":1]})", R"({"a":[1}})", R"({"a":"x)", R"({"a":1e400})",
                          R"({"a":-1e309})", huge.c_str(), R"({"a":"\ud800"})",
                          R"({"a":"\udc00\ud800"})", R"({"a":"\ud800\u0041"})"})
    CHECK_FALSE(IsJsonObject(bad));
  CHECK_FALSE(IsJsonObject(std::string("{\"a\":1}\0", 8)));
  // Deeper than 32: not sure, so false (the caller then parses).
  CHECK(IsJsonObject(R"({"a":)" + std::string(30, '[') + std::string(30, ']') + "}"));
  CHECK_FALSE(IsJsonObject(R"({"a":)" + std::string(40, '[') + std::string(40, ']') + "}"));
  // Never true where nlohmann refuses; always true for nlohmann's own dumps.
  std::mt19937 random(16);
  const std::string pieces[] = {"{", "}", "[", "]", ",", ":", "\"k\"", "\"\\u00e9\"", "1", "-0.5e2", "true",
                                "null", " ", "\"\xC3\xA9\"", "\"\xC3\"", "01", "\""};
  for (int round = 0; round < 20000; ++round) {
    std::string s = "{";
    for (int n = random() % 10; n > 0; --n) s += pieces[random() % std::size(pieces)];
    if (random() % 2) s += "}";
    INFO(s);
    if (IsJsonObject(s)) REQUIRE(json::accept(s));
  }
  for (int round = 0; round < 2000; ++round) {
    json doc = json::object();
    for (int n = random() % 5; n > 0; --n)
      doc[std::string(1, static_cast<char>('a' + random() % 26))] =
          random() % 3 == 0 ? json(static_cast<double>(random()) / 7.0)
          : random() % 2    ? json({1, "x\n", nullptr, json::object()})
                            : json(std::string(random() % 5, '\x01'));
    REQUIRE(IsJsonObject(doc.dump()));
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
