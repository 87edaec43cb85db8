#include "http_client.h"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "model.h"

namespace vidkeep {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Where an origin leads; its host as ConnectTarget wants it.
struct Endpoint {
  ConnectTarget target;
  std::string host_header;
};

std::optional<Endpoint> ParseOrigin(const std::string& origin) {
  auto url = boost::urls::parse_uri(origin);
  if (!url || url->encoded_host().empty()) return std::nullopt;
  Endpoint e;
  ConnectTarget& t = e.target;
  t.tls = url->scheme() == "https";
  if (!t.tls && url->scheme() != "http") return std::nullopt;
  t.host = std::string(url->encoded_host());
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.host_is_name = url->host_type() == boost::urls::host_type::name;
  t.port = url->has_port() && !url->port().empty() ? std::string(url->port()) : (t.tls ? "443" : "80");
  t.shown = origin;
  e.host_header = std::string(url->encoded_host_and_port());
  return e;
}

}  // namespace

struct HttpClient::Connection {
  std::string origin;
  Stream stream;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return stream.lowest(); }
};

HttpClient::HttpClient(asio::any_io_executor executor, HttpOptions options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

HttpClient::~HttpClient() = default;

asio::ssl::context& HttpClient::TlsContext() {
  // Loading the trust store costs milliseconds: done on the first https
  // request, never at start-up.
  if (!tls_) tls_ = MakeTlsClientContext(options_.extra_ca_file);
  return *tls_;
}

asio::awaitable<std::unique_ptr<HttpClient::Connection>> HttpClient::Connect(
    const HttpRequest& request, HttpResponse& failure) {
  auto endpoint = ParseOrigin(request.origin);
  if (!endpoint) {
    failure.error = "not an http(s) origin: " + request.origin;
    co_return nullptr;
  }
  auto connection = std::make_unique<Connection>();
  connection->origin = request.origin;
  ConnectOptions options;
  options.step_timeout = options_.connect_timeout;
  options.deadline = request.deadline;
  options.resolver = options_.resolver;
  ConnectResult connected = co_await vidkeep::Connect(
      connection->stream, executor_, endpoint->target,
      endpoint->target.tls ? &TlsContext() : nullptr, options);
  if (!connected.status.ok()) {
    failure.timed_out = connected.timed_out;
    failure.error = connected.status.message();
    co_return nullptr;
  }
  co_return connection;
}

asio::awaitable<HttpResponse> HttpClient::Exchange(Connection& c, const HttpRequest& request,
                                                   bool& reusable, bool& nothing_received) {
  HttpResponse response;
  reusable = false;
  nothing_received = true;
  auto endpoint = ParseOrigin(request.origin);

  http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, endpoint->host_header);
  req.set(http::field::user_agent, std::string("vidkeep/") + VIDKEEP_VERSION);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.keep_alive(true);
  req.prepare_payload();

  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_body_bytes);
  parser.header_limit(16 * 1024);
  c.lowest().expires_at(request.deadline);

  auto fail = [&](const boost::system::error_code& ec, const char* step) {
    response.timed_out = ec == beast::error::timeout;
    response.error = std::string(step) + " " + request.origin + ": " +
                     (response.timed_out ? std::string("timed out") : ec.message());
  };
  auto run = [&](auto& stream) -> asio::awaitable<void> {
    auto [write_ec, written] = co_await http::async_write(stream, req, kNoThrow);
    if (write_ec) {
      fail(write_ec, "sending to");
      co_return;
    }
    auto [read_ec, read] = co_await http::async_read(stream, c.buffer, parser, kNoThrow);
    if (read > 0 || parser.got_some()) nothing_received = false;
    if (read_ec == http::error::body_limit && parser.is_header_done()) {
      // Keep the status; the rest of an oversized body is never read.
      response.status = parser.get().result_int();
    } else if (read_ec) {
      fail(read_ec, "reading from");
      co_return;
    } else {
      response.status = parser.get().result_int();
      reusable = parser.get().keep_alive();
    }
    auto& msg = parser.get();
    response.body = std::move(msg.body());
    if (response.body.size() > options_.max_body_bytes) response.body.resize(options_.max_body_bytes);
    if (auto it = msg.find(http::field::retry_after); it != msg.end())
      response.retry_after = std::string(it->value());
    if (auto it = msg.find(http::field::location); it != msg.end())
      response.location = std::string(it->value().substr(0, 2048));
  };
  co_await c.stream.With(run);
  co_return response;
}

asio::awaitable<HttpResponse> HttpClient::Send(HttpRequest request) {
  // A kept-alive connection may have been closed by the server meanwhile; if
  // it fails before any byte of an answer, the request is tried once more on
  // a new connection (it never reached the application).
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> connection;
    auto& pool = idle_[request.origin];
    const bool reused = !pool.empty();
    if (reused) {
      connection = std::move(pool.back());
      pool.pop_back();
    } else {
      HttpResponse failure;
      connection = co_await Connect(request, failure);
      if (!connection) co_return failure;
    }
    bool reusable = false, nothing_received = true;
    HttpResponse response = co_await Exchange(*connection, request, reusable, nothing_received);
    if (response.status == 0 && reused && nothing_received && !response.timed_out) continue;
    if (reusable) {
      auto& idle = idle_[request.origin];
      if (idle.size() < options_.max_idle_per_origin) {
        connection->lowest().expires_never();
        idle.push_back(std::move(connection));
      }
    }
    co_return response;
  }
  co_return HttpResponse{0, {}, {}, {}, "connection closed by " + request.origin, false};
}

}  // namespace vidkeep
