#include "connector.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "http_client.h"

using namespace vidkeep;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// A DNS server that never answers: only Cancel ends the lookup.
class StalledResolver final : public NameResolver {
 public:
  explicit StalledResolver(asio::any_io_executor ex, int* lookups)
      : never_(ex, asio::steady_timer::time_point::max()), lookups_(lookups) {}
  asio::awaitable<std::tuple<boost::system::error_code, Results>> Lookup(
      std::string, std::string, tcp::resolver::flags) override {
    ++*lookups_;
    co_await never_.async_wait(kNoThrow);
    co_return std::tuple{boost::system::error_code(asio::error::operation_aborted), Results()};
  }
  void Cancel() override { never_.cancel(); }

 private:
  asio::steady_timer never_;
  int* lookups_;
};

template <typename T>
T RunOne(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  io.restart();
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    out = std::move(value);
    io.stop();  // other work (a listener) may still be pending
  });
  io.run_for(20s);
  REQUIRE(out);
  return std::move(*out);
}

// One exchange of a sync client whose every lookup stalls; counts them.
HttpResponse SendStalled(std::chrono::milliseconds connect_timeout, const std::string& origin,
                         std::chrono::milliseconds deadline, int& lookups) {
  asio::io_context io;
  HttpOptions options;
  options.connect_timeout = connect_timeout;
  options.resolver = [&lookups](asio::any_io_executor ex) {
    return std::make_shared<StalledResolver>(ex, &lookups);
  };
  HttpClient http(io.get_executor(), options);
  HttpRequest request;
  request.origin = origin;
  request.target = "/api/save-message";
  request.deadline = std::chrono::steady_clock::now() + deadline;
  return RunOne(io, http.Send(request));
}

}  // namespace

// Regression (issue 16, item 3): the sync client's lookup had no deadline of
// its own, so a DNS server that never answered held a send (and its lease)
// for the system resolver's timeout; only the media downloader bounded it.
TEST_CASE("a stalled DNS lookup times out in the sync client, within sync.connect_timeout_ms") {
  int lookups = 0;
  const auto started = std::chrono::steady_clock::now();
  HttpResponse r = SendStalled(100ms, "https://chat.example", 30s, lookups);
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(lookups == 1);
  CHECK(r.status == 0);
  CHECK(r.timed_out);
  CHECK(r.error == "cannot resolve chat.example: timed out");
  CHECK(took >= 100ms);
  CHECK(took < 5s);
}

TEST_CASE("the request's deadline bounds the lookup when it is nearer than the step timeout") {
  int lookups = 0;
  HttpResponse r = SendStalled(60s, "http://stalled.test:8080", 100ms, lookups);
  CHECK(r.timed_out);
  CHECK(r.error == "cannot resolve stalled.test: timed out");
}

TEST_CASE("an address refused by the policy is never connected to") {
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  bool accepted = false;
  listener.async_accept([&](boost::system::error_code ec, tcp::socket) { accepted = !ec; });
  const std::string port = std::to_string(listener.local_endpoint().port());

  ConnectOptions options;
  std::vector<std::string> asked;
  options.check_address = [&](const asio::ip::address& a) -> Status {
    asked.push_back(a.to_string());
    return Status::InvalidUrl("refused: " + a.to_string() + " is loopback");
  };
  const ConnectTarget target{false, "127.0.0.1", false, port, "127.0.0.1:" + port};
  Stream stream;
  ConnectResult r = RunOne(io, Connect(stream, io.get_executor(), target, nullptr, options));
  CHECK(r.status.code() == ErrorCode::kInvalidUrl);
  CHECK(r.status.message() == "refused: 127.0.0.1 is loopback");
  CHECK(asked == std::vector<std::string>{"127.0.0.1"});
  CHECK_FALSE(stream.plain);  // no socket was even made
  CHECK_FALSE(accepted);

  // Allowed, the same target connects.
  options.check_address = [](const asio::ip::address&) { return Status(); };
  r = RunOne(io, Connect(stream, io.get_executor(), target, nullptr, options));
  CHECK(r.status.ok());
  io.restart();
  while (!accepted && io.run_one_for(5s) > 0) {
  }
  CHECK(accepted);
}
