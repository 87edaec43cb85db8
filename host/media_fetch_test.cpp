#include "media_fetch.h"
#include "test_support.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <spdlog/fmt/fmt.h>

using namespace vidkeep;

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using namespace std::string_literals;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// ---- Test data ----------------------------------------------------------------

// An MP4-looking file: an ftyp box, then pseudo-random bytes.
std::string MakeVideo(std::size_t size, std::uint32_t seed = 7) {
  std::string v("\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00" "isomiso2", 24);
  std::mt19937 rng(seed);
  v.reserve(size);
  while (v.size() < size) v.push_back(static_cast<char>(rng() & 0xff));
  return v;
}

std::string MakeJpeg() {
  std::string j("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00", 11);
  j.append(2000, '\x42');
  return j;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    constexpr char kHex[] = "0123456789abcdef";
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

struct TempDir {
  TempDir() {
    path = test::MakeTempDir("/tmp/vidkeep-media-fetch-XXXXXX");
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string File(const std::string& name) const { return path + "/" + name; }
  std::string path;
};

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// ---- A small HTTP(S) server on 127.0.0.1 ------------------------------------------

struct SeenRequest {
  std::string target;
  std::string range;
  std::string if_range;
};

// A handler writes raw bytes, so it can lie in its headers or stall.
using Send = std::function<asio::awaitable<bool>(std::string_view)>;
using Handler = std::function<asio::awaitable<void>(const SeenRequest&, const Send&)>;

// `fields`: "Name: value\r\n" lines. (Strings, not braced lists: GCC 12
// miscompiles braced initializers of pairs inside coroutines.)
std::string Head(int status, const std::string& fields = {}) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\n" + fields + "Connection: close\r\n\r\n";
}

std::string Field(std::string_view name, std::string_view value) {
  return std::string(name) + ": " + std::string(value) + "\r\n";
}

// Serves `content` with Range and If-Range support, like a CDN.
Handler ServeBytes(std::string content, std::string type, std::string etag = "\"v1\"") {
  return [content = std::move(content), type = std::move(type), etag = std::move(etag)](
             const SeenRequest& r, const Send& send) -> asio::awaitable<void> {
    std::size_t start = 0;
    bool partial = false;
    if (r.range.starts_with("bytes=") && (r.if_range.empty() || r.if_range == etag)) {
      start = std::stoull(r.range.substr(6));
      if (start >= content.size()) {
        co_await send(Head(416, Field("Content-Range", "bytes */" + std::to_string(content.size()))));
        co_return;
      }
      partial = true;
    }
    std::string fields = Field("Content-Length", std::to_string(content.size() - start)) +
                         Field("ETag", etag);
    if (!type.empty()) fields += Field("Content-Type", type);
    if (partial)
      fields += Field("Content-Range", "bytes " + std::to_string(start) + "-" +
                                           std::to_string(content.size() - 1) + "/" +
                                           std::to_string(content.size()));
    if (!co_await send(Head(partial ? 206 : 200, fields))) co_return;
    std::string_view rest(content);
    rest.remove_prefix(start);
    while (!rest.empty()) {
      const auto piece = rest.substr(0, 64 * 1024);
      if (!co_await send(piece)) co_return;
      rest.remove_prefix(piece.size());
    }
  };
}

Handler Answer(int status, std::string fields = {}, std::string body = {}) {
  fields += Field("Content-Length", std::to_string(body.size()));
  return [=](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    if (co_await send(Head(status, fields))) co_await send(body);
  };
}

class TestServer {
 public:
  explicit TestServer(asio::ssl::context* tls = nullptr) : tls_(tls), acceptor_(io_) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, Accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TestServer() {
    io_.stop();
    thread_.join();
  }

  void Route(const std::string& path, Handler handler) {
    std::lock_guard lock(mutex_);
    routes_[path] = std::move(handler);
  }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(port_) + path;
  }
  unsigned short port() const { return port_; }
  std::vector<SeenRequest> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(io_, Connection(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> Connection(tcp::socket socket) {
    if (!tls_) {
      beast::tcp_stream stream(std::move(socket));
      co_await Serve(stream);
      boost::system::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
    beast::get_lowest_layer(stream).expires_after(5s);
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (ec) co_return;  // e.g. the client refused the certificate
    co_await Serve(stream);
    beast::get_lowest_layer(stream).expires_after(1s);
    co_await stream.async_shutdown(kNoThrow);
  }

  template <typename Stream>
  asio::awaitable<void> Serve(Stream& stream) {
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
    auto [ec, n] = co_await http::async_read(stream, buffer, request, kNoThrow);
    if (ec) co_return;
    SeenRequest seen{std::string(request.target()), std::string(request[http::field::range]),
                     std::string(request[http::field::if_range])};
    Handler handler;
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(seen);
      const std::string path = seen.target.substr(0, seen.target.find('?'));
      if (auto it = routes_.find(path); it != routes_.end()) handler = it->second;
    }
    if (!handler) handler = Answer(404);
    const Send send = [&stream](std::string_view data) -> asio::awaitable<bool> {
      auto [write_ec, written] = co_await asio::async_write(stream, asio::buffer(data), kNoThrow);
      co_return !write_ec;
    };
    co_await handler(seen, send);
  }

  asio::ssl::context* tls_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, Handler> routes_;
  std::vector<SeenRequest> seen_;
};

// ---- Running a fetch --------------------------------------------------------------

// Loopback tests without allow_private_addresses: 127.0.0.1 is let through,
// every other non-public address still refused.
FetchPolicy LoopbackPolicy() {
  FetchPolicy p;
  p.allow_http = true;
  p.exempt_addresses = {asio::ip::make_address("127.0.0.1")};
  p.connect_timeout_ms = 2000;
  p.stall_timeout_ms = 2000;
  return p;
}

FetchResult Fetch(FetchRequest request, FetchPolicy policy,
                  std::function<void(std::uint64_t, std::uint64_t, const std::string&)> progress = {},
                  std::function<bool()> keep_going = {}) {
  asio::io_context io;
  std::optional<FetchResult> out;
  asio::co_spawn(io,
                 FetchMedia(io.get_executor(), std::move(request), std::move(policy),
                            std::move(progress), std::move(keep_going)),
                 [&out](std::exception_ptr e, FetchResult r) {
                   if (e) std::rethrow_exception(e);
                   out = std::move(r);
                 });
  io.run_for(10s);
  REQUIRE(out.has_value());
  return *out;
}

FetchRequest Video(const std::string& url, const std::string& path, std::string validator = {}) {
  return FetchRequest{url, path, MediaKind::kVideo, std::move(validator)};
}

const std::string& TheVideo() {
  static const std::string video = MakeVideo(3 * 1024 * 1024 + 123);
  return video;
}

}  // namespace

// ---- Address rules ------------------------------------------------------------------

TEST_CASE("ClassifyAddress refuses every non-public range, also inside IPv6") {
  const std::pair<const char*, AddressClass> rows[] = {
      {"10.1.2.3", AddressClass::kPrivate},
      {"172.16.0.1", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.1", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},
      {"192.168.1.1", AddressClass::kPrivate},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"100.64.0.1", AddressClass::kShared},
      {"100.127.255.255", AddressClass::kShared},
      {"100.128.0.1", AddressClass::kPublic},
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.255.0.9", AddressClass::kLoopback},
      {"0.0.0.0", AddressClass::kUnspecified},
      {"224.0.0.251", AddressClass::kMulticast},
      {"255.255.255.255", AddressClass::kReserved},
      {"8.8.8.8", AddressClass::kPublic},
      {"1.1.1.1", AddressClass::kPublic},
      {"::1", AddressClass::kLoopback},
      {"::", AddressClass::kUnspecified},
      {"fe80::1", AddressClass::kLinkLocal},
      {"febf::1", AddressClass::kLinkLocal},
      {"fc00::1", AddressClass::kUniqueLocal},
      {"fd12:3456::1", AddressClass::kUniqueLocal},
      {"ff02::1", AddressClass::kMulticast},
      {"::ffff:10.0.0.1", AddressClass::kPrivate},
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      {"::10.0.0.1", AddressClass::kPrivate},
      {"64:ff9b::192.168.0.1", AddressClass::kPrivate},
      {"64:ff9b::8.8.8.8", AddressClass::kPublic},
      {"2002:a00:1::", AddressClass::kPrivate},  // 6to4 of 10.0.0.1
      {"2001:4860::8888", AddressClass::kPublic},
      {"2606:4700::1111", AddressClass::kPublic},
  };
  for (const auto& [text, expected] : rows) {
    INFO(text);
    CHECK(ClassifyAddress(asio::ip::make_address(text)) == expected);
  }
  CHECK(Describe(AddressClass::kPrivate) == "a private address");
}

TEST_CASE("SniffMedia knows video and image signatures, and nothing else") {
  auto kind_of = [](std::string head) -> std::string {
    auto s = SniffMedia(head);
    if (!s) return "none";
    return std::string(s->kind == MediaKind::kVideo ? "video " : "image ") + std::string(s->content_type);
  };
  CHECK(kind_of(MakeVideo(600)) == "video video/mp4");
  CHECK(kind_of(std::string("\0\0\0\x14" "ftypqt  ", 12)) == "video video/quicktime");
  CHECK(kind_of(std::string("\0\0\0\x14" "ftyp3gp5", 12)) == "video video/3gpp");
  CHECK(kind_of(std::string("\0\0\0\x1c" "ftypavif", 12)) == "image image/avif");
  CHECK(kind_of(std::string("\0\0\0\x18" "ftypheic", 12)) == "image image/heic");
  CHECK(kind_of("\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm") == "video video/webm");
  CHECK(kind_of("\x1A\x45\xDF\xA3\x9F\x42\x82\x88matroska") == "video video/x-matroska");
  CHECK(kind_of("OggS\0\x02" + std::string(20, 'x')) == "video video/ogg");
  CHECK(kind_of("RIFF\x10\0\0\0AVI LIST"s) == "video video/x-msvideo");
  CHECK(kind_of("RIFF\x10\0\0\0WEBPVP8 "s) == "image image/webp");
  CHECK(kind_of("RIFF\x10\0\0\0WAVEfmt "s) == "none");
  CHECK(kind_of(std::string("FLV\x01\x05\0\0\0\x09", 9)) == "video video/x-flv");
  std::string ts(3 * 188, '\xff');
  ts[0] = ts[188] = ts[376] = 0x47;
  CHECK(kind_of(ts) == "video video/mp2t");
  CHECK(kind_of("GET / HTTP/1.1\r\n" + std::string(500, 'a')) == "none");
  CHECK(kind_of(MakeJpeg()) == "image image/jpeg");
  CHECK(kind_of("\x89PNG\r\n\x1A\n\0\0\0\rIHDR") == "image image/png");
  CHECK(kind_of("GIF89a\x01\0\x01\0") == "image image/gif");
  CHECK(kind_of("<!doctype html><html><title>Sign in</title>") == "none");
  CHECK(kind_of("") == "none");
}

TEST_CASE("RedactUrl keeps scheme, host and path, never the query") {
  CHECK(RedactUrl("https://cdn.example:8443/v/a.mp4?sig=SECRET&x=1#frag") ==
        "https://cdn.example:8443/v/a.mp4");
  CHECK(RedactUrl("https://user:pw@cdn.example/a.mp4") == "https://cdn.example/a.mp4");
  CHECK(RedactUrl("HTTPS://cdn.example") == "https://cdn.example/");
  CHECK(RedactUrl("not a url") == "(an invalid URL)");
}

// ---- Downloads -------------------------------------------------------------------------

TEST_CASE("a video downloads whole: size, SHA-256, type, validator, progress") {
  TempDir dir;
  TestServer server;
  server.Route("/v/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
  auto r = Fetch(Video(server.Url("/v/video.mp4?sig=SECRET"), dir.File("video.part")),
                 LoopbackPolicy(),
                 [&calls](std::uint64_t bytes, std::uint64_t total, const std::string& validator) {
                   CHECK(validator == "\"v1\"");
                   calls.emplace_back(bytes, total);
                 });
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.http_status == 200);
  CHECK(r.bytes == TheVideo().size());
  CHECK(r.total == TheVideo().size());
  CHECK(r.sha256 == Sha256Hex(TheVideo()));
  CHECK(r.content_type == "video/mp4");
  CHECK(r.validator == "\"v1\"");
  CHECK_FALSE(r.resumed);
  CHECK(r.final_url == server.Url("/v/video.mp4"));
  CHECK(ReadFile(dir.File("video.part")) == TheVideo());
  REQUIRE(calls.size() >= 2);
  CHECK(calls.back() == std::make_pair<std::uint64_t, std::uint64_t>(TheVideo().size(), TheVideo().size()));
  CHECK(std::is_sorted(calls.begin(), calls.end()));
  // The query went to the server (it may be a signature), the Range did not.
  CHECK(server.seen().at(0).target == "/v/video.mp4?sig=SECRET");
  CHECK(server.seen().at(0).range.empty());
}

TEST_CASE("an octet-stream or untyped answer is kept when its bytes are a video") {
  TempDir dir;
  TestServer server;
  server.Route("/octet", ServeBytes(TheVideo(), "application/octet-stream"));
  server.Route("/untyped", ServeBytes(TheVideo(), ""));
  for (const char* path : {"/octet", "/untyped"}) {
    INFO(path);
    auto r = Fetch(Video(server.Url(path), dir.File("v.part")), LoopbackPolicy());
    INFO(r.error);
    CHECK(r.ok);
    CHECK(r.content_type == "video/mp4");  // sniffed
    CHECK(r.sha256 == Sha256Hex(TheVideo()));
  }
}

TEST_CASE("a partial file resumes with Range and If-Range; the hash covers the whole file") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  const std::string part = dir.File("video.part");
  WriteFile(part, std::string_view(TheVideo()).substr(0, 1024 * 1024));
  auto r = Fetch(Video(server.Url("/video.mp4"), part, "\"v1\""), LoopbackPolicy());
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.resumed);
  CHECK(r.http_status == 206);
  CHECK(r.bytes == TheVideo().size());
  CHECK(r.total == TheVideo().size());
  CHECK(r.sha256 == Sha256Hex(TheVideo()));
  CHECK(ReadFile(part) == TheVideo());
  REQUIRE(server.seen().size() == 1);
  CHECK(server.seen()[0].range == "bytes=1048576-");
  CHECK(server.seen()[0].if_range == "\"v1\"");
}

