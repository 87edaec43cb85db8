// The media cache's rows (schema version 5, docs/media.md): which file of a
// video is cached, downloading or failed, leased like the outbox so two host
// processes never download the same file at once.
#include <limits>

#include "store.h"
#include "store_internal.h"

namespace vidkeep {

namespace {

// next_try_ms of a thumbnail that waits for its video: the event had no
// thumbnail, so one is made once the video is cached.
constexpr std::int64_t kWaitingForVideo = std::int64_t{1} << 62;

FileKind KindOf(const SQLite::Column& c) {
  return ParseFileKind(c.getString()).value_or(FileKind::kVideo);
}

std::string Kind(FileKind kind) { return std::string(ToString(kind)); }

}  // namespace

std::int64_t Store::NextMediaChangeSeq() {
  Use s(Cached("UPDATE counters SET value = value + 1 WHERE name = 'media_change' RETURNING value"));
  s->executeStep();
  return s->getColumn(0).getInt64();
}

Result<int> Store::ScanForMedia(int limit) {
  return Guard("finding new videos to cache", [&]() -> Result<int> {
    Use last(Cached("SELECT value FROM counters WHERE name = 'media_scanned'"));
    const std::int64_t after = last->executeStep() ? last->getColumn(0).getInt64() : 0;
    std::int64_t newest = after;
    int covered = 0;
    {
      Use videos(Cached(
          "SELECT seq, video_id, thumbnail_url IS NOT NULL FROM videos WHERE seq > ? ORDER BY seq LIMIT ?"));
      videos->bind(1, after);
      videos->bind(2, limit);
      // A thumbnail the event did not have is made from the video
      // (`generated`), once the video is cached.
      Use insert(Cached(
          "INSERT OR IGNORE INTO media (video_id, kind, next_try_ms, generated, updated_at)"
          " VALUES (?, ?, ?, ?, ?)"));
      const std::string now = NowUtc();
      while (videos->executeStep()) {
        newest = videos->getColumn(0).getInt64();
        const std::string id = videos->getColumn(1).getString();
        const bool has_thumbnail = videos->getColumn(2).getInt() != 0;
        for (FileKind kind : {FileKind::kVideo, FileKind::kThumbnail}) {
          insert->bind(1, id);
          insert->bind(2, Kind(kind));
          const bool make = kind == FileKind::kThumbnail && !has_thumbnail;
          insert->bind(3, make ? kWaitingForVideo : 0);
          insert->bind(4, make ? 1 : 0);
          insert->bind(5, now);
          insert->exec();
          insert->reset();
        }
        ++covered;
      }
    }
    if (newest != after) {
      Use s(Cached("UPDATE counters SET value = ? WHERE name = 'media_scanned'"));
      s->bind(1, newest);
      s->exec();
    }
    return covered;
  });
}

Result<std::vector<MediaJob>> Store::LeaseMedia(const std::string& owner, std::int64_t now_ms,
                                                std::int64_t until_ms, int limit) {
  return Guard("leasing downloads", [&]() -> Result<std::vector<MediaJob>> {
    std::vector<std::pair<std::string, FileKind>> leased;
    {
      // `downloading` rows whose lease ended belong to a killed process:
      // taken over, and resumed from their partial file.
      Use lease(Cached(
          "UPDATE media SET lease_owner = :owner, lease_until_ms = :until, state = 'downloading',"
          " change_seq = :seq WHERE (video_id, kind) IN ("
          " SELECT m.video_id, m.kind FROM media m JOIN videos v ON v.video_id = m.video_id"
          " WHERE m.state IN ('not_cached', 'downloading') AND m.next_try_ms <= :now"
          " AND m.lease_until_ms <= :now"
          " ORDER BY m.kind = 'video', v.seq DESC LIMIT :limit)"
          " RETURNING video_id, kind"));
      lease->bind(":owner", owner);
      lease->bind(":until", until_ms);
      lease->bind(":seq", NextMediaChangeSeq());
      lease->bind(":now", now_ms);
      lease->bind(":limit", limit);
      while (lease->executeStep())
        leased.emplace_back(lease->getColumn(0).getString(), KindOf(lease->getColumn(1)));
    }
    std::vector<MediaJob> jobs;
    for (auto& [video_id, kind] : leased) {
      Use s(Cached(
          "SELECT CASE WHEN m.kind = 'video' THEN v.url WHEN m.generated THEN NULL"
          " ELSE v.thumbnail_url END, m.validator,"
          " m.attempts, (SELECT c.sha256 FROM media c WHERE c.video_id = m.video_id"
          " AND c.kind = 'video' AND c.state = 'cached')"
          " FROM media m JOIN videos v ON v.video_id = m.video_id"
          " WHERE m.video_id = ? AND m.kind = ?"));
      s->bind(1, video_id);
      s->bind(2, Kind(kind));
      if (!s->executeStep()) continue;
      MediaJob job{video_id, kind, TextOrEmpty(s->getColumn(0)), TextOrEmpty(s->getColumn(3)),
                   TextOrEmpty(s->getColumn(1)), s->getColumn(2).getInt()};
      if (job.url.empty() && job.source_sha256.empty()) {
        // A thumbnail to make from a video that is not cached (any more):
        // it waits again, and FinishMedia of the video wakes it.
        Use wait(Cached(
            "UPDATE media SET state = 'not_cached', next_try_ms = ?, lease_owner = NULL,"
            " lease_until_ms = 0 WHERE video_id = ? AND kind = 'thumbnail'"));
        wait->bind(1, kWaitingForVideo);
        wait->bind(2, video_id);
        wait->exec();
        continue;
      }
      jobs.push_back(std::move(job));
    }
    return jobs;
  });
}

Result<std::optional<std::int64_t>> Store::NextMediaDue() {
  return Guard("scheduling downloads", [&]() -> Result<std::optional<std::int64_t>> {
    Use s(Cached(
        "SELECT min(max(next_try_ms, lease_until_ms)) FROM media"
        " WHERE state IN ('not_cached', 'downloading') AND next_try_ms < ?"));
    s->bind(1, kWaitingForVideo);
    if (!s->executeStep() || s->getColumn(0).isNull()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(s->getColumn(0).getInt64());
  });
}

Result<bool> Store::MediaProgress(const std::string& video_id, FileKind kind,
                                  const std::string& owner, std::int64_t bytes,
                                  std::optional<std::int64_t> total, const std::string& validator,
                                  std::int64_t until_ms) {
  return Guard("recording download progress", [&]() -> Result<bool> {
    Use s(Cached(
        "UPDATE media SET bytes = :bytes, total = :total, validator = :validator,"
        " lease_until_ms = :until, change_seq = :seq, updated_at = :now"
        " WHERE video_id = :id AND kind = :kind AND lease_owner = :owner"
        " AND state = 'downloading'"));
    s->bind(":bytes", bytes);
    if (total) s->bind(":total", *total);
    BindOptional(*s, s->getIndex(":validator"), validator);
    s->bind(":until", until_ms);
    s->bind(":seq", NextMediaChangeSeq());
    s->bind(":now", NowUtc());
    s->bind(":id", video_id);
    s->bind(":kind", Kind(kind));
    s->bind(":owner", owner);
    return s->exec() > 0;
  });
}

Result<bool> Store::FinishMedia(const std::string& video_id, FileKind kind,
                                const std::string& owner, const MediaOutcome& outcome) {
  return Guard("recording a download", [&]() -> Result<bool> {
    const bool cached = outcome.state == CacheState::kCached;
    {
      // make_from_video: the thumbnail link failed for good, so the
      // thumbnail is made from the video instead, now or once it is cached.
      Use s(Cached(
          "UPDATE media SET state = :state, bytes = :bytes, total = :total,"
          " content_type = :type, sha256 = :sha, validator = :validator, error = :error,"
          " generated = :generated OR :from_video,"
          " attempts = CASE WHEN :cached OR :from_video THEN 0 ELSE attempts + 1 END,"
          " cached_ms = CASE WHEN :cached THEN :now_ms ELSE 0 END,"
          " next_try_ms = CASE WHEN NOT :from_video THEN :next WHEN EXISTS (SELECT 1 FROM media c"
          "   WHERE c.video_id = :id AND c.kind = 'video' AND c.state = 'cached') THEN 0"
          "   ELSE :waiting END,"
          " lease_owner = NULL, lease_until_ms = 0, change_seq = :seq,"
          " updated_at = :now WHERE video_id = :id AND kind = :kind AND lease_owner = :owner"));
      s->bind(":state", std::string(ToString(outcome.state)));
      s->bind(":bytes", outcome.bytes);
      if (outcome.total) s->bind(":total", *outcome.total);
      BindOptional(*s, s->getIndex(":type"), outcome.content_type);
      BindOptional(*s, s->getIndex(":sha"), cached ? outcome.sha256 : std::string());
      BindOptional(*s, s->getIndex(":validator"), outcome.validator);
      BindOptional(*s, s->getIndex(":error"), outcome.error);
      s->bind(":generated", outcome.generated ? 1 : 0);
      s->bind(":cached", cached ? 1 : 0);
      s->bind(":from_video", outcome.make_from_video ? 1 : 0);
      s->bind(":waiting", kWaitingForVideo);
      s->bind(":now_ms", UnixMs());
      s->bind(":next", outcome.next_try_ms);
      s->bind(":seq", NextMediaChangeSeq());
      s->bind(":now", NowUtc());
      s->bind(":id", video_id);
      s->bind(":kind", Kind(kind));
      s->bind(":owner", owner);
      if (s->exec() == 0) return false;
    }
    if (cached && kind == FileKind::kVideo) {
      // A thumbnail waiting for this video can be made now.
      Use wake(Cached(
          "UPDATE media SET next_try_ms = 0 WHERE video_id = ? AND kind = 'thumbnail'"
          " AND state = 'not_cached' AND next_try_ms >= ?"));
      wake->bind(1, video_id);
      wake->bind(2, kWaitingForVideo);
      wake->exec();
    }
    return true;
  });
}

Status Store::SetMediaFacts(const std::string& video_id, const MediaFacts& facts) {
  return Guard("recording media facts", [&]() -> Status {
    Use s(Cached(
        "INSERT OR REPLACE INTO media_info (video_id, duration_s, width, height, video_codec,"
        " audio_codec, container) SELECT video_id, ?, ?, ?, ?, ?, ? FROM videos WHERE video_id = ?"));
    if (facts.duration_s) s->bind(1, *facts.duration_s);
    if (facts.width) s->bind(2, *facts.width);
    if (facts.height) s->bind(3, *facts.height);
    BindOptional(*s, 4, facts.video_codec);
    BindOptional(*s, 5, facts.audio_codec);
    BindOptional(*s, 6, facts.container);
    s->bind(7, video_id);
    s->exec();
    // The facts are part of the video's record: tell the browser.
    Use touch(Cached("UPDATE media SET change_seq = ? WHERE video_id = ? AND kind = 'video'"));
    touch->bind(1, NextMediaChangeSeq());
    touch->bind(2, video_id);
    touch->exec();
    return {};
  });
}

Result<CachedFile> Store::CachedFileOf(const std::string& video_id, FileKind kind) {
  return Guard("reading the cache", [&]() -> Result<CachedFile> {
    Use s(Cached(
        "SELECT m.state, m.sha256, m.bytes, m.content_type FROM videos v LEFT JOIN media m"
        " ON m.video_id = v.video_id AND m.kind = ? WHERE v.video_id = ?"));
    s->bind(1, Kind(kind));
    s->bind(2, video_id);
    if (!s->executeStep()) return Status::NotFound("no video with id " + video_id);
    if (s->getColumn(0).isNull() || s->getColumn(0).getString() != "cached" ||
        s->getColumn(1).isNull())
      return Status::NotFound(fmt::format("the {} of {} is not cached", ToString(kind), video_id));
    return CachedFile{video_id, kind, s->getColumn(1).getString(), s->getColumn(2).getInt64(),
                      TextOrEmpty(s->getColumn(3))};
  });
}

Status Store::MarkViewed(const std::string& video_id, std::int64_t now_ms) {
  return Guard("recording a view", [&]() -> Status {
    Use s(Cached("UPDATE videos SET last_viewed_ms = ? WHERE video_id = ?"));
    s->bind(1, now_ms);
    s->bind(2, video_id);
    s->exec();
    return {};
  });
}

Result<int> Store::SetPinned(const std::vector<std::string>& video_ids, bool pinned) {
  return Guard("pinning", [&]() -> Result<int> {
    int changed = 0;
    for (const auto& id : video_ids) {
      Use s(Cached("UPDATE videos SET pinned = ? WHERE video_id = ? AND pinned <> ?"));
      s->bind(1, pinned ? 1 : 0);
      s->bind(2, id);
      s->bind(3, pinned ? 1 : 0);
      changed += s->exec();
    }
    return changed;
  });
}

Result<int> Store::RequeueMedia(const std::vector<std::string>& video_ids) {
  return Guard("queueing downloads", [&]() -> Result<int> {
    // A thumbnail without a link keeps waiting for its video.
    const std::string sql =
        "UPDATE media SET state = 'not_cached', attempts = 0, error = NULL, change_seq = ?1,"
        " next_try_ms = CASE WHEN kind = 'thumbnail' AND generated AND NOT EXISTS (SELECT 1 FROM media c"
        " WHERE c.video_id = media.video_id AND c.kind = 'video' AND c.state = 'cached')"
        " THEN ?2 ELSE 0 END WHERE (state IN ('failed', 'evicted')"
        // ...and retries waiting out their backoff, not thumbnails waiting for a video.
        " OR (state = 'not_cached' AND next_try_ms > 0 AND next_try_ms < ?2))";
    if (video_ids.empty()) {
      Use s(Cached(sql));
      s->bind(1, NextMediaChangeSeq());
      s->bind(2, kWaitingForVideo);
      return s->exec();
    }
    int queued = 0;
    for (const auto& id : video_ids) {
      Use s(Cached(sql + " AND video_id = ?3"));
      s->bind(1, NextMediaChangeSeq());
      s->bind(2, kWaitingForVideo);
      s->bind(3, id);
      queued += s->exec();
    }
    return queued;
  });
}

Result<std::vector<CachedFile>> Store::EvictionCandidates(int limit) {
  return Guard("choosing what to evict", [&]() -> Result<std::vector<CachedFile>> {
    Use s(Cached(
        "SELECT m.video_id, m.sha256, m.bytes, m.content_type FROM media m"
        " JOIN videos v ON v.video_id = m.video_id"
        " WHERE m.kind = 'video' AND m.state = 'cached' AND v.pinned = 0"
        // Being cached counts as a view: a new download is not the first to go.
        " ORDER BY max(v.last_viewed_ms, m.cached_ms), v.seq LIMIT ?"));
    s->bind(1, limit);
    std::vector<CachedFile> files;
    while (s->executeStep())
      files.push_back({s->getColumn(0).getString(), FileKind::kVideo, TextOrEmpty(s->getColumn(1)),
                       s->getColumn(2).getInt64(), TextOrEmpty(s->getColumn(3))});
    return files;
  });
}

Result<bool> Store::DropCachedFile(const std::string& video_id, FileKind kind, CacheState state,
                                   const std::string& why) {
  return Guard("dropping a cached file", [&]() -> Result<bool> {
    Use s(Cached(
        "UPDATE media SET state = ?, sha256 = NULL, bytes = 0, validator = NULL, error = ?,"
        " attempts = 0, next_try_ms = 0, change_seq = ?, updated_at = ?"
        " WHERE video_id = ? AND kind = ? AND state = 'cached'"));
    s->bind(1, std::string(ToString(state)));
    s->bind(2, why);
    s->bind(3, NextMediaChangeSeq());
    s->bind(4, NowUtc());
    s->bind(5, video_id);
    s->bind(6, Kind(kind));
    return s->exec() > 0;
  });
}

Result<bool> Store::ShaInUse(const std::string& sha256) {
  return Guard("reading the cache", [&]() -> Result<bool> {
    Use s(Cached("SELECT 1 FROM media WHERE sha256 = ? AND state = 'cached' LIMIT 1"));
    s->bind(1, sha256);
    return s->executeStep();
  });
}

Result<CacheUsage> Store::MediaUsage() {
  return Guard("reading the cache", [&]() -> Result<CacheUsage> {
    CacheUsage u;
    {
      Use s(Cached(
          "SELECT count(*), coalesce(sum(bytes), 0) FROM (SELECT sha256, max(bytes) AS bytes"
          " FROM media WHERE state = 'cached' AND sha256 IS NOT NULL GROUP BY sha256)"));
      if (s->executeStep()) {
        u.files = s->getColumn(0).getInt64();
        u.bytes = s->getColumn(1).getInt64();
      }
    }
    {
      // Videos the downloader has not seen yet count as not cached.
      Use s(Cached(
          "SELECT 'video', 'not_cached', count(*) FROM videos v WHERE NOT EXISTS"
          " (SELECT 1 FROM media m WHERE m.video_id = v.video_id)"
          " UNION ALL SELECT kind, state, count(*) FROM media GROUP BY kind, state"));
      while (s->executeStep()) {
        auto& counts = s->getColumn(0).getString() == "video" ? u.videos_by_state : u.thumbnails_by_state;
        counts[s->getColumn(1).getString()] += s->getColumn(2).getInt64();
      }
    }
    Use pinned(Cached("SELECT count(*) FROM videos WHERE pinned <> 0"));
    if (pinned->executeStep()) u.pinned_videos = pinned->getColumn(0).getInt64();
    return u;
  });
}

Status Store::ForEachCachedFile(const std::function<void(const CachedFile&)>& visit) {
  return Guard("reading the cache", [&]() -> Status {
    SQLite::Statement s(*db_,
                        "SELECT video_id, kind, sha256, bytes, content_type FROM media"
                        " WHERE state = 'cached' AND sha256 IS NOT NULL ORDER BY video_id, kind");
    while (s.executeStep())
      visit({s.getColumn(0).getString(), KindOf(s.getColumn(1)), s.getColumn(2).getString(),
             s.getColumn(3).getInt64(), TextOrEmpty(s.getColumn(4))});
    return {};
  });
}

Result<std::vector<MediaChange>> Store::MediaChangesSince(std::int64_t after_seq, int limit) {
  return Guard("reading download changes", [&]() -> Result<std::vector<MediaChange>> {
    Use s(Cached(
        "SELECT video_id, kind, state, bytes, total, content_type, sha256, error, generated,"
        " change_seq FROM media WHERE change_seq > ? ORDER BY change_seq LIMIT ?"));
    s->bind(1, after_seq);
    s->bind(2, limit);
    std::vector<MediaChange> changes;
    while (s->executeStep()) {
      MediaChange c;
      c.video_id = s->getColumn(0).getString();
      c.kind = KindOf(s->getColumn(1));
      c.file = ReadFileCache(*s, 2);
      c.seq = s->getColumn(9).getInt64();
      changes.push_back(std::move(c));
    }
    return changes;
  });
}

Result<std::int64_t> Store::LatestMediaChange() {
  return Guard("reading download changes", [&]() -> Result<std::int64_t> {
    Use s(Cached("SELECT value FROM counters WHERE name = 'media_change'"));
    return s->executeStep() ? s->getColumn(0).getInt64() : std::int64_t{0};
  });
}

}  // namespace vidkeep
