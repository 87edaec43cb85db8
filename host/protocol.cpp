#include "protocol.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <tuple>

#include <openssl/evp.h>
#include <spdlog/fmt/fmt.h>

#include "dedupe.h"
#include "json_writer.h"

namespace vidkeep {

namespace {

using nlohmann::json;

struct TooDeep {};

constexpr std::size_t kMaxQueryBytes = 1024;
constexpr std::size_t kMaxAuthBytes = 16 * 1024;

// Reads typed fields of one JSON object, naming the field in every refusal.
class Fields {
 public:
  Fields(const json& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  std::string Name(std::string_view key) const { return prefix_ + std::string(key); }

  const json* Find(std::string_view key) const {
    auto it = object_.find(key);
    return (it == object_.end() || it->is_null()) ? nullptr : &*it;
  }

  // A string field: absent or null leaves `out` empty. Refuses other types,
  // NUL characters and values over `max_bytes`.
  Status Text(std::string_view key, std::size_t max_bytes, std::string& out,
              bool required = false) const {
    const json* v = Find(key);
    if (!v) {
      if (required) return Status::BadRequest(fmt::format("field '{}' is required", Name(key)));
      return {};
    }
    if (!v->is_string())
      return Status::BadRequest(
          fmt::format("field '{}' must be a string, not {}", Name(key), v->type_name()));
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > max_bytes)
      return Status::Error(ErrorCode::kTooLarge,
                           fmt::format("field '{}' is {} bytes; the limit is {}", Name(key),
                                       s.size(), max_bytes));
    if (s.find('\0') != std::string::npos)
      return Status::BadRequest(fmt::format("field '{}' contains a NUL character", Name(key)));
    out = s;
    return {};
  }

  // Free text a page wrote (the prompt): its content is never a reason to
  // lose the video, so NUL characters are dropped, not refused; every other
  // character is kept as sent (displays escape them: terminal.h).
  Status FreeText(std::string_view key, std::size_t max_bytes, std::string& out) const {
    const json* v = Find(key);
    if (v && v->is_string()) {
      std::string s = v->get<std::string>();
      std::erase(s, '\0');
      if (s.size() > max_bytes)
        return Status::Error(ErrorCode::kTooLarge,
                             fmt::format("field '{}' is {} bytes; the limit is {}", Name(key),
                                         s.size(), max_bytes));
      out = std::move(s);
      return {};
    }
    return Text(key, max_bytes, out);
  }

  Status Url(std::string_view key, std::size_t max_bytes, std::string& out,
             bool required = false) const {
    if (Status s = Text(key, max_bytes, out, required); !s.ok()) return s;
    if (out.empty() && !required) return {};
    if (Status s = ValidateMediaUrl(out, max_bytes); !s.ok())
      return Status::InvalidUrl(fmt::format("field '{}': {}", Name(key), s.message()));
    return {};
  }

  Status Ids(std::string_view key, std::vector<std::string>& out) const {
    const json* v = Find(key);
    if (!v) return Status::BadRequest(fmt::format("field '{}' is required", Name(key)));
    if (!v->is_array())
      return Status::BadRequest(fmt::format("field '{}' must be a list of video ids", Name(key)));
    if (v->size() > kMaxIdsPerRequest)
      return Status::Error(ErrorCode::kTooLarge,
                           fmt::format("field '{}' has {} ids; the limit is {}", Name(key),
                                       v->size(), kMaxIdsPerRequest));
    for (const auto& item : *v) {
      if (!item.is_string() || item.get_ref<const std::string&>().size() > 64)
        return Status::BadRequest(
            fmt::format("field '{}' must hold video id strings", Name(key)));
      out.push_back(item.get<std::string>());
    }
    return {};
  }