TEST_CASE("a resume whose file changed on the server starts over from a 200") {
  TempDir dir;
  TestServer server;
  const std::string fresh = MakeVideo(2 * 1024 * 1024, 99);
  server.Route("/video.mp4", ServeBytes(fresh, "video/mp4", "\"v2\""));
  const std::string part = dir.File("video.part");
  WriteFile(part, std::string_view(TheVideo()).substr(0, 3 * 1024 * 1024));  // longer than `fresh`
  auto r = Fetch(Video(server.Url("/video.mp4"), part, "\"v1\""), LoopbackPolicy());
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK_FALSE(r.resumed);
  CHECK(r.http_status == 200);
  CHECK(r.validator == "\"v2\"");
  CHECK(r.sha256 == Sha256Hex(fresh));
  CHECK(ReadFile(part) == fresh);  // truncated, not spliced
}

TEST_CASE("a partial file without a validator is replaced, not resumed") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  const std::string part = dir.File("video.part");
  WriteFile(part, std::string(5000, 'x'));
  auto r = Fetch(Video(server.Url("/video.mp4"), part), LoopbackPolicy());
  REQUIRE(r.ok);
  CHECK_FALSE(r.resumed);
  CHECK(server.seen().at(0).range.empty());
  CHECK(ReadFile(part) == TheVideo());
}

