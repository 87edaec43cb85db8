// Plain data of vidkeep: what the extension sends and what the host keeps.
// No I/O, no wire names (protocol.cpp maps these to JSON).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace vidkeep {

/// Where the extension saw a video (PROTOCOL.md section 3;
/// docs/protocol-extensions.md "New capture sources"). kArtifact and kInline
/// are "seen" sources: a video known only from them is never sent by itself.
/// kApp is the app's own save (`app_save`); the extension never sends it.
enum class Source { kSse, kArtifact, kManual, kWebSocket, kPoll, kTool, kInline, kApp };

/// Sync state of a video's outbox row (PROTOCOL.md section 3).
/// kSavedByApp: the app saved a message with the video itself; never sent.
enum class SyncState { kPending, kSynced, kFailed, kAuthRequired, kLocal, kSavedByApp };

inline constexpr SyncState kAllSyncStates[] = {SyncState::kPending,      SyncState::kSynced,
                                               SyncState::kFailed,       SyncState::kAuthRequired,
                                               SyncState::kLocal,        SyncState::kSavedByApp};

std::string_view ToString(Source source);
std::optional<Source> ParseSource(std::string_view text);
std::string_view ToString(SyncState state);
std::optional<SyncState> ParseSyncState(std::string_view text);

/// A video as the extension reports it.
struct Video {
  std::string url;
  std::string thumbnail_url;  // empty: none
  std::string prompt;         // empty: none
  std::string chat_id;        // empty: the "empty chat"
  Source source = Source::kSse;
  std::string page_url;
  std::string observed_at;
  nlohmann::json meta = nlohmann::json::object();  // free-form, kept as given
  /// Who was signed in on the origin when the video was captured (the last
  /// identity the extension saw there). Empty id: unknown.
  std::string account_id;
  std::string account_label;
};

/// The two files the media cache keeps of a video (docs/media.md).
enum class FileKind { kVideo, kThumbnail };

/// Where a cached file stands. `kEvicted` is shown as not cached, with why.
enum class CacheState { kNotCached, kDownloading, kCached, kFailed, kEvicted };
inline constexpr CacheState kAllCacheStates[] = {CacheState::kNotCached, CacheState::kDownloading,
                                                 CacheState::kCached, CacheState::kFailed,
                                                 CacheState::kEvicted};

std::string_view ToString(FileKind kind);
std::optional<FileKind> ParseFileKind(std::string_view text);
std::string_view ToString(CacheState state);
std::optional<CacheState> ParseCacheState(std::string_view text);

/// One cached file's state, as the popup and the CLI show it.
struct FileCache {
  CacheState state = CacheState::kNotCached;
  std::int64_t bytes = 0;
  std::optional<std::int64_t> total;
  std::string content_type;
  std::string sha256;  // set when cached
  std::string error;
  bool generated = false;  // a thumbnail made from the video
};

/// What the video file itself says (read with libavformat once cached).
struct MediaFacts {
  std::optional<double> duration_s;
  std::optional<int> width, height;
  std::string video_codec, audio_codec, container;
};

/// The media cache's view of one video.
struct MediaSummary {
  FileCache video, thumbnail;
  std::optional<MediaFacts> info;
  bool pinned = false;
  std::int64_t last_viewed_ms = 0;  // 0: never
};

/// A stored video with its sync bookkeeping.
struct VideoRecord {
  std::int64_t seq = 0;  // insertion order; newest first is seq descending
  std::string video_id;
  Video video;
  std::string canonical_url;
  std::string origin;  // of page_url; empty when unknown
  SyncState sync = SyncState::kLocal;
  int sync_attempts = 0;
  std::string last_error;
  std::string created_at;
  std::string app_message_id;  // set when the app saved it itself (kSavedByApp)
  std::int64_t next_try_ms = 0;  // pending: not sent before this (unix ms; 0: due)
  std::optional<MediaSummary> media;  // absent where the cache is not read
  /// The stored `meta` as its JSON text (compact, keys sorted: written by
  /// nlohmann's dump). Store::List fills only this, not `video.meta`:
  /// parsing it back was a sixth of a `list` (docs/benchmarks.md).
  std::string meta_text;
};

/// One sync attempt, for `vidkeep show`.
struct SyncAttempt {
  std::string at;
  int http_status = 0;  // 0: no HTTP answer (timeout, reset, refused)
  std::string result;   // the state it led to
  std::string reason;
};

/// A person signed in to a chat app (docs/protocol-extensions.md
/// "`configure` answers the account").
struct Account {
  std::string id;
  std::string label;  // email, else name, else type; may be empty
};

/// What a chat app's session endpoint said about a set of credentials.
struct AccountCheck {
  /// The endpoint answered readably. False: the owner is unknown (lookup
  /// off, 404, not JSON, network failure), which is not "nobody".
  bool checked = false;
  std::optional<Account> account;  // checked and nullopt: no session
  std::string why;                 // when not checked: why, for logs and reasons
};

/// Counts per sync state plus totals, for `status` and `vidkeep stats`.
struct StoreStats {
  std::int64_t videos = 0;
  std::int64_t by_state[std::size(kAllSyncStates)] = {};
  std::string last_error;
  std::int64_t database_bytes = 0;

  std::int64_t& count(SyncState s) { return by_state[static_cast<int>(s)]; }
  std::int64_t count(SyncState s) const { return by_state[static_cast<int>(s)]; }
};

/// The cache as a whole (Store::MediaUsage): `vidkeep cache stats` and prune.
struct CacheUsage {
  std::int64_t bytes = 0;  // distinct cached files
  std::int64_t files = 0;
  std::int64_t pinned_videos = 0;
  std::map<std::string, std::int64_t> videos_by_state;      // of video files
  std::map<std::string, std::int64_t> thumbnails_by_state;  // of thumbnails
};

/// What `vidkeep cache verify` found (VerifyCache, media_cache.h).
struct VerifyReport {
  std::int64_t checked = 0;
  std::int64_t bytes = 0;
  std::vector<std::string> damaged;  // "video_id kind: why", each queued again
};

/// What `vidkeep cache prune` removed (PruneCache, media_cache.h).
struct PruneReport {
  std::int64_t evicted = 0;        // over-quota files dropped
  std::int64_t orphans = 0;        // files no video points at any more
  std::int64_t partials = 0;       // partial downloads of deleted videos
  std::int64_t bytes_freed = 0;
};

/// The current time as RFC 3339 UTC with milliseconds, e.g. 2026-11-24T10:00:00.123Z.
std::string NowUtc();
/// `unix_ms` (milliseconds since the epoch, >= 0) in NowUtc's format.
std::string FormatUtcMs(std::int64_t unix_ms);
/// Milliseconds since the Unix epoch (wall clock: leases are shared between processes).
std::int64_t UnixMs();

}  // namespace vidkeep