 private:
  const json& object_;
  std::string prefix_;
};

Status ParseMeta(const json* meta, const LimitsConfig& limits, json& out) {
  if (!meta) return {};
  if (!meta->is_object()) return Status::BadRequest("field 'video.meta' must be an object");
  struct Known {
    const char* key;
    bool (json::*check)() const noexcept;
    const char* what;
  };
  static const Known kKnown[] = {{"duration_s", &json::is_number, "a number"},
                                 {"width", &json::is_number_integer, "a whole number"},
                                 {"height", &json::is_number_integer, "a whole number"},
                                 {"model", &json::is_string, "a string"},
                                 {"codec", &json::is_string, "a string"}};
  for (const auto& k : kKnown) {
    auto it = meta->find(k.key);
    if (it != meta->end() && !it->is_null() && !((*it).*k.check)())
      return Status::BadRequest(fmt::format("field 'video.meta.{}' must be {}", k.key, k.what));
  }
  const std::string text = Dump(*meta);
  if (text.size() > limits.max_meta_bytes)
    return Status::Error(ErrorCode::kTooLarge,
                         fmt::format("field 'video.meta' is {} bytes; the limit is {}",
                                     text.size(), limits.max_meta_bytes));
  out = *meta;
  return {};
}

// `account`: {id, label?} strings, the person signed in on the origin.
Status ParseAccount(const Fields& parent, std::string& id, std::string& label) {
  const json* account = parent.Find("account");
  if (!account) return {};
  if (!account->is_object())
    return Status::BadRequest(
        fmt::format("field '{}' must be an object with an 'id'", parent.Name("account")));
  Fields a(*account, parent.Name("account") + ".");
  if (Status s = a.Text("id", kMaxAccountBytes, id, true); !s.ok()) return s;
  if (Status s = a.Text("label", kMaxAccountBytes, label); !s.ok()) return s;
  if (id.empty()) return Status::BadRequest(fmt::format("field '{}' must not be empty", a.Name("id")));
  return {};
}

Status NoControlCharacters(const std::string& text, std::string_view field) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20)
      return Status::BadRequest(fmt::format("field '{}' contains control characters", field));
  return {};
}

/// The object a request carries under `name` (`video`, `save`), or
/// bad_request when it is missing, null or not an object.
Result<const json*> RequiredObject(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null())
    return Status::BadRequest(fmt::format("field '{}' is required", name));
  if (!it->is_object()) return Status::BadRequest(fmt::format("field '{}' must be an object", name));
  return &*it;
}

Status ParseVideo(const json& body, const LimitsConfig& limits, Video& v) {
  const Result<const json*> video = RequiredObject(body, "video");
  if (!video.ok()) return video.status();
  Fields f(*video.value(), "video.");
  if (Status s = f.Url("url", limits.max_url_bytes, v.url, true); !s.ok()) return s;
  if (Status s = f.Url("thumbnail_url", limits.max_url_bytes, v.thumbnail_url); !s.ok()) return s;
  if (Status s = f.FreeText("prompt", limits.max_prompt_bytes, v.prompt); !s.ok()) return s;
  if (Status s = f.Text("chat_id", limits.max_text_bytes, v.chat_id); !s.ok()) return s;
  if (Status s = f.Url("page_url", limits.max_text_bytes, v.page_url); !s.ok()) return s;
  if (Status s = f.Text("observed_at", 64, v.observed_at); !s.ok()) return s;
  std::string source;
  if (Status s = f.Text("source", 16, source); !s.ok()) return s;
  if (!source.empty()) {
    auto parsed = ParseSource(source);
    // `app` is the host's own: only an `app_save` creates such a video.
    if (!parsed || *parsed == Source::kApp)
      return Status::BadRequest(fmt::format(
          "field 'video.source' must be sse, websocket, poll, tool, artifact, inline or manual, "
          "not '{}'",
          source));
    v.source = *parsed;
  }
  if (Status s = NoControlCharacters(v.chat_id, "video.chat_id"); !s.ok()) return s;
  if (Status s = ParseAccount(f, v.account_id, v.account_label); !s.ok()) return s;
  return ParseMeta(f.Find("meta"), limits, v.meta);
}

