#include "media_fetch.h"


#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <openssl/evp.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "dedupe.h"
#include "file_io.h"
#include "connector.h"
#include "status.h"
#include "string_util.h"

namespace vidkeep {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunkBytes = 256 * 1024;  // the file buffer: all the body memory
constexpr std::size_t kSniffBytes = 512;         // the file's first bytes that decide its type
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// Beast's read buffer: a header, then up to 64 KiB per socket read.
constexpr std::size_t kSocketReadBytes = 64 * 1024;
constexpr std::size_t kReadBufferLimit = kHeaderLimit + kSocketReadBytes;
constexpr std::size_t kMaxUrlBytes = 8 * 1024;  // LimitsConfig::max_url_bytes' default
constexpr auto kFlushInterval = std::chrono::milliseconds(250);

std::optional<std::uint64_t> ParseU64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

const char* KindName(MediaKind kind) { return kind == MediaKind::kVideo ? "a video" : "an image"; }

std::string Reason(int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  if (reason.empty() || reason == "<unknown-status>") return std::to_string(status);
  return fmt::format("{} {}", status, std::string_view(reason.data(), reason.size()));
}

// Errors as Status values (status.h): retryable() (kUnavailable) is a
// transient failure; kUnsupported and kTooLarge are content refusals, which
// delete the partial file; the other codes are permanent.
Status Transient(std::string m) { return Status::Unavailable(std::move(m)); }
Status Refused(ErrorCode code, std::string m) { return Status::Error(code, "refused: " + std::move(m)); }
bool DeletesPartial(const Status& s) {
  return !s.ok() && (s.code() == ErrorCode::kUnsupported || s.code() == ErrorCode::kTooLarge);
}

// ---- Addresses ------------------------------------------------------------

AddressClass ClassifyV4(std::uint32_t a) {
  auto in = [a](std::uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x00000000, 8)) return AddressClass::kUnspecified;  // 0/8 "this network"
  if (in(0x7f000000, 8)) return AddressClass::kLoopback;
  if (in(0x0a000000, 8) || in(0xac100000, 12) || in(0xc0a80000, 16)) return AddressClass::kPrivate;
  if (in(0xa9fe0000, 16)) return AddressClass::kLinkLocal;
  if (in(0x64400000, 10)) return AddressClass::kShared;
  if (in(0xe0000000, 4)) return AddressClass::kMulticast;
  // 240/4 (with the broadcast address), IETF protocol assignments,
  // benchmarking, and the documentation networks: none is a media server.
  if (in(0xf0000000, 4) || in(0xc0000000, 24) || in(0xc6120000, 15) || in(0xc0000200, 24) ||
      in(0xc6336400, 24) || in(0xcb007100, 24))
    return AddressClass::kReserved;
  return AddressClass::kPublic;
}

// ---- URLs -------------------------------------------------------------------

// Where one URL leads, after the policy checks on its text.
struct Target {
  bool tls = false;
  std::string host;  // for DNS, SNI and certificate checks: a lowercase name or an address
  bool host_is_name = false;
  std::string port;
  std::string host_header;  // as in the URL
  std::string request_target;
  std::string shown;  // RedactUrl
};

Result<Target> CheckUrl(const std::string& url, const FetchPolicy& policy) {
  Target t;
  t.shown = RedactUrl(url);
  if (Status valid = ValidateMediaUrl(url, kMaxUrlBytes); !valid.ok()) {
    if (!ParseUrl(url)) return Refused(ErrorCode::kInvalidUrl, "the link is not a valid URL");
    return Refused(ErrorCode::kInvalidUrl, fmt::format("{}: {}", t.shown, valid.message()));
  }
  auto parsed = ParseUrl(url);  // cannot fail after ValidateMediaUrl
  if (!parsed) return Refused(ErrorCode::kInvalidUrl, t.shown + " is not a valid URL");
  const std::string scheme = Lower(parsed->scheme());
  t.tls = scheme == "https";
  if (!t.tls) {
    if (!policy.allow_http)
      return Refused(ErrorCode::kInvalidUrl,
                     t.shown + " is plain http; only https links are downloaded");
    if (!IsLoopbackHost(parsed->encoded_host()))
      return Refused(ErrorCode::kInvalidUrl,
                     t.shown + " is plain http to another computer; plain http is only "
                               "allowed to this computer");
  }
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      t.host = parsed->host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      t.host = parsed->host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name:
      t.host = Lower(parsed->encoded_host());
      t.host_is_name = true;
      if (t.host.find('%') != std::string::npos)
        return Refused(ErrorCode::kInvalidUrl, t.shown + " has percent-escapes in its host name");
      break;
    default:
      return Refused(ErrorCode::kInvalidUrl, t.shown + " has an unsupported kind of host");
  }
  t.port = parsed->has_port() && !parsed->port().empty() ? std::string(parsed->port())
                                                         : (t.tls ? "443" : "80");
  t.host_header = std::string(parsed->encoded_host_and_port());
  t.request_target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) t.request_target += "?" + std::string(parsed->encoded_query());
  return t;
}

