#include "connector.h"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "tls_roots.h"

namespace vidkeep {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

class SystemResolver final : public NameResolver {
 public:
  explicit SystemResolver(asio::any_io_executor ex) : resolver_(std::move(ex)) {}
  asio::awaitable<std::tuple<boost::system::error_code, Results>> Lookup(
      std::string host, std::string port, tcp::resolver::flags flags) override {
    co_return co_await resolver_.async_resolve(host, port, flags, kNoThrow);
  }
  void Cancel() override { resolver_.cancel(); }

 private:
  tcp::resolver resolver_;
};

// The end of a step: `step` from now, never past the deadline.
std::chrono::steady_clock::time_point StepEnd(const ConnectOptions& options) {
  const auto now = std::chrono::steady_clock::now();
  const auto step = options.step_timeout;
  if (options.deadline - now < step) return options.deadline;
  return now + step;
}

std::string Why(const boost::system::error_code& ec) {
  return ec == beast::error::timeout ? std::string("timed out") : ec.message();
}

}  // namespace

std::unique_ptr<asio::ssl::context> MakeTlsClientContext(const std::string& extra_ca_file) {
  auto tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  LoadSystemRoots(*tls);
  boost::system::error_code ec;
  if (!extra_ca_file.empty()) {
    tls->load_verify_file(extra_ca_file, ec);
    if (ec) spdlog::error("cannot load CA file {}: {}", extra_ca_file, ec.message());
  }
  tls->set_verify_mode(asio::ssl::verify_peer);
  return tls;
}

asio::awaitable<ConnectResult> Connect(Stream& stream, asio::any_io_executor ex,
                                       const ConnectTarget& t, asio::ssl::context* tls_context,
                                       const ConnectOptions& options) {
  // The resolver has no deadline of its own (the system's may wait for
  // minutes): a timer cancels it. Both handlers may be queued at once, so
  // the timer's owns what it touches.
  std::shared_ptr<NameResolver> resolver =
      options.resolver ? options.resolver(ex) : std::make_shared<SystemResolver>(ex);
  auto resolve_timed_out = std::make_shared<bool>(false);
  asio::steady_timer timer(ex, StepEnd(options));
  timer.async_wait([resolver, resolve_timed_out](boost::system::error_code ec) {
    if (ec) return;
    *resolve_timed_out = true;
    resolver->Cancel();
  });
  auto flags = tcp::resolver::numeric_service;
  // As the resolver's default for names: no IPv6 answers on a host without IPv6.
  flags |= t.host_is_name ? tcp::resolver::address_configured : tcp::resolver::numeric_host;
  auto [resolve_ec, results] = co_await resolver->Lookup(t.host, t.port, flags);
  timer.cancel();
  if (resolve_ec)
    co_return ConnectResult{
        Status::Unavailable(fmt::format("cannot resolve {}: {}", t.host,
                                        *resolve_timed_out ? std::string("timed out")
                                                           : resolve_ec.message())),
        *resolve_timed_out};
  if (results.empty())
    co_return ConnectResult{Status::Unavailable(fmt::format("cannot resolve {}: no address", t.host))};
  if (options.check_address)
    for (const auto& entry : results)
      if (Status s = options.check_address(entry.endpoint().address()); !s.ok())
        co_return ConnectResult{std::move(s)};

  if (t.tls)
    stream.tls.emplace(ex, *tls_context);
  else
    stream.plain.emplace(ex);
  auto& lowest = stream.lowest();
  lowest.expires_at(StepEnd(options));
  // Only the addresses checked above: resolving again could give others.
  auto [connect_ec, endpoint] = co_await lowest.async_connect(results, kNoThrow);
  if (connect_ec)
    co_return ConnectResult{
        Status::Unavailable(fmt::format("cannot connect to {}: {}", t.shown, Why(connect_ec))),
        connect_ec == beast::error::timeout};
  if (stream.tls) {
    auto& tls = *stream.tls;
    if (t.host_is_name && !SSL_set_tlsext_host_name(tls.native_handle(), t.host.c_str()))
      co_return ConnectResult{Status::Unavailable("cannot set the TLS server name")};
    tls.set_verify_callback(asio::ssl::host_name_verification(t.host));
    lowest.expires_at(StepEnd(options));
    auto [hs_ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kNoThrow);
    if (hs_ec)
      co_return ConnectResult{
          Status::Unavailable(fmt::format("TLS with {} failed: {}", t.shown, Why(hs_ec))),
          hs_ec == beast::error::timeout};
  }
  lowest.expires_never();
  co_return ConnectResult{};
}

}  // namespace vidkeep
