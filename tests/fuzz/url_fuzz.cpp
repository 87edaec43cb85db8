// Fuzz target: the URL rules of host/dedupe.cpp — ValidateMediaUrl,
// CanonicalUrl, OriginOf, IsLoopbackHost, IsAllowedSyncOrigin.
// Input: one URL (or host) string.
//
// Invariants: nothing throws or crashes; a URL that validates canonicalizes;
// canonicalizing is idempotent (the canonical URL is its own canonical form,
// so the dedupe key is stable); the canonical URL keeps the scheme, host and
// origin; no signing parameter survives; a valid URL has an origin, and an
// allowed sync origin is https or loopback http.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/url/parse.hpp>

#include "dedupe.h"
#include "fuzz_check.h"

using namespace vidkeep;

namespace {

bool StartsWithCi(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const SigningParams kSigning({"sess*", "v"});

  (void)IsLoopbackHost(input);
  (void)IsAllowedSyncOrigin(input);
  const std::string origin = OriginOf(input);
  if (!origin.empty()) {
    FUZZ_CHECK(origin.starts_with("http://") || origin.starts_with("https://"));
    FUZZ_CHECK(OriginOf(origin) == origin);  // an origin is its own origin
    if (IsAllowedSyncOrigin(origin) && origin.starts_with("http://")) {
      auto parsed = boost::urls::parse_uri(origin);
      FUZZ_CHECK(parsed.has_value());
      FUZZ_CHECK(IsLoopbackHost(parsed->encoded_host()));
    }
  }

  if (!ValidateMediaUrl(input, 8192).ok()) return 0;
  FUZZ_CHECK(StartsWithCi(input, "http://") || StartsWithCi(input, "https://"));
  FUZZ_CHECK(!origin.empty());
  auto canonical = CanonicalUrl(input, kSigning);
  FUZZ_CHECK(canonical.ok());
  const std::string& c = *canonical;
  FUZZ_CHECK(c.starts_with(origin));
  FUZZ_CHECK(OriginOf(c) == origin);
  auto again = CanonicalUrl(c, kSigning);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == c);
  FUZZ_CHECK(c.find('#') == std::string::npos);
  if (auto parsed = boost::urls::parse_uri(c)) {
    for (const auto& p : parsed->encoded_params()) FUZZ_CHECK(!kSigning.Matches(p.key.decode()));
  }
  FUZZ_CHECK(VideoIdFor("", c) == VideoIdFor("", *again));
  return 0;
}
