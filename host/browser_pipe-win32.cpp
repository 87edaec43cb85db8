// browser_pipe.h on Windows. Browsers start the host with its stdio on
// anonymous or named pipes opened without FILE_FLAG_OVERLAPPED, so neither
// Asio nor overlapped I/O can wait on them: a reader thread does blocking
// ReadFile calls and a writer thread blocking WriteFile calls, each one at
// the channel's request, and posts the completion to the io_context. The
// framing and back-pressure above stay the same as on Linux.
//
// The reader keeps one read ahead of the channel (at most kReadAheadBytes
// held): while back-pressure pauses reading, that outstanding ReadFile is
// what sees the browser close the input. PeekNamedPipe cannot be relied on
// for that alone — it reports a closed pipe only once it is empty, and
// fails on input that is not a named pipe (Wine's own stdio).
//
// Shutdown never waits for these threads: a ReadFile on a browser that
// keeps its end open, or a WriteFile to one that stopped reading, may never
// return, and CancelSynchronousIo is not reliable (Wine ignores it). So the
// threads are detached and own what they touch (State); the destructor only
// tells them the pipe is gone, and process exit ends them.
#include "browser_pipe.h"

#include <windows.h>
#include <io.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

namespace vidkeep {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kReadAheadBytes = 64 * 1024;

struct State {
  HANDLE in = INVALID_HANDLE_VALUE;
  HANDLE out = INVALID_HANDLE_VALUE;
  std::mutex mutex;
  std::condition_variable wake;
  asio::io_context* io = nullptr;  // nullptr: the BrowserPipe is gone
  // Input: what the reader thread read and the channel has not taken yet,
  // then how the input ended (eof or an error), once it did.
  std::string held;
  std::optional<boost::system::error_code> ended;
  // The channel's read request in flight, if any: how much it takes.
  bool read_wanted = false;
  std::size_t read_size = 0;
  // One write request: the queued frames, copied.
  bool write_wanted = false;
  std::string write_bytes;
};

boost::system::error_code ReadError(DWORD error) {
  // ERROR_SUCCESS too: a failed read must never look like a successful one.
  if (error == ERROR_BROKEN_PIPE || error == ERROR_HANDLE_EOF || error == ERROR_SUCCESS)
    return asio::error::eof;
  return {static_cast<int>(error), boost::system::system_category()};
}

boost::system::error_code WriteError(DWORD error) {
  if (error == ERROR_BROKEN_PIPE || error == ERROR_NO_DATA || error == ERROR_SUCCESS)
    return asio::error::broken_pipe;
  return {static_cast<int>(error), boost::system::system_category()};
}

}  // namespace

struct BrowserPipe::Impl {
  std::shared_ptr<State> state = std::make_shared<State>();
  // The handlers of the request in flight; only touched on the io thread.
  Handler read_done, write_done;
  asio::mutable_buffer read_target;
  // A request in flight is work for the io_context, as an outstanding
  // async_read_some is on Linux: run() does not return while it waits.
  using Work = asio::executor_work_guard<asio::io_context::executor_type>;
  std::optional<Work> read_work, write_work;
  // Cleared when the pipe is destroyed, so a completion posted after that
  // (the io_context may still run it) touches nothing.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  /// Hands the channel's read request what is held: bytes first, then how
  /// the input ended. Called with the state's lock held, on either thread,
  /// once there is something to hand over.
  void Deliver(State& state) {
    state.read_wanted = false;
    const std::size_t n = std::min(state.held.size(), state.read_size);
    std::string bytes = state.held.substr(0, n);
    state.held.erase(0, n);
    const boost::system::error_code ec = n == 0 ? *state.ended : boost::system::error_code();
    asio::post(*state.io, [this, alive = std::weak_ptr<bool>(alive), ec, bytes = std::move(bytes)] {
      if (alive.expired()) return;
      std::memcpy(read_target.data(), bytes.data(), bytes.size());
      read_work.reset();
      Handler done = std::move(read_done);
      done(ec, bytes.size());
    });
    state.wake.notify_all();  // the reader may read again once nothing is held
  }
};

