#include "service.h"

#include <cctype>
#include <optional>
#include <set>

#include <spdlog/spdlog.h>

#include "dedupe.h"

namespace vidkeep {

namespace {
using nlohmann::json;

// Room kept under the frame limit in a list answer (the limit counts the
// whole answer; this keeps a margin, as before).
constexpr std::size_t kAnswerHeadroom = 16 * 1024;
}  // namespace

const char* HostVersion() { return VIDKEEP_VERSION; }

Service::Service(Store* store, const Config& config, bool caller_allowed,
                 std::string unavailable_reason)
    : store_(store),
      config_(config),
      caller_allowed_(caller_allowed),
      unavailable_reason_(std::move(unavailable_reason)),
      signing_(config.signing_params) {}

std::vector<BatchAnswer> Service::HandleBatch(const std::vector<FrameEvent>& frames) {
  struct Item {
    Request request;
    Status parsed;
    std::string answer;
  };
  std::vector<Item> items(frames.size());
  bool has_writes = false;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Item& item = items[i];
    if (frames[i].kind == FrameEvent::Kind::kTooLarge) {
      item.parsed = Status::Error(
          ErrorCode::kTooLarge, fmt::format("the frame is {} bytes; the limit is {}",
                                            frames[i].length, config_.limits.max_frame_bytes));
    } else {
      item.parsed = ParseRequest(frames[i].payload, config_.limits, item.request);
    }
    // A refused caller learns nothing else: not even whether its frame parsed.
    if (!caller_allowed_)
      item.parsed = Status::Error(ErrorCode::kUnauthorized,
                                  "this extension is not allowed to use vidkeep; add its id to "
                                  "allowed_callers (installer --extension-id)");
    if (item.parsed.ok() && !store_) item.parsed = Status::Unavailable(unavailable_reason_);
    if (item.parsed.ok() && item.request.IsWrite()) has_writes = true;
  }

  // One transaction for the batch's writes (a group commit), each request in
  // a savepoint of its own; the guard rolls back if Commit is never reached.
  std::optional<Store::Transaction> batch;
  if (has_writes) batch.emplace(*store_);
  const Status begin = batch ? batch->status() : Status();
  BatchEffects effects;
  for (Item& item : items) {
    const Request& r = item.request;
    if (!item.parsed.ok()) {
      item.answer = ErrorAnswer(r.id, item.parsed);
    } else if (r.IsWrite() && !begin.ok()) {
      item.answer = ErrorAnswer(r.id, begin);
    } else if (r.IsWrite()) {
      Result<json> fields = Status::Internal("not run");
      Status s = store_->InSavepoint([&]() -> Status {
        fields = Handle(r, effects);
        return fields.status();
      });
      item.answer = s.ok() ? OkAnswer(r.id, std::move(fields).value()) : ErrorAnswer(r.id, s);
    } else if (r.type == RequestType::kList) {
      // Written straight into the answer's text: the popup's first paint.
      Result<std::string> answer = HandleList(r);
      item.answer = answer.ok() ? std::move(answer).value() : ErrorAnswer(r.id, answer.status());
    } else {
      Result<json> fields = Handle(r, effects);
      item.answer = fields.ok() ? OkAnswer(r.id, std::move(fields).value())
                                : ErrorAnswer(r.id, fields.status());
    }
  }

  if (batch && begin.ok()) {
    if (Status commit = batch->Commit(); !commit.ok()) {
      // Nothing of this batch is durable: no write may be acknowledged.
      spdlog::error("commit failed, {} answers turned into errors: {}", items.size(),
                    commit.message());
      for (Item& item : items)
        if (item.parsed.ok() && item.request.IsWrite())
          item.answer = ErrorAnswer(item.request.id, commit);
      effects.queued_sync = false;
    }
  }
  if (effects.queued_sync && on_sync_work_) on_sync_work_();
  if ((effects.queued_media || effects.stored_video) && on_media_work_) on_media_work_();

  // A configure's answer waits for the lookup of its credentials, which the
  // caller runs now that the transaction is over (it uses the store).
  std::vector<BatchAnswer> answers(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    Item& item = items[i];
    if (item.parsed.ok() && item.request.type == RequestType::kConfigure)
      answers[i].configure = BatchAnswer::Configure{item.request.id, item.request.origin,
                                                    item.request.auth};
    else
      answers[i].payload = std::move(item.answer);
  }
  return answers;
}