// ---- Addresses, as a connection policy ----------------------------------------

// Media's rule for every resolved address (connector.h asks before any
// connection): public, or allowed by the policy.
std::function<Status(const asio::ip::address&)> AddressRule(const Target& t,
                                                             const FetchPolicy& policy) {
  if (policy.allow_private_addresses) return {};
  return [&t, &policy](const asio::ip::address& address) -> Status {
    const AddressClass c = ClassifyAddress(address);
    if (c == AddressClass::kPublic) return {};
    if (std::find(policy.exempt_addresses.begin(), policy.exempt_addresses.end(), address) !=
        policy.exempt_addresses.end())
      return {};
    return Refused(ErrorCode::kInvalidUrl, fmt::format("{} resolves to {}, {}", t.shown,
                                                       address.to_string(), Describe(c)));
  };
}

// ---- Files ------------------------------------------------------------------

// fsync can take seconds after a large write: it runs on a thread of its own,
// so the caller's event loop stays responsive.
asio::awaitable<int> SyncOffThread(int fd) {
  static asio::thread_pool pool(1);
  co_return co_await asio::co_spawn(
      pool, [fd]() -> asio::awaitable<int> { co_return SyncFd(fd) == 0 ? 0 : errno; },
      asio::use_awaitable);
}

struct EvpDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// The file being written: tracks its size, hashes every byte in order, and
// holds back the first bytes until they show what the file is (nothing of a
// file that is not media reaches the disk, except the prefix a resume kept).
class MediaFile {
 public:
  MediaFile(std::string path, std::string shown, MediaKind kind, std::uint64_t max_bytes)
      : path_(std::move(path)), shown_(std::move(shown)), kind_(kind), max_bytes_(max_bytes),
        sha_(EVP_MD_CTX_new()) {}
  ~MediaFile() {
    if (fd_ >= 0) CloseFd(fd_);
  }
  MediaFile(const MediaFile&) = delete;
  MediaFile& operator=(const MediaFile&) = delete;

  /// Opens the file keeping its first `keep` bytes (0: truncated).
  Status Open(std::uint64_t keep) {
    fd_ = OpenFd(path_, O_RDWR | O_CREAT, 0600);
    if (fd_ < 0) return Transient(fmt::format("cannot open {}: {}", path_, std::strerror(errno)));
    if (auto info = StatFd(fd_); !info || info->size < keep)
      return Transient(fmt::format("{} changed during the download", path_));
    if (TruncateFd(fd_, static_cast<std::int64_t>(keep)) != 0)
      return Transient(fmt::format("cannot truncate {}: {}", path_, std::strerror(errno)));
    if (!sha_ || EVP_DigestInit_ex(sha_.get(), EVP_sha256(), nullptr) != 1)
      return Status::Internal("cannot start SHA-256");
    kept_ = keep;
    return {};
  }

