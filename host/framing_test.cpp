#include "framing.h"

#include <cstring>

#include <catch2/catch.hpp>

using vidkeep::EncodeFrame;
using vidkeep::FrameDecoder;
using vidkeep::FrameEvent;

namespace {
std::vector<FrameEvent> Drain(FrameDecoder& d) {
  std::vector<FrameEvent> out;
  while (auto e = d.Next()) out.push_back(std::move(*e));
  return out;
}
std::string Header(std::uint32_t n) { return EncodeFrame(std::string()).replace(0, 4, std::string(reinterpret_cast<char*>(&n), 4)); }
}  // namespace

TEST_CASE("a frame split at every byte offset decodes the same") {
  // "é" and "猫" make the UTF-8 byte count differ from the character count.
  const std::string payloads[] = {R"({"type":"hello","id":1})", "{\"prompt\":\"caf\xc3\xa9 \xe7\x8c\xab\"}", ""};
  std::string stream;
  for (const auto& p : payloads) stream += EncodeFrame(p);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    FrameDecoder d(1024);
    std::vector<FrameEvent> events;
    d.Feed(std::string_view(stream).substr(0, cut));
    for (auto& e : Drain(d)) events.push_back(std::move(e));
    d.Feed(std::string_view(stream).substr(cut));
    for (auto& e : Drain(d)) events.push_back(std::move(e));
    REQUIRE(events.size() == 3);
    for (int i = 0; i < 3; ++i) {
      CHECK(events[i].kind == FrameEvent::Kind::kFrame);
      CHECK(events[i].payload == payloads[i]);
    }
    CHECK(d.AtBoundary());
  }
}

TEST_CASE("byte-at-a-time feeding") {
  const std::string stream = EncodeFrame("abc") + EncodeFrame("{}");
  FrameDecoder d(1024);
  std::vector<std::string> got;
  for (char c : stream) {
    d.Feed(std::string_view(&c, 1));
    for (auto& e : Drain(d)) got.push_back(e.payload);
  }
  CHECK(got == std::vector<std::string>{"abc", "{}"});
}

TEST_CASE("the header is the UTF-8 byte count in native order") {
  const std::string payload = "\xd0\xba\xd0\xbe\xd1\x82";  // "кот": 3 characters, 6 bytes
  const std::string frame = EncodeFrame(payload);
  std::uint32_t n = 0;
  std::memcpy(&n, frame.data(), 4);
  CHECK(n == 6);
  CHECK(frame.size() == 10);
}

TEST_CASE("an oversized frame is reported at once and its body skipped") {
  FrameDecoder d(8);
  const std::string big(20, 'x');
  const std::string stream = Header(20) + big + EncodeFrame("ok");
  SECTION("all at once") {
    d.Feed(stream);
  }
  SECTION("split inside the oversized body") {
    d.Feed(stream.substr(0, 10));
    auto first = Drain(d);
    REQUIRE(first.size() == 1);
    CHECK(first[0].kind == FrameEvent::Kind::kTooLarge);
    CHECK(first[0].length == 20);
    CHECK_FALSE(d.AtBoundary());
    d.Feed(stream.substr(10));
    auto rest = Drain(d);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].payload == "ok");
    return;
  }
  auto events = Drain(d);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == FrameEvent::Kind::kTooLarge);
  CHECK(events[1].payload == "ok");
  CHECK(d.AtBoundary());
}

TEST_CASE("a length of 2^32-1 buffers nothing") {
  FrameDecoder d(4 * 1024 * 1024);
  d.Feed(Header(0xffffffffu) + std::string(1000, 'y'));
  auto events = Drain(d);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == FrameEvent::Kind::kTooLarge);
  CHECK(events[0].length == 0xffffffffu);
  CHECK(d.PartialBytes() == 0);
  CHECK_FALSE(d.AtBoundary());  // the stream ending now ends inside a frame
}

TEST_CASE("zero-length frames and truncated input") {
  FrameDecoder d(16);
  d.Feed(Header(0));
  auto events = Drain(d);
  REQUIRE(events.size() == 1);
  CHECK(events[0].payload.empty());
  d.Feed(std::string("\x05\x00", 2));
  CHECK(Drain(d).empty());
  CHECK_FALSE(d.AtBoundary());
  CHECK(d.PartialBytes() == 2);
}

TEST_CASE("a frame exactly at the limit passes") {
  FrameDecoder d(4);
  d.Feed(EncodeFrame("abcd") + EncodeFrame("abcde"));
  auto events = Drain(d);
  REQUIRE(events.size() == 2);
  CHECK(events[0].kind == FrameEvent::Kind::kFrame);
  CHECK(events[1].kind == FrameEvent::Kind::kTooLarge);
}

TEST_CASE("reading straight into the decoder: short and failed reads, an oversized frame") {
  // The channel prepares room for a whole read and commits what arrived.
  const std::string big(300, 'x');
  const std::string stream = EncodeFrame("one") + EncodeFrame(big) + EncodeFrame("two");
  FrameDecoder d(100);
  std::vector<std::string> got;
  std::size_t tooLarge = 0;
  std::size_t off = 0;
  for (std::size_t step = 1; off < stream.size(); step = step * 2 % 97 + 1) {
    char* room = d.Prepare(4096);
    if (step % 5 == 0) {  // a read that failed: nothing of it counts
      std::memset(room, 'z', 4096);
      d.Commit(0);
      continue;
    }
    const std::size_t n = std::min(step, stream.size() - off);
    std::memcpy(room, stream.data() + off, n);
    std::memset(room + n, 'z', 4096 - n);  // what the read did not fill must not count
    d.Commit(n);
    off += n;
    for (auto& e : Drain(d)) {
      if (e.kind == FrameEvent::Kind::kTooLarge) {
        CHECK(e.length == big.size());
        ++tooLarge;
      } else {
        got.push_back(e.payload);
      }
    }
  }
  CHECK(got == std::vector<std::string>{"one", "two"});
  CHECK(tooLarge == 1);
  CHECK(d.AtBoundary());
}
