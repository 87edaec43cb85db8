#include "dedupe.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include <boost/url/parse.hpp>
#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <spdlog/fmt/fmt.h>

#include "string_util.h"

namespace vidkeep {

namespace {

// PROTOCOL.md section 3: parameters that only sign or expire a URL.
constexpr std::string_view kSigningExact[] = {
    // GCS
    "googleaccessid", "expires", "signature",
    // Azure SAS
    "sv", "ss", "srt", "sp", "st", "se", "sr", "sip", "spr", "sig",
    // CloudFront (Expires and Signature above)
    "policy", "key-pair-id",
    // generic
    "token"};
constexpr std::string_view kSigningPrefixes[] = {"x-amz-", "x-goog-"};

bool IsHttpScheme(std::string_view scheme) {
  const std::string s = Lower(scheme);
  return s == "http" || s == "https";
}

std::string_view DefaultPort(std::string_view lower_scheme) {
  return lower_scheme == "https" ? "443" : "80";
}

}  // namespace

std::optional<boost::urls::url_view> ParseUrl(std::string_view text) {
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) return std::nullopt;
  const auto path = parsed->encoded_path();
  if (parsed->has_authority() && !path.empty() && path.front() != '/') return std::nullopt;
  return *parsed;
}


Status ValidateMediaUrl(std::string_view url, std::size_t max_bytes) {
  if (url.empty()) return Status::InvalidUrl("the URL is empty");
  if (url.size() > max_bytes)
    return Status::InvalidUrl(fmt::format("the URL is {} bytes; the limit is {}", url.size(),
                                          max_bytes));
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f)
      return Status::InvalidUrl("the URL contains whitespace or control characters");
  auto parsed = ParseUrl(url);
  if (!parsed) return Status::InvalidUrl("not an absolute URL");
  if (!IsHttpScheme(parsed->scheme()))
    return Status::InvalidUrl(
        fmt::format("scheme '{}' is not allowed; only http and https", parsed->scheme()));
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return Status::InvalidUrl("the URL has no host");
  if (parsed->has_userinfo())
    return Status::InvalidUrl("URLs with a user name or password are not accepted");
  if (parsed->has_port() && !parsed->port().empty()) {
    // Boost.URL keeps only the low 16 bits of port_number(): check the text.
    const auto port = parsed->port();
    unsigned long value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return Status::InvalidUrl("the URL's port is not a number from 1 to 65535");
  }
  return {};
}

SigningParams::SigningParams(const std::vector<std::string>& extra) {
  exact_.assign(std::begin(kSigningExact), std::end(kSigningExact));
  prefixes_.assign(std::begin(kSigningPrefixes), std::end(kSigningPrefixes));
  for (const auto& name : extra) {
    if (name.empty()) continue;
    if (name.back() == '*')
      prefixes_.push_back(Lower(std::string_view(name).substr(0, name.size() - 1)));
    else
      exact_.push_back(Lower(name));
  }
}

bool SigningParams::Matches(std::string_view decoded_name) const {
  const std::string name = Lower(decoded_name);
  if (std::find(exact_.begin(), exact_.end(), name) != exact_.end()) return true;
  return std::any_of(prefixes_.begin(), prefixes_.end(),
                     [&](const std::string& p) { return name.starts_with(p); });
}

