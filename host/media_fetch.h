// Downloads one media file (a video or a thumbnail) whose URL came from a web
// page, so is hostile input (issue 7, docs/media.md). One HTTP(S) GET, streamed
// to a file, resumable. What FetchMedia guarantees:
//
// - Where it connects: https only; plain http only when the policy allows it
//   and the host is loopback. No user-info in URLs. Every address the host
//   name resolves to is checked, and the download is refused when any of them
//   is loopback, private, link-local, multicast, unspecified, shared (CGNAT),
//   unique-local or reserved, or an IPv4-mapped/-compatible/NAT64 form of
//   those, unless the policy allows private addresses. The connection goes
//   only to the addresses checked: the name is never resolved twice (DNS
//   rebinding); connector.h does this, with these rules as its address
//   policy, for sync's connections too. TLS verifies the certificate against the system trust store
//   (plus an optional CA file) and the host name.
// - Redirects (301, 302, 303, 307, 308) are followed up to a limit, each
//   target checked by the same rules as the first URL.
// - What it keeps: only a body whose first bytes look like a video (kVideo) or
//   an image (kImage), served as video/*, image/*, an octet-stream or with no
//   Content-Type; at most `max_bytes`, refused from the declared size before
//   the body is read, or as soon as the body grows past it. On such a content
//   or size refusal the partial file is deleted; on any other failure it is
//   kept (fsynced) as far as it was written, and a later call given the
//   returned validator resumes it (Range + If-Range).
// - Memory stays flat (a 256 KiB file buffer, an 80 KiB socket buffer)
//   whatever the file size. The file is fsynced before success is reported;
//   `sha256` and `bytes` then describe the whole file.
// - Errors are one sentence for a person; URLs in them are cut to
//   scheme://host[:port]/path (queries may carry signatures).
//
// Not done here: choosing file names, moving the finished file into place,
// quotas, retries and backoff, the database. The caller does those.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <openssl/types.h>

#include "connector.h"

