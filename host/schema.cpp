#include "schema.h"

#include <stdexcept>
#include <string>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

namespace vidkeep {

namespace {

// Each entry takes the schema from version i to i + 1. Every hot write
// appends to its indexes (keys grow with `seq`) except the one unique index on
// video_id, which dedupe needs: random keys in more indexes made each group
// commit dirty a page per row per index.
const char* const kMigrations[] = {
    // 1: videos and their outbox rows, written in one transaction.
    R"sql(
CREATE TABLE videos (
  seq           INTEGER PRIMARY KEY,      -- insertion order; newest first = seq DESC
  video_id      TEXT NOT NULL UNIQUE,     -- UUIDv5 of chat_id + "\n" + canonical_url
  chat_id       TEXT NOT NULL,            -- '' = the empty chat
  canonical_url TEXT NOT NULL,            -- computed once, never recomputed
  url           TEXT NOT NULL,            -- the latest full URL (signature included)
  thumbnail_url TEXT,
  prompt        TEXT,
  source        TEXT NOT NULL,
  page_url      TEXT,
  origin        TEXT,
  observed_at   TEXT,
  meta          TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
);
CREATE INDEX videos_by_chat ON videos (chat_id, seq);
CREATE TABLE outbox (
  seq            INTEGER PRIMARY KEY,      -- the video's seq
  state          TEXT NOT NULL,            -- pending synced failed auth_required local
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_try_ms    INTEGER NOT NULL DEFAULT 0, -- unix ms; due when <= now
  last_error     TEXT,
  lease_owner    TEXT,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  updated_at     TEXT,
  change_seq     INTEGER NOT NULL DEFAULT 0 -- counters.outbox_change when the state last changed
);
CREATE INDEX outbox_due ON outbox (state, next_try_ms);
-- Only rows whose state changed after insert: inserts never touch it.
CREATE INDEX outbox_by_change ON outbox (change_seq) WHERE change_seq > 0;
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('outbox_change', 0);
)sql",
    // 2: full-text search of prompts. New rows are indexed by Store::Commit,
    // once per transaction: FTS5 flushes its pending terms at every savepoint,
    // so an insert trigger would cost more than the group commit saves.
    R"sql(
CREATE VIRTUAL TABLE videos_fts USING fts5(
  prompt, content='videos', content_rowid='seq', tokenize='unicode61 remove_diacritics 2');
INSERT INTO videos_fts (rowid, prompt) SELECT seq, prompt FROM videos WHERE prompt IS NOT NULL;
CREATE TRIGGER videos_fts_delete AFTER DELETE ON videos WHEN old.prompt IS NOT NULL BEGIN
  INSERT INTO videos_fts (videos_fts, rowid, prompt) VALUES ('delete', old.seq, old.prompt);
END;
-- Only a real change: a duplicate rewriting the same prompt leaves the index alone.
CREATE TRIGGER videos_fts_update AFTER UPDATE OF prompt ON videos
WHEN old.prompt IS NOT new.prompt BEGIN
  INSERT INTO videos_fts (videos_fts, rowid, prompt)
    SELECT 'delete', old.seq, old.prompt WHERE old.prompt IS NOT NULL;
  INSERT INTO videos_fts (rowid, prompt) SELECT new.seq, new.prompt WHERE new.prompt IS NOT NULL;
END;
)sql",
    // 3: sync history, the last attempts of each video for `vidkeep show`.
    R"sql(
CREATE TABLE sync_history (
  id          INTEGER PRIMARY KEY,
  video_id    TEXT NOT NULL,
  at          TEXT NOT NULL,
  http_status INTEGER NOT NULL DEFAULT 0,
  result      TEXT NOT NULL,
  reason      TEXT
);
CREATE INDEX sync_history_by_video ON sync_history (video_id, id);
)sql",
    // 4: leases outlive a delete. A video deleted (and maybe saved again)
    // while one process is sending it must not be sent by another until that
    // lease ends.
    R"sql(