Status ParseAppSave(const json& body, const LimitsConfig& limits, AppSave& a) {
  const Result<const json*> save = RequiredObject(body, "save");
  if (!save.ok()) return save.status();
  Fields f(*save.value(), "save.");
  if (Status s = f.Text("chat_id", limits.max_text_bytes, a.chat_id, true); !s.ok()) return s;
  if (a.chat_id.empty()) return Status::BadRequest("field 'save.chat_id' must not be empty");
  if (Status s = NoControlCharacters(a.chat_id, "save.chat_id"); !s.ok()) return s;
  if (Status s = f.Text("message_id", 256, a.message_id); !s.ok()) return s;
  if (Status s = NoControlCharacters(a.message_id, "save.message_id"); !s.ok()) return s;
  std::string phase;
  if (Status s = f.Text("phase", 16, phase, true); !s.ok()) return s;
  if (phase != "started" && phase != "finished")
    return Status::BadRequest(
        fmt::format("field 'save.phase' must be started or finished, not '{}'", phase));
  a.finished = phase == "finished";
  if (const json* status = f.Find("http_status")) {
    if (!status->is_number_integer() || status->get<long long>() < 0 ||
        status->get<long long>() > 999)
      return Status::BadRequest("field 'save.http_status' must be a whole number from 0 to 999");
    a.http_status = static_cast<int>(status->get<long long>());
  }
  if (Status s = f.Url("page_url", limits.max_text_bytes, a.page_url, true); !s.ok()) return s;
  const json* attachments = f.Find("attachments");
  if (!attachments) return Status::BadRequest("field 'save.attachments' is required");
  if (!attachments->is_array())
    return Status::BadRequest("field 'save.attachments' must be a list of attachments");
  if (attachments->size() > kMaxAppSaveAttachments)
    return Status::Error(ErrorCode::kTooLarge,
                         fmt::format("field 'save.attachments' has {} attachments; the limit is {}",
                                     attachments->size(), kMaxAppSaveAttachments));
  for (std::size_t i = 0; i < attachments->size(); ++i) {
    const json& item = (*attachments)[i];
    const std::string name = fmt::format("save.attachments[{}]", i);
    if (!item.is_object()) return Status::BadRequest(fmt::format("field '{}' must be an object", name));
    Fields at(item, name + ".");
    AppSaveAttachment& out = a.attachments.emplace_back();
    // The page's attachments may be anything (markdown files, data links):
    // only their types and sizes are checked here; the service keeps only
    // valid http(s) videos.
    if (Status s = at.Text("url", limits.max_url_bytes, out.url, true); !s.ok()) return s;
    if (Status s = at.Text("thumbnail_url", limits.max_url_bytes, out.thumbnail_url); !s.ok()) return s;
    if (Status s = at.Text("content_type", 256, out.content_type); !s.ok()) return s;
  }
  return ParseAccount(f, a.account_id, a.account_label);
}

Status ParseList(const json& body, Request& r) {
  Fields f(body, "");
  if (const json* limit = f.Find("limit")) {
    if (!limit->is_number_integer() || limit->get<long long>() < 1)
      return Status::BadRequest("field 'limit' must be a whole number from 1 to 500");
    r.limit = static_cast<int>(std::min<long long>(limit->get<long long>(), kMaxListLimit));
  }
  std::string cursor;
  if (Status s = f.Text("cursor", 64, cursor); !s.ok()) return s;
  if (!cursor.empty()) {
    std::int64_t seq = 0;
    const char* begin = cursor.data() + 1;
    const char* end = cursor.data() + cursor.size();
    auto [ptr, ec] = std::from_chars(begin, end, seq);
    if (cursor[0] != 's' || ec != std::errc() || ptr != end || seq < 0)
      return Status::BadRequest("field 'cursor' is not a cursor this host gave out");
    r.before_seq = seq;
  }
  if (f.Find("chat_id")) {
    std::string chat;
    if (Status s = f.Text("chat_id", 8 * 1024, chat); !s.ok()) return s;
    r.chat_id = chat;
  }
  if (Status s = f.Text("query", kMaxQueryBytes, r.query); !s.ok()) return s;
  std::string sync;
  if (Status s = f.Text("sync", 32, sync); !s.ok()) return s;
  if (!sync.empty()) {
    r.sync = ParseSyncState(sync);
    if (!r.sync)
      return Status::BadRequest(fmt::format(
          "field 'sync' must be pending, synced, failed, auth_required, local or saved_by_app, "
          "not '{}'",
          sync));
  }
  return {};
}

