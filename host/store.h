// The SQLite store: videos, their outbox rows and sync history. All SQL of
// vidkeep lives here and in schema.cpp. Library exceptions stop at this edge:
// every method returns a Status or Result.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "model.h"
#include "status.h"

struct sqlite3;

namespace vidkeep {

struct StoreOptions {
  int busy_timeout_ms = 10000;
  bool synchronous_full = false;
};

/// Why a video is `local` (stored with its outbox row). kSeenOnly is the one
/// a later generating sighting or a resync may turn into `pending`.
enum class LocalReason { kNone, kNoChat, kSyncOff, kBadOrigin, kBadChatId, kSeenOnly };

std::string_view ToString(LocalReason reason);  // "" for kNone
LocalReason ParseLocalReason(std::string_view text);

/// How PutVideo places a video in the outbox; the service decides (issue 12).
struct PutPlan {
  LocalReason local_reason = LocalReason::kNone;  // with record.sync == kLocal
  /// A new pending video, or a promoted one, is not due before this (unix ms).
  std::int64_t not_before_ms = 0;
  /// The sighting came from a generating source: a duplicate of a seen-only
  /// local video becomes pending (not due before `not_before_ms`).
  bool promotes_seen = false;
};

/// What PutVideo did.
struct PutOutcome {
  std::string video_id;
  bool duplicate = false;
  SyncState sync = SyncState::kLocal;
  bool promoted = false;  // a seen-only local duplicate became pending
};

/// What the app's own save said about one video (`app_save`, issue 12).
enum class AppSavePhase { kStarted, kFinished };

struct AppSaveFact {
  AppSavePhase phase = AppSavePhase::kStarted;
  int http_status = 0;        // kFinished: the app's answer (0: none)
  std::string message_id;     // the app's message id, when the extension saw it
  std::int64_t now_ms = 0;
  /// kStarted: a pending video is not sent before this (unix ms).
  std::int64_t wait_until_ms = 0;
  bool succeeded() const { return phase == AppSavePhase::kFinished && http_status >= 200 && http_status < 300; }
};

/// What ApplyAppSave did to one video.
struct AppSaveOutcome {
  bool created = false;
  SyncState sync = SyncState::kPending;  // the video's state afterwards
  bool changed = false;                  // its state changed (an event goes out)
};

/// What one send attempt led to, for FinishSend.
struct SendOutcome {
  SyncState state = SyncState::kPending;
  std::int64_t next_try_ms = 0;  // when `state` is pending: not before this
  std::string last_error;        // empty: clear it
  SyncAttempt attempt;
};

/// An outbox row whose state changed, for the browser's sync_state events.
struct StateChange {
  std::string video_id;
  SyncState state = SyncState::kPending;
  std::string last_error;
  std::int64_t seq = 0;
};

/// A `list` query. Results are newest first.
struct ListQuery {
  int limit = 50;
  std::optional<std::int64_t> before_seq;  // from the cursor: only older videos
  std::optional<std::string> chat_id;
  std::string text;  // full-text search of prompts; empty: all
  std::optional<SyncState> sync;
};

struct ListPage {
  std::vector<VideoRecord> videos;
  bool more = false;  // older videos exist past the last one returned
};

/// A file the downloader leased: fetch `url`, or, for a thumbnail the event
/// did not have, make one from the cached video `source_sha256`.
struct MediaJob {
  std::string video_id;
  FileKind kind = FileKind::kVideo;
  std::string url;            // empty: generate the thumbnail
  std::string source_sha256;  // the cached video, when generating
  std::string validator;      // for a Range resume of the partial file
  int attempts = 0;
};

/// How a download ended, for FinishMedia.
struct MediaOutcome {
  CacheState state = CacheState::kCached;  // cached, failed, or not_cached (retry later)
  std::int64_t bytes = 0;
  std::optional<std::int64_t> total;
  std::string content_type;
  std::string sha256;
  std::string validator;
  std::string error;
  bool generated = false;
  std::int64_t next_try_ms = 0;
  /// A thumbnail whose link failed for good: make it from the video instead
  /// (`state` must be not_cached; `error` says why the link failed).
  bool make_from_video = false;
};

/// A media row whose state changed, for the browser's media_state events.
struct MediaChange {
  std::string video_id;
  FileKind kind = FileKind::kVideo;
  FileCache file;
  std::int64_t seq = 0;
};

/// One cached file (for reads, verify, prune and export).
struct CachedFile {
  std::string video_id;
  FileKind kind = FileKind::kVideo;
  std::string sha256;
  std::int64_t bytes = 0;
  std::string content_type;
};

/// One connection to the database file. Not thread-safe: owned by one thread
/// (the host's event loop, or the CLI). Several processes may each have one
/// on the same file: writes take the lock with BEGIN IMMEDIATE and wait up to
/// the busy timeout.
class Store {
 public:
  /// Opens (creating if needed) and migrates to the latest schema. `path` may
  /// be ":memory:". The file gets mode 0600.
  static Result<std::unique_ptr<Store>> Open(const std::string& path,
                                             const StoreOptions& options = {});