  /// Hashes the kept prefix (reading it through `buffer`) and takes its
  /// first bytes for sniffing. Yields between chunks: a prefix may be 1 GB.
  asio::awaitable<Status> HashKept(char* buffer, std::size_t capacity) {
    while (size_ < kept_) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, kept_ - size_));
      const ssize_t n = PreadFd(fd_, buffer, want, static_cast<std::int64_t>(size_));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        co_return Transient(fmt::format("cannot read {}: {}", path_,
                                        n == 0 ? "it shrank" : std::strerror(errno)));
      EVP_DigestUpdate(sha_.get(), buffer, static_cast<std::size_t>(n));
      if (head_.size() < kSniffBytes)
        head_.append(buffer, std::min<std::size_t>(static_cast<std::size_t>(n), kSniffBytes - head_.size()));
      size_ += static_cast<std::uint64_t>(n);
      co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
    }
    if (head_.size() >= kSniffBytes) co_return Decide();
    co_return Status();
  }

  /// The media type the server declared (lowercase, no parameters; "" for
  /// none or an octet-stream).
  void set_declared_type(std::string type) { declared_ = std::move(type); }

  /// Appends `n` bytes, or refuses them: past max_bytes (kTooLarge), not
  /// media (kUnsupported), disk errors (transient).
  Status Append(const char* data, std::size_t n) {
    if (size_ + pending_.size() + n > max_bytes_)
      return Refused(ErrorCode::kTooLarge,
                     fmt::format("{} is larger than {}, the limit (media.max_file_bytes)", shown_,
                                 FormatBytes(max_bytes_)));
    if (!decided_) {
      head_.append(data, std::min(n, kSniffBytes - std::min(kSniffBytes, head_.size())));
      if (head_.size() < kSniffBytes) {
        pending_.append(data, n);  // stays under kSniffBytes
        return {};
      }
      if (Status s = Decide(); !s.ok()) return s;
    }
    return Write(data, n);
  }

  /// The body ended: decides a short file's type, writes what was held.
  Status Finish() {
    if (!decided_) {
      if (Status s = Decide(); !s.ok()) return s;
    }
    return {};
  }

  /// Makes the bytes written durable and closes the file.
  asio::awaitable<Status> SyncAndClose() {
    if (fd_ < 0) co_return Status();
    const int err = co_await SyncOffThread(fd_);
    CloseFd(fd_);
    fd_ = -1;
    if (err != 0) co_return Transient(fmt::format("cannot sync {}: {}", path_, std::strerror(err)));
    co_return Status();
  }

  void Remove() {
    if (fd_ >= 0) CloseFd(fd_);
    fd_ = -1;
    RemoveFile(path_);
    size_ = 0;
  }

  std::string HexDigest() { return FinishHexDigest(sha_.get()); }

  std::uint64_t size() const { return size_; }
  const std::string& content_type() const { return content_type_; }

 private:
  Status Decide() {
    auto sniffed = SniffMedia(head_);
    if (!sniffed) {
      std::string_view head = head_;
      if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
      while (!head.empty() && std::isspace(static_cast<unsigned char>(head.front())))
        head.remove_prefix(1);
      if (head_.empty()) return Refused(ErrorCode::kUnsupported, shown_ + " sent an empty file");
      if (head.starts_with("<") || head.starts_with("{"))
        return Refused(ErrorCode::kUnsupported,
                       fmt::format("{} sent a web page or other text, not {}", shown_, KindName(kind_)));
      return Refused(ErrorCode::kUnsupported,
                     fmt::format("{} sent a file that is not {}: its first bytes match no known "
                                 "{} format",
                                 shown_, KindName(kind_), kind_ == MediaKind::kVideo ? "video" : "image"));
    }
    if (sniffed->kind != kind_)
      return Refused(ErrorCode::kUnsupported,
                     fmt::format("{} is {} ({}), not {}", shown_, KindName(sniffed->kind),
                                 sniffed->content_type, KindName(kind_)));
    // The server's type when it names the same kind (it may know better, as
    // video/quicktime for an ftyp file); else what the bytes say.
    const std::string_view family = kind_ == MediaKind::kVideo ? "video/" : "image/";
    content_type_ = declared_.starts_with(family) ? declared_ : std::string(sniffed->content_type);
    decided_ = true;
    if (!pending_.empty()) {
      std::string held = std::move(pending_);
      pending_.clear();
      return Write(held.data(), held.size());
    }
    return {};
  }

  Status Write(const char* data, std::size_t n) {
    EVP_DigestUpdate(sha_.get(), data, n);
    while (n > 0) {
      const ssize_t w = PwriteFd(fd_, data, n, static_cast<std::int64_t>(size_));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return Transient(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
      data += w;
      n -= static_cast<std::size_t>(w);
      size_ += static_cast<std::uint64_t>(w);
    }
    return {};
  }

  std::string path_;
  std::string shown_;
  MediaKind kind_;
  std::uint64_t max_bytes_;
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> sha_;
  int fd_ = -1;
  std::uint64_t kept_ = 0;
  std::uint64_t size_ = 0;  // bytes in the file, all hashed
  std::string head_;        // the file's first bytes, up to kSniffBytes
  std::string pending_;     // received, not written until decided_
  bool decided_ = false;
  std::string declared_;
  std::string content_type_;
};

// ---- Answers ----------------------------------------------------------------

struct ContentRange {
  std::optional<std::uint64_t> first, last, total;  // "bytes first-last/total", '*' = none
};

std::optional<ContentRange> ParseContentRange(std::string_view v) {
  v = Trim(v);
  if (!v.starts_with("bytes ")) return std::nullopt;
  v = Trim(v.substr(6));
  const auto slash = v.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  ContentRange r;
  const auto range = v.substr(0, slash), total = v.substr(slash + 1);
  if (total != "*") {
    r.total = ParseU64(total);
    if (!r.total) return std::nullopt;
  }
  if (range != "*") {
    const auto dash = range.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    r.first = ParseU64(range.substr(0, dash));
    r.last = ParseU64(range.substr(dash + 1));
    if (!r.first || !r.last || *r.first > *r.last) return std::nullopt;
    if (r.total && *r.last >= *r.total) return std::nullopt;
  }
  return r;
}

