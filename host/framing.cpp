#include "framing.h"

#include <algorithm>
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
  if (bytes.empty()) return;
  std::memcpy(Prepare(bytes.size()), bytes.data(), bytes.size());
  Commit(bytes.size());
}

char* FrameDecoder::Prepare(std::size_t bytes) {
  Compact();
  if (capacity_ - end_ < bytes) {
    // Half as much again at least, so a frame growing over many reads is
    // copied a bounded number of times.
    const std::size_t capacity = std::max(end_ + bytes, capacity_ + capacity_ / 2);
    std::unique_ptr<char[]> bigger(new char[capacity]);
    if (end_ > 0) std::memcpy(bigger.get(), buffer_.get(), end_);
    buffer_ = std::move(bigger);
    capacity_ = capacity;
  }
  prepared_at_ = end_;
  return buffer_.get() + end_;
}

void FrameDecoder::Commit(std::size_t n) {
  end_ = prepared_at_ + n;
  if (skip_remaining_ > 0) {
    // The rest of an oversized frame. Everything before it was consumed
    // (Next() skips only once all it holds is taken), so these bytes are
    // simply counted as consumed too.
    const auto skip = static_cast<std::size_t>(std::min<std::uint64_t>(skip_remaining_, n));
    skip_remaining_ -= skip;
    consumed_ += skip;
  }
}

std::optional<FrameEvent> FrameDecoder::Next() {
  if (skip_remaining_ > 0) return std::nullopt;
  const std::size_t available = end_ - consumed_;
  if (available < kFrameHeaderBytes) return std::nullopt;

  std::uint32_t length = 0;
  std::memcpy(&length, buffer_.get() + consumed_, kFrameHeaderBytes);
  // Check the claimed length before buffering anything for it.
  if (length > max_frame_bytes_) {
    consumed_ += kFrameHeaderBytes;
    const std::size_t here = std::min<std::size_t>(length, end_ - consumed_);
    consumed_ += here;
    skip_remaining_ = length - here;
    return FrameEvent{FrameEvent::Kind::kTooLarge, {}, length};
  }
  if (available - kFrameHeaderBytes < length) return std::nullopt;
  FrameEvent event{FrameEvent::Kind::kFrame,
                   std::string(buffer_.get() + consumed_ + kFrameHeaderBytes, length), length};
  consumed_ += kFrameHeaderBytes + length;
  return event;
}

void FrameDecoder::Compact() {
  // Called once per read: returned bytes go before the next ones come, so
  // the buffer holds at most an unfinished frame and one read.
  if (consumed_ > 0) {
    if (end_ > consumed_) std::memmove(buffer_.get(), buffer_.get() + consumed_, end_ - consumed_);
    end_ -= consumed_;
    consumed_ = 0;
  }
}

}  // namespace vidkeep