Status ParseMediaRead(const json& body, Request& r) {
  Fields f(body, "");
  if (Status s = f.Text("video_id", 64, r.video_id, true); !s.ok()) return s;
  std::string kind = "video";
  if (Status s = f.Text("kind", 16, kind); !s.ok()) return s;
  auto parsed = ParseFileKind(kind);
  if (!parsed) return Status::BadRequest("field 'kind' must be video or thumbnail");
  r.kind = *parsed;
  for (auto [key, out, min, max] : {std::tuple{"offset", &r.offset, std::int64_t{0}, INT64_MAX},
                                    std::tuple{"length", &r.length, std::int64_t{1}, kMaxMediaReadBytes}}) {
    const json* v = f.Find(key);
    if (!v) continue;
    if (!v->is_number_integer() || v->get<long long>() < min)
      return Status::BadRequest(fmt::format("field '{}' must be a whole number of at least {}", key, min));
    *out = std::min<std::int64_t>(v->get<long long>(), max);  // a longer read is served in part
  }
  return {};
}

Status ParseMediaPin(const json& body, Request& r) {
  const json* pinned = body.contains("pinned") ? &body["pinned"] : nullptr;
  if (!pinned || !pinned->is_boolean()) return Status::BadRequest("field 'pinned' must be true or false");
  r.pinned = pinned->get<bool>();
  return Fields(body, "").Ids("video_ids", r.video_ids);
}

