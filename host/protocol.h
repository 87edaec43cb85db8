// The wire protocol (PROTOCOL.md section 3): the only code that knows the
// JSON field names of requests, answers and events, and of the `vidkeep
// --json` documents, which show records as the answers do (section 6).
// tests/host/wire-names.test.mjs checks that no other host file spells them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.h"
#include "model.h"
#include "status.h"

namespace vidkeep {

inline constexpr int kProtocolVersion = 1;
/// How records are written (docs/protocol-extensions.md, "Lean records"):
/// 2 leaves out every key whose value would be null and a `media` with
/// nothing to say. `hello`, `list` and `get` answers name it.
inline constexpr int kRecordFormat = 2;
inline constexpr int kMaxListLimit = 500;
inline constexpr std::size_t kMaxIdsPerRequest = 10000;

enum class RequestType {
  kHello, kVideo, kList, kGet, kDelete, kResync, kStatus, kConfigure,
  // The media cache (docs/protocol-extensions.md).
  kMediaRead, kMediaPin, kMediaFetch,
  // The app's own save of a message (issue 12).
  kAppSave,
};

/// The most attachments one `app_save` may carry.
inline constexpr std::size_t kMaxAppSaveAttachments = 32;
/// The most bytes of an account id or label.
inline constexpr std::size_t kMaxAccountBytes = 200;

/// `video.meta.content_type`: the real type of a video the app saved
/// (`app_save`), for the message vidkeep may send (save_message.cpp).
inline constexpr char kMetaContentType[] = "content_type";

/// One attachment of the app's message, as the extension saw it.
struct AppSaveAttachment {
  std::string url;  // checked for type and size only: non-video ones are ignored
  std::string thumbnail_url;
  std::string content_type;
};

/// `app_save.save`: the extension saw the page POST /api/save-message.
struct AppSave {
  std::string chat_id;
  std::string message_id;  // empty: unknown
  bool finished = false;   // phase: started or finished
  int http_status = 0;     // finished: the app's answer (0: none)
  std::string page_url;
  std::vector<AppSaveAttachment> attachments;
  std::string account_id, account_label;  // empty id: none
};

/// The most `media_read` answers at once: 512 KiB is 699,052 base64
/// characters, well under the browsers' 1 MiB message limit.
inline constexpr std::int64_t kMaxMediaReadBytes = 512 * 1024;

/// Credentials for one chat-app origin. Held in memory only.
struct ServerAuth {
  std::string cookie;  // a Cookie header value
  std::string bearer;  // a bearer token
  bool empty() const { return cookie.empty() && bearer.empty(); }
};

/// A decoded request. Only the fields of its `type` are filled.
struct Request {
  RequestType type = RequestType::kHello;
  nlohmann::json id;  // string or number as sent; null when unreadable

  std::string extension_version;         // hello
  Video video;                           // video
  int limit = 50;                        // list
  std::optional<std::int64_t> before_seq;  // list: decoded cursor
  std::optional<std::string> chat_id;    // list
  std::string query;                     // list
  std::optional<SyncState> sync;         // list
  std::string video_id;                  // get, media_read
  std::vector<std::string> video_ids;    // delete, resync, media_pin, media_fetch
  FileKind kind = FileKind::kVideo;      // media_read
  std::int64_t offset = 0;               // media_read
  std::int64_t length = kMaxMediaReadBytes;  // media_read
  bool pinned = true;                    // media_pin
  std::string origin;                    // configure (normalized)
  ServerAuth auth;                       // configure
  AppSave app_save;                      // app_save