  // Write transactions: the one way to write is a Transaction in scope, or
  // Transact around a function (issue 16, item 5). Begin takes the write lock
  // (waiting up to the busy timeout); every write method below must run
  // between Begin and Commit. Begin, Commit and Rollback stay public for the
  // tests that hold the lock by hand; code outside the store uses the guard.
  Status Begin();
  Status Commit();
  void Rollback();
  bool InTransaction() const { return in_transaction_; }

  /// A write transaction as a scope, as SQLiteCpp's Transaction: begun on
  /// construction, rolled back on destruction unless Commit ran. `store`
  /// must outlive it; one per store at a time (Begin refuses a second).
  class Transaction {
   public:
    explicit Transaction(Store& store) : store_(store), begun_(store.Begin()) {}
    ~Transaction() {
      if (begun_.ok() && !finished_) store_.Rollback();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    /// Whether the write lock is held; why not when it is not.
    const Status& status() const { return begun_; }
    /// Commits once; a failed commit has rolled everything back.
    Status Commit() {
      if (!begun_.ok()) return begun_;
      if (finished_) return Status::Internal("transaction already committed");
      finished_ = true;
      return store_.Commit();
    }

   private:
    Store& store_;
    Status begun_;
    bool finished_ = false;
  };

  /// Runs `body` (returning a Status or a Result) in a write transaction of
  /// its own: committed when it succeeds, rolled back when it or the commit
  /// fails.
  template <typename F>
  auto Transact(F&& body) -> decltype(body()) {
    Transaction transaction(*this);
    if (!transaction.status().ok()) return transaction.status();
    auto result = body();
    if (!result.ok()) return result;  // the guard rolls back
    if (Status done = transaction.Commit(); !done.ok()) return done;
    return result;
  }
  /// Runs `body` in a savepoint: its writes are undone if it fails, and only
  /// its own.
  Status InSavepoint(const std::function<Status()>& body);

  /// Inserts a new video with its outbox row, or merges a duplicate into the
  /// stored one: fills fields the first lacked, refreshes the full URL.
  /// `record` carries the id, canonical URL, origin and initial sync state.
  Result<PutOutcome> PutVideo(const VideoRecord& record, const PutPlan& plan = {});
  /// Applies the app's own save to one video (created from `record` and
  /// `plan` when unseen: pending, or saved_by_app for a successful save).
  /// Never touches a lease: a send in flight ends through FinishSend, which
  /// leaves a saved_by_app video as it is.
  Result<AppSaveOutcome> ApplyAppSave(const VideoRecord& record, const PutPlan& plan,
                                      const AppSaveFact& fact);
  /// Deletes videos with their outbox rows and history; returns how many existed.
  Result<int> Delete(const std::vector<std::string>& video_ids);
  /// Requeues videos that are not `local` (except seen-only ones, which it
  /// sends) nor `saved_by_app` (a resend would make a second message in the
  /// chat); returns how many were queued.
  Result<int> Resync(const std::vector<std::string>& video_ids);
  /// Requeues every `failed` video; returns how many.
  Result<int> ResyncFailed();