Status ParseConfigure(const json& body, Request& r) {
  const json* server = body.contains("server") ? &body["server"] : nullptr;
  if (!server || !server->is_object())
    return Status::BadRequest("field 'server' must be an object with an 'origin'");
  Fields f(*server, "server.");
  std::string origin;
  if (Status s = f.Text("origin", 2048, origin, true); !s.ok()) return s;
  r.origin = OriginOf(origin);
  if (origin.find('@') != std::string::npos)
    return Status::InvalidUrl("field 'server.origin' must not carry a user name or password");
  if (r.origin.empty() || !IsAllowedSyncOrigin(r.origin))
    return Status::InvalidUrl(
        "field 'server.origin' must be an https origin, or http on a loopback address");
  if (const json* auth = f.Find("auth")) {
    if (!auth->is_object()) return Status::BadRequest("field 'server.auth' must be an object");
    Fields a(*auth, "server.auth.");
    if (Status s = a.Text("cookie", kMaxAuthBytes, r.auth.cookie); !s.ok()) return s;
    if (Status s = a.Text("bearer", kMaxAuthBytes, r.auth.bearer); !s.ok()) return s;
    // Header injection: a credential must fit in one header line.
    for (const std::string* v : {&r.auth.cookie, &r.auth.bearer})
      if (v->find_first_of("\r\n") != std::string::npos)
        return Status::BadRequest("field 'server.auth' must not contain line breaks");
  }
  return {};
}

}  // namespace

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Status ParseRequest(std::string_view payload, const LimitsConfig& limits, Request& out) {
  out.id = nullptr;
  json body;
  try {
    // The callback sees every nesting step; refusing deep documents here keeps
    // a hostile frame from exhausting memory or the stack of later consumers.
    const int max_depth = limits.max_json_depth;
    body = json::parse(payload, [max_depth](int depth, json::parse_event_t event, json&) {
      if ((event == json::parse_event_t::object_start ||
           event == json::parse_event_t::array_start) &&
          depth >= max_depth)
        throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    return Status::BadRequest(
        fmt::format("the request nests deeper than {} levels", limits.max_json_depth));
  } catch (const json::exception& e) {
    return Status::BadRequest(fmt::format("the frame is not valid UTF-8 JSON ({})", e.what()));
  }
  if (!body.is_object()) return Status::BadRequest("a request must be a JSON object");

  auto id = body.find("id");
  if (id == body.end() || id->is_null())
    return Status::BadRequest("the request has no 'id'");
  if (!id->is_string() && !id->is_number())
    return Status::BadRequest("field 'id' must be a string or a number");
  if (id->is_string() && id->get_ref<const std::string&>().size() > 256)
    return Status::BadRequest("field 'id' is longer than 256 bytes");
  out.id = *id;

  auto type = body.find("type");
  if (type == body.end() || !type->is_string())
    return Status::BadRequest("field 'type' must be a string naming the request");
  const auto& name = type->get_ref<const std::string&>();
  static const std::pair<std::string_view, RequestType> kTypes[] = {
      {"hello", RequestType::kHello},   {"video", RequestType::kVideo},
      {"list", RequestType::kList},     {"get", RequestType::kGet},
      {"delete", RequestType::kDelete}, {"resync", RequestType::kResync},
      {"status", RequestType::kStatus}, {"configure", RequestType::kConfigure},
      {"media_read", RequestType::kMediaRead}, {"media_pin", RequestType::kMediaPin},
      {"media_fetch", RequestType::kMediaFetch}, {"app_save", RequestType::kAppSave}};
  bool known = false;
  for (const auto& [text, t] : kTypes)
    if (text == name) {
      out.type = t;
      known = true;
    }
  if (!known)
    return Status::Error(ErrorCode::kUnsupported,
                         fmt::format("unknown request type '{}'", name.substr(0, 64)));

  Fields f(body, "");
  switch (out.type) {
    case RequestType::kHello:
      return f.Text("extension_version", 64, out.extension_version);
    case RequestType::kVideo:
      return ParseVideo(body, limits, out.video);
    case RequestType::kList:
      return ParseList(body, out);
    case RequestType::kGet:
      return f.Text("video_id", 64, out.video_id, true);
    case RequestType::kDelete:
    case RequestType::kResync:
    case RequestType::kMediaFetch:
      return f.Ids("video_ids", out.video_ids);
    case RequestType::kMediaRead:
      return ParseMediaRead(body, out);
    case RequestType::kMediaPin:
      return ParseMediaPin(body, out);
    case RequestType::kStatus:
      return {};
    case RequestType::kConfigure:
      return ParseConfigure(body, out);
    case RequestType::kAppSave:
      return ParseAppSave(body, limits, out.app_save);
  }
  return Status::Internal("unhandled request type");
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest: return "bad_request";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kInvalidUrl: return "invalid_url";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

std::string OkAnswer(const json& id, json fields) {
  fields["id"] = id;
  fields["ok"] = true;
  return Dump(fields);
}

std::string ConfigureAnswer(const json& id, const AccountCheck& check) {
  json account = nullptr;
  if (check.checked && check.account) {
    account = {{"id", check.account->id}};
    account["label"] = check.account->label.empty() ? json(nullptr) : json(check.account->label);
  }
  return OkAnswer(id, {{"account", std::move(account)}, {"account_checked", check.checked}});
}

std::string ErrorAnswer(const json& id, const Status& status) {
  return Dump({{"id", id},
               {"ok", false},
               {"error",
                {{"code", ErrorCodeName(status.code())},
                 {"message", status.message()},
                 {"retryable", status.retryable()}}}});
}

namespace {

json OrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

// The state a file is shown in: `evicted` is `not_cached` (with the reason
// in `error`).
CacheState ShownState(const FileCache& f) {
  return f.state == CacheState::kEvicted ? CacheState::kNotCached : f.state;
}

// How much of the file is here, when that can be said: 100 once cached,
// else at most 99 of a known size.
std::optional<std::int64_t> Percent(const FileCache& f) {
  if (f.state == CacheState::kCached) return 100;
  if (f.total && *f.total > 0) return std::min<std::int64_t>(99, f.bytes * 100 / *f.total);
  return std::nullopt;
}

// One file's cache state as `media_state` events carry it (every key).
json FileCacheToJson(const FileCache& f, bool with_generated) {
  const auto percent = Percent(f);
  json out = {{"state", ToString(ShownState(f))},
              {"bytes", f.bytes},
              {"total", f.total ? json(*f.total) : json(nullptr)},
              {"percent", percent ? json(*percent) : json(nullptr)},
              {"content_type", OrNull(f.content_type)},
              {"sha256", OrNull(f.sha256)},
              {"error", OrNull(f.error)}};
  if (with_generated) out["generated"] = f.generated;
  return out;
}

// ---- Records (record format 2, docs/protocol-extensions.md "Lean records"):
// written as JSON text straight into the answer, keys in byte order (as
// nlohmann's std::map objects order them, so `vidkeep --json`, which parses
// this text, prints the same bytes), a key only when there is something to say.

// Nothing to say about a file: no media row, or one that holds nothing yet.
bool IsBlank(const FileCache& f) {
  return f.state == CacheState::kNotCached && f.bytes == 0 && !f.total && f.content_type.empty() &&
         f.sha256.empty() && f.error.empty() && !f.generated;
}

// One file's cache state in a lean record: the keys with something to say.
void WriteFileCache(JsonWriter& w, const FileCache& f) {
  w.BeginObject();
  w.IntField("bytes", f.bytes);
  w.NonEmptyString("content_type", f.content_type);
  w.NonEmptyString("error", f.error);
  if (f.generated) {
    w.Key("generated");
    w.Bool(true);
  }
  if (const auto percent = Percent(f)) w.IntField("percent", *percent);
  w.NonEmptyString("sha256", f.sha256);
  w.StringField("state", ToString(ShownState(f)));
  if (f.total) w.IntField("total", *f.total);
  w.EndObject();
}

void WriteMediaInfo(JsonWriter& w, const MediaFacts& info) {
  w.BeginObject();
  w.NonEmptyString("audio_codec", info.audio_codec);
  w.NonEmptyString("container", info.container);
  if (info.duration_s) {
    w.Key("duration_s");
    w.Value(*info.duration_s);
  }
  if (info.height) w.IntField("height", *info.height);
  w.NonEmptyString("video_codec", info.video_codec);
  if (info.width) w.IntField("width", *info.width);
  w.EndObject();
}

// `media`, or nothing when there is nothing to say (no copy, not pinned,
// never viewed, not probed): the reader then takes every file as not cached.
void WriteMedia(JsonWriter& w, const MediaSummary& m) {
  const bool video = !IsBlank(m.video), thumbnail = !IsBlank(m.thumbnail);
  if (!video && !thumbnail && !m.info && !m.pinned && m.last_viewed_ms <= 0) return;
  w.Key("media");
  w.BeginObject();
  if (m.info) {
    w.Key("info");
    WriteMediaInfo(w, *m.info);
  }
  if (m.last_viewed_ms > 0) w.StringField("last_viewed_at", FormatUtcMs(m.last_viewed_ms));
  if (m.pinned) {
    w.Key("pinned");
    w.Bool(true);
  }
  if (thumbnail) {
    w.Key("thumbnail");
    WriteFileCache(w, m.thumbnail);
  }
  if (video) {
    w.Key("video");
    WriteFileCache(w, m.video);
  }
  w.EndObject();
}

void WriteRecord(JsonWriter& w, const VideoRecord& r) {
  w.BeginObject();
  if (!r.video.account_id.empty()) {
    w.Key("account");
    w.BeginObject();
    w.StringField("id", r.video.account_id);
    w.NonEmptyString("label", r.video.account_label);
    w.EndObject();
  }
  w.NonEmptyString("app_message_id", r.app_message_id);
  w.StringField("canonical_url", r.canonical_url);
  w.NonEmptyString("chat_id", r.video.chat_id);
  w.StringField("created_at", r.created_at);
  w.NonEmptyString("last_error", r.last_error);
  if (r.media) WriteMedia(w, *r.media);
  if (IsJsonObject(r.meta_text)) {
    // As stored: the host stores nlohmann's compact dumps, so this is the
    // text a parse and a dump would give (protocol_test). Anything else (a
    // database edited by hand) is still one valid object here, if unsorted.
    if (r.meta_text != "{}") {
      w.Key("meta");
      w.Raw(r.meta_text);
    }
  } else if (!r.video.meta.empty()) {
    w.Key("meta");
    w.Value(r.video.meta);
  }
  w.NonEmptyString("observed_at", r.video.observed_at);
  w.NonEmptyString("origin", r.origin);
  w.NonEmptyString("page_url", r.video.page_url);
  w.NonEmptyString("prompt", r.video.prompt);
  w.StringField("source", ToString(r.video.source));
  w.StringField("sync", ToString(r.sync));
  w.IntField("sync_attempts", r.sync_attempts);
  w.NonEmptyString("thumbnail_url", r.video.thumbnail_url);
  w.StringField("url", r.video.url);
  w.StringField("video_id", r.video_id);
  w.EndObject();
}

}  // namespace

std::string RecordJsonText(const VideoRecord& record) {
  std::string out;
  JsonWriter w(out);
  WriteRecord(w, record);
  return out;
}

json RecordToJson(const VideoRecord& record) { return json::parse(RecordJsonText(record)); }

// What follows the records: `],"next_cursor":"s<19 digits>","truncated":true}`.
constexpr std::size_t kListTailBytes = 64;

std::string ListAnswer(const json& id, const std::vector<VideoRecord>& records, bool more,
                       std::size_t max_bytes) {
  std::string out;
  out.reserve(256 + 640 * records.size());
  JsonWriter w(out);
  w.BeginObject();
  w.Key("id");
  w.Value(id);
  w.Key("ok");
  w.Bool(true);
  w.IntField("record_format", kRecordFormat);
  w.Key("videos");
  w.BeginArray();
  const VideoRecord* last = nullptr;
  bool cut = false;
  for (const auto& record : records) {
    const std::size_t before = out.size();
    WriteRecord(w, record);
    // Browsers refuse messages of 1 MiB or more: cut the page short (never
    // before its first record) and let the cursor continue after the last.
    if (out.size() + kListTailBytes > max_bytes && last) {
      out.resize(before);  // the comma before it goes too; the array is not empty
      cut = true;
      break;
    }
    last = &record;
  }
  w.EndArray();
  w.Key("next_cursor");
  if (last && (cut || more))
    w.String(CursorAfter(*last));
  else
    w.Null();
  if (cut) {
    w.Key("truncated");
    w.Bool(true);
  }
  w.EndObject();
  return out;
}

namespace {

json HistoryToJson(const std::vector<SyncAttempt>& history) {
  json attempts = json::array();
  for (const auto& a : history)
    attempts.push_back(
        {{"at", a.at}, {"http_status", a.http_status}, {"result", a.result}, {"reason", a.reason}});
  return attempts;
}

// The counts of `status` and `vidkeep stats`: one field per sync state.
json StatsCountsJson(const StoreStats& stats) {
  json out = {{"videos", stats.videos}, {"last_error", OrNull(stats.last_error)}};
  for (SyncState s : kAllSyncStates) out[std::string(ToString(s))] = stats.count(s);
  return out;
}

// CacheUsage's counts, every state present.
json CountsByStateJson(const std::map<std::string, std::int64_t>& counts) {
  json out = json::object();
  for (CacheState s : kAllCacheStates) {
    auto it = counts.find(std::string(ToString(s)));
    out[std::string(ToString(s))] = it == counts.end() ? 0 : it->second;
  }
  return out;
}

// VerifyReport's "video_id kind: why" as {"video_id", "kind", "why"}.
json DamagedToJson(const std::string& damaged) {
  const auto space = damaged.find(' ');
  const auto colon = damaged.find(": ", space == std::string::npos ? 0 : space);
  if (space == std::string::npos || colon == std::string::npos) return {{"why", damaged}};
  return {{"video_id", damaged.substr(0, space)},
          {"kind", damaged.substr(space + 1, colon - space - 1)},
          {"why", damaged.substr(colon + 2)}};
}

}  // namespace

json HelloAnswerJson(std::string_view host_version, const std::string& db_path) {
  return {{"host_version", host_version},
          {"protocol", kProtocolVersion},
          {"record_format", kRecordFormat},
          {"db_path", db_path}};
}

json VideoAnswerJson(const std::string& video_id, bool duplicate, SyncState sync) {
  return {{"video_id", video_id}, {"duplicate", duplicate}, {"sync", ToString(sync)}};
}

json GetAnswerJson(const VideoRecord& record, const std::vector<SyncAttempt>& history) {
  return {{"video", RecordToJson(record)},
          {"history", HistoryToJson(history)},
          {"record_format", kRecordFormat}};
}

json DeleteAnswerJson(int deleted) { return {{"deleted", deleted}}; }

json QueuedAnswerJson(int queued) { return {{"queued", queued}}; }

json StatusAnswerJson(const StoreStats& stats, std::string_view host_version) {
  json fields = StatsCountsJson(stats);
  fields["host_version"] = host_version;
  return fields;
}

json MediaReadAnswerJson(const std::string& content_type, std::int64_t size, std::int64_t offset,
                         std::string_view data) {
  const auto got = static_cast<std::int64_t>(data.size());
  return {{"content_type", OrNull(content_type)},
          {"size", size},
          {"offset", offset},
          {"data", Base64(data)},
          {"eof", offset + got >= size}};
}

json MediaPinAnswerJson(int changed) { return {{"changed", changed}}; }

json AppSaveAnswerJson(int matched) { return {{"matched", matched}}; }

std::string HelloRequest(const json& id, std::string_view extension_version) {
  return Dump({{"type", "hello"}, {"id", id}, {"extension_version", extension_version}});
}

Result<HelloAnswer> ParseHelloAnswer(std::string_view payload) {
  json doc = json::parse(payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::BadRequest("answer is not a JSON object");
  auto text = [](const json& object, const char* key, std::string& out) {
    auto it = object.find(key);
    if (it != object.end() && it->is_string()) out = it->get<std::string>();
  };
  HelloAnswer answer;
  auto ok = doc.find("ok");
  answer.ok = ok != doc.end() && ok->is_boolean() && ok->get<bool>();
  if (auto e = doc.find("error"); e != doc.end() && e->is_object()) {
    text(*e, "code", answer.error_code);
    text(*e, "message", answer.error_message);
  }
  if (auto p = doc.find("protocol"); p != doc.end()) answer.protocol = *p;
  text(doc, "host_version", answer.host_version);
  if (auto db = doc.find("db_path"); db != doc.end() && db->is_string())
    answer.db_path = db->get<std::string>();
  return answer;
}

json CliListJson(const std::vector<VideoRecord>& records) {
  json out = json::array();
  for (const auto& r : records) out.push_back(RecordToJson(r));
  return out;
}

json CliShowJson(const VideoRecord& record, const std::vector<SyncAttempt>& history) {
  json out = RecordToJson(record);
  out["history"] = HistoryToJson(history);
  return out;
}

json CliStatsJson(const StoreStats& stats, const std::string& database) {
  json out = StatsCountsJson(stats);
  out["database"] = database;
  out["database_bytes"] = stats.database_bytes;
  return out;
}

json CliCacheStatsJson(const CacheUsage& usage, std::int64_t quota_bytes,
                       const std::string& directory, bool enabled) {
  return {{"files", usage.files},
          {"bytes", usage.bytes},
          {"quota_bytes", quota_bytes},
          {"pinned", usage.pinned_videos},
          {"directory", directory},
          {"enabled", enabled},
          {"videos", CountsByStateJson(usage.videos_by_state)},
          {"thumbnails", CountsByStateJson(usage.thumbnails_by_state)}};
}

json CliCacheVerifyJson(const VerifyReport& report, const std::string& directory,
                        const std::optional<FetchCounts>& fetched) {
  json out = {{"checked", report.checked},
              {"bytes", report.bytes},
              {"directory", directory},
              {"damaged", json::array()}};
  for (const auto& d : report.damaged) out["damaged"].push_back(DamagedToJson(d));
  if (fetched)
    out["fetched"] = {
        {"cached", fetched->cached}, {"failed", fetched->failed}, {"later", fetched->later}};
  return out;
}

json CliCachePruneJson(const PruneReport& report, std::int64_t bytes, std::int64_t quota_bytes) {
  return {{"evicted", report.evicted},         {"orphans", report.orphans},
          {"partials", report.partials},       {"bytes_freed", report.bytes_freed},
          {"bytes", bytes},                    {"quota_bytes", quota_bytes}};
}

std::string DumpPretty(const json& value) {
  return value.dump(2, ' ', false, json::error_handler_t::replace);
}

std::string CursorAfter(const VideoRecord& record) { return "s" + std::to_string(record.seq); }

std::string SyncStateEvent(const std::string& video_id, SyncState state,
                           const std::string& last_error) {
  json event = {{"type", "sync_state"}, {"video_id", video_id}, {"sync", ToString(state)}};
  if (!last_error.empty()) event["last_error"] = last_error;
  return Dump(event);
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock takes an int length; reads are at most 512 KiB.
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string MediaStateEvent(const std::string& video_id, FileKind kind, const FileCache& file) {
  json event = FileCacheToJson(file, kind == FileKind::kThumbnail);
  event["type"] = "media_state";
  event["video_id"] = video_id;
  event["kind"] = ToString(kind);
  return Dump(event);
}

}  // namespace vidkeep