BrowserPipe::BrowserPipe(asio::io_context& io, int in_fd, int out_fd) : impl_(std::make_unique<Impl>()) {
  auto state = impl_->state;
  state->in = reinterpret_cast<HANDLE>(::_get_osfhandle(in_fd));
  state->out = reinterpret_cast<HANDLE>(::_get_osfhandle(out_fd));
  state->io = &io;
  Impl* impl = impl_.get();
  std::weak_ptr<bool> alive = impl_->alive;

  std::thread([state, impl] {
    std::string buffer(kReadAheadBytes, '\0');
    while (true) {
      {
        std::unique_lock lock(state->mutex);
        state->wake.wait(lock, [&] { return state->held.empty() || !state->io; });
        if (!state->io) return;
      }
      DWORD got = 0;
      const BOOL ok = ::ReadFile(state->in, buffer.data(), static_cast<DWORD>(buffer.size()), &got, nullptr);
      // Taken at once: taking the lock may reset the thread's last error
      // (winpthreads), and a read that "failed" with code 0 would be taken
      // for data and asked again, forever.
      const DWORD error = ok ? ERROR_SUCCESS : ::GetLastError();
      std::lock_guard lock(state->mutex);
      if (!state->io) return;
      if (!ok)
        state->ended = ReadError(error);
      else if (got == 0)
        state->ended = asio::error::eof;
      else
        state->held.assign(buffer.data(), got);
      if (state->read_wanted) impl->Deliver(*state);
      if (state->ended) return;
    }
  }).detach();

  std::thread([state, impl, alive] {
    std::string bytes;
    while (true) {
      {
        std::unique_lock lock(state->mutex);
        state->wake.wait(lock, [&] { return state->write_wanted || !state->io; });
        if (!state->io) return;
        state->write_wanted = false;
        bytes.swap(state->write_bytes);
      }
      std::size_t done = 0;
      boost::system::error_code ec;
      while (done < bytes.size()) {
        DWORD put = 0;
        const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(bytes.size() - done, 1u << 20));
        if (!::WriteFile(state->out, bytes.data() + done, chunk, &put, nullptr)) {
          ec = WriteError(::GetLastError());
          break;
        }
        done += put;
      }
      if (bytes.capacity() > kKeptWriteCapacity) std::string().swap(bytes);
      std::lock_guard lock(state->mutex);
      if (!state->io) return;
      asio::post(*state->io, [impl, alive, ec, done] {
        if (alive.expired()) return;
        impl->write_work.reset();
        Handler handler = std::move(impl->write_done);
        handler(ec, done);
      });
      if (ec) return;
    }
  }).detach();
}

BrowserPipe::~BrowserPipe() {
  {
    std::lock_guard lock(impl_->state->mutex);
    impl_->state->io = nullptr;
  }
  impl_->state->wake.notify_all();
}

void BrowserPipe::EnlargeInput(std::size_t) {}  // the browser made the pipe; its size is the browser's

void BrowserPipe::AsyncReadSome(asio::mutable_buffer buffer, Handler done) {
  impl_->read_target = buffer;
  impl_->read_done = std::move(done);
  impl_->read_work.emplace(impl_->state->io->get_executor());
  State& state = *impl_->state;
  std::lock_guard lock(state.mutex);
  state.read_size = std::max<std::size_t>(1, buffer.size());
  state.read_wanted = true;
  if (!state.held.empty() || state.ended) impl_->Deliver(state);
}

void BrowserPipe::AsyncWrite(asio::const_buffer bytes, Handler done) {
  impl_->write_done = std::move(done);
  impl_->write_work.emplace(impl_->state->io->get_executor());
  {
    std::lock_guard lock(impl_->state->mutex);
    impl_->state->write_bytes.assign(static_cast<const char*>(bytes.data()), bytes.size());
    impl_->state->write_wanted = true;
  }
  impl_->state->wake.notify_all();
}

bool BrowserPipe::InputHungUp() {
  {
    std::lock_guard lock(impl_->state->mutex);
    if (impl_->state->ended) return true;
  }
  // Bytes are held, so the reader is not reading: the pipe itself may tell.
  // PeekNamedPipe takes nothing out of it and fails with ERROR_BROKEN_PIPE
  // once the writer is gone and it is empty (anonymous pipes are named pipes
  // underneath).
  DWORD available = 0;
  if (::PeekNamedPipe(impl_->state->in, nullptr, 0, nullptr, &available, nullptr)) return false;
  return ::GetLastError() == ERROR_BROKEN_PIPE;
}

}  // namespace vidkeep
