#include "store.h"

#include <chrono>
#include <thread>
#include <type_traits>

#include <sqlite3.h>
#include <spdlog/fmt/fmt.h>

#include "file_io.h"
#include "schema.h"
#include "store_internal.h"

namespace vidkeep {

namespace {

// The columns ReadRecord reads, in its order; the media columns come from
// LEFT JOINs (kRecordColumns) or, where no media row can exist, as NULLs
// (kRecordColumnsNoMedia): three index seeks fewer per record.
constexpr std::string_view kRecordHead =
    "v.seq, v.video_id, v.chat_id, v.canonical_url, v.url, v.thumbnail_url, v.prompt, "
    "v.source, v.page_url, v.origin, v.observed_at, v.meta, v.created_at, "
    "o.state, o.attempts, o.last_error, v.pinned, v.last_viewed_ms, ";
constexpr std::string_view kRecordTail =
    "v.account_id, v.account_label, v.app_message_id, o.next_try_ms "
    "FROM videos v JOIN outbox o ON o.seq = v.seq";
const std::string kRecordColumns =
    std::string(kRecordHead) +
    "mv.state, mv.bytes, mv.total, mv.content_type, mv.sha256, mv.error, mv.generated, "
    "mt.state, mt.bytes, mt.total, mt.content_type, mt.sha256, mt.error, mt.generated, "
    "mi.video_id, mi.duration_s, mi.width, mi.height, mi.video_codec, mi.audio_codec, mi.container, " +
    std::string(kRecordTail) +
    " LEFT JOIN media mv ON mv.video_id = v.video_id AND mv.kind = 'video'"
    " LEFT JOIN media mt ON mt.video_id = v.video_id AND mt.kind = 'thumbnail'"
    " LEFT JOIN media_info mi ON mi.video_id = v.video_id";
const std::string kRecordColumnsNoMedia =
    std::string(kRecordHead) +
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, " +
    std::string(kRecordTail);

template <typename T>
std::optional<T> OptionalColumn(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  if constexpr (std::is_same_v<T, double>)
    return c.getDouble();
  else
    return static_cast<T>(c.getInt64());
}

// `parse_meta` false: `video.meta` stays empty and only `meta_text` is set
// (a page for `list`, which copies the text into its answer).
VideoRecord ReadRecord(SQLite::Statement& s, bool parse_meta = true) {
  VideoRecord r;
  r.seq = s.getColumn(0).getInt64();
  r.video_id = s.getColumn(1).getString();
  r.video.chat_id = s.getColumn(2).getString();
  r.canonical_url = s.getColumn(3).getString();
  r.video.url = s.getColumn(4).getString();
  r.video.thumbnail_url = TextOrEmpty(s.getColumn(5));
  r.video.prompt = TextOrEmpty(s.getColumn(6));
  r.video.source = ParseSource(s.getColumn(7).getString()).value_or(Source::kSse);
  r.video.page_url = TextOrEmpty(s.getColumn(8));
  r.origin = TextOrEmpty(s.getColumn(9));
  r.video.observed_at = TextOrEmpty(s.getColumn(10));
  r.meta_text = s.getColumn(11).getString();
  if (parse_meta) {
    r.video.meta = nlohmann::json::parse(r.meta_text, nullptr, false);
    if (!r.video.meta.is_object()) r.video.meta = nlohmann::json::object();
  }
  r.created_at = s.getColumn(12).getString();
  r.sync = ParseSyncState(s.getColumn(13).getString()).value_or(SyncState::kPending);
  r.sync_attempts = s.getColumn(14).getInt();
  r.last_error = TextOrEmpty(s.getColumn(15));
  MediaSummary& m = r.media.emplace();
  m.pinned = s.getColumn(16).getInt() != 0;
  m.last_viewed_ms = s.getColumn(17).getInt64();
  m.video = ReadFileCache(s, 18);
  m.thumbnail = ReadFileCache(s, 25);
  if (!s.getColumn(32).isNull()) {
    MediaFacts& info = m.info.emplace();
    info.duration_s = OptionalColumn<double>(s.getColumn(33));
    info.width = OptionalColumn<int>(s.getColumn(34));
    info.height = OptionalColumn<int>(s.getColumn(35));
    info.video_codec = TextOrEmpty(s.getColumn(36));
    info.audio_codec = TextOrEmpty(s.getColumn(37));
    info.container = TextOrEmpty(s.getColumn(38));
  }
  r.video.account_id = TextOrEmpty(s.getColumn(39));
  r.video.account_label = TextOrEmpty(s.getColumn(40));
  r.app_message_id = TextOrEmpty(s.getColumn(41));
  r.next_try_ms = s.getColumn(42).getInt64();
  return r;
}

// Turns what a person typed into an FTS5 query: every word must occur, the
// last one as a prefix (search as you type). Quoting each word keeps FTS5
// syntax characters in the input from ever being read as operators.
std::string FtsQuery(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + ' ') {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  std::string query;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i) query += ' ';
    query += '"';
    for (char c : words[i]) query += (c == '"') ? std::string("\"\"") : std::string(1, c);
    query += '"';
    if (i + 1 == words.size()) query += '*';
  }
  return query;
}

constexpr std::string_view kLocalReasonNames[] = {"",        "no_chat",     "sync_off",
                                                  "bad_origin", "bad_chat_id", "seen_only"};

}  // namespace