Result<std::string> CanonicalUrl(std::string_view url, const SigningParams& signing) {
  auto parsed = ParseUrl(url);
  if (!parsed || !IsHttpScheme(parsed->scheme()))
    return Status::InvalidUrl("not an absolute http(s) URL");
  // Assembled by hand from the parsed parts: only the parts named in the
  // contract change, everything else stays exactly as encoded.
  const std::string scheme = Lower(parsed->scheme());
  std::string out = scheme + "://" + Lower(parsed->encoded_host());
  if (parsed->has_port() && !parsed->port().empty() && parsed->port() != DefaultPort(scheme))
    out += ":" + std::string(parsed->port());
  out += parsed->encoded_path().empty() ? std::string("/") : std::string(parsed->encoded_path());

  struct Param {
    std::string key, value;
    bool has_value;
  };
  std::vector<Param> kept;
  // An empty query must not be iterated: Boost.URL 1.81's params iterator
  // runs past the end of "?#frag" and reads the heap (found by
  // tests/fuzz url target, regressions/url/empty-query-before-fragment).
  if (parsed->has_query() && !parsed->encoded_query().empty()) {
    for (const auto& p : parsed->encoded_params()) {
      if (p.key.empty() && !p.has_value) continue;  // "?" or "&&"
      if (signing.Matches(p.key.decode())) continue;
      kept.push_back({std::string(p.key), std::string(p.value), p.has_value});
    }
  }
  std::sort(kept.begin(), kept.end(), [](const Param& a, const Param& b) {
    return std::tie(a.key, a.value, a.has_value) < std::tie(b.key, b.value, b.has_value);
  });
  for (std::size_t i = 0; i < kept.size(); ++i) {
    out += i == 0 ? '?' : '&';
    out += kept[i].key;
    if (kept[i].has_value) out += '=' + kept[i].value;
  }
  return out;
}

std::string UuidV5(std::string_view namespace_id, std::string_view name) {
  // Boost.Uuid's own SHA-1, not OpenSSL's: OpenSSL 3 loads its default
  // provider on the first digest, which faulted in ~1.4 MB of libcrypto code
  // and heap on the first video of every host, sync or not (issue 15).
  const boost::uuids::uuid ns =
      boost::uuids::string_generator()(namespace_id.begin(), namespace_id.end());
  return boost::uuids::to_string(boost::uuids::name_generator_sha1(ns)(name.data(), name.size()));
}

std::string VideoIdFor(std::string_view chat_id, std::string_view canonical_url) {
  static constexpr std::string_view kUrlNamespace = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";
  std::string name;
  name.reserve(chat_id.size() + 1 + canonical_url.size());
  name.append(chat_id).append("\n").append(canonical_url);
  return UuidV5(kUrlNamespace, name);
}

std::string OriginOf(std::string_view url) {
  auto parsed = ParseUrl(url);
  if (!parsed || !IsHttpScheme(parsed->scheme()) || parsed->encoded_host().empty()) return {};
  const std::string scheme = Lower(parsed->scheme());
  std::string origin = scheme + "://" + Lower(parsed->encoded_host());
  if (parsed->has_port() && !parsed->port().empty() && parsed->port() != DefaultPort(scheme))
    origin += ":" + std::string(parsed->port());
  return origin;
}

bool IsLoopbackHost(std::string_view host) {
  // Let the URL grammar classify the host, so "127.0.0.1.evil.example" is a
  // name, not an address.
  const std::string url = "http://" + std::string(host) + "/";
  auto parsed = ParseUrl(url);
  if (!parsed || parsed->has_port() || parsed->has_userinfo()) return false;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      return (parsed->host_ipv4_address().to_uint() >> 24) == 127;
    case boost::urls::host_type::ipv6:
      return parsed->host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return Lower(parsed->encoded_host()) == "localhost";
    default:
      return false;
  }
}

bool IsAllowedSyncOrigin(std::string_view origin) {
  auto parsed = ParseUrl(origin);
  if (!parsed || parsed->encoded_host().empty() || parsed->has_userinfo()) return false;
  const std::string scheme = Lower(parsed->scheme());
  if (scheme == "https") return true;
  return scheme == "http" && IsLoopbackHost(parsed->encoded_host());
}

bool LooksLikeVideo(std::string_view url, std::string_view content_type) {
  if (Lower(content_type.substr(0, 6)) == "video/") return true;
  auto parsed = ParseUrl(url);
  if (!parsed) return false;
  const std::string path = Lower(parsed->encoded_path());
  for (std::string_view ext : {".mp4", ".mov", ".webm", ".m4v", ".avi", ".mkv"})
    if (path.ends_with(ext)) return true;
  return false;
}

}  // namespace vidkeep