Result<json> Service::Handle(const Request& r, BatchEffects& effects) {
  switch (r.type) {
    case RequestType::kHello:
      return HelloAnswerJson(HostVersion(), store_->path());
    case RequestType::kVideo:
      return HandleVideo(r, effects);
    case RequestType::kList:  // HandleBatch answers it with HandleList
      return Status::Internal("list is not answered here");
    case RequestType::kGet: {
      auto record = store_->Get(r.video_id);
      if (!record.ok()) return record.status();
      // A history that cannot be read is no reason to withhold the video.
      auto history = store_->History(r.video_id);
      return GetAnswerJson(*record, history.ok() ? *history : std::vector<SyncAttempt>{});
    }
    case RequestType::kDelete: {
      auto deleted = store_->Delete(r.video_ids);
      if (!deleted.ok()) return deleted.status();
      return DeleteAnswerJson(*deleted);
    }
    case RequestType::kResync: {
      auto queued = store_->Resync(r.video_ids);
      if (!queued.ok()) return queued.status();
      if (*queued > 0) effects.queued_sync = true;
      return QueuedAnswerJson(*queued);
    }
    case RequestType::kStatus: {
      auto stats = store_->Stats();
      if (!stats.ok()) return stats.status();
      return StatusAnswerJson(*stats, HostVersion());
    }
    case RequestType::kMediaRead:
      return HandleMediaRead(r);
    case RequestType::kMediaPin: {
      auto changed = store_->SetPinned(r.video_ids, r.pinned);
      if (!changed.ok()) return changed.status();
      return MediaPinAnswerJson(*changed);
    }
    case RequestType::kMediaFetch: {
      auto queued = store_->RequeueMedia(r.video_ids);
      if (!queued.ok()) return queued.status();
      if (*queued > 0) effects.queued_media = true;
      return QueuedAnswerJson(*queued);
    }
    case RequestType::kAppSave:
      return HandleAppSave(r, effects);
    case RequestType::kConfigure: {
      // Never log the credential itself, only which kinds arrived.
      spdlog::info("configure origin={} cookie={} bearer={}", r.origin,
                   r.auth.cookie.empty() ? "no" : "yes", r.auth.bearer.empty() ? "no" : "yes");
      return json::object();
    }
  }
  return Status::Internal("unhandled request type");
}

namespace {

// Sources that show a video the page may have opened from the chat's
// history: a video known only from them is never sent by itself.
bool IsSeenSource(Source source) { return source == Source::kArtifact || source == Source::kInline; }

// 8-4-4-4-12 hex digits, either case.
bool IsUuid(std::string_view id) {
  if (id.size() != 36) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? id[i] != '-' : !std::isxdigit(static_cast<unsigned char>(id[i]))) return false;
  }
  return true;
}

// A chat id in a message, cut short: it came from a page address.
std::string Quoted(const std::string& text) {
  return "\"" + (text.size() > 100 ? text.substr(0, 100) + "..." : text) + "\"";
}

}  // namespace

bool Service::ChatIdAccepted(const std::string& chat_id) const {
  const std::string& pattern = config_.sync.chat_id_pattern;
  if (pattern.empty()) return true;
  // What SyncConfig::kUuidPattern matches (case-insensitive), without
  // libstdc++'s regex matcher, which cost more per video than the rest of
  // the check.
  if (pattern == SyncConfig::kUuidPattern) return IsUuid(chat_id);
  // Real chat ids are short; a long one is not worth a regex's time (libstdc++'s
  // matcher recurses per character).
  if (chat_id.size() > 1024) return false;
  // Config::Apply has checked that the pattern compiles.
  if (!chat_id_pattern_)
    chat_id_pattern_.emplace(pattern, std::regex::ECMAScript | std::regex::icase | std::regex::optimize);
  return std::regex_match(chat_id, *chat_id_pattern_);
}

std::pair<LocalReason, std::string> Service::WhyLocal(const std::string& chat_id,
                                                      const std::string& origin) const {
  if (chat_id.empty())
    return {LocalReason::kNoChat, "no chat id: the page's address named no chat when the video was made"};
  if (!config_.sync.enabled)
    return {LocalReason::kSyncOff, "sync is off (sync.enabled is false in the config)"};
  if (!IsAllowedSyncOrigin(origin))
    return {LocalReason::kBadOrigin,
            origin.empty() ? "no page address: vidkeep cannot tell which chat app to send it to"
                           : origin + " is neither https nor http on a loopback address: vidkeep never sends there"};
  if (!ChatIdAccepted(chat_id))
    return {LocalReason::kBadChatId,
            config_.sync.chat_id_pattern == SyncConfig::kUuidPattern
                ? "chat id " + Quoted(chat_id) + " is not a UUID: the chat app would refuse it"
                : "chat id " + Quoted(chat_id) + " does not match sync.chat_id_pattern"};
  return {LocalReason::kNone, ""};
}

