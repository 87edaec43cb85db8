#include "framing.h"

#include <cstring>

namespace vidkeep {

std::string EncodeFrame(std::string_view payload) {
  std::string out;
  AppendFrame(out, payload);
  return out;
}

void AppendFrame(std::string& out, std::string_view payload) {
  const auto length = static_cast<std::uint32_t>(payload.size());
  char header[kFrameHeaderBytes];
  std::memcpy(header, &length, kFrameHeaderBytes);  // native byte order
  out.append(header, kFrameHeaderBytes).append(payload);
}

void FrameDecoder::Feed(std::string_view bytes) {
  if (bytes.empty()) return;  // (memcpy from a null view would be undefined)
  std::memcpy(Prepare(bytes.size()), bytes.data(), bytes.size());
  Commit(bytes.size());
}

char* FrameDecoder::Prepare(std::size_t bytes) {
  Compact();
  prepared_at_ = buffer_.size();
  buffer_.resize(prepared_at_ + bytes);
  return buffer_.data() + prepared_at_;
}

void FrameDecoder::Commit(std::size_t n) {
  buffer_.resize(prepared_at_ + n);
  if (skip_remaining_ > 0) {
    // The rest of an oversized frame: everything before it was consumed.
    const auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, n));
    skip_remaining_ -= skip;
    buffer_.erase(prepared_at_, skip);
  }
}

std::optional<FrameEvent> FrameDecoder::Next() {
  if (skip_remaining_ > 0) return std::nullopt;
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) return std::nullopt;

  std::uint32_t length = 0;
  std::memcpy(&length, buffer_.data() + consumed_, kFrameHeaderBytes);
  // Check the claimed length before buffering anything for it.
  if (length > max_frame_bytes_) {
    consumed_ += kFrameHeaderBytes;
    const std::size_t here = std::min<std::size_t>(length, buffer_.size() - consumed_);
    consumed_ += here;
    skip_remaining_ = length - here;
    return FrameEvent{FrameEvent::Kind::kTooLarge, {}, length};
  }
  if (available - kFrameHeaderBytes < length) return std::nullopt;
  FrameEvent event{FrameEvent::Kind::kFrame,
                   buffer_.substr(consumed_ + kFrameHeaderBytes, length), length};
  consumed_ += kFrameHeaderBytes + length;
  return event;
}

void FrameDecoder::Compact() {
  // Called once per read: returned bytes go before the next ones come, so
  // the buffer holds at most an unfinished frame and one read.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

}  // namespace vidkeep