TEST_CASE("a 416 for a partial file that is already whole completes it") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  const std::string part = dir.File("video.part");
  WriteFile(part, TheVideo());
  auto r = Fetch(Video(server.Url("/video.mp4"), part, "\"v1\""), LoopbackPolicy());
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK(r.http_status == 416);
  CHECK(r.resumed);
  CHECK(r.bytes == TheVideo().size());
  CHECK(r.sha256 == Sha256Hex(TheVideo()));
  CHECK(r.content_type == "video/mp4");
}

TEST_CASE("a 206 for another range than asked starts over from 0") {
  TempDir dir;
  TestServer server;
  const std::string video = TheVideo();
  int calls = 0;
  server.Route("/video.mp4", [&calls, video](const SeenRequest& r, const Send& send) -> asio::awaitable<void> {
    if (!r.range.empty() && ++calls == 1) {
      // Ignores the start asked for: bytes 10.. instead.
      co_await send(Head(206, Field("Content-Range", "bytes 10-19/" + std::to_string(video.size())) +
                                  Field("Content-Length", "10") + Field("Content-Type", "video/mp4")));
      co_await send(video.substr(10, 10));
      co_return;
    }
    co_await ServeBytes(video, "video/mp4")(r, send);
  });
  const std::string part = dir.File("video.part");
  WriteFile(part, std::string_view(video).substr(0, 100000));
  auto r = Fetch(Video(server.Url("/video.mp4"), part, "\"v1\""), LoopbackPolicy());
  INFO(r.error);
  REQUIRE(r.ok);
  CHECK_FALSE(r.resumed);
  CHECK(r.sha256 == Sha256Hex(video));
  REQUIRE(server.seen().size() == 2);
  CHECK(server.seen()[1].range.empty());
}

