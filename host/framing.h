// Native messaging framing (PROTOCOL.md section 2): a 32-bit length in native
// byte order, then that many bytes of UTF-8 JSON. Bytes in, frames out; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vidkeep {

inline constexpr std::size_t kFrameHeaderBytes = 4;
/// Browsers refuse host→browser messages of 1 MiB or more.
inline constexpr std::size_t kMaxOutgoingFrameBytes = 1024 * 1024 - 1;

/// Prefixes `payload` with its length header.
std::string EncodeFrame(std::string_view payload);
/// Appends the frame of `payload` to `out`.
void AppendFrame(std::string& out, std::string_view payload);

/// One thing the decoder found in the byte stream.
struct FrameEvent {
  enum class Kind {
    kFrame,     // `payload` holds one whole frame
    kTooLarge,  // a frame of `length` bytes over the limit; its bytes are skipped
  };
  Kind kind;
  std::string payload;
  std::uint64_t length = 0;
};

/// Splits a byte stream into frames. Feed() any chunking of the stream; Next()
/// yields events in stream order. An oversized frame is reported once, as soon
/// as its header arrives, and its body is discarded as it streams in, so memory
/// stays bounded by the limit whatever the peer claims.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  void Feed(std::string_view bytes);
  /// For reading straight into the decoder: room for `bytes` more bytes of
  /// the stream, valid until Commit(). Commit(n) then takes the first `n` of
  /// them (0 when the read failed); nothing else may be called in between.
  char* Prepare(std::size_t bytes);
  void Commit(std::size_t n);
  /// The next complete event, or nullopt when more bytes are needed.
  std::optional<FrameEvent> Next();
  /// True when the stream ends cleanly here: no partial header or body is held.
  bool AtBoundary() const { return buffer_.size() == consumed_ && skip_remaining_ == 0; }
  /// Bytes of an unfinished frame, for the log line when the stream is cut short.
  std::size_t PartialBytes() const { return buffer_.size() - consumed_; }

 private:
  void Compact();

  std::size_t max_frame_bytes_;
  std::string buffer_;
  std::size_t consumed_ = 0;           // prefix of buffer_ already returned
  std::size_t prepared_at_ = 0;        // where Prepare's room starts
  std::uint64_t skip_remaining_ = 0;   // body bytes of an oversized frame still to drop
};

}  // namespace vidkeep
