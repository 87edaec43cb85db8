#include "channel.h"

#include <spdlog/spdlog.h>

namespace vidkeep {

namespace asio = boost::asio;

Channel::Channel(asio::io_context& io, int in_fd, int out_fd, std::size_t max_frame_bytes,
                 std::size_t max_batch, FrameHandler on_frames, std::function<void()> on_closed)
    : pipe_(io, in_fd, out_fd),
      exit_timer_(io),
      hangup_timer_(io),
      decoder_(max_frame_bytes),
      max_batch_(max_batch),
      on_frames_(std::move(on_frames)),
      on_closed_(std::move(on_closed)) {}

void Channel::Start() {
  // A larger pipe lets one read carry a whole burst, so one transaction
  // commits more requests. Best effort.
  pipe_.EnlargeInput(kInputPipeBytes);
  DoRead();
}

void Channel::DoRead() {
  if (reading_ || input_done_) return;
  if (queue_.size() + in_write_.size() > kMaxQueuedBytes && !input_hung_up_) {
    WatchForHangup();
    return;
  }
  reading_ = true;
  // Read straight into the decoder's buffer: no copy of the bytes.
  pipe_.AsyncReadSome(asio::buffer(decoder_.Prepare(kReadBytes), kReadBytes),
                      [this](const boost::system::error_code& ec, std::size_t n) { OnRead(ec, n); });
}

void Channel::OnRead(boost::system::error_code ec, std::size_t n) {
  reading_ = false;
  decoder_.Commit(ec ? 0 : n);
  // A read that completes with nothing and no error would be asked again at
  // once, forever: end the input instead.
  if (!ec && n == 0) ec = asio::error::eof;
  if (ec) {
    if (ec == asio::error::eof) {
      if (decoder_.AtBoundary())
        InputEnded("input closed");
      else
        InputEnded(fmt::format("input closed inside a frame ({} bytes of it were lost)",
                               decoder_.PartialBytes()));
    } else {
      InputEnded("read failed: " + ec.message());
    }
    return;
  }
  Dispatch();
  DoRead();
}

void Channel::Dispatch() {
  std::vector<FrameEvent> batch;
  while (auto event = decoder_.Next()) {
    if (event->kind == FrameEvent::Kind::kTooLarge)
      spdlog::warn("refused a frame of {} bytes (over the limit); skipping it", event->length);
    batch.push_back(std::move(*event));
    if (batch.size() == max_batch_) {
      on_frames_(std::move(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) on_frames_(std::move(batch));
}

void Channel::Send(std::string payload) {
  if (output_broken_) return;
  if (payload.size() > kMaxOutgoingFrameBytes) {
    spdlog::error("dropped an outgoing message of {} bytes (over the browser's limit)",
                  payload.size());
    return;
  }
  AppendFrame(queue_, payload);
  DoWrite();
}

void Channel::DoWrite() {
  if (writing_ || queue_.empty() || output_broken_) return;
  writing_ = true;
  // Everything queued goes out in one write; new answers queue meanwhile.
  std::swap(queue_, in_write_);
  pipe_.AsyncWrite(asio::buffer(in_write_),
                   [this](const boost::system::error_code& ec, std::size_t n) { OnWrite(ec, n); });
}

void Channel::OnWrite(const boost::system::error_code& ec, std::size_t) {
  writing_ = false;
  if (ec) {
    spdlog::warn("write to the browser failed ({}); dropping {} queued bytes of answers",
                 ec.message(), queue_.size() + in_write_.size());
    output_broken_ = true;
    ReleaseOutput();
    MaybeClose();
    return;
  }
  in_write_.clear();
  // A burst can grow the buffers far beyond what a quiet host needs.
  if (in_write_.capacity() > kKeptWriteCapacity) std::string().swap(in_write_);
  DoWrite();
  DoRead();  // resumes reading if back-pressure had paused it
  MaybeClose();
}

void Channel::WatchForHangup() {
  // Reading is paused because the browser is not taking our answers. The
  // browser may still close our input meanwhile, and the contract says we
  // exit promptly then; the pipe shows that without consuming any unread
  // frames.
  if (watching_hangup_) return;
  watching_hangup_ = true;
  hangup_timer_.expires_after(std::chrono::milliseconds(100));
  hangup_timer_.async_wait([this](const boost::system::error_code& ec) {
    watching_hangup_ = false;
    if (ec || input_done_) return;
    if (pipe_.InputHungUp()) {
      // What is left in the pipe is bounded by its buffer: read it all, so
      // everything the browser sent before closing is committed and
      // answered as far as possible, then see the end of input.
      input_hung_up_ = true;
    }
    DoRead();
  });
}

void Channel::InputEnded(const std::string& why) {
  spdlog::info("{}; finishing", why);
  input_done_ = true;
  // Everything received was already handled (and committed) in Dispatch, so
  // only the answers remain; give them a bounded time to drain.
  exit_timer_.expires_after(std::chrono::milliseconds(1500));
  exit_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    spdlog::warn("answers not drained in time; exiting with {} bytes of them unsent",
                 queue_.size() + in_write_.size());
    output_broken_ = true;
    ReleaseOutput();
    MaybeClose();
  });
  MaybeClose();
}

void Channel::ReleaseOutput() {
  std::string().swap(queue_);
  if (!writing_) std::string().swap(in_write_);  // else the write still reads it
}

void Channel::MaybeClose() {
  if (closed_ || !input_done_ || (writing_ && !output_broken_) || !queue_.empty()) return;
  closed_ = true;
  exit_timer_.cancel();
  if (on_closed_) on_closed_();
}

}  // namespace vidkeep