CREATE TABLE deleted_leases (
  video_id       TEXT PRIMARY KEY,
  lease_owner    TEXT NOT NULL,
  lease_until_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 5: the media cache (docs/media.md). One row per file of a video (its
    // video and its thumbnail), created by the downloader for videos past the
    // `media_scanned` watermark, so saving a video writes nothing more. Files
    // live content-addressed under media/ by sha256; the rows say which.
    R"sql(
ALTER TABLE videos ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN last_viewed_ms INTEGER NOT NULL DEFAULT 0;
CREATE TABLE media (
  video_id       TEXT NOT NULL,
  kind           TEXT NOT NULL,              -- video | thumbnail
  state          TEXT NOT NULL DEFAULT 'not_cached', -- not_cached downloading cached failed evicted
  bytes          INTEGER NOT NULL DEFAULT 0, -- so far, or the file size when cached
  total          INTEGER,                    -- NULL: unknown
  content_type   TEXT,
  sha256         TEXT,                       -- set when cached
  validator      TEXT,                       -- ETag / Last-Modified, for a Range resume
  generated      INTEGER NOT NULL DEFAULT 0, -- a thumbnail made from the video
  cached_ms      INTEGER NOT NULL DEFAULT 0, -- unix ms when it was cached: counts as a view
  error          TEXT,
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_try_ms    INTEGER NOT NULL DEFAULT 0,
  lease_owner    TEXT,
  lease_until_ms INTEGER NOT NULL DEFAULT 0,
  change_seq     INTEGER NOT NULL DEFAULT 0, -- counters.media_change at the last change
  updated_at     TEXT,
  PRIMARY KEY (video_id, kind)
) WITHOUT ROWID;
CREATE INDEX media_due ON media (state, next_try_ms);
CREATE INDEX media_by_sha ON media (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX media_by_change ON media (change_seq) WHERE change_seq > 0;
CREATE TABLE media_info (
  video_id    TEXT PRIMARY KEY,
  duration_s  REAL,
  width       INTEGER,
  height      INTEGER,
  video_codec TEXT,
  audio_codec TEXT,
  container   TEXT
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('media_scanned', 0), ('media_change', 0);
CREATE TRIGGER media_forget AFTER DELETE ON videos BEGIN
  DELETE FROM media WHERE video_id = old.video_id;
  DELETE FROM media_info WHERE video_id = old.video_id;
END;
)sql",
    // 6: the real chat app (issue 12). Who was signed in when a video was
    // captured, the app's own message id when the app saved it itself, and
    // why a video is `local` (so a later generating sighting can promote a
    // seen-only one, and resync can tell it from one that must never go).
    R"sql(
ALTER TABLE videos ADD COLUMN account_id TEXT;
ALTER TABLE videos ADD COLUMN account_label TEXT;
ALTER TABLE videos ADD COLUMN app_message_id TEXT;
ALTER TABLE outbox ADD COLUMN local_reason TEXT; -- no_chat sync_off bad_origin bad_chat_id seen_only
UPDATE outbox SET local_reason = 'no_chat'
  WHERE state = 'local' AND seq IN (SELECT seq FROM videos WHERE chat_id = '');
)sql",
};

constexpr int kLatest = static_cast<int>(std::size(kMigrations));

int UserVersion(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

}  // namespace

int LatestSchemaVersion() { return kLatest; }

void MigrateSchema(SQLite::Database& db, int target) {
  if (target < 0) target = kLatest;
  if (UserVersion(db) == target) return;  // the common case: no write lock needed
  // SQLiteCpp's guard, the model of Store::Transaction: rolled back (its own
  // error ignored, the first failure is the one worth reporting) when a
  // migration throws. IMMEDIATE takes the write lock before the version is read.
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  const int current = UserVersion(db);  // re-read under the lock
  if (current > kLatest)
    throw std::runtime_error("the database has schema version " + std::to_string(current) +
                             ", newer than this vidkeep (" + std::to_string(kLatest) +
                             "); update vidkeep");
  for (int v = current; v < target; ++v) db.exec(kMigrations[v]);
  if (current < target) db.exec("PRAGMA user_version = " + std::to_string(target));
  transaction.commit();
}

}  // namespace vidkeep