bool IsPrintable(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return c >= 0x20 && c < 0x7f; });
}

// The header field's value, cut to `limit` and only when printable ASCII.
std::string FieldValue(const http::fields& fields, http::field name, std::size_t limit = 256) {
  auto it = fields.find(name);
  if (it == fields.end()) return {};
  std::string_view v(it->value().data(), it->value().size());
  v = Trim(v);
  if (v.size() > limit || !IsPrintable(v)) return {};
  return std::string(v);
}

// If-Range needs a strong validator: an ETag without W/, else Last-Modified.
std::string ValidatorOf(const http::fields& fields) {
  std::string etag = FieldValue(fields, http::field::etag);
  if (!etag.empty() && !etag.starts_with("W/")) return etag;
  return FieldValue(fields, http::field::last_modified);
}

// The declared media type: "" for none; lowercase without parameters.
std::string MediaTypeOf(const http::fields& fields) {
  auto it = fields.find(http::field::content_type);
  if (it == fields.end()) return {};
  std::string_view v(it->value().data(), it->value().size());
  v = Trim(v.substr(0, v.find(';')));
  if (v.empty()) return {};  // as if absent
  if (v.size() > 100 || !std::all_of(v.begin(), v.end(), [](unsigned char c) {
        return std::isalnum(c) || std::strchr("!#$&^_.+-/", c);
      }))
    return "an unusual content type";
  return Lower(v);
}

}  // namespace

// ---- Public helpers -----------------------------------------------------------

AddressClass ClassifyAddress(const asio::ip::address& address) {
  if (address.is_v4()) return ClassifyV4(address.to_v4().to_uint());
  const auto v6 = address.to_v6();
  const auto b = v6.to_bytes();
  auto zeros = [&b](int from, int to) {
    return std::all_of(b.begin() + from, b.begin() + to, [](unsigned char x) { return x == 0; });
  };
  auto embedded_v4 = [&b](int at) {
    return ClassifyV4((std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
                      (std::uint32_t{b[at + 2]} << 8) | b[at + 3]);
  };
  if (v6.is_unspecified()) return AddressClass::kUnspecified;
  if (v6.is_loopback()) return AddressClass::kLoopback;
  if (v6.is_v4_mapped()) return embedded_v4(12);        // ::ffff:a.b.c.d
  if (zeros(0, 12)) return embedded_v4(12);              // ::a.b.c.d (deprecated "compatible")
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (zeros(4, 12)) return embedded_v4(12);            // 64:ff9b::/96, NAT64
    if (b[4] == 0x00 && b[5] == 0x01) return AddressClass::kPrivate;  // 64:ff9b:1::/48, local NAT64
  }
  if (b[0] == 0x20 && b[1] == 0x02) return embedded_v4(2);  // 2002::/16, 6to4
  if (b[0] == 0xff) return AddressClass::kMulticast;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;  // site-local
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kUniqueLocal;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return AddressClass::kReserved;
  if (b[0] == 0x01 && zeros(1, 8)) return AddressClass::kReserved;  // 100::/64, discard
  return AddressClass::kPublic;
}

std::string_view Describe(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "a public address";
    case AddressClass::kLoopback: return "a loopback address (this computer)";
    case AddressClass::kPrivate: return "a private address";
    case AddressClass::kLinkLocal: return "a link-local address";
    case AddressClass::kMulticast: return "a multicast address";
    case AddressClass::kUnspecified: return "an unspecified address";
    case AddressClass::kShared: return "a shared (carrier-grade NAT) address";
    case AddressClass::kUniqueLocal: return "a unique-local (private) address";
    case AddressClass::kReserved: return "a reserved address";
  }
  return "an unknown kind of address";
}

std::string RedactUrl(std::string_view url) {
  auto parsed = ParseUrl(url);
  if (!parsed || !parsed->has_authority()) return "(an invalid URL)";
  std::string shown = Lower(parsed->scheme()) + "://" + std::string(parsed->encoded_host_and_port());
  const std::string_view path = parsed->encoded_path();
  constexpr std::size_t kMaxPath = 200;
  if (path.size() > kMaxPath)
    shown += std::string(path.substr(0, kMaxPath)) + "...";
  else
    shown += path.empty() ? std::string("/") : std::string(path);
  return shown;
}