  // Reads; they see the writes of an open transaction.
  Result<ListPage> List(const ListQuery& query);
  Result<VideoRecord> Get(const std::string& video_id);
  /// The one video id that starts with `prefix` (at least 4 characters), as
  /// `git` resolves short hashes; not_found or bad_request when ambiguous.
  Result<std::string> ResolveId(const std::string& prefix);
  Result<std::vector<SyncAttempt>> History(const std::string& video_id);
  Result<StoreStats> Stats();
  /// Calls `visit` for every video, oldest first (for export).
  Status ForEach(const std::function<void(const VideoRecord&)>& visit);

  // The outbox (PROTOCOL.md section 4). Writes run between Begin and Commit.

  /// Leases up to `limit` pending videos of `origins` that are due at `due_ms`
  /// and not leased by anyone at `now_ms`, for `owner` until `until_ms`: one
  /// conditional UPDATE, so two processes never lease the same video.
  Result<std::vector<VideoRecord>> LeaseDue(const std::string& owner,
                                            const std::vector<std::string>& origins,
                                            std::int64_t now_ms, std::int64_t due_ms,
                                            std::int64_t until_ms, int limit);
  /// When the next pending video of `origins` becomes due or its lease ends
  /// (unix ms), or nullopt when there is none.
  Result<std::optional<std::int64_t>> NextDue(const std::vector<std::string>& origins);
  /// Records a send's outcome and ends the lease. A success always applies
  /// (the server has the message); anything else only while `owner` still
  /// holds the lease. Returns whether the row changed. The attempt goes into
  /// the history either way (while the video exists).
  Result<bool> FinishSend(const std::string& video_id, const std::string& owner,
                          const SendOutcome& outcome);
  /// Moves `origin`'s auth_required videos back to pending with a fresh
  /// attempt budget (new credentials): every one when `account` is nullopt,
  /// else those without an account and, unless it is "", those of `account`.
  Result<int> ResumeOrigin(const std::string& origin,
                           const std::optional<std::string>& account = std::nullopt);
  /// Makes every pending video of `origins` due now; returns how many.
  Result<int> MakeDue(const std::vector<std::string>& origins);
  /// Pending videos per origin (for `vidkeep sync` to know what to drain).
  Result<std::vector<std::pair<std::string, std::int64_t>>> PendingByOrigin();
  /// Outbox state changes after `after_seq`, oldest first.
  Result<std::vector<StateChange>> ChangesSince(std::int64_t after_seq, int limit);
  /// The newest change number (0 when none).
  Result<std::int64_t> LatestChange();
  /// SQLite's data_version: changes when another connection commits.
  Result<std::int64_t> DataVersion();

  // The media cache (store_media.cpp, docs/media.md). Writes run between
  // Begin and Commit.

