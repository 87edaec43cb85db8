// Fuzz target: the native-messaging frame decoder (host/framing.cpp).
//
// Input: byte 0 picks the frame limit, byte 1 seeds the chunking, the rest is
// the byte stream as the browser would write it. The decoder is fed the stream
// in pseudo-random chunks — through Feed() or, as the channel reads, into the
// room Prepare() gives (filled past the read with junk, sometimes a failed
// read committing nothing) — and must yield exactly the events a one-pass
// reference decoder finds in the whole stream (differential check), keep
// every payload within the limit, and report a clean boundary exactly when
// the stream ends between frames.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "framing.h"
#include "fuzz_check.h"

using vidkeep::FrameDecoder;
using vidkeep::FrameEvent;

namespace {

struct Expected {
  FrameEvent::Kind kind;
  std::string payload;
  std::uint64_t length;
};

// PROTOCOL.md section 2 read literally, over the whole stream at once.
std::vector<Expected> Reference(std::string_view s, std::size_t max, bool& at_boundary) {
  std::vector<Expected> out;
  std::uint64_t pos = 0;
  while (pos + 4 <= s.size()) {
    std::uint32_t n;
    std::memcpy(&n, s.data() + pos, 4);
    if (n > max) {
      out.push_back({FrameEvent::Kind::kTooLarge, {}, n});
      pos += 4 + std::uint64_t{n};
      continue;
    }
    if (pos + 4 + n > s.size()) break;
    out.push_back({FrameEvent::Kind::kFrame, std::string(s.substr(pos + 4, n)), n});
    pos += 4 + n;
  }
  at_boundary = pos == s.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  static const std::size_t kLimits[] = {0, 1, 2, 3, 4, 7, 16, 64, 255, 1024, 4 * 1024 * 1024};
  const std::size_t max = kLimits[data[0] % std::size(kLimits)];
  std::uint32_t rng = data[1] * 2654435761u + 1;
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);

  bool want_boundary = false;
  const auto expected = Reference(stream, max, want_boundary);

  FrameDecoder decoder(max);
  std::vector<FrameEvent> got;
  std::size_t off = 0;
  while (off < stream.size()) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    // Mostly small chunks (split headers), sometimes everything left.
    std::size_t chunk = (rng & 7) == 0 ? stream.size() - off : 1 + (rng >> 8) % 9;
    chunk = std::min(chunk, stream.size() - off);
    if (rng & 0x10) {
      decoder.Feed(stream.substr(off, chunk));
    } else {
      const std::size_t room = chunk + (rng >> 20) % 64;
      char* at = decoder.Prepare(room);
      std::memcpy(at, stream.data() + off, chunk);
      std::memset(at + chunk, 0x7f, room - chunk);  // what a read did not fill
      if (rng & 0x20) {
        decoder.Commit(chunk);
      } else {  // a read that failed: nothing of it counts, the chunk comes again
        decoder.Commit(0);
        continue;
      }
    }
    off += chunk;
    while (auto e = decoder.Next()) {
      FUZZ_CHECK(e->kind != FrameEvent::Kind::kFrame || e->payload.size() <= max);
      got.push_back(std::move(*e));
    }
  }
  FUZZ_CHECK(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(got[i].kind == expected[i].kind);
    FUZZ_CHECK(got[i].length == expected[i].length);
    FUZZ_CHECK(got[i].payload == expected[i].payload);
  }
  FUZZ_CHECK(decoder.AtBoundary() == want_boundary);
  if (want_boundary) FUZZ_CHECK(decoder.PartialBytes() == 0);
  // Round trip: what the decoder gave back encodes to the same frames.
  for (const auto& e : got)
    if (e.kind == FrameEvent::Kind::kFrame) {
      const std::string again = vidkeep::EncodeFrame(e.payload);
      FUZZ_CHECK(again.size() == e.payload.size() + vidkeep::kFrameHeaderBytes);
    }
  return 0;
}
