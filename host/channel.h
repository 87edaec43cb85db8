// The browser side of the host: frames in on stdin, frames out on stdout,
// through Boost.Asio on one thread (the pipes themselves: browser_pipe.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "browser_pipe.h"
#include "framing.h"

namespace vidkeep {

/// Reads frames from `in_fd`, hands them to `on_frames` in batches (all that
/// one read completed, at most `max_batch`), and writes what Send() gets to
/// `out_fd` through a queue so only one write is outstanding.
///
/// Back-pressure: while more than kMaxQueuedBytes (1 MiB) wait to be written, reading
/// pauses, so a peer that floods without reading cannot grow memory.
/// At end of input it flushes what it can and calls `on_closed` once, at the
/// latest `exit_grace` after the input ended.
class Channel {
 public:
  using FrameHandler = std::function<void(std::vector<FrameEvent>)>;

  Channel(boost::asio::io_context& io, int in_fd, int out_fd, std::size_t max_frame_bytes,
          std::size_t max_batch, FrameHandler on_frames, std::function<void()> on_closed);

  void Start();
  /// Queues one frame. Payloads of 1 MiB or more are a bug upstream and are
  /// dropped with a log line rather than sent (the browser would disconnect).
  void Send(std::string payload);
  bool closing() const { return input_done_; }

 private:
  static constexpr std::size_t kMaxQueuedBytes = 1024 * 1024;
  static constexpr std::size_t kInputPipeBytes = 1024 * 1024;
  // One read: what one transaction commits at most, in a burst.
  static constexpr std::size_t kReadBytes = 256 * 1024;

  void DoRead();
  void OnRead(boost::system::error_code ec, std::size_t n);
  void Dispatch();
  void DoWrite();
  void OnWrite(const boost::system::error_code& ec, std::size_t n);
  void InputEnded(const std::string& why);
  void WatchForHangup();
  void MaybeClose();
  void ReleaseOutput();

  BrowserPipe pipe_;
  boost::asio::steady_timer exit_timer_;
  boost::asio::steady_timer hangup_timer_;  // while reading is paused
  FrameDecoder decoder_;
  std::size_t max_batch_;
  FrameHandler on_frames_;
  std::function<void()> on_closed_;
  // Answers are appended, framed, to one string and written together: a
  // burst's answers cost one append each (no allocation of their own) and
  // one write per turn of the loop, and wait at most for the write before.
  std::string queue_;     // framed answers not yet handed to a write
  std::string in_write_;  // the framed answers being written
  bool reading_ = false;
  bool watching_hangup_ = false;
  bool input_hung_up_ = false;  // the writer closed: drain input despite back-pressure
  bool writing_ = false;
  bool input_done_ = false;
  bool output_broken_ = false;
  bool closed_ = false;
};

}  // namespace vidkeep