  /// Creates media rows for up to `limit` videos saved since the last scan
  /// (any process's); returns how many videos it covered.
  Result<int> ScanForMedia(int limit);
  /// Leases up to `limit` due files for `owner` until `until_ms`: thumbnails
  /// first, then the newest videos (their links are the freshest).
  Result<std::vector<MediaJob>> LeaseMedia(const std::string& owner, std::int64_t now_ms,
                                           std::int64_t until_ms, int limit);
  /// When the next file is due or its lease ends (unix ms); nullopt: none.
  Result<std::optional<std::int64_t>> NextMediaDue();
  /// Records a running download's progress and extends the lease; false
  /// when `owner` no longer holds it (the download must stop).
  Result<bool> MediaProgress(const std::string& video_id, FileKind kind, const std::string& owner,
                             std::int64_t bytes, std::optional<std::int64_t> total,
                             const std::string& validator, std::int64_t until_ms);
  /// Records how a download ended and ends the lease, if `owner` holds it.
  Result<bool> FinishMedia(const std::string& video_id, FileKind kind, const std::string& owner,
                           const MediaOutcome& outcome);
  Status SetMediaFacts(const std::string& video_id, const MediaFacts& facts);
  /// The cached file of a video, or not_found saying why.
  Result<CachedFile> CachedFileOf(const std::string& video_id, FileKind kind);
  /// Counts a view for eviction (least recently viewed goes first).
  Status MarkViewed(const std::string& video_id, std::int64_t now_ms);
  Result<int> SetPinned(const std::vector<std::string>& video_ids, bool pinned);
  /// Makes failed, evicted or waiting files of `video_ids` (every one when
  /// empty) due now; returns how many.
  Result<int> RequeueMedia(const std::vector<std::string>& video_ids);
  /// Cached video files that may be evicted, least recently viewed first.
  Result<std::vector<CachedFile>> EvictionCandidates(int limit);
  /// A cached file is gone (evicted, or found damaged by verify): the row
  /// says why, `evicted` ones wait for `media_fetch`, others are fetched again.
  Result<bool> DropCachedFile(const std::string& video_id, FileKind kind, CacheState state,
                              const std::string& why);
  /// Whether any cached row still points at this file.
  Result<bool> ShaInUse(const std::string& sha256);
  Result<CacheUsage> MediaUsage();
  Status ForEachCachedFile(const std::function<void(const CachedFile&)>& visit);
  Result<std::vector<MediaChange>> MediaChangesSince(std::int64_t after_seq, int limit);
  Result<std::int64_t> LatestMediaChange();

  /// Records one sync attempt and keeps the last `keep` per video.
  Status AddAttempt(const std::string& video_id, const SyncAttempt& attempt, int keep = 20);

  /// Hands WAL checkpoints to `observer` (checkpointer.h): it hears, after
  /// each commit, how many frames the WAL holds, and SQLite's automatic
  /// checkpoint inside COMMIT stops, but for a hard cap (kWalCapFrames) that
  /// keeps the WAL bounded should the observer fall behind.
  void set_wal_observer(std::function<void(int frames)> observer);
  static constexpr int kWalCapFrames = 16384;  // 64 MiB of 4 KiB pages

  const std::string& path() const { return path_; }
  SQLite::Database& db() { return *db_; }

 private:
  Store(std::unique_ptr<SQLite::Database> db, std::string path);
  /// Inserts a new video and its outbox row (`changed`: with a change number,
  /// so a sync_state event goes out for a row nobody was answered about).
  void InsertVideo(const VideoRecord& record, const PutPlan& plan, bool changed);
  SQLite::Statement& Cached(const std::string& sql);
  std::int64_t NextChangeSeq();
  std::int64_t NextMediaChangeSeq();
  bool TransactionLost() const;
  void IndexNewPrompts();
  template <typename F>
  auto Guard(const char* what, F&& body) -> decltype(body());
  static int OnWalCommit(void* store, sqlite3* db, const char* name, int frames);

  std::unique_ptr<SQLite::Database> db_;
  std::string path_;
  bool in_transaction_ = false;
  int savepoint_depth_ = 0;
  // Rows inserted in this transaction whose prompt is not yet in the FTS
  // index (see schema version 5); indexed by Commit.
  std::vector<std::pair<std::int64_t, std::string>> unindexed_;
  std::map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
  std::function<void(int)> wal_observer_;
};

/// What every connection to a vidkeep database sets: closing it neither
/// deletes the WAL nor checkpoints (the store's and the checkpointer's).
void KeepWalOnClose(sqlite3* db);

/// Maps a SQLite failure to the wire's error codes: busy, locked, full and I/O
/// errors are `unavailable` (retryable), everything else `internal`.
Status StatusFromSqlite(int extended_code, const std::string& what, const std::string& detail);

}  // namespace vidkeep
