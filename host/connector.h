// The one way vidkeep opens an outgoing connection (issue 16, item 3), for
// the sync client (http_client.cpp, and through it the session lookup) and
// the media downloader (media_fetch.cpp): resolve the name with a timeout,
// check every resolved address against the caller's policy before any
// connection, connect only to the addresses checked (no second lookup: DNS
// rebinding), and for https handshake with SNI and certificate plus host name
// verification (MakeTlsClientContext). Each step is bounded by
// `step_timeout` and by the caller's overall deadline.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "status.h"

namespace vidkeep {

/// Name resolution behind a seam: the system resolver in the host, a stalled
/// one in the tests (a DNS server that never answers cannot be had on
/// loopback). Used from one executor.
class NameResolver {
 public:
  using Results = boost::asio::ip::tcp::resolver::results_type;
  virtual ~NameResolver() = default;
  virtual boost::asio::awaitable<std::tuple<boost::system::error_code, Results>> Lookup(
      std::string host, std::string port, boost::asio::ip::tcp::resolver::flags flags) = 0;
  /// Ends a Lookup in progress with operation_aborted.
  virtual void Cancel() = 0;
};

/// Makes the resolver of one connection attempt.
using ResolverFactory = std::function<std::shared_ptr<NameResolver>(boost::asio::any_io_executor)>;

/// An open connection, plain or TLS (exactly one is set).
struct Stream {
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;

  boost::beast::tcp_stream& lowest() {
    return plain ? *plain : boost::beast::get_lowest_layer(*tls);
  }
  /// Calls `f` with the stream on top; `f` returns the same type for both.
  template <typename F>
  auto With(F&& f) {
    return plain ? f(*plain) : f(*tls);
  }
};

/// Where to connect.
struct ConnectTarget {
  bool tls = false;
  std::string host;          // a DNS name, or an address without brackets
  bool host_is_name = true;  // SNI only for names (RFC 6066)
  std::string port;
  std::string shown;  // how messages name the peer: an origin, or host[:port]
};

struct ConnectOptions {
  /// Bounds name resolution, the TCP connection and the TLS handshake, each.
  std::chrono::milliseconds step_timeout{10000};
  /// No step runs past this (the sync exchange's whole budget).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  /// Asked for every resolved address before any connection is made; one
  /// refusal refuses them all (media's address rules). Empty: any address.
  std::function<Status(const boost::asio::ip::address&)> check_address;
  /// Empty: the system resolver.
  ResolverFactory resolver;
};

struct ConnectResult {
  /// ok, a refusal from check_address as it returned it, or kUnavailable (a
  /// transient network failure) with one sentence: "cannot resolve HOST: …",
  /// "cannot connect to SHOWN: …", "TLS with SHOWN failed: …".
  Status status;
  bool timed_out = false;
};

/// Opens `stream` (made here on `ex`) to `target`. `tls` must be set for an
/// https target and outlive the stream. The stream's timer is left off.
boost::asio::awaitable<ConnectResult> Connect(Stream& stream, boost::asio::any_io_executor ex,
                                              const ConnectTarget& target,
                                              boost::asio::ssl::context* tls,
                                              const ConnectOptions& options);

/// A TLS client context: TLS 1.2 or later, peers verified against the system
/// trust store plus `extra_ca_file` (PEM, "" for none). A store that cannot
/// be loaded is logged, not fatal: handshakes then fail verification. Connect
/// adds host name verification per connection.
std::unique_ptr<boost::asio::ssl::context> MakeTlsClientContext(const std::string& extra_ca_file);

}  // namespace vidkeep