// ---- Policy refusals ------------------------------------------------------------------

TEST_CASE("loopback is refused without allow_private_addresses, naming the address") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  FetchPolicy policy = LoopbackPolicy();
  policy.exempt_addresses.clear();
  auto r = Fetch(Video(server.Url("/video.mp4?token=SECRET"), dir.File("v.part")), policy);
  CHECK_FALSE(r.ok);
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/video.mp4") +
                       " resolves to 127.0.0.1, a loopback address (this computer)");
  CHECK(r.error.find("SECRET") == std::string::npos);
  CHECK(server.seen().empty());  // never connected

  // A name is checked by what it resolves to.
  r = Fetch(Video(server.Url("/video.mp4", "localhost"), dir.File("v.part")), policy);
  CHECK(r.permanent);
  CHECK(r.error.find(" resolves to ") != std::string::npos);
  CHECK(r.error.find("a loopback address") != std::string::npos);
  CHECK(server.seen().empty());

  policy.allow_private_addresses = true;
  CHECK(Fetch(Video(server.Url("/video.mp4"), dir.File("v.part")), policy).ok);
}

TEST_CASE("address literals in https URLs are checked like resolved names") {
  TempDir dir;
  for (const char* url : {"https://10.0.0.5/a.mp4", "https://[::ffff:192.168.0.1]/a.mp4",
                          "https://169.254.169.254/latest/meta-data", "https://[fe80::1]/a.mp4",
                          "https://100.64.1.1/a.mp4"}) {
    INFO(url);
    auto r = Fetch(Video(url, dir.File("v.part")), FetchPolicy());
    CHECK_FALSE(r.ok);
    CHECK(r.permanent);
    CHECK(r.error.starts_with("refused: "));
    CHECK(r.error.find(" resolves to ") != std::string::npos);
  }
  auto r = Fetch(Video("https://10.0.0.5/a.mp4", dir.File("v.part")), FetchPolicy());
  CHECK(r.error == "refused: https://10.0.0.5/a.mp4 resolves to 10.0.0.5, a private address");
}

