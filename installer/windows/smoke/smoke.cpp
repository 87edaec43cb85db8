// One check per SDK library; prints "sdk smoke ok" and exits 0, or names the
// first library that failed and exits 1.
#include <boost/asio.hpp>
#include <boost/url.hpp>
#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <cstdio>
#include <string>
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

namespace {

int Fail(const char* what) {
  std::fprintf(stderr, "sdk smoke: %s failed\n", what);
  return 1;
}

bool Fts5() {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("CREATE VIRTUAL TABLE t USING fts5(body)");
  db.exec("INSERT INTO t(body) VALUES ('a cat on a mat'), ('a dog')");
  SQLite::Statement q(db, "SELECT count(*) FROM t WHERE t MATCH 'cat'");
  return q.executeStep() && q.getColumn(0).getInt() == 1;
}

bool Sha256() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest("abc", 3, md, &n, EVP_sha256(), nullptr) != 1 || n != 32) return false;
  std::string hex;
  for (unsigned i = 0; i < n; ++i) hex += fmt::format("{:02x}", md[i]);
  unsigned char r[16];
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  const bool ok = ctx != nullptr && RAND_bytes(r, sizeof r) == 1 &&
                  hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  SSL_CTX_free(ctx);
  return ok;
}

bool Url() {
  auto u = boost::urls::parse_uri("https://example.org:8443/a/b?c=d#e");
  return u && u->host() == "example.org" && u->port_number() == 8443 && u->query() == "c=d";
}

// A loopback TCP round trip: Winsock through Asio.
bool Loopback() {
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io, {net::ip::address_v4::loopback(), 0});
  net::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  net::ip::tcp::socket server = acceptor.accept();
  net::write(client, net::buffer(std::string("ping")));
  char buf[4];
  net::read(server, net::buffer(buf));
  return std::string(buf, 4) == "ping";
}

bool Ffmpeg() {
  return av_find_input_format("mov") != nullptr && av_find_input_format("matroska") != nullptr &&
         avcodec_find_encoder(AV_CODEC_ID_MJPEG) != nullptr &&
         avcodec_find_decoder(AV_CODEC_ID_H264) != nullptr &&
         avcodec_find_decoder(AV_CODEC_ID_VP9) != nullptr &&
         sws_isSupportedInput(AV_PIX_FMT_YUV420P) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sdk smoke"};
  CLI11_PARSE(app, argc, argv);
  if (!Fts5()) return Fail("SQLite FTS5 through SQLiteCpp");
  if (!Sha256()) return Fail("OpenSSL");
  if (!Url()) return Fail("Boost.URL");
  if (!Loopback()) return Fail("Boost.Asio loopback");
  if (!Ffmpeg()) return Fail("FFmpeg");
  if (nlohmann::json::parse(R"({"a":[1,2]})")["a"][1] != 2) return Fail("nlohmann-json");
  spdlog::info("sdk smoke ok: {} {}", OpenSSL_version(OPENSSL_VERSION), sqlite3_libversion());
  std::puts("sdk smoke ok");
  return 0;
}