std::optional<SniffedType> SniffMedia(std::string_view head) {
  auto at = [&head](std::size_t offset, std::string_view magic) {
    return head.size() >= offset + magic.size() && head.substr(offset, magic.size()) == magic;
  };
  if (at(4, "ftyp") && head.size() >= 12) {
    // ISO base media: the major brand says a still image (HEIF, AVIF) or not.
    const std::string_view brand = head.substr(8, 4);
    if (brand == "avif" || brand == "avis") return SniffedType{MediaKind::kImage, "image/avif"};
    for (std::string_view b : {"heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"})
      if (brand == b) return SniffedType{MediaKind::kImage, "image/heic"};
    if (brand == "mif1" || brand == "msf1") return SniffedType{MediaKind::kImage, "image/heif"};
    if (brand == "qt  ") return SniffedType{MediaKind::kVideo, "video/quicktime"};
    if (brand.starts_with("3g2")) return SniffedType{MediaKind::kVideo, "video/3gpp2"};
    if (brand.starts_with("3gp")) return SniffedType{MediaKind::kVideo, "video/3gpp"};
    return SniffedType{MediaKind::kVideo, "video/mp4"};
  }
  if (at(0, "\x1A\x45\xDF\xA3")) {
    // EBML: the DocType near the start says webm or matroska.
    const bool webm = head.substr(0, 64).find("webm") != std::string_view::npos;
    return SniffedType{MediaKind::kVideo, webm ? "video/webm" : "video/x-matroska"};
  }
  if (at(0, "OggS")) return SniffedType{MediaKind::kVideo, "video/ogg"};
  if (at(0, "RIFF") && at(8, "AVI ")) return SniffedType{MediaKind::kVideo, "video/x-msvideo"};
  if (at(0, "RIFF") && at(8, "WEBP")) return SniffedType{MediaKind::kImage, "image/webp"};
  if (at(0, "FLV\x01")) return SniffedType{MediaKind::kVideo, "video/x-flv"};
  // MPEG-TS: 188-byte packets, each starting with the sync byte 0x47; two
  // packets at least, so a text starting with 'G' does not pass.
  if (head.size() >= 2 * 188 && head[0] == 0x47 && head[188] == 0x47 &&
      (head.size() <= 376 || head[376] == 0x47))
    return SniffedType{MediaKind::kVideo, "video/mp2t"};
  if (at(0, "\xFF\xD8\xFF")) return SniffedType{MediaKind::kImage, "image/jpeg"};
  if (at(0, "\x89PNG\r\n\x1A\n")) return SniffedType{MediaKind::kImage, "image/png"};
  if (at(0, "GIF87a") || at(0, "GIF89a")) return SniffedType{MediaKind::kImage, "image/gif"};
  return std::nullopt;
}

// ---- The download -------------------------------------------------------------