TEST_CASE("plain http is refused unless allowed, and then only to loopback") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  FetchPolicy policy = LoopbackPolicy();
  policy.allow_http = false;
  auto r = Fetch(Video(server.Url("/video.mp4"), dir.File("v.part")), policy);
  CHECK_FALSE(r.ok);
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/video.mp4") + " is plain http; only https links are downloaded");
  CHECK(server.seen().empty());

  r = Fetch(Video("http://media.example/a.mp4", dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error.find("plain http to another computer") != std::string::npos);

  for (const char* url : {"ftp://127.0.0.1/a.mp4", "https://user:pw@media.example/a.mp4",
                          "file:///etc/passwd", "https://127.0.0.1.evil.example/a.mp4x"}) {
    INFO(url);
    r = Fetch(Video(url, dir.File("v.part")), LoopbackPolicy());
    CHECK_FALSE(r.ok);
    CHECK(r.permanent);
    CHECK(r.error.starts_with("refused: "));
    CHECK(r.error.find("pw") == std::string::npos);
  }
}

TEST_CASE("redirects are followed, each target checked again") {
  TempDir dir;
  TestServer server;
  const std::string port = std::to_string(server.port());
  server.Route("/v/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  server.Route("/relative", Answer(302, Field("Location", "v/video.mp4?sig=2")));
  server.Route("/to-other-loopback",
               Answer(307, Field("Location", "http://127.0.0.2:" + port + "/v/video.mp4")));
  server.Route("/to-remote-http", Answer(301, Field("Location", "http://media.example/v/video.mp4")));
  server.Route("/to-ftp", Answer(308, Field("Location", "ftp://127.0.0.1/v/video.mp4")));
  server.Route("/loop", Answer(302, Field("Location", "/loop")));
  server.Route("/no-location", Answer(302));

  auto r = Fetch(Video(server.Url("/relative"), dir.File("v.part")), LoopbackPolicy());
  INFO(r.error);
  CHECK(r.ok);
  CHECK(r.sha256 == Sha256Hex(TheVideo()));
  CHECK(r.final_url == server.Url("/v/video.mp4"));
  CHECK(server.seen().back().target == "/v/video.mp4?sig=2");

  r = Fetch(Video(server.Url("/to-other-loopback"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error == "refused: http://127.0.0.2:" + port +
                       "/v/video.mp4 resolves to 127.0.0.2, a loopback address (this computer)");

  r = Fetch(Video(server.Url("/to-remote-http"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error.find("http://media.example/v/video.mp4 is plain http to another computer") !=
        std::string::npos);

  r = Fetch(Video(server.Url("/to-ftp"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error.starts_with("refused: "));

  r = Fetch(Video(server.Url("/loop"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/loop") + " redirected more than 5 times");
  const auto requests_for_loop = server.seen().size();

  FetchPolicy no_redirects = LoopbackPolicy();
  no_redirects.max_redirects = 0;
  r = Fetch(Video(server.Url("/relative"), dir.File("v.part")), no_redirects);
  CHECK(r.permanent);
  CHECK(server.seen().size() == requests_for_loop + 1);

  r = Fetch(Video(server.Url("/no-location"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.http_status == 302);
}

// ---- Content refusals ------------------------------------------------------------------

TEST_CASE("a web page is refused and nothing stays on disk") {
  TempDir dir;
  TestServer server;
  const std::string page = "<!doctype html><html><title>Sign in</title>" + std::string(2000, ' ');
  server.Route("/page", Answer(200, Field("Content-Type", "text/html; charset=utf-8"), page));
  server.Route("/page-as-octet", Answer(200, Field("Content-Type", "application/octet-stream"), page));
  server.Route("/json", Answer(200, Field("Content-Type", "application/json"), "{\"error\":1}"));
  const std::string part = dir.File("v.part");

  WriteFile(part, std::string_view(TheVideo()).substr(0, 1000));  // from an earlier attempt
  auto r = Fetch(Video(server.Url("/page"), part), LoopbackPolicy());
  CHECK_FALSE(r.ok);
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/page") + " answered text/html (a web page), not a video");
  CHECK_FALSE(Exists(part));

  r = Fetch(Video(server.Url("/page-as-octet"), part), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/page-as-octet") +
                       " sent a web page or other text, not a video");
  CHECK_FALSE(Exists(part));
  CHECK(r.bytes == 0);

  r = Fetch(Video(server.Url("/json"), part), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/json") + " answered application/json, not a video");
  CHECK_FALSE(Exists(part));
}

TEST_CASE("the kind asked for must match the bytes") {
  TempDir dir;
  TestServer server;
  server.Route("/thumb.jpg", ServeBytes(MakeJpeg(), "image/jpeg"));
  server.Route("/video.mp4", ServeBytes(TheVideo(), "application/octet-stream"));
  const std::string part = dir.File("t.part");

  auto r = Fetch(FetchRequest{server.Url("/thumb.jpg"), part, MediaKind::kImage, ""}, LoopbackPolicy());
  INFO(r.error);
  CHECK(r.ok);
  CHECK(r.content_type == "image/jpeg");
  CHECK(r.sha256 == Sha256Hex(MakeJpeg()));

  r = Fetch(FetchRequest{server.Url("/video.mp4"), part, MediaKind::kImage, ""}, LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/video.mp4") + " is a video (video/mp4), not an image");
  CHECK_FALSE(Exists(part));

  r = Fetch(Video(server.Url("/thumb.jpg"), part), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK_FALSE(Exists(part));
}

TEST_CASE("the size cap refuses declared and streamed sizes, leaving nothing") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  server.Route("/huge", [](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    if (co_await send(Head(200, Field("Content-Type", "video/mp4") + Field("Content-Length", "10737418240"))))
      co_await send(MakeVideo(64 * 1024));
  });
  server.Route("/chunked", [](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    if (!co_await send(Head(200, Field("Content-Type", "video/mp4") + Field("Transfer-Encoding", "chunked"))))
      co_return;
    std::string_view rest(TheVideo());
    while (!rest.empty()) {
      const auto piece = rest.substr(0, 32 * 1024);
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      if (!co_await send(size) || !co_await send(piece) || !co_await send("\r\n")) co_return;
      rest.remove_prefix(piece.size());
    }
    co_await send("0\r\n\r\n");
  });
  FetchPolicy policy = LoopbackPolicy();
  policy.max_bytes = 1024 * 1024;
  const std::string part = dir.File("v.part");

  auto r = Fetch(Video(server.Url("/video.mp4"), part), policy);
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/video.mp4") +
                       " is 3.0 MiB, over the limit of 1.0 MiB (media.max_file_bytes)");
  CHECK_FALSE(Exists(part));

  WriteFile(part, std::string_view(TheVideo()).substr(0, 1000));
  r = Fetch(Video(server.Url("/huge"), part), LoopbackPolicy());
  CHECK(r.permanent);
  CHECK(r.error.find("is 10.00 GiB, over the limit of 1.00 GiB") != std::string::npos);
  CHECK_FALSE(Exists(part));

  std::uint64_t most = 0;
  r = Fetch(Video(server.Url("/chunked"), part), policy,
            [&most](std::uint64_t bytes, std::uint64_t, const std::string&) { most = std::max(most, bytes); });
  CHECK(r.permanent);
  CHECK(r.error == "refused: " + server.Url("/chunked") +
                       " is larger than 1.0 MiB, the limit (media.max_file_bytes)");
  CHECK(most <= policy.max_bytes);
  CHECK_FALSE(Exists(part));

  // Without the cap the chunked answer is fine, its size unknown until the end.
  r = Fetch(Video(server.Url("/chunked"), part), LoopbackPolicy());
  CHECK(r.ok);
  CHECK_FALSE(r.total.has_value());
  CHECK(r.sha256 == Sha256Hex(TheVideo()));
}

// ---- Server answers and network failures ----------------------------------------------

TEST_CASE("4xx answers are permanent (403/404/410 say the link expired); 5xx, 408, 429 transient") {
  TempDir dir;
  TestServer server;
  const struct {
    int status;
    bool permanent;
    const char* words;
  } rows[] = {{403, true, "the link has probably expired: "},
              {404, true, "the link has probably expired: "},
              {410, true, "the link has probably expired: "},
              {400, true, "answered 400 Bad Request"},
              {408, false, "answered 408 Request Timeout"},
              {429, false, "answered 429 Too Many Requests"},
              {500, false, "answered 500 Internal Server Error"},
              {503, false, "answered 503 Service Unavailable"}};
  for (const auto& row : rows) {
    INFO(row.status);
    const std::string path = "/s" + std::to_string(row.status);
    server.Route(path, Answer(row.status, Field("Content-Type", "text/html"), "<html>nope</html>"));
    auto r = Fetch(Video(server.Url(path + "?X-Amz-Signature=abc"), dir.File("v.part")),
                   LoopbackPolicy());
    CHECK_FALSE(r.ok);
    CHECK(r.http_status == row.status);
    CHECK(r.permanent == row.permanent);
    CHECK(r.error.find(row.words) != std::string::npos);
    CHECK(r.error.find("abc") == std::string::npos);
  }
  auto r = Fetch(Video(server.Url("/s403"), dir.File("v.part")), LoopbackPolicy());
  CHECK(r.error == "the link has probably expired: " + server.Url("/s403") + " answered 403 Forbidden");
}

TEST_CASE("a stalled server ends the download as transient, keeping what arrived") {
  TempDir dir;
  TestServer server;
  server.Route("/stall", [](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    if (!co_await send(Head(200, Field("Content-Type", "video/mp4") + Field("ETag", "\"s1\"") +
                                     Field("Content-Length", std::to_string(TheVideo().size())))))
      co_return;
    if (!co_await send(std::string_view(TheVideo()).substr(0, 100 * 1024))) co_return;
    asio::steady_timer wait(co_await asio::this_coro::executor, 5s);
    co_await wait.async_wait(kNoThrow);
  });
  FetchPolicy policy = LoopbackPolicy();
  policy.stall_timeout_ms = 300;
  const auto start = std::chrono::steady_clock::now();
  auto r = Fetch(Video(server.Url("/stall"), dir.File("v.part")), policy);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.permanent);
  CHECK(r.error == "stalled: 127.0.0.1:" + std::to_string(server.port()) + " sent nothing for 0.3 s");
  CHECK(elapsed < 3s);
  CHECK(r.bytes == 100 * 1024);  // kept for a resume
  CHECK(r.validator == "\"s1\"");
  CHECK(r.total == TheVideo().size());
}

TEST_CASE("a connection closed early is transient and keeps the bytes") {
  TempDir dir;
  TestServer server;
  server.Route("/short", [](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    if (co_await send(Head(200, Field("Content-Type", "video/mp4") + Field("ETag", "\"c1\"") +
                                    Field("Content-Length", std::to_string(TheVideo().size())))))
      co_await send(std::string_view(TheVideo()).substr(0, 500 * 1024));
  });
  auto r = Fetch(Video(server.Url("/short"), dir.File("v.part")), LoopbackPolicy());
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.permanent);
  CHECK(r.bytes == 500 * 1024);
  CHECK(ReadFile(dir.File("v.part")) == TheVideo().substr(0, 500 * 1024));
}

TEST_CASE("nothing listening is a transient failure") {
  TempDir dir;
  unsigned short port;
  {
    TestServer gone;
    port = gone.port();
  }
  auto r = Fetch(Video("http://127.0.0.1:" + std::to_string(port) + "/a.mp4", dir.File("v.part")),
                 LoopbackPolicy());
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.permanent);
  CHECK(r.error.starts_with("cannot connect to 127.0.0.1:"));
}

TEST_CASE("keep_going returning false stops the download, keeping the partial file") {
  TempDir dir;
  TestServer server;
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  int chunks = 0;
  auto r = Fetch(Video(server.Url("/video.mp4"), dir.File("v.part")), LoopbackPolicy(), {},
                 [&chunks] { return ++chunks < 3; });  // the first call is before connecting
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.permanent);
  CHECK(r.error == "stopped before " + server.Url("/video.mp4") + " was fully downloaded");
  CHECK(r.bytes > 0);
  CHECK(r.bytes < TheVideo().size());
  CHECK(r.validator == "\"v1\"");

  // ...and the next call resumes it.
  auto again = Fetch(Video(server.Url("/video.mp4"), dir.File("v.part"), r.validator), LoopbackPolicy());
  CHECK(again.ok);
  CHECK(again.resumed);
  CHECK(again.sha256 == Sha256Hex(TheVideo()));
}

// ---- TLS ---------------------------------------------------------------------------------

namespace {

struct TestCert {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed certificate for `san` ("DNS:localhost"), made at run time.
TestCert MakeCert(const char* san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("vidkeep test"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, key, EVP_sha256());
  auto to_pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return pem;
  };
  TestCert cert{to_pem([x](BIO* b) { PEM_write_bio_X509(b, x); }),
                to_pem([key](BIO* b) { PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); })};
  X509_free(x);
  EVP_PKEY_free(key);
  return cert;
}

}  // namespace

TEST_CASE("https verifies the certificate and the host name") {
  TempDir dir;
  const TestCert cert = MakeCert("DNS:localhost");
  asio::ssl::context server_tls(asio::ssl::context::tls_server);
  server_tls.use_certificate_chain(asio::buffer(cert.cert_pem));
  server_tls.use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  TestServer server(&server_tls);
  server.Route("/video.mp4", ServeBytes(TheVideo(), "video/mp4"));
  const std::string ca_file = dir.File("ca.pem");
  WriteFile(ca_file, cert.cert_pem);

  FetchPolicy policy = LoopbackPolicy();
  policy.allow_http = false;
  policy.exempt_addresses.push_back(asio::ip::make_address("::1"));  // "localhost" may have both
  policy.extra_ca_file = ca_file;
  auto r = Fetch(Video(server.Url("/video.mp4", "localhost"), dir.File("v.part")), policy);
  INFO(r.error);
  CHECK(r.ok);
  CHECK(r.sha256 == Sha256Hex(TheVideo()));

  // The certificate names localhost, not 127.0.0.1.
  r = Fetch(Video(server.Url("/video.mp4", "127.0.0.1"), dir.File("v.part")), policy);
  CHECK_FALSE(r.ok);
  CHECK(r.error.starts_with("TLS with 127.0.0.1:"));

  // Not trusted without the CA file.
  policy.extra_ca_file.clear();
  r = Fetch(Video(server.Url("/video.mp4", "localhost"), dir.File("v.part")), policy);
  CHECK_FALSE(r.ok);
  CHECK(r.error.starts_with("TLS with localhost:"));
}

// ---- Throughput (not run by default: `vidkeep_tests "[.benchmark]"`) ------------------

namespace {
std::string StatusLine(const char* key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with(key)) return line;
  return {};
}
}  // namespace

TEST_CASE("1 GiB from loopback: throughput and memory", "[.benchmark]") {
  TempDir dir;
  const std::string before = StatusLine("VmRSS:");
  TestServer server;
  constexpr std::uint64_t kSize = 1ULL << 30;
  server.Route("/big", [](const SeenRequest&, const Send& send) -> asio::awaitable<void> {
    const std::string block = MakeVideo(1 << 20);
    if (!co_await send(Head(200, Field("Content-Type", "video/mp4") + Field("Content-Length", std::to_string(kSize)))))
      co_return;
    for (std::uint64_t sent = 0; sent < kSize; sent += block.size())
      if (!co_await send(block)) co_return;
  });
  FetchPolicy policy = LoopbackPolicy();
  policy.max_bytes = 2ULL << 30;
  const auto start = std::chrono::steady_clock::now();
  asio::io_context io;
  std::optional<FetchResult> out;
  const char* where = std::getenv("VIDKEEP_BENCH_DIR");  // e.g. /dev/shm, to leave the disk out
  const std::string file =
      where && *where ? std::string(where) + "/vidkeep-bench.part" : dir.File("big.part");
  asio::co_spawn(io, FetchMedia(io.get_executor(), Video(server.Url("/big"), file), policy, {}, {}),
                 [&out](std::exception_ptr, FetchResult r) { out = std::move(r); });
  io.run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(out);
  INFO(out->error);
  CHECK(out->ok);
  ::unlink(file.c_str());
  WARN(fmt::format("{:.0f} MB/s; before: {}; after: {}", kSize / seconds / 1e6, before,
                   StatusLine("VmHWM:")));
}
