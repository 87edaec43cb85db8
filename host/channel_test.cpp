// The channel over real pipes, as the browser gives them. Linux only for now
// (host/CMakeLists.txt says why); the Windows pipes are tested under Wine by
// the Node suite and the launch step.
#include "channel.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>

#include "file_io.h"
#include "framing.h"

using namespace vidkeep;

namespace {

std::array<int, 2> MakePipe() {
  int fds[2];
  if (::pipe(fds) != 0) std::abort();
  return {fds[0], fds[1]};
}

void WriteAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
}

struct Outcome {
  std::vector<std::string> frames;
  int closed = 0;
  bool timed_out = false;
  std::string output;  // what the channel wrote
};

// Sends `input`, closes it, and runs a channel that answers every frame with
// "ok:<payload>" until it closes (or 10 s pass).
Outcome RunOnce(const std::string& input) {
  boost::asio::io_context io;
  const auto in = MakePipe();
  const auto out = MakePipe();
  Outcome o;
  Channel* self = nullptr;
  Channel channel(
      io, in[0], out[1], 1024, 64,
      [&](std::vector<FrameEvent> frames) {
        for (auto& f : frames) {
          o.frames.push_back(f.payload);
          self->Send("ok:" + f.payload);
        }
      },
      [&] {
        ++o.closed;
        io.stop();
      });
  self = &channel;
  boost::asio::steady_timer limit(io, std::chrono::seconds(10));
  limit.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    o.timed_out = true;
    io.stop();
  });
  channel.Start();
  WriteAll(in[1], input);
  CloseFd(in[1]);
  io.run();
  char buffer[4096];
  // The answers are small: they are all in the pipe by now. Reading until
  // EOF would wait for the channel's own end of it, so read what is there.
  const std::size_t expected = [&] {
    std::size_t n = 0;
    for (const auto& f : o.frames) n += 4 + 3 + f.size();
    return n;
  }();
  while (o.output.size() < expected) {
    const ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n <= 0) break;
    o.output.append(buffer, static_cast<std::size_t>(n));
  }
  CloseFd(out[0]);
  return o;
}

}  // namespace

TEST_CASE("channel over real pipes: every frame answered, then the end of input closes it once") {
  const std::string input = EncodeFrame(R"({"id":1})") + EncodeFrame(R"({"id":2})");
  // Many rounds: the end of input races the last read and the answers' write.
  for (int round = 0; round < 50; ++round) {
    INFO("round " << round);
    const Outcome o = RunOnce(input);
    REQUIRE_FALSE(o.timed_out);
    CHECK(o.closed == 1);
    REQUIRE(o.frames == std::vector<std::string>{R"({"id":1})", R"({"id":2})"});
    CHECK(o.output == EncodeFrame(R"(ok:{"id":1})") + EncodeFrame(R"(ok:{"id":2})"));
  }
}

TEST_CASE("channel over real pipes: input closed inside a frame still ends it once") {
  const std::string whole = EncodeFrame(R"({"id":1})");
  const Outcome o = RunOnce(whole + whole.substr(0, 6));
  REQUIRE_FALSE(o.timed_out);
  CHECK(o.closed == 1);
  CHECK(o.frames == std::vector<std::string>{R"({"id":1})"});
}

TEST_CASE("channel over real pipes: no input at all closes it once, nothing written") {
  const Outcome o = RunOnce("");
  REQUIRE_FALSE(o.timed_out);
  CHECK(o.closed == 1);
  CHECK(o.frames.empty());
  CHECK(o.output.empty());
}