  /// True for requests whose `ok` means "committed".
  bool IsWrite() const {
    return type == RequestType::kVideo || type == RequestType::kDelete ||
           type == RequestType::kResync || type == RequestType::kMediaPin ||
           type == RequestType::kMediaFetch || type == RequestType::kAppSave;
  }
};

/// Parses one frame's payload. `out.id` is set whenever the id could be read,
/// even if the request is refused, so the error answer can echo it.
Status ParseRequest(std::string_view payload, const LimitsConfig& limits, Request& out);

/// `{"id":…,"ok":true,…fields}` as frame payload text.
std::string OkAnswer(const nlohmann::json& id, nlohmann::json fields = nlohmann::json::object());
/// The `configure` answer: `account` ({id, label} or null) and
/// `account_checked` (false: whom the credentials belong to is unknown).
std::string ConfigureAnswer(const nlohmann::json& id, const AccountCheck& check);
/// `{"id":…,"ok":false,"error":{code,message,retryable}}`.
std::string ErrorAnswer(const nlohmann::json& id, const Status& status);
std::string_view ErrorCodeName(ErrorCode code);

/// A stored video as it appears in answers, `vidkeep --json` and exports:
/// the JSON text (record format 2), and the same parsed.
std::string RecordJsonText(const VideoRecord& record);
nlohmann::json RecordToJson(const VideoRecord& record);

// ---- The fields of each request's `ok` answer (OkAnswer adds `id`, `ok`).

nlohmann::json HelloAnswerJson(std::string_view host_version, const std::string& db_path);
nlohmann::json VideoAnswerJson(const std::string& video_id, bool duplicate, SyncState sync);
/// The whole `list` answer as frame payload text, written directly (no
/// JSON DOM: this is the popup's first paint). `records` newest first;
/// `more`: the store holds older ones. Records that would take the answer
/// past `max_bytes` are left for the next page (`truncated`), but never the
/// first; `next_cursor` is null on the last page.
std::string ListAnswer(const nlohmann::json& id, const std::vector<VideoRecord>& records, bool more,
                       std::size_t max_bytes);
nlohmann::json GetAnswerJson(const VideoRecord& record, const std::vector<SyncAttempt>& history);
nlohmann::json DeleteAnswerJson(int deleted);
/// `resync` and `media_fetch`: how many were queued.
nlohmann::json QueuedAnswerJson(int queued);
nlohmann::json StatusAnswerJson(const StoreStats& stats, std::string_view host_version);
/// `data` is the raw bytes read at `offset` of a file of `size` bytes.
nlohmann::json MediaReadAnswerJson(const std::string& content_type, std::int64_t size,
                                   std::int64_t offset, std::string_view data);
nlohmann::json MediaPinAnswerJson(int changed);
nlohmann::json AppSaveAnswerJson(int matched);

/// A `hello` request as frame payload text (`vidkeep doctor`'s round trip).
std::string HelloRequest(const nlohmann::json& id, std::string_view extension_version);

/// A `hello` answer as read by `vidkeep doctor`, which reports whatever a
/// host says: missing or mistyped fields are left empty, not refused.
struct HelloAnswer {
  bool ok = false;
  std::string error_code = "?";   // !ok
  std::string error_message;      // !ok
  nlohmann::json protocol;        // as sent (null when absent)
  std::string host_version = "?";
  std::optional<std::string> db_path;
};
/// Fails only when `payload` is not a JSON object.
Result<HelloAnswer> ParseHelloAnswer(std::string_view payload);

// ---- `vidkeep … --json` (PROTOCOL.md section 6): records as `list` and `get`
// answer them, from the same writers.

/// `vidkeep list --json` and `search --json`: the records, as in `list`.
nlohmann::json CliListJson(const std::vector<VideoRecord>& records);
/// `vidkeep show --json`: the record plus `history`, each attempt as in `get`.
nlohmann::json CliShowJson(const VideoRecord& record, const std::vector<SyncAttempt>& history);
/// `vidkeep stats --json`: the `status` counts plus the database file.
nlohmann::json CliStatsJson(const StoreStats& stats, const std::string& database);
nlohmann::json CliCacheStatsJson(const CacheUsage& usage, std::int64_t quota_bytes,
                                 const std::string& directory, bool enabled);
/// What `cache verify --fetch` fetched again.
struct FetchCounts {
  std::int64_t cached = 0, failed = 0, later = 0;
};
nlohmann::json CliCacheVerifyJson(const VerifyReport& report, const std::string& directory,
                                  const std::optional<FetchCounts>& fetched);
nlohmann::json CliCachePruneJson(const PruneReport& report, std::int64_t bytes,
                                 std::int64_t quota_bytes);
/// A `vidkeep --json` document as printed: indented by 2, never throwing.
std::string DumpPretty(const nlohmann::json& value);
/// The opaque `list` cursor for "older than this record".
std::string CursorAfter(const VideoRecord& record);

/// The unsolicited event telling the browser a video's sync state changed.
std::string SyncStateEvent(const std::string& video_id, SyncState state,
                           const std::string& last_error);

/// The unsolicited event telling the browser a cached file's state changed.
std::string MediaStateEvent(const std::string& video_id, FileKind kind, const FileCache& file);

/// Standard base64 with padding, as `media_read` carries bytes.
std::string Base64(std::string_view bytes);

/// Serializes JSON without ever throwing (invalid UTF-8 is replaced).
std::string Dump(const nlohmann::json& value);

}  // namespace vidkeep