namespace vidkeep {

/// What a download may do. The caller fills it from MediaConfig.
struct FetchPolicy {
  /// Plain http is allowed, and then only to a loopback host (127.0.0.0/8,
  /// ::1, "localhost"); the address rule below still applies.
  bool allow_http = false;
  /// Loopback, private, link-local and the other non-public addresses (see
  /// ClassifyAddress) are allowed. Off, any one of them among a host's
  /// addresses refuses the download.
  bool allow_private_addresses = false;
  /// Exact addresses accepted even when allow_private_addresses is off (an
  /// admin's internal media server; the tests' loopback server).
  std::vector<boost::asio::ip::address> exempt_addresses;
  /// The largest file kept, in bytes (declared or received).
  std::uint64_t max_bytes = 1ULL << 30;
  /// Bounds name resolution, the TCP connection and the TLS handshake, each.
  int connect_timeout_ms = 10000;
  /// No byte from the server for this long ends the download (transient).
  /// There is no total deadline: big files on slow links are fine.
  int stall_timeout_ms = 30000;
  /// Redirects followed; one more is a permanent failure.
  int max_redirects = 5;
  /// PEM file of CAs trusted besides the system store ("" for none).
  std::string extra_ca_file;
  /// Name resolution (connector.h); empty: the system's. A seam for tests.
  ResolverFactory resolver;
};

enum class MediaKind { kVideo, kImage };

struct FetchRequest {
  /// Absolute http(s) URL, as the page gave it.
  std::string url;
  /// The file written. Bytes already there are resumed with a Range request
  /// when `validator` is set (If-Range makes the server send the whole file
  /// again if it changed); without a validator they are replaced. Its
  /// directory must exist. Created with mode 0600.
  std::string partial_path;
  MediaKind kind = MediaKind::kVideo;
  /// The ETag or Last-Modified value from the attempt that wrote the partial
  /// file (FetchResult::validator), "" for none.
  std::string validator;
};

struct FetchResult {
  /// The whole file is in `partial_path`, checked and fsynced.
  bool ok = false;
  /// Refused by policy or content, or a 4xx answer other than 408/429
  /// (403, 404 and 410 say "the link has probably expired"): retrying the
  /// same URL will not help. False for transient failures
  /// (network, timeouts, stalls, 5xx, 408, 429, disk errors, keep_going).
  bool permanent = false;
  /// When !ok: one sentence a person can act on, e.g. "refused:
  /// https://x.example/y resolves to 10.0.0.5, a private address".
  std::string error;
  /// The last HTTP status received (0: none).
  int http_status = 0;
  /// Bytes in `partial_path`: the file size when ok, what is kept otherwise.
  std::uint64_t bytes = 0;
  /// The whole file's size, when the server said.
  std::optional<std::uint64_t> total;
  /// The media type, e.g. "video/mp4": the server's when it agrees with what
  /// the first bytes are, else the one sniffed. Empty until known.
  std::string content_type;
  /// Lowercase hex SHA-256 of the whole file, when ok.
  std::string sha256;
  /// A strong ETag, else Last-Modified, from the last 200/206 answer: pass it
  /// back in FetchRequest::validator to resume. "" when the server gave none.
  std::string validator;
  /// The bytes that were already in `partial_path` were kept: a 206 continued
  /// them, or a 416 said they were the whole file.
  bool resumed = false;
  /// The URL the file came from after redirects, cut as in errors.
  std::string final_url;
};

/// Downloads `req.url` into `req.partial_path` under `policy`. Every I/O
/// object is made on `ex`; co_spawn this on `ex`, which must not run two
/// handlers at once (one thread, or a strand). One call per partial file at a
/// time. fsync runs on a thread of the module's own, so a large file does not
/// block `ex`. Never throws for network, server, content or disk failures:
/// they come back in the result.
///
/// `progress(bytes_so_far, total_or_0, validator)` is called after each chunk
/// written (about every 256 KiB or 250 ms; the caller throttles further);
/// `validator` is FetchResult::validator's value, to record for a resume
/// after a crash.
/// `keep_going()` is asked after each chunk; false stops the download with a
/// transient error, keeping the partial file (e.g. lease lost, shutting down).
/// A download stalled in a read notices only at the stall timeout.
/// Either function may be empty.
boost::asio::awaitable<FetchResult> FetchMedia(
    boost::asio::any_io_executor ex, FetchRequest req, FetchPolicy policy,
    std::function<void(std::uint64_t, std::uint64_t, const std::string&)> progress,
    std::function<bool()> keep_going);

/// How an address may be reached. Anything but kPublic is refused unless
/// FetchPolicy::allow_private_addresses.
enum class AddressClass {
  kPublic,
  kLoopback,     // 127/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fec0::/10 (site-local)
  kLinkLocal,    // 169.254/16, fe80::/10
  kMulticast,    // 224/4, ff00::/8
  kUnspecified,  // 0/8, ::
  kShared,       // 100.64/10 (carrier-grade NAT)
  kUniqueLocal,  // fc00::/7
  kReserved,     // 240/4 (with 255.255.255.255), 192.0.0/24, 198.18/15, the
                 // documentation networks, 2001:db8::/32, 100::/64
};

/// Classifies `address`; IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
/// (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::)
/// addresses as the IPv4 address inside.
AddressClass ClassifyAddress(const boost::asio::ip::address& address);

/// "a private address", "a loopback address"...: for error messages.
std::string_view Describe(AddressClass c);

/// What a file is, from its first bytes.
struct SniffedType {
  MediaKind kind;
  std::string_view content_type;  // "video/mp4", "image/jpeg"...: a literal
};

/// Recognizes a file from its first bytes (512 are enough; fewer for short
/// files) by magic numbers: ISO-BMFF "ftyp" (mp4, mov, 3gp; AVIF and HEIF by
/// their brand are images), EBML (webm, mkv), Ogg, AVI, FLV, MPEG-TS (sync
/// bytes of two packets), JPEG, PNG, GIF, WebP. Anything else: nullopt.
std::optional<SniffedType> SniffMedia(std::string_view head);

/// Finishes a SHA-256 (any EVP digest) and returns it as lowercase hex, as
/// FetchResult::sha256 and the cache's file names spell it.
std::string FinishHexDigest(EVP_MD_CTX* ctx);

/// scheme://host[:port]/path of `url` (no user-info, query or fragment), for
/// messages and logs; "(an invalid URL)" when it does not parse.
std::string RedactUrl(std::string_view url);

}  // namespace vidkeep
