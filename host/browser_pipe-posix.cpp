// browser_pipe.h on Linux: Asio's stream_descriptor on both pipes.
#include "browser_pipe.h"

#include <fcntl.h>
#include <poll.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>

namespace vidkeep {

namespace asio = boost::asio;

struct BrowserPipe::Impl {
  Impl(asio::io_context& io, int in_fd, int out_fd) : in(io, in_fd), out(io, out_fd) {}
  asio::posix::stream_descriptor in;
  asio::posix::stream_descriptor out;
};

BrowserPipe::BrowserPipe(asio::io_context& io, int in_fd, int out_fd)
    : impl_(std::make_unique<Impl>(io, in_fd, out_fd)) {}
BrowserPipe::~BrowserPipe() = default;

void BrowserPipe::EnlargeInput(std::size_t bytes) {
  // The kernel caps it, and a non-pipe input just ignores it.
  ::fcntl(impl_->in.native_handle(), F_SETPIPE_SZ, static_cast<int>(bytes));
}

void BrowserPipe::AsyncReadSome(asio::mutable_buffer buffer, Handler done) {
  impl_->in.async_read_some(buffer, std::move(done));
}

void BrowserPipe::AsyncWrite(asio::const_buffer bytes, Handler done) {
  asio::async_write(impl_->out, bytes, std::move(done));
}

bool BrowserPipe::InputHungUp() {
  // A pipe whose writer is gone reports POLLHUP, which poll() shows without
  // consuming any unread frames.
  pollfd p{impl_->in.native_handle(), POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

}  // namespace vidkeep