std::string_view ToString(LocalReason reason) { return kLocalReasonNames[static_cast<int>(reason)]; }

LocalReason ParseLocalReason(std::string_view text) {
  for (std::size_t i = 1; i < std::size(kLocalReasonNames); ++i)
    if (kLocalReasonNames[i] == text) return static_cast<LocalReason>(i);
  return LocalReason::kNone;
}

Status StatusFromSqlite(int extended_code, const std::string& what, const std::string& detail) {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(fmt::format("{}: the database is busy (another vidkeep process "
                                             "held it past the timeout); try again",
                                             what));
    case SQLITE_FULL:
      return Status::Unavailable(fmt::format("{}: the disk is full; free some space", what));
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return Status::Unavailable(fmt::format("{}: {}", what, detail));
    default:
      return Status::Internal(fmt::format("{}: {}", what, detail));
  }
}

Store::Store(std::unique_ptr<SQLite::Database> db, std::string path)
    : db_(std::move(db)), path_(std::move(path)) {}

void KeepWalOnClose(sqlite3* db) {
  // Keep the -wal and -shm files when the last connection closes, so the
  // next start (a browser connects often) need not create them.
  int persist = 1;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  // Nor checkpoint on close: the host must exit within 2 s of its input
  // closing, and a checkpoint takes unbounded time. The WAL already holds
  // every commit; the next writer checkpoints it.
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const StoreOptions& options) {
  // No global memory statistics: they took a mutex around every allocation
  // SQLite made (3% of ingest). Only possible before SQLite initializes,
  // so this is the first thing the first Open does.
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
  try {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
        options.busy_timeout_ms);
    if (path != ":memory:") MakeFilePrivate(path);
    // Switching a new file to WAL and creating the schema can meet another
    // process doing the same; some of those lock conflicts return BUSY at
    // once instead of calling the busy handler, so retry until the timeout.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options.busy_timeout_ms);
    for (int attempt = 0;; ++attempt) {
      try {
        // WAL: readers never block the writer, and a commit is durable
        // against the process being killed; synchronous=FULL adds power-loss
        // durability.
        db->execAndGet("PRAGMA journal_mode = WAL");
        db->exec(options.synchronous_full ? "PRAGMA synchronous = FULL"
                                          : "PRAGMA synchronous = NORMAL");
        // Savepoint journals stay in memory: each request's savepoint would
        // otherwise spill page copies to a temporary file.
        db->exec("PRAGMA temp_store = MEMORY");
        // 1 MiB of page cache, not SQLite's 2 MB: the random-key indexes of
        // a large history outgrow either, so ingest ran as fast from 0.5 MiB
        // to 2 MiB (26.4k-27.5k/s) and only 4 MiB bought more (+8%, at 2 MiB
        // of RSS); the popup's pages need a few dozen (docs/benchmarks.md).
        db->exec("PRAGMA cache_size = -1024");
        KeepWalOnClose(db->getHandle());
        // A checkpoint trims the WAL back to 64 MiB (the host's hard cap:
        // below it, appends reuse the file's blocks instead of allocating
        // them again after every checkpoint), and the host's checkpointer
        // empties it when idle.
        db->exec("PRAGMA journal_size_limit = " + std::to_string(kWalCapFrames * 4096));
        MigrateSchema(*db);
        break;
      } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
            std::chrono::steady_clock::now() >= deadline)
          throw;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(5 + attempt * 5, 50)));
      }
    }
    return std::unique_ptr<Store>(new Store(std::move(db), path));
  } catch (const SQLite::Exception& e) {
    return StatusFromSqlite(e.getExtendedErrorCode(), "opening " + path, e.what());
  } catch (const std::exception& e) {
    return Status::Unavailable(fmt::format("opening {}: {}", path, e.what()));
  }
}

void Store::set_wal_observer(std::function<void(int frames)> observer) {
  wal_observer_ = std::move(observer);
  // Replaces the hook sqlite3_wal_autocheckpoint had installed.
  sqlite3_wal_hook(db_->getHandle(), wal_observer_ ? &Store::OnWalCommit : nullptr, this);
  if (!wal_observer_) sqlite3_wal_autocheckpoint(db_->getHandle(), 1000);
}

int Store::OnWalCommit(void* store, sqlite3* db, const char* name, int frames) {
  // Called after the commit, its write lock released. The cap is far past
  // what the observer's checkpoints let the WAL reach; PASSIVE waits for
  // nobody, so this stays bounded too.
  if (frames >= kWalCapFrames)
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  static_cast<Store*>(store)->wal_observer_(frames);
  return SQLITE_OK;
}

SQLite::Statement& Store::Cached(const std::string& sql) {
  auto& slot = statements_[sql];
  if (!slot) slot = std::make_unique<SQLite::Statement>(*db_, sql);
  slot->tryReset();
  slot->clearBindings();
  return *slot;
}

Status Store::Begin() {
  if (in_transaction_) return Status::Internal("transaction already open");
  return Guard("starting a write", [&]() -> Status {
    // IMMEDIATE takes the write lock now (waiting up to the busy timeout), so
    // a read never has to be upgraded later, which could fail with BUSY at once.
    Use(Cached("BEGIN IMMEDIATE"))->exec();  // prepared once: a sync commits per video
    in_transaction_ = true;
    return {};
  });
}

