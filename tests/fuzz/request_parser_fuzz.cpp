// Fuzz target: the request parser (host/protocol.cpp ParseRequest) and what
// the service does next with a parsed request that needs no database: the
// canonical URL and id of a video, the origin of its page, and the answer
// text. Input: one frame payload, as the browser sends it.
//
// Invariants: nothing throws or crashes; a video that parses has a URL the
// canonicalizer accepts (else the host would answer an accepted request with
// an error of its own); error and ok answers are valid JSON under the 1 MiB
// browser limit that echo the request id; a refused request whose id was
// readable echoes it. The direct writer (json_writer.h): the payload as a
// string is escaped exactly as nlohmann escapes it, the payload is taken for
// a JSON object only when nlohmann accepts it, and a `list` answer holding
// a parsed video is valid JSON.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dedupe.h"
#include "framing.h"
#include "fuzz_check.h"
#include "json_writer.h"
#include "protocol.h"

using namespace vidkeep;

namespace {

void CheckAnswer(const std::string& text, const nlohmann::json& id) {
  FUZZ_CHECK(text.size() < kMaxOutgoingFrameBytes);
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(!parsed.is_discarded());
  FUZZ_CHECK(parsed.is_object() && parsed.contains("id") && parsed.contains("ok"));
  // Numbers survive a dump/parse round trip; strings may have had invalid
  // UTF-8 replaced, so compare only what is comparable.
  if (id.is_number_integer()) FUZZ_CHECK(parsed["id"] == id);
  if (id.is_null()) FUZZ_CHECK(parsed["id"].is_null());
}

void Run(std::string_view payload, const LimitsConfig& limits, const SigningParams& signing) {
  std::string escaped;
  AppendJsonString(escaped, payload);
  FUZZ_CHECK(escaped == nlohmann::json(std::string(payload))
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (IsJsonObject(payload)) FUZZ_CHECK(nlohmann::json::accept(payload));
  Request r;
  const Status s = ParseRequest(payload, limits, r);
  if (!s.ok()) {
    CheckAnswer(ErrorAnswer(r.id, s), r.id);
    return;
  }
  FUZZ_CHECK(r.id.is_string() || r.id.is_number());
  nlohmann::json fields = nlohmann::json::object();
  switch (r.type) {
    case RequestType::kVideo: {
      const Video& v = r.video;
      FUZZ_CHECK(!v.url.empty() && v.url.size() <= limits.max_url_bytes);
      FUZZ_CHECK(v.prompt.size() <= limits.max_prompt_bytes);
      FUZZ_CHECK(v.chat_id.size() <= limits.max_text_bytes);
      FUZZ_CHECK(ValidateMediaUrl(v.url, limits.max_url_bytes).ok());
      auto canonical = CanonicalUrl(v.url, signing);
      FUZZ_CHECK(canonical.ok());
      const std::string id = VideoIdFor(v.chat_id, *canonical);
      FUZZ_CHECK(id.size() == 36);
      VideoRecord record;
      record.video = v;
      record.video_id = id;
      record.canonical_url = *canonical;
      record.origin = OriginOf(v.page_url);
      if (!v.page_url.empty()) FUZZ_CHECK(!record.origin.empty());
      (void)IsAllowedSyncOrigin(record.origin);
      fields["video"] = RecordToJson(record);
      CheckAnswer(ListAnswer(r.id, {record}, true, kMaxOutgoingFrameBytes), r.id);
      (void)SyncStateEvent(id, SyncState::kPending, v.prompt.substr(0, 100));
      break;
    }
    case RequestType::kList:
      FUZZ_CHECK(r.limit >= 1 && r.limit <= kMaxListLimit);
      break;
    case RequestType::kDelete:
    case RequestType::kResync:
      FUZZ_CHECK(r.video_ids.size() <= kMaxIdsPerRequest);
      break;
    case RequestType::kConfigure:
      FUZZ_CHECK(IsAllowedSyncOrigin(r.origin));
      FUZZ_CHECK(r.auth.cookie.find_first_of("\r\n") == std::string::npos);
      FUZZ_CHECK(r.auth.bearer.find_first_of("\r\n") == std::string::npos);
      break;
    default:
      break;
  }
  const std::string answer = OkAnswer(r.id, std::move(fields));
  if (answer.size() < kMaxOutgoingFrameBytes) CheckAnswer(answer, r.id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  static const LimitsConfig kDefaults;
  static const LimitsConfig kSmall = [] {
    LimitsConfig l;
    l.max_url_bytes = 256;
    l.max_prompt_bytes = 16;
    l.max_text_bytes = 256;
    l.max_meta_bytes = 2;
    l.max_json_depth = 4;
    return l;
  }();
  static const SigningParams kSigning({"sess*", "v"});
  Run(payload, kDefaults, kSigning);
  Run(payload, kSmall, kSigning);
  return 0;
}