namespace {

FetchResult Failed(FetchResult r, const Status& s, const std::string& partial_path) {
  r.ok = false;
  r.permanent = !s.retryable();
  r.error = s.message();
  r.sha256.clear();
  if (DeletesPartial(s)) RemoveFile(partial_path);
  const auto info = StatPath(partial_path);
  r.bytes = info ? info->size : 0;
  return r;
}

Status NetworkError(const boost::system::error_code& ec, std::string_view step, const Target& t,
                    std::chrono::milliseconds stall) {
  if (ec == beast::error::timeout)
    return Transient(fmt::format("stalled: {} sent nothing for {:g} s", t.host_header,
                                 static_cast<double>(stall.count()) / 1000.0));
  return Transient(fmt::format("{} {} failed: {}", step, t.host_header, ec.message()));
}

// Refuses a body by its header alone: a web page, a type other than video/*,
// image/* or an octet-stream, or a declared size over `max_bytes`. Sets
// `*media_type` to the declared video/ or image/ type, else "".
Status CheckBodyHeaders(const http::response_parser<http::buffer_body>& parser, const Target& t,
                        MediaKind kind, std::uint64_t keep, std::optional<std::uint64_t> total,
                        std::uint64_t max_bytes, std::string* media_type) {
  const std::string declared = MediaTypeOf(parser.get());
  if (declared == "text/html" || declared == "application/xhtml+xml")
    return Refused(ErrorCode::kUnsupported, fmt::format("{} answered {} (a web page), not {}",
                                                        t.shown, declared, KindName(kind)));
  const bool octet = declared.empty() || declared == "application/octet-stream" ||
                     declared == "binary/octet-stream";
  if (!octet && !declared.starts_with("video/") && !declared.starts_with("image/"))
    return Refused(ErrorCode::kUnsupported,
                   fmt::format("{} answered {}, not {}", t.shown, declared, KindName(kind)));
  std::optional<std::uint64_t> end = total;
  if (auto length = parser.content_length(); length && (!end || keep + *length > *end))
    end = keep + *length;
  if (end && *end > max_bytes)
    return Refused(ErrorCode::kTooLarge,
                   fmt::format("{} is {}, over the limit of {} (media.max_file_bytes)", t.shown,
                               FormatBytes(*end), FormatBytes(max_bytes)));
  *media_type = octet ? std::string() : declared;
  return {};
}

// Streams the body into `file` through `buffer` (kChunkBytes): socket reads of
// up to 64 KiB fill it, and it goes to the file when full, at the end, or
// every kFlushInterval, followed by `progress` and `keep_going`. Returns the
// first failure; bytes received before a transient one are still written
// when they pass the file's checks (a refusal of them replaces the error).
asio::awaitable<Status> ReceiveBody(
    Stream& c, beast::flat_buffer& read_buffer, http::response_parser<http::buffer_body>& parser,
    MediaFile& file, char* buffer, const Target& t, std::chrono::milliseconds stall,
    std::optional<std::uint64_t> total, const std::string& validator,
    const std::function<void(std::uint64_t, std::uint64_t, const std::string&)>& progress,
    const std::function<bool()>& keep_going) {
  auto& body = parser.get().body();
  std::size_t filled = 0;
  auto last_flush = Clock::now();
  auto flush = [&]() -> Status {
    if (filled == 0) return {};
    Status s = file.Append(buffer, filled);
    filled = 0;
    last_flush = Clock::now();
    if (s.ok() && progress) progress(file.size(), total.value_or(0), validator);
    return s;
  };
  Status problem;
  while (!parser.is_done()) {
    body.data = buffer + filled;
    body.size = kChunkBytes - filled;
    c.lowest().expires_after(stall);  // re-armed per read: only silence ends it
    auto [read_ec, read] = co_await c.With(
        [&](auto& s) { return http::async_read_some(s, read_buffer, parser, kNoThrow); });
    filled = kChunkBytes - body.size;
    if (read_ec && read_ec != http::error::need_buffer) {
      problem = NetworkError(read_ec, "reading from", t, stall);
      break;
    }
    if (filled == kChunkBytes || parser.is_done() || Clock::now() - last_flush >= kFlushInterval) {
      if (Status s = flush(); !s.ok()) co_return s;
      if (keep_going && !keep_going())
        co_return Transient(fmt::format("stopped before {} was fully downloaded", t.shown));
    }
  }
  if (problem.ok()) co_return file.Finish();
  if (Status s = flush(); !s.ok() && !s.retryable()) co_return s;
  co_return problem;
}

// What the status line says to do next.
enum class Next { kBody, kRedirect, kRestart, kComplete, kStop };

struct Decision {
  Next next = Next::kStop;
  Status stop;                         // kStop: why
  std::string location;                // kRedirect: the absolute URL, fragment dropped
  std::optional<std::uint64_t> total;  // kBody, kComplete: the whole file's size
  std::uint64_t keep = 0;              // kBody: bytes of the partial file the body continues
};

// The answers (issue 7): 200 fresh; 206 continues `resume_from` (another start: once more
// from 0); 416 with the partial file's size as the total completes it;
// 301/302/303/307/308 redirect; 403/404/410 "expired"; other 4xx permanent
// but 408 and 429; 5xx transient.
Decision DecideOnAnswer(const http::response_parser<http::buffer_body>& parser, const Target& t,
                        const std::string& url, std::uint64_t resume_from, bool restarted,
                        int redirects, const FetchPolicy& policy) {
  const auto& answer = parser.get();
  const int status = answer.result_int();
  Decision d;
  switch (status) {
    case 301: case 302: case 303: case 307: case 308: {
      const std::string location = FieldValue(answer, http::field::location, kMaxUrlBytes);
      if (location.empty()) {
        d.stop = Refused(ErrorCode::kBadRequest, fmt::format("{} answered {} without a usable Location",
                                                             t.shown, Reason(status)));
        return d;
      }
      if (redirects >= policy.max_redirects) {
        d.stop = Refused(ErrorCode::kBadRequest,
                         fmt::format("{} redirected more than {} times", t.shown, policy.max_redirects));
        return d;
      }
      // Relative to the URL that answered (RFC 3986 section 5).
      auto ref = boost::urls::parse_uri_reference(location);
      auto base = boost::urls::parse_uri(url);
      boost::urls::url resolved;
      if (!ref || !base || !boost::urls::resolve(*base, *ref, resolved)) {
        d.stop = Refused(ErrorCode::kInvalidUrl, t.shown + " redirected to an invalid URL");
        return d;
      }
      resolved.remove_fragment();
      d.location = std::string(resolved.buffer());
      d.next = Next::kRedirect;
      return d;
    }
    case 200:
      if (auto length = parser.content_length()) d.total = *length;
      d.next = Next::kBody;
      return d;
    case 206: {
      const auto range = ParseContentRange(FieldValue(answer, http::field::content_range));
      if (range && range->first && (*range->first == resume_from || *range->first == 0)) {
        d.keep = *range->first;  // from 0: the whole file, as a 200
        d.total = range->total;
        d.next = Next::kBody;
      } else if (!restarted) {
        d.next = Next::kRestart;  // not the part asked for
      } else {
        d.stop = Transient(t.shown + " answered a range that was not asked for");
      }
      return d;
    }
    case 416: {
      const auto range = ParseContentRange(FieldValue(answer, http::field::content_range));
      if (resume_from > 0 && range && range->total == resume_from) {
        d.total = range->total;
        d.next = Next::kComplete;  // the partial file is the whole file
      } else if (resume_from > 0 && !restarted) {
        d.next = Next::kRestart;
      } else {
        d.stop = Refused(ErrorCode::kBadRequest, fmt::format("{} answered {}", t.shown, Reason(status)));
      }
      return d;
    }
    default:
      if (status == 403 || status == 404 || status == 410)
        d.stop = Status::NotFound(
            fmt::format("the link has probably expired: {} answered {}", t.shown, Reason(status)));
      else if (status == 408 || status == 429 || status >= 500)
        d.stop = Transient(fmt::format("{} answered {}", t.shown, Reason(status)));
      else if (status >= 400)
        d.stop = Refused(ErrorCode::kBadRequest, fmt::format("{} answered {}", t.shown, Reason(status)));
      else
        d.stop = Refused(ErrorCode::kBadRequest,
                         fmt::format("{} answered {}, not a file", t.shown, Reason(status)));
      return d;
  }
}

}  // namespace