Status Store::Commit() {
  if (!in_transaction_) return Status::Internal("no transaction to commit");
  if (TransactionLost()) {
    Rollback();
    return Status::Unavailable(
        "the database rolled this batch back (disk full or an I/O error); try again");
  }
  Status s = Guard("committing", [&]() -> Status {
    IndexNewPrompts();
    Use(Cached("COMMIT"))->exec();
    in_transaction_ = false;
    return {};
  });
  if (!s.ok()) Rollback();
  return s;
}

void Store::Rollback() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  savepoint_depth_ = 0;
  unindexed_.clear();
  // After a failed COMMIT SQLite may already have rolled back; either way the
  // transaction is over.
  sqlite3_exec(db_->getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

bool Store::TransactionLost() const {
  // After SQLITE_FULL, SQLITE_IOERR and a few others SQLite may roll the
  // whole transaction back on its own; a SAVEPOINT would then quietly start
  // (and its RELEASE commit) a transaction of its own.
  return in_transaction_ && sqlite3_get_autocommit(db_->getHandle()) != 0;
}

Status Store::InSavepoint(const std::function<Status()>& body) {
  if (TransactionLost())
    return Status::Unavailable(
        "the database rolled this batch back (disk full or an I/O error); try again");
  // Prepared once per depth: a group commit opens one per request.
  const std::string name = "sp" + std::to_string(savepoint_depth_);
  Status s = Guard("savepoint", [&]() -> Status {
    Use(Cached("SAVEPOINT " + name))->exec();
    return {};
  });
  if (!s.ok()) return s;
  ++savepoint_depth_;
  const std::size_t unindexed_before = unindexed_.size();
  Status result = body();
  --savepoint_depth_;
  if (!result.ok()) unindexed_.resize(unindexed_before);
  Status end = Guard("savepoint", [&]() -> Status {
    if (!result.ok()) Use(Cached("ROLLBACK TO " + name))->exec();
    Use(Cached("RELEASE " + name))->exec();
    return {};
  });
  return result.ok() ? end : result;
}

Result<PutOutcome> Store::PutVideo(const VideoRecord& record, const PutPlan& plan) {
  return Guard("saving the video", [&]() -> Result<PutOutcome> {
    const Video& v = record.video;
    const std::string now = NowUtc();
    Use find(Cached(
        "SELECT v.thumbnail_url, v.prompt, v.page_url, v.observed_at, v.meta, o.state, "
        "v.account_id, v.account_label, o.local_reason, v.source "
        "FROM videos v JOIN outbox o ON o.seq = v.seq WHERE v.video_id = ?"));
    find->bind(1, record.video_id);
    if (find->executeStep()) {
      // A duplicate: keep the first record, fill what it lacked, and take the
      // new full URL (a fresher signature lives longer).
      auto fill = [](const SQLite::Column& old, const std::string& fresh) {
        return (old.isNull() || old.getString().empty()) ? fresh : old.getString();
      };
      const std::string thumbnail = fill(find->getColumn(0), v.thumbnail_url);
      const std::string prompt = fill(find->getColumn(1), v.prompt);
      const std::string page_url = fill(find->getColumn(2), v.page_url);
      const std::string observed_at = fill(find->getColumn(3), v.observed_at);
      nlohmann::json meta = nlohmann::json::parse(find->getColumn(4).getString(), nullptr, false);
      if (!meta.is_object()) meta = nlohmann::json::object();
      for (const auto& [key, value] : v.meta.items())
        if (!meta.contains(key)) meta[key] = value;
      SyncState state =
          ParseSyncState(find->getColumn(5).getString()).value_or(SyncState::kPending);
      // The account is one fact (id and label together): a known one is kept.
      const bool has_account = !TextOrEmpty(find->getColumn(6)).empty();
      const std::string account_id = has_account ? find->getColumn(6).getString() : v.account_id;
      const std::string account_label =
          has_account ? TextOrEmpty(find->getColumn(7)) : v.account_label;
      const LocalReason reason = ParseLocalReason(TextOrEmpty(find->getColumn(8)));
      // The first sighting's source stays, but `app` is no sighting: only the
      // app's save had named the video (its app_save can reach the host
      // before the capture that preceded it on the page), so the capture
      // says how vidkeep saw it.
      const std::string stored_source = find->getColumn(9).getString();
      const std::string source = stored_source == ToString(Source::kApp)
                                     ? std::string(ToString(v.source))
                                     : stored_source;

      Use update(Cached(
          "UPDATE videos SET url = ?, thumbnail_url = ?, prompt = ?, page_url = ?, "
          "observed_at = ?, meta = ?, updated_at = ?, account_id = ?, account_label = ?, "
          "source = ? WHERE video_id = ?"));
      update->bind(1, v.url);
      BindOptional(*update, 2, thumbnail);
      BindOptional(*update, 3, prompt);
      BindOptional(*update, 4, page_url);
      BindOptional(*update, 5, observed_at);
      update->bind(6, meta.dump());
      update->bind(7, now);
      BindOptional(*update, 8, account_id);
      BindOptional(*update, 9, account_label);
      update->bind(10, source);
      update->bind(11, record.video_id);
      update->exec();

      // Seen on the page first, generated now: it is the chat's new video
      // after all. Only seen-only ones: every other local reason still holds.
      bool promoted = false;
      if (plan.promotes_seen && state == SyncState::kLocal && reason == LocalReason::kSeenOnly) {
        Use promote(Cached(
            "UPDATE outbox SET state = 'pending', local_reason = NULL, last_error = NULL, "
            "attempts = 0, next_try_ms = ?, updated_at = ?, change_seq = ? "
            "WHERE seq = (SELECT seq FROM videos WHERE video_id = ?)"));
        promote->bind(1, plan.not_before_ms);
        promote->bind(2, now);
        promote->bind(3, NextChangeSeq());
        promote->bind(4, record.video_id);
        promote->exec();
        state = SyncState::kPending;
        promoted = true;
      }
      return PutOutcome{record.video_id, true, state, promoted};
    }

    InsertVideo(record, plan, false);
    return PutOutcome{record.video_id, false, record.sync};
  });
}

void Store::InsertVideo(const VideoRecord& record, const PutPlan& plan, bool changed) {
  const Video& v = record.video;
  const std::string now = NowUtc();
  Use insert(Cached(
      "INSERT INTO videos (video_id, chat_id, canonical_url, url, thumbnail_url, prompt, "
      "source, page_url, origin, observed_at, meta, created_at, updated_at, account_id, "
      "account_label, app_message_id) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert->bind(1, record.video_id);
  insert->bind(2, v.chat_id);
  insert->bind(3, record.canonical_url);
  insert->bind(4, v.url);
  BindOptional(*insert, 5, v.thumbnail_url);
  BindOptional(*insert, 6, v.prompt);
  insert->bind(7, std::string(ToString(v.source)));
  BindOptional(*insert, 8, v.page_url);
  BindOptional(*insert, 9, record.origin);
  BindOptional(*insert, 10, v.observed_at);
  insert->bind(11, v.meta.dump());
  insert->bind(12, now);
  insert->bind(13, now);
  BindOptional(*insert, 14, v.account_id);
  BindOptional(*insert, 15, v.account_id.empty() ? std::string() : v.account_label);
  BindOptional(*insert, 16, record.app_message_id);
  insert->exec();
  const std::int64_t seq = db_->getLastInsertRowid();
  if (!v.prompt.empty()) unindexed_.emplace_back(seq, v.prompt);

  Use outbox(Cached(
      "INSERT INTO outbox (seq, state, updated_at, last_error, local_reason, next_try_ms, "
      "change_seq) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  outbox->bind(1, seq);
  outbox->bind(2, std::string(ToString(record.sync)));
  outbox->bind(3, now);
  BindOptional(*outbox, 4, record.last_error);
  BindOptional(*outbox, 5,
               std::string(record.sync == SyncState::kLocal ? ToString(plan.local_reason) : ""));
  outbox->bind(6, record.sync == SyncState::kPending ? plan.not_before_ms : std::int64_t{0});
  // Inserts keep change_seq 0 (outbox_by_change stays small) unless asked.
  outbox->bind(7, changed ? NextChangeSeq() : std::int64_t{0});
  outbox->exec();
}

Result<AppSaveOutcome> Store::ApplyAppSave(const VideoRecord& record, const PutPlan& plan,
                                           const AppSaveFact& fact) {
  return Guard("recording the app's save", [&]() -> Result<AppSaveOutcome> {
    const std::string now = NowUtc();
    const std::string message = fact.message_id.empty() ? "" : " (message " + fact.message_id + ")";
    const std::string failed =
        fact.http_status == 0 ? std::string("the app's own save failed (no answer)")
                              : "the app's own save failed (HTTP " + std::to_string(fact.http_status) + ")";
    SyncAttempt line{now, fact.http_status, "", ""};
    AppSaveOutcome out;

    std::optional<SyncState> state;
    std::string had_message_id;
    {
      Use find(Cached(
          "SELECT o.state, v.app_message_id FROM videos v JOIN outbox o ON o.seq = v.seq "
          "WHERE v.video_id = ?"));
      find->bind(1, record.video_id);
      if (find->executeStep()) {
        state = ParseSyncState(find->getColumn(0).getString()).value_or(SyncState::kPending);
        had_message_id = TextOrEmpty(find->getColumn(1));
      }
    }

    if (!state) {
      // Unseen: the app's save is the first vidkeep hears of this video.
      VideoRecord fresh = record;
      PutPlan p = plan;
      if (fact.succeeded()) {
        fresh.sync = SyncState::kSavedByApp;
        fresh.last_error.clear();
        fresh.app_message_id = fact.message_id;
        line.reason = "saved by the app" + message;
      } else if (fresh.sync == SyncState::kPending) {
        p.not_before_ms = fact.phase == AppSavePhase::kStarted ? fact.wait_until_ms : 0;
        if (fact.phase == AppSavePhase::kFinished) line.reason = failed;
      }
      InsertVideo(fresh, p, true);
      line.result = std::string(ToString(fresh.sync));
      if (!line.reason.empty())
        if (Status h = AddAttempt(record.video_id, line); !h.ok()) return h;
      return AppSaveOutcome{true, fresh.sync, true};
    }

    out.sync = *state;
    if (!record.video.account_id.empty()) {
      Use fill(Cached(
          "UPDATE videos SET account_id = ?, account_label = ? WHERE video_id = ? "
          "AND account_id IS NULL"));
      fill->bind(1, record.video.account_id);
      BindOptional(*fill, 2, record.video.account_label);
      fill->bind(3, record.video_id);
      fill->exec();
    }
    auto set_outbox = [&](const char* sql, std::int64_t value, bool change) {
      Use u(Cached(sql));
      u->bind(1, value);
      u->bind(2, now);
      u->bind(3, change ? NextChangeSeq() : std::int64_t{0});
      u->bind(4, record.video_id);
      u->exec();
    };
    if (fact.phase == AppSavePhase::kStarted) {
      // The app's answer should come first; a send in flight goes on (its
      // outcome sets the next try anyway).
      if (*state == SyncState::kPending)
        set_outbox(
            "UPDATE outbox SET next_try_ms = max(next_try_ms, ?), updated_at = ?, "
            "change_seq = CASE WHEN ?3 > 0 THEN ?3 ELSE change_seq END "
            "WHERE seq = (SELECT seq FROM videos WHERE video_id = ?)",
            fact.wait_until_ms, false);
      return out;
    }
    if (fact.succeeded()) {
      if (!fact.message_id.empty() && had_message_id.empty()) {
        Use u(Cached("UPDATE videos SET app_message_id = ? WHERE video_id = ?"));
        u->bind(1, fact.message_id);
        u->bind(2, record.video_id);
        u->exec();
      }
      if (*state == SyncState::kSavedByApp) return out;
      if (*state == SyncState::kSynced) {
        line.reason = "the app saved it too" + message;
      } else {
        // Whatever vidkeep was going to do, the chat has the video now. A
        // lease in flight stays: FinishSend leaves this state alone.
        set_outbox(
            "UPDATE outbox SET state = 'saved_by_app', last_error = NULL, local_reason = NULL, "
            "next_try_ms = ?, updated_at = ?, change_seq = ? "
            "WHERE seq = (SELECT seq FROM videos WHERE video_id = ?)",
            0, true);
        out.sync = SyncState::kSavedByApp;
        out.changed = true;
        line.reason = "saved by the app" + message;
      }
    } else {
      line.reason = failed;
      if (*state == SyncState::kPending)
        set_outbox(
            "UPDATE outbox SET next_try_ms = ?, updated_at = ?, "
            "change_seq = CASE WHEN ?3 > 0 THEN ?3 ELSE change_seq END "
            "WHERE seq = (SELECT seq FROM videos WHERE video_id = ?)",
            0, false);
    }
    line.result = std::string(ToString(out.sync));
    if (Status h = AddAttempt(record.video_id, line); !h.ok()) return h;
    return out;
  });
}

Result<int> Store::Delete(const std::vector<std::string>& video_ids) {
  return Guard("deleting", [&]() -> Result<int> {
    IndexNewPrompts();  // the delete trigger removes index entries, so they must exist
    int deleted = 0;
    const std::int64_t now = UnixMs();
    {
      Use s(Cached("DELETE FROM deleted_leases WHERE lease_until_ms <= ?"));
      s->bind(1, now);
      s->exec();
    }
    for (const auto& id : video_ids) {
      {
        // Keep a running lease: LeaseDue skips the id until it ends.
        Use keep(Cached(
            "INSERT OR REPLACE INTO deleted_leases (video_id, lease_owner, lease_until_ms)"
            " SELECT v.video_id, o.lease_owner, o.lease_until_ms FROM videos v"
            " JOIN outbox o ON o.seq = v.seq WHERE v.video_id = ? AND o.lease_until_ms > ?"
            " AND o.lease_owner IS NOT NULL"));
        keep->bind(1, id);
        keep->bind(2, now);
        keep->exec();
      }
      for (const char* sql : {"DELETE FROM outbox WHERE seq = (SELECT seq FROM videos WHERE video_id = ?)",
                              "DELETE FROM sync_history WHERE video_id = ?"}) {
        Use s(Cached(sql));
        s->bind(1, id);
        s->exec();
      }
      Use s(Cached("DELETE FROM videos WHERE video_id = ?"));
      s->bind(1, id);
      deleted += s->exec();
    }
    return deleted;
  });
}

Result<int> Store::Resync(const std::vector<std::string>& video_ids) {
  return Guard("queueing", [&]() -> Result<int> {
    int queued = 0;
    const std::string now = NowUtc();
    for (const auto& id : video_ids) {
      Use s(Cached(
          "UPDATE outbox SET state = 'pending', attempts = 0, next_try_ms = 0, last_error = NULL, "
          "local_reason = NULL, updated_at = ?, change_seq = ? "
          "WHERE seq = (SELECT seq FROM videos WHERE video_id = ?) "
          // A seen-only video waits for exactly this request; other local
          // ones must never go, and the app's own message must not get a twin.
          "AND (state NOT IN ('local', 'saved_by_app') OR local_reason = 'seen_only')"));
      s->bind(1, now);
      s->bind(2, NextChangeSeq());
      s->bind(3, id);
      queued += s->exec();
    }
    return queued;
  });
}

Result<int> Store::ResyncFailed() {
  return Guard("queueing", [&]() -> Result<int> {
    Use s(Cached(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_try_ms = 0, last_error = NULL, "
        "updated_at = ?, change_seq = ? WHERE state = 'failed'"));
    s->bind(1, NowUtc());
    s->bind(2, NextChangeSeq());
    return s->exec();
  });
}

std::int64_t Store::NextChangeSeq() {
  Use s(Cached(
      "UPDATE counters SET value = value + 1 WHERE name = 'outbox_change' RETURNING value"));
  s->executeStep();
  return s->getColumn(0).getInt64();
}

void Store::IndexNewPrompts() {
  if (unindexed_.empty()) return;
  Use s(Cached("INSERT INTO videos_fts (rowid, prompt) VALUES (?, ?)"));
  for (const auto& [seq, prompt] : unindexed_) {
    s->bind(1, seq);
    s->bind(2, prompt);
    s->exec();
    s->reset();
  }
  unindexed_.clear();
}

Result<std::vector<VideoRecord>> Store::LeaseDue(const std::string& owner,
                                                 const std::vector<std::string>& origins,
                                                 std::int64_t now_ms, std::int64_t due_ms,
                                                 std::int64_t until_ms, int limit) {
  return Guard("leasing", [&]() -> Result<std::vector<VideoRecord>> {
    std::vector<std::int64_t> seqs;
    {
      Use lease(Cached(
          "UPDATE outbox SET lease_owner = :owner, lease_until_ms = :until WHERE seq IN ("
          " SELECT o.seq FROM outbox o JOIN videos v ON v.seq = o.seq"
          " WHERE o.state = 'pending' AND o.next_try_ms <= :due AND o.lease_until_ms <= :now"
          " AND v.origin IN (SELECT value FROM json_each(:origins))"
          " AND v.video_id NOT IN (SELECT video_id FROM deleted_leases WHERE lease_until_ms > :now)"
          // outbox_due's order (state, next_try_ms, seq): LIMIT stops the walk
          // early instead of sorting every pending row.
          " ORDER BY o.next_try_ms, o.seq LIMIT :limit)"
          // The statement runs under the write lock, so the rows the subquery
          // chose are still free; no second filter (it made SQLite scan every
          // pending row instead of looking the chosen ones up by key).
          " RETURNING seq"));
      lease->bind(":owner", owner);
      lease->bind(":until", until_ms);
      lease->bind(":due", due_ms);
      lease->bind(":now", now_ms);
      lease->bind(":origins", nlohmann::json(origins).dump());
      lease->bind(":limit", limit);
      while (lease->executeStep()) seqs.push_back(lease->getColumn(0).getInt64());
    }
    std::vector<VideoRecord> records;
    for (const auto seq : seqs) {
      Use s(Cached(std::string("SELECT ") + kRecordColumns + " WHERE v.seq = ?"));
      s->bind(1, seq);
      if (s->executeStep()) records.push_back(ReadRecord(*s));
    }
    return records;
  });
}

Result<std::optional<std::int64_t>> Store::NextDue(const std::vector<std::string>& origins) {
  return Guard("scheduling", [&]() -> Result<std::optional<std::int64_t>> {
    Use s(Cached(
        "SELECT min(max(o.next_try_ms, o.lease_until_ms)) FROM outbox o"
        " JOIN videos v ON v.seq = o.seq WHERE o.state = 'pending'"
        " AND v.origin IN (SELECT value FROM json_each(?))"));
    s->bind(1, nlohmann::json(origins).dump());
    if (!s->executeStep() || s->getColumn(0).isNull()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(s->getColumn(0).getInt64());
  });
}

Result<bool> Store::FinishSend(const std::string& video_id, const std::string& owner,
                               const SendOutcome& outcome) {
  return Guard("recording a send", [&]() -> Result<bool> {
    const bool success = outcome.state == SyncState::kSynced;
    Use s(Cached(
        "UPDATE outbox SET state = :state, attempts = attempts + 1, next_try_ms = :next,"
        " last_error = :error, updated_at = :now, change_seq = :seq,"
        // A late success (this lease ran out and another process leased the
        // video meanwhile) still records the video as synced, but the other
        // process's lease stands: its request may still be in flight, and a
        // resync must not let a third sender in beside it.
        " lease_owner = CASE WHEN lease_owner = :owner THEN NULL ELSE lease_owner END,"
        " lease_until_ms = CASE WHEN lease_owner = :owner THEN 0 ELSE lease_until_ms END"
        " WHERE seq = (SELECT seq FROM videos WHERE video_id = :id)"
        // A failure counts only while this process holds the lease and the
        // video is still pending; it never undoes another sender's success.
        " AND (:success OR (lease_owner = :owner AND state = 'pending'))"
        // The app saved it meanwhile: that fact stays (its history says both).
        " AND state <> 'saved_by_app'"));
    s->bind(":state", std::string(ToString(outcome.state)));
    s->bind(":next", outcome.next_try_ms);
    BindOptional(*s, s->getIndex(":error"), outcome.last_error);
    s->bind(":now", NowUtc());
    s->bind(":seq", NextChangeSeq());
    s->bind(":id", video_id);
    s->bind(":success", success ? 1 : 0);
    s->bind(":owner", owner);
    const bool changed = s->exec() > 0;
    // The history keeps every attempt that happened, also one whose outcome
    // came after this process's lease ended (not applied: another process
    // had the video by then), so a resend can always be explained.
    SyncAttempt attempt = outcome.attempt;
    if (!changed) {
      Use exists(Cached(
          "SELECT o.state FROM videos v JOIN outbox o ON o.seq = v.seq WHERE v.video_id = ?"));
      exists->bind(1, video_id);
      if (!exists->executeStep()) return false;
      const bool by_app = exists->getColumn(0).getString() == ToString(SyncState::kSavedByApp);
      attempt.reason += attempt.reason.empty() ? "" : "; ";
      attempt.reason += by_app ? "not applied: the app had saved it itself meanwhile"
                               : "not applied: this process's lease had ended";
      if (by_app) {
        // Its lease ends here all the same: nothing else will end it early.
        Use release(Cached(
            "UPDATE outbox SET lease_owner = NULL, lease_until_ms = 0 WHERE lease_owner = ? "
            "AND seq = (SELECT seq FROM videos WHERE video_id = ?)"));
        release->bind(1, owner);
        release->bind(2, video_id);
        release->exec();
      }
    }
    if (Status h = AddAttempt(video_id, attempt); !h.ok()) return h;
    return changed;
  });
}

Result<int> Store::ResumeOrigin(const std::string& origin, const std::optional<std::string>& account) {
  return Guard("resuming", [&]() -> Result<int> {
    // The attempt budget starts over: the earlier tries were another
    // session's (or nobody's).
    Use s(Cached(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_try_ms = 0, updated_at = :now,"
        " change_seq = :seq WHERE state = 'auth_required' AND seq IN (SELECT seq FROM videos"
        " WHERE origin = :origin AND (:all OR coalesce(account_id, '') IN ('', :account)))"));
    s->bind(":now", NowUtc());
    s->bind(":seq", NextChangeSeq());
    s->bind(":origin", origin);
    s->bind(":all", account ? 0 : 1);
    s->bind(":account", account.value_or(std::string()));
    return s->exec();
  });
}

Result<int> Store::MakeDue(const std::vector<std::string>& origins) {
  return Guard("scheduling", [&]() -> Result<int> {
    Use s(Cached(
        "UPDATE outbox SET next_try_ms = 0 WHERE state = 'pending' AND seq IN"
        " (SELECT seq FROM videos WHERE origin IN (SELECT value FROM json_each(?)))"));
    s->bind(1, nlohmann::json(origins).dump());
    return s->exec();
  });
}

Result<std::vector<std::pair<std::string, std::int64_t>>> Store::PendingByOrigin() {
  return Guard("counting", [&]() -> Result<std::vector<std::pair<std::string, std::int64_t>>> {
    Use s(Cached(
        "SELECT v.origin, count(*) FROM outbox o JOIN videos v ON v.seq = o.seq"
        " WHERE o.state = 'pending' AND v.origin IS NOT NULL GROUP BY v.origin"));
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (s->executeStep()) out.emplace_back(s->getColumn(0).getString(), s->getColumn(1).getInt64());
    return out;
  });
}

Result<std::vector<StateChange>> Store::ChangesSince(std::int64_t after_seq, int limit) {
  return Guard("reading changes", [&]() -> Result<std::vector<StateChange>> {
    Use s(Cached(
        "SELECT v.video_id, o.state, o.last_error, o.change_seq FROM outbox o"
        " JOIN videos v ON v.seq = o.seq WHERE o.change_seq > 0 AND o.change_seq > ?"
        " ORDER BY o.change_seq LIMIT ?"));
    s->bind(1, after_seq);
    s->bind(2, limit);
    std::vector<StateChange> out;
    while (s->executeStep())
      out.push_back({s->getColumn(0).getString(),
                     ParseSyncState(s->getColumn(1).getString()).value_or(SyncState::kPending),
                     TextOrEmpty(s->getColumn(2)), s->getColumn(3).getInt64()});
    return out;
  });
}

Result<std::int64_t> Store::LatestChange() {
  return Guard("reading changes", [&]() -> Result<std::int64_t> {
    Use s(Cached("SELECT value FROM counters WHERE name = 'outbox_change'"));
    return s->executeStep() ? s->getColumn(0).getInt64() : std::int64_t{0};
  });
}

Result<std::int64_t> Store::DataVersion() {
  return Guard("polling", [&]() -> Result<std::int64_t> {
    Use s(Cached("PRAGMA data_version"));
    s->executeStep();
    return s->getColumn(0).getInt64();
  });
}

Result<ListPage> Store::List(const ListQuery& query) {
  return Guard("listing", [&]() -> Result<ListPage> {
    const std::string fts = FtsQuery(query.text);  // empty for blank input: no filter
    if (!fts.empty()) IndexNewPrompts();  // a search sees this transaction's videos too
    // With the media cache off (or nothing fetched yet) the media tables are
    // empty: then the page skips their joins (same columns, NULLs). The
    // check's statement stays open (stepped, not reset) until the page is
    // read, so both see the same snapshot of the database.
    Use any_media(Cached("SELECT EXISTS (SELECT 1 FROM media) OR EXISTS (SELECT 1 FROM media_info)"));
    const bool media = any_media->executeStep() && any_media->getColumn(0).getInt() != 0;
    std::string sql =
        std::string("SELECT ") + (media ? kRecordColumns : kRecordColumnsNoMedia) + " WHERE 1";
    if (!fts.empty())
      sql += " AND v.seq IN (SELECT rowid FROM videos_fts WHERE videos_fts MATCH :text)";
    if (query.before_seq) sql += " AND v.seq < :before";
    if (query.chat_id) sql += " AND v.chat_id = :chat";
    if (query.sync) sql += " AND o.state = :state";
    sql += " ORDER BY v.seq DESC LIMIT :limit";
    Use s(Cached(sql));
    if (!fts.empty()) s->bind(":text", fts);
    if (query.before_seq) s->bind(":before", *query.before_seq);
    if (query.chat_id) s->bind(":chat", *query.chat_id);
    if (query.sync) s->bind(":state", std::string(ToString(*query.sync)));
    s->bind(":limit", query.limit + 1);  // one extra tells whether there are more
    ListPage page;
    while (s->executeStep()) {
      if (static_cast<int>(page.videos.size()) == query.limit) {
        page.more = true;
        break;
      }
      page.videos.push_back(ReadRecord(*s, /*parse_meta=*/false));
    }
    return page;
  });
}

Result<VideoRecord> Store::Get(const std::string& video_id) {
  return Guard("reading", [&]() -> Result<VideoRecord> {
    Use s(Cached(std::string("SELECT ") + kRecordColumns + " WHERE v.video_id = ?"));
    s->bind(1, video_id);
    if (!s->executeStep()) return Status::NotFound("no video with id " + video_id);
    return ReadRecord(*s);
  });
}

Result<std::string> Store::ResolveId(const std::string& prefix) {
  if (prefix.size() < 4 || prefix.size() > 36 ||
      prefix.find_first_not_of("0123456789abcdef-") != std::string::npos)
    return Status::BadRequest("'" + prefix.substr(0, 40) +
                              "' is not a video id (at least 4 characters of one)");
  return Guard("reading", [&]() -> Result<std::string> {
    Use s(Cached("SELECT video_id FROM videos WHERE video_id >= ?1 AND video_id < ?1 || '~' LIMIT 2"));
    s->bind(1, prefix);
    if (!s->executeStep()) return Status::NotFound("no video with id " + prefix);
    std::string id = s->getColumn(0).getString();
    if (s->executeStep())
      return Status::BadRequest("'" + prefix + "' matches several videos; give more characters");
    return id;
  });
}

Result<std::vector<SyncAttempt>> Store::History(const std::string& video_id) {
  return Guard("reading history", [&]() -> Result<std::vector<SyncAttempt>> {
    Use s(Cached(
        "SELECT at, http_status, result, reason FROM sync_history WHERE video_id = ? ORDER BY id"));
    s->bind(1, video_id);
    std::vector<SyncAttempt> out;
    while (s->executeStep())
      out.push_back({s->getColumn(0).getString(), s->getColumn(1).getInt(),
                     s->getColumn(2).getString(), TextOrEmpty(s->getColumn(3))});
    return out;
  });
}

Status Store::AddAttempt(const std::string& video_id, const SyncAttempt& attempt, int keep) {
  return Guard("recording an attempt", [&]() -> Status {
    Use add(Cached(
        "INSERT INTO sync_history (video_id, at, http_status, result, reason) VALUES (?, ?, ?, ?, ?)"));
    add->bind(1, video_id);
    add->bind(2, attempt.at);
    add->bind(3, attempt.http_status);
    add->bind(4, attempt.result);
    BindOptional(*add, 5, attempt.reason);
    add->exec();
    Use trim(Cached(
        "DELETE FROM sync_history WHERE video_id = ?1 AND id NOT IN "
        "(SELECT id FROM sync_history WHERE video_id = ?1 ORDER BY id DESC LIMIT ?2)"));
    trim->bind(1, video_id);
    trim->bind(2, keep);
    trim->exec();
    return {};
  });
}

Result<StoreStats> Store::Stats() {
  return Guard("counting", [&]() -> Result<StoreStats> {
    StoreStats stats;
    {
      Use s(Cached("SELECT state, count(*) FROM outbox GROUP BY state"));
      while (s->executeStep())
        if (auto state = ParseSyncState(s->getColumn(0).getString()))
          stats.count(*state) = s->getColumn(1).getInt64();
    }
    {
      Use s(Cached("SELECT count(*) FROM videos"));
      if (s->executeStep()) stats.videos = s->getColumn(0).getInt64();
    }
    {
      Use s(Cached(
          // An error only comes with a state change, so the newest one is
          // found walking outbox_by_change backwards, not the whole table.
          "SELECT last_error FROM outbox WHERE change_seq > 0 AND last_error IS NOT NULL "
          "ORDER BY change_seq DESC LIMIT 1"));
      if (s->executeStep()) stats.last_error = s->getColumn(0).getString();
    }
    {
      Use s(Cached("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"));
      if (s->executeStep()) stats.database_bytes = s->getColumn(0).getInt64();
    }
    return stats;
  });
}

Status Store::ForEach(const std::function<void(const VideoRecord&)>& visit) {
  return Guard("reading", [&]() -> Status {
    // Not cached: an export may run while nothing else uses the connection.
    SQLite::Statement s(*db_, std::string("SELECT ") + kRecordColumns + " ORDER BY v.seq");
    while (s.executeStep()) visit(ReadRecord(s));
    return {};
  });
}

}  // namespace vidkeep
