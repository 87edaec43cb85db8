// The two pipes the browser gives the host (its stdin and stdout), as the
// channel needs them: one read and one write outstanding at a time,
// completions on the io_context's thread. browser_pipe-posix.cpp wraps Asio's
// stream_descriptor; browser_pipe-win32.cpp has a reader thread and a writer
// thread doing blocking ReadFile/WriteFile (a browser's pipes cannot be used
// with overlapped I/O), posting each completion to the io_context.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

namespace vidkeep {

/// A write buffer that grew beyond this in a burst is released once written,
/// not kept for good (the channel's and the Windows writer thread's alike).
inline constexpr std::size_t kKeptWriteCapacity = 64 * 1024;

class BrowserPipe {
 public:
  using Handler = std::function<void(const boost::system::error_code&, std::size_t)>;

  /// Takes over descriptors `in_fd` and `out_fd`.
  BrowserPipe(boost::asio::io_context& io, int in_fd, int out_fd);
  ~BrowserPipe();

  /// Asks for a larger input pipe, so one read carries a whole burst.
  /// Best effort (Linux's F_SETPIPE_SZ; nothing on Windows).
  void EnlargeInput(std::size_t bytes);
  /// Reads some bytes into `buffer` (valid until `done`); end of input is
  /// boost::asio::error::eof.
  void AsyncReadSome(boost::asio::mutable_buffer buffer, Handler done);
  /// Writes all of `bytes` (valid until `done`).
  void AsyncWrite(boost::asio::const_buffer bytes, Handler done);
  /// Whether the browser closed its end of the input, seen without taking
  /// any unread bytes out of it (on Windows: by the reader thread's read
  /// ahead, or the pipe's state). Only while no read is outstanding.
  bool InputHungUp();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidkeep
