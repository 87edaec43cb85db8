// Identity of a video (PROTOCOL.md sections 3 and 4): URL validation, the
// canonical URL that decides duplicates, and the UUIDv5 message id.
// Pure functions: no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/url/url_view.hpp>

#include "status.h"

namespace vidkeep {

/// Checks that `url` is an absolute http(s) URL a page may hand us: bounded
/// length, a host, no user-info, no whitespace or control characters.
Status ValidateMediaUrl(std::string_view url, std::size_t max_bytes);

/// Decides which query parameters only sign or expire a URL.
class SigningParams {
 public:
  /// The contract's list plus `extra` names (case-insensitive; a trailing '*'
  /// makes a prefix, as in "X-Amz-*").
  explicit SigningParams(const std::vector<std::string>& extra = {});
  bool Matches(std::string_view decoded_name) const;

 private:
  std::vector<std::string> exact_;     // lowercased
  std::vector<std::string> prefixes_;  // lowercased
};

/// The canonical form of a valid URL: scheme and host lowercased, default port
/// and fragment dropped, signing parameters removed, the rest sorted, an empty
/// path written "/". `url` must have passed ValidateMediaUrl.
Result<std::string> CanonicalUrl(std::string_view url, const SigningParams& signing);

/// The video's message id: UUIDv5 in the URL namespace of
/// `chat_id + "\n" + canonical_url`, lowercase with dashes.
std::string VideoIdFor(std::string_view chat_id, std::string_view canonical_url);

/// The UUIDv5 of `name` in `namespace_id` (RFC 4122 section 4.3).
std::string UuidV5(std::string_view namespace_id, std::string_view name);

/// True when a video attachment is this: `content_type` starts with video/
/// (case-insensitive), or the URL's path (not its query) ends in .mp4 .mov
/// .webm .m4v .avi .mkv (PROTOCOL.md section 5's test).
bool LooksLikeVideo(std::string_view url, std::string_view content_type);

/// "scheme://host[:port]" of a URL, lowercased, default port dropped; empty
/// when `url` is not an absolute http(s) URL.
std::string OriginOf(std::string_view url);

/// True for origins vidkeep may send to: https, or http on a loopback host.
bool IsAllowedSyncOrigin(std::string_view origin);

/// True for "localhost", 127.0.0.0/8 and ::1 (brackets allowed).
bool IsLoopbackHost(std::string_view host);

/// Parses a URI with Boost.URL, also refusing what Boost.URL 1.81 lets
/// through: a host followed by something other than '/', '?', '#' or the end,
/// as in "http://127.0.0.1.evil.example/" (read as host 127.0.0.1 and path
/// ".evil.example/"). The view points into `text`. Every URL vidkeep reads
/// goes through here.
std::optional<boost::urls::url_view> ParseUrl(std::string_view text);

}  // namespace vidkeep
