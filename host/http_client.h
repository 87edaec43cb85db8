// A small HTTP/1.1 client on Boost.Beast for the sync and (later) media
// downloads: HTTPS with the system trust store and host name verification,
// keep-alive connections per origin, deadlines on every step, bounded bodies,
// and no redirects followed. Runs as coroutines on the caller's executor.
// Connections are opened by connector.h, as the media downloader's are.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "connector.h"

namespace vidkeep {

struct HttpOptions {
  std::size_t max_body_bytes = 64 * 1024;  // more is read and dropped, never buffered
  std::string extra_ca_file;               // PEM, trusted besides the system store
  std::size_t max_idle_per_origin = 4;
  /// Bounds name resolution, connect and the TLS handshake, each (within
  /// the request's deadline): sync.connect_timeout_ms.
  std::chrono::milliseconds connect_timeout{10000};
  ResolverFactory resolver;  // empty: the system's (a seam for tests)
};

struct HttpRequest {
  std::string origin;  // "https://host[:port]"; http only for loopback (checked by callers)
  std::string method = "POST";
  std::string target;  // "/api/save-message"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::steady_clock::time_point deadline;  // for the whole exchange
};

struct HttpResponse {
  int status = 0;           // 0: no HTTP answer; then `error` says why
  std::string body;         // at most max_body_bytes
  std::string retry_after;  // the Retry-After header, if any
  std::string location;     // the Location header, if any
  std::string error;
  bool timed_out = false;
};

/// Owns idle keep-alive connections. Not thread-safe: use it from one
/// executor (the host's event loop). Destroying it closes idle connections;
/// exchanges in progress keep their own connection alive.
class HttpClient {
 public:
  HttpClient(boost::asio::any_io_executor executor, HttpOptions options);
  ~HttpClient();

  /// Performs one exchange. Never throws for network or server failures:
  /// they come back in the response.
  boost::asio::awaitable<HttpResponse> Send(HttpRequest request);

 private:
  struct Connection;
  boost::asio::awaitable<HttpResponse> Exchange(Connection& connection, const HttpRequest& request,
                                                bool& reusable, bool& nothing_received);
  boost::asio::awaitable<std::unique_ptr<Connection>> Connect(const HttpRequest& request,
                                                              HttpResponse& failure);
  boost::asio::ssl::context& TlsContext();

  boost::asio::any_io_executor executor_;
  HttpOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // made on the first https request
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

}  // namespace vidkeep
