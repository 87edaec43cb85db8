// Fuzz target: the config loader (host/config.cpp Config::Apply).
// Input: one config.json document. It is applied over the defaults, and then
// applied again over the result (the admin's file, then the user's).
//
// Invariants: nothing throws or crashes; an accepted document leaves every
// limit within the documented ranges (docs/config.md); a refused document
// names the file it came from.
#include <cstdint>
#include <string>

#include "config.h"
#include "dedupe.h"
#include "fuzz_check.h"

using vidkeep::Config;

namespace {

void CheckRanges(const Config& c) {
  const auto& l = c.limits;
  FUZZ_CHECK(l.max_frame_bytes >= 1024 && l.max_frame_bytes <= (256u << 20));
  FUZZ_CHECK(l.max_url_bytes >= 256 && l.max_url_bytes <= 64 * 1024);
  FUZZ_CHECK(l.max_prompt_bytes <= 256 * 1024);
  FUZZ_CHECK(l.max_text_bytes >= 256 && l.max_text_bytes <= 64 * 1024);
  FUZZ_CHECK(l.max_meta_bytes >= 2 && l.max_meta_bytes <= 64 * 1024);
  FUZZ_CHECK(l.max_json_depth >= 4 && l.max_json_depth <= 1000);
  FUZZ_CHECK(l.max_batch >= 1 && l.max_batch <= 100000);
  FUZZ_CHECK(c.database.busy_timeout_ms >= 0);
  FUZZ_CHECK(c.log.max_files >= 1 && c.log.max_files <= 100);
  FUZZ_CHECK(c.sync.backoff_base_ms >= 1 && c.sync.backoff_cap_ms >= 1);
  FUZZ_CHECK(c.sync.lease_ms >= 100);
  FUZZ_CHECK(c.sync.max_in_flight >= 1 && c.sync.max_in_flight <= 64);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Config config;
  const auto first = config.Apply(text, "/etc/vidkeep/config.json");
  if (!first.ok()) {
    FUZZ_CHECK(first.message().find("/etc/vidkeep/config.json") != std::string::npos);
    return 0;
  }
  CheckRanges(config);
  const auto second = config.Apply(text, "user config.json");
  FUZZ_CHECK(second.ok());  // the same document is as good the second time
  CheckRanges(config);
  // The loaded lists feed the dedupe rules and the caller check.
  vidkeep::SigningParams signing(config.signing_params);
  for (const auto& name : config.signing_params) (void)signing.Matches(name);
  return 0;
}