Result<json> Service::HandleVideo(const Request& r, BatchEffects& effects) {
  VideoRecord record;
  record.video = r.video;
  auto canonical = CanonicalUrl(r.video.url, signing_);
  if (!canonical.ok()) return canonical.status();
  record.canonical_url = std::move(canonical).value();
  record.video_id = VideoIdFor(r.video.chat_id, record.canonical_url);
  record.origin = OriginOf(r.video.page_url);

  auto [reason, why] = WhyLocal(r.video.chat_id, record.origin);
  const bool sendable = reason == LocalReason::kNone;
  if (sendable && IsSeenSource(r.video.source)) {
    reason = LocalReason::kSeenOnly;
    why = "seen on the page only (opened from the chat's history?): not sent; resync sends it";
  }
  record.sync = reason == LocalReason::kNone ? SyncState::kPending : SyncState::kLocal;
  record.last_error = why;
  PutPlan plan;
  plan.local_reason = reason;
  // The app saves a video it shows within about a second (longer when it
  // titles a new chat): its own save, or word of it, should come first.
  const int grace = config_.sync.app_save_grace_ms;
  plan.not_before_ms = grace > 0 ? UnixMs() + grace : 0;
  plan.promotes_seen = sendable && !IsSeenSource(r.video.source);

  auto outcome = store_->PutVideo(record, plan);
  if (!outcome.ok()) return outcome.status();
  if ((!outcome->duplicate && outcome->sync == SyncState::kPending) || outcome->promoted)
    effects.queued_sync = true;
  if (!outcome->duplicate) effects.stored_video = true;
  spdlog::debug("video {} {} ({})", outcome->video_id,
                outcome->promoted ? "promoted" : outcome->duplicate ? "duplicate" : "stored",
                ToString(r.video.source));
  return VideoAnswerJson(outcome->video_id, outcome->duplicate, outcome->sync);
}

Result<json> Service::HandleAppSave(const Request& r, BatchEffects& effects) {
  const AppSave& save = r.app_save;
  // The app refuses such a chat id (its column is a UUID): nothing to learn.
  if (!ChatIdAccepted(save.chat_id)) return AppSaveAnswerJson(0);
  AppSaveFact fact;
  fact.phase = save.finished ? AppSavePhase::kFinished : AppSavePhase::kStarted;
  fact.http_status = save.http_status;
  fact.message_id = save.message_id;
  fact.now_ms = UnixMs();
  fact.wait_until_ms = fact.now_ms + config_.sync.app_save_wait_ms;
  const std::string origin = OriginOf(save.page_url);
  const auto [reason, why] = WhyLocal(save.chat_id, origin);

  std::set<std::string> done;  // one message may list a video twice
  int matched = 0;
  for (const AppSaveAttachment& a : save.attachments) {
    if (!LooksLikeVideo(a.url, a.content_type)) continue;
    if (!ValidateMediaUrl(a.url, config_.limits.max_url_bytes).ok()) continue;
    auto canonical = CanonicalUrl(a.url, signing_);
    if (!canonical.ok()) continue;
    VideoRecord record;
    record.canonical_url = std::move(canonical).value();
    record.video_id = VideoIdFor(save.chat_id, record.canonical_url);
    if (!done.insert(record.video_id).second) continue;
    record.origin = origin;
    Video& v = record.video;
    v.url = a.url;
    if (ValidateMediaUrl(a.thumbnail_url, config_.limits.max_url_bytes).ok())
      v.thumbnail_url = a.thumbnail_url;
    v.chat_id = save.chat_id;
    v.source = Source::kApp;
    v.page_url = save.page_url;
    v.observed_at = NowUtc();
    v.account_id = save.account_id;
    v.account_label = save.account_label;
    // The real type, for the message vidkeep may send (save_message.cpp).
    if (a.content_type.size() <= 100 && LooksLikeVideo("", a.content_type))
      v.meta[kMetaContentType] = a.content_type;
    record.sync = reason == LocalReason::kNone ? SyncState::kPending : SyncState::kLocal;
    record.last_error = why;
    PutPlan plan;
    plan.local_reason = reason;

    auto outcome = store_->ApplyAppSave(record, plan, fact);
    if (!outcome.ok()) return outcome.status();
    ++matched;
    if (outcome->created) effects.stored_video = true;
    if (outcome->sync == SyncState::kPending) effects.queued_sync = true;
    spdlog::debug("app save {} ({} {}) -> {}", record.video_id, save.finished ? "finished" : "started",
                  save.http_status, ToString(outcome->sync));
  }
  return AppSaveAnswerJson(matched);
}

Result<json> Service::HandleMediaRead(const Request& r) {
  if (!media_files_) return Status::Error(ErrorCode::kUnsupported, "the media cache is off");
  auto file = store_->CachedFileOf(r.video_id, r.kind);
  if (!file.ok()) return file.status();
  auto data = media_files_->Read(file->sha256, r.offset, static_cast<std::size_t>(r.length));
  if (!data.ok()) return data.status();
  if (r.kind == FileKind::kVideo && r.offset == 0) {
    // Playing counts as a view for eviction; a failure to note it is no
    // reason to refuse the bytes.
    auto view = [&] { return store_->MarkViewed(r.video_id, UnixMs()); };
    Status viewed = store_->InTransaction() ? view() : store_->Transact(view);
    if (!viewed.ok()) spdlog::debug("view of {} not recorded: {}", r.video_id, viewed.message());
  }
  return MediaReadAnswerJson(file->content_type, file->bytes, r.offset, *data);
}

Result<std::string> Service::HandleList(const Request& r) {
  ListQuery q;
  q.limit = r.limit;
  q.before_seq = r.before_seq;
  q.chat_id = r.chat_id;
  q.text = r.query;
  q.sync = r.sync;
  auto page = store_->List(q);
  if (!page.ok()) return page.status();
  return ListAnswer(r.id, page->videos, page->more, kMaxOutgoingFrameBytes - kAnswerHeadroom);
}

}  // namespace vidkeep