asio::awaitable<FetchResult> FetchMedia(asio::any_io_executor ex, FetchRequest req,
                                        FetchPolicy policy,
                                        std::function<void(std::uint64_t, std::uint64_t, const std::string&)> progress,
                                        std::function<bool()> keep_going) {
  FetchResult r;
  const auto stall = std::chrono::milliseconds(std::max(1, policy.stall_timeout_ms));
  policy.connect_timeout_ms = std::max(1, policy.connect_timeout_ms);

  // Bytes already there are resumed only with a validator: without If-Range,
  // a changed file would be spliced onto the old one.
  std::uint64_t resume_from = 0;
  if (auto info = StatPath(req.partial_path); info && info->regular) resume_from = info->size;
  if (req.validator.size() > 256 || !IsPrintable(req.validator)) req.validator.clear();
  if (req.validator.empty()) resume_from = 0;

  std::string url = req.url;
  int redirects = 0;
  bool restarted = false;  // a 206/416 that did not fit the partial file: one fresh try
  std::unique_ptr<asio::ssl::context> tls_context;
  auto buffer = std::make_unique<char[]>(kChunkBytes);

  for (;;) {
    if (keep_going && !keep_going())
      co_return Failed(r, Transient("stopped before the download started"), req.partial_path);

    auto target = CheckUrl(url, policy);
    if (!target.ok()) co_return Failed(r, target.status(), req.partial_path);
    const Target& t = *target;
    r.final_url = t.shown;

    if (t.tls && !tls_context) tls_context = MakeTlsClientContext(policy.extra_ca_file);
    ConnectOptions connect;
    connect.step_timeout = std::chrono::milliseconds(policy.connect_timeout_ms);
    connect.check_address = AddressRule(t, policy);
    connect.resolver = policy.resolver;
    // Named, not a temporary in the co_await (GCC 12 destroys those twice).
    const ConnectTarget where{t.tls, t.host, t.host_is_name, t.port, t.host_header};
    Stream c;
    ConnectResult connected = co_await Connect(c, ex, where, tls_context.get(), connect);
    if (!connected.status.ok()) co_return Failed(r, connected.status, req.partial_path);

    http::request<http::empty_body> request{http::verb::get, t.request_target, 11};
    request.set(http::field::host, t.host_header);
    request.set(http::field::user_agent, std::string("vidkeep/") + VIDKEEP_VERSION);
    request.set(http::field::accept, req.kind == MediaKind::kVideo ? "video/*, */*;q=0.1"
                                                                   : "image/*, */*;q=0.1");
    request.set(http::field::accept_encoding, "identity");
    if (resume_from > 0) {
      request.set(http::field::range, fmt::format("bytes={}-", resume_from));
      request.set(http::field::if_range, req.validator);
    }
    request.keep_alive(false);

    c.lowest().expires_after(stall);
    auto [write_ec, written] = co_await c.With(
        [&](auto& s) { return http::async_write(s, request, kNoThrow); });
    if (write_ec) co_return Failed(r, NetworkError(write_ec, "sending to", t, stall), req.partial_path);

    // The header, skipping interim 1xx answers (103 Early Hints).
    beast::flat_buffer read_buffer(kReadBufferLimit);
    // Beast reads as much as the buffer's free capacity (at least 512
    // bytes): without room reserved, a 1 GB body takes 2 million reads.
    read_buffer.reserve(kSocketReadBytes);
    std::optional<http::response_parser<http::buffer_body>> parser;
    for (int interim = 0;; ++interim) {
      parser.emplace();
      parser->header_limit(kHeaderLimit);
      parser->body_limit(boost::none);  // max_bytes is enforced while writing
      c.lowest().expires_after(stall);
      auto [read_ec, read] = co_await c.With(
          [&](auto& s) { return http::async_read_header(s, read_buffer, *parser, kNoThrow); });
      if (read_ec == http::error::header_limit)
        co_return Failed(r, Refused(ErrorCode::kBadRequest, t.shown + " sent a header over 16 KiB"),
                         req.partial_path);
      if (read_ec) co_return Failed(r, NetworkError(read_ec, "reading from", t, stall), req.partial_path);
      if (parser->get().result_int() / 100 != 1 || interim == 4) break;
    }
    auto& answer = parser->get();
    const int status = answer.result_int();
    r.http_status = status;

    Decision d = DecideOnAnswer(*parser, t, url, resume_from, restarted, redirects, policy);
    if (d.next == Next::kStop) co_return Failed(r, d.stop, req.partial_path);
    if (d.next == Next::kRedirect) {
      ++redirects;
      spdlog::debug("media: {} redirects to {}", t.shown, RedactUrl(d.location));
      url = std::move(d.location);
      continue;
    }
    if (d.next == Next::kRestart) {
      spdlog::debug("media: {} answered {} to a resume; starting over", t.shown, status);
      restarted = true;
      resume_from = 0;
      continue;
    }
    const std::optional<std::uint64_t> total = d.total;
    const std::uint64_t keep = d.keep;

    r.total = total;
    r.validator = ValidatorOf(answer);
    MediaFile file(req.partial_path, t.shown, req.kind, policy.max_bytes);

    if (d.next == Next::kComplete) {
      if (Status s = file.Open(resume_from); !s.ok()) co_return Failed(r, s, req.partial_path);
      if (Status s = co_await file.HashKept(buffer.get(), kChunkBytes); !s.ok())
        co_return Failed(r, s, req.partial_path);
      if (Status s = file.Finish(); !s.ok()) {
        file.Remove();
        co_return Failed(r, s, req.partial_path);
      }
      if (Status s = co_await file.SyncAndClose(); !s.ok()) co_return Failed(r, s, req.partial_path);
      r.validator = req.validator;  // a 416 may not repeat it
      r.ok = true;
      r.resumed = true;
      r.bytes = file.size();
      r.content_type = file.content_type();
      r.sha256 = file.HexDigest();
      co_return r;
    }

    // A body follows: its type and size are checked before it is read.
    std::string declared;
    if (Status s = CheckBodyHeaders(*parser, t, req.kind, keep, total, policy.max_bytes, &declared);
        !s.ok())
      co_return Failed(r, s, req.partial_path);
    file.set_declared_type(declared);
    if (Status s = file.Open(keep); !s.ok()) co_return Failed(r, s, req.partial_path);
    if (keep > 0) {
      if (Status s = co_await file.HashKept(buffer.get(), kChunkBytes); !s.ok()) {
        if (DeletesPartial(s)) file.Remove();
        co_return Failed(r, s, req.partial_path);
      }
      r.resumed = true;
    }

    Status problem = co_await ReceiveBody(c, read_buffer, *parser, file, buffer.get(), t, stall,
                                          total, r.validator, progress, keep_going);
    if (problem.ok() && total && file.size() != *total)
      problem = Transient(fmt::format("the download of {} ended at {} of {} bytes", t.shown,
                                      file.size(), *total));
    if (!problem.ok()) {
      if (DeletesPartial(problem))
        file.Remove();
      else
        co_await file.SyncAndClose();
      co_return Failed(r, problem, req.partial_path);
    }
    if (Status s = co_await file.SyncAndClose(); !s.ok()) co_return Failed(r, s, req.partial_path);
    r.ok = true;
    r.bytes = file.size();
    r.content_type = file.content_type();
    r.sha256 = file.HexDigest();
    co_return r;
  }
}

std::string FinishHexDigest(EVP_MD_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx, digest, &length);
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace vidkeep
