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
  if (skip_remaining_ > 0) {
    const auto skip = std::min<std::uint64_t>(skip_remaining_, bytes.size());
    skip_remaining_ -= skip;
    bytes.remove_prefix(static_cast<std::size_t>(skip));
  }
  Compact();
  buffer_.append(bytes);
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
  // Drop returned bytes only once they dominate, so a burst of small frames
  // costs one move per read instead of one per frame.
  if (consumed_ > 0 && consumed_ * 2 >= buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

}  // namespace vidkeep
