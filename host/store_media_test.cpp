// The media cache's rows and files: scanning, leasing, finishing, eviction
// order, verify and prune, on real SQLite files and a real directory.
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "dedupe.h"
#include "media_cache.h"
#include "store.h"
#include "test_support.h"

using namespace vidkeep;
namespace fs = std::filesystem;

namespace {

struct Fixture {
  fs::path dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<MediaFiles> files;

  Fixture() {
    dir = test::MakeTempDir("/tmp/vidkeep-media-store-XXXXXX");
    store = Store::Open((dir / "v.db").string()).value();
    files = std::make_unique<MediaFiles>((dir / "media").string());
    REQUIRE(files->Prepare().ok());
  }
  ~Fixture() {
    // Closed first: Windows deletes no open file.
    files.reset();
    store.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string Save(int n, bool thumbnail = true) {
    VideoRecord r;
    r.video.url = "https://cdn.example/v/" + std::to_string(n) + ".mp4";
    if (thumbnail) r.video.thumbnail_url = "https://cdn.example/t/" + std::to_string(n) + ".jpg";
    r.video.chat_id = "c";
    r.canonical_url = CanonicalUrl(r.video.url, SigningParams()).value();
    r.video_id = VideoIdFor("c", r.canonical_url);
    r.sync = SyncState::kLocal;
    REQUIRE(store->Transact([&] { return store->PutVideo(r); }).ok());
    return r.video_id;
  }

  std::vector<MediaJob> Lease(const std::string& owner, std::int64_t now, int limit) {
    REQUIRE(store->Transact([&] { return store->ScanForMedia(1000); }).ok());
    auto jobs = store->Transact([&] { return store->LeaseMedia(owner, now, now + 1000, limit); });
    REQUIRE(jobs.ok());
    return *jobs;
  }

  // Writes `content` as a finished download and records it cached.
  std::string Cache(const MediaJob& job, const std::string& owner, const std::string& content) {
    const std::string partial = files->PartialPath(job.video_id, job.kind);
    std::ofstream(partial, std::ios::binary) << content;
    const std::string sha = HashFile(partial).value();
    REQUIRE(files->Adopt(partial, sha).ok());
    MediaOutcome out;
    out.state = CacheState::kCached;
    out.bytes = static_cast<std::int64_t>(content.size());
    out.sha256 = sha;
    out.content_type = "video/mp4";
    REQUIRE(*store->Transact([&] { return store->FinishMedia(job.video_id, job.kind, owner, out); }));
    return sha;
  }

  FileCache State(const std::string& id, FileKind kind) {
    auto r = store->Get(id);
    REQUIRE(r.ok());
    return kind == FileKind::kVideo ? r->media->video : r->media->thumbnail;
  }
};

}  // namespace

TEST_CASE("media rows: thumbnails first, newest videos next, one owner at a time") {
  Fixture f;
  const std::string a = f.Save(1), b = f.Save(2);
  auto first = f.Lease("x", 100, 3);
  REQUIRE(first.size() == 3);
  CHECK(first[0].kind == FileKind::kThumbnail);
  CHECK(first[1].kind == FileKind::kThumbnail);
  CHECK(first[2].kind == FileKind::kVideo);
  CHECK(first[2].video_id == b);  // the newest video: its link is the freshest
  CHECK(first[2].url == "https://cdn.example/v/2.mp4");
  CHECK(f.State(b, FileKind::kVideo).state == CacheState::kDownloading);

  auto second = f.Lease("y", 100, 10);
  REQUIRE(second.size() == 1);
  CHECK(second[0].video_id == a);
  CHECK(f.Lease("y", 500, 10).empty());          // all leased
  CHECK(f.Lease("y", 1200, 10).size() == 4);     // every lease ran out: taken over

  // x lost its lease: its outcome no longer counts.
  MediaOutcome late;
  late.state = CacheState::kFailed;
  CHECK_FALSE(*f.store->Transact([&] { return f.store->FinishMedia(b, FileKind::kVideo, "x", late); }));
}

TEST_CASE("media rows: a thumbnail the event lacked waits for its video, then is made from it") {
  Fixture f;
  const std::string id = f.Save(1, /*thumbnail=*/false);
  auto jobs = f.Lease("x", 100, 10);
  REQUIRE(jobs.size() == 1);  // the thumbnail waits
  CHECK(jobs[0].kind == FileKind::kVideo);
  CHECK(*f.store->NextMediaDue() == 1100);  // only the lease's end
  const std::string sha = f.Cache(jobs[0], "x", "video bytes");

  auto next = f.Lease("x", 200, 10);
  REQUIRE(next.size() == 1);
  CHECK(next[0].kind == FileKind::kThumbnail);
  CHECK(next[0].url.empty());
  CHECK(next[0].source_sha256 == sha);
}

TEST_CASE("media rows: progress renews the lease; failures back off; media_fetch requeues") {
  Fixture f;
  const std::string id = f.Save(1, /*thumbnail=*/false);  // only the video is due
  auto jobs = f.Lease("x", 100, 10);
  REQUIRE(jobs.size() == 1);
  REQUIRE(jobs[0].kind == FileKind::kVideo);
  CHECK(*f.store->Transact([&] {
    return f.store->MediaProgress(id, FileKind::kVideo, "x", 500, 1000, "\"etag\"", 5000);
  }));
  CHECK_FALSE(*f.store->Transact([&] {
    return f.store->MediaProgress(id, FileKind::kVideo, "y", 600, 1000, "", 5000);
  }));
  FileCache state = f.State(id, FileKind::kVideo);
  CHECK(state.bytes == 500);
  CHECK(state.total == 1000);
  CHECK(f.Lease("y", 2000, 10).empty());  // renewed until 5000

  MediaOutcome retry;
  retry.state = CacheState::kNotCached;
  retry.next_try_ms = 9000;
  retry.bytes = 700;
  retry.validator = "\"etag\"";
  retry.error = "the server stalled";
  REQUIRE(*f.store->Transact([&] { return f.store->FinishMedia(id, FileKind::kVideo, "x", retry); }));
  CHECK(f.Lease("z", 8000, 10).empty());  // not before 9000
  auto later = f.Lease("z", 9000, 10);
  REQUIRE(later.size() == 1);
  CHECK(later[0].validator == "\"etag\"");  // resumes the partial file
  CHECK(later[0].attempts == 1);

  MediaOutcome failed;
  failed.state = CacheState::kFailed;
  failed.error = "refused: the server answered text/html, not a video";
  REQUIRE(*f.store->Transact([&] { return f.store->FinishMedia(id, FileKind::kVideo, "z", failed); }));
  CHECK(f.State(id, FileKind::kVideo).error == failed.error);
  CHECK(f.Lease("z", 99999, 10).empty());
  CHECK(*f.store->Transact([&] { return f.store->RequeueMedia({id}); }) == 1);
  CHECK(f.Lease("z", 100000, 10).size() == 1);
}

TEST_CASE("eviction: least recently viewed first (being cached counts as a view), never pinned") {
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(f.Save(i));
  std::map<std::string, std::string> sha;
  for (const auto& job : f.Lease("x", 100, 100))
    if (job.kind == FileKind::kVideo) sha[job.video_id] = f.Cache(job, "x", std::string(1000, char('a' + sha.size())));
  REQUIRE(sha.size() == 4);
  // Viewed after caching, 0 first and 3 last; 0 is pinned.
  for (int i = 0; i < 4; ++i)
    REQUIRE(f.store->Transact([&] { return f.store->MarkViewed(ids[i], UnixMs() + 1000 * i); }).ok());
  REQUIRE(*f.store->Transact([&] { return f.store->SetPinned({ids[0]}, true); }) == 1);

  auto report = PruneCache(*f.store, *f.files, 2000, true);
  REQUIRE(report.ok());
  CHECK(report->evicted == 2);
  CHECK(f.State(ids[0], FileKind::kVideo).state == CacheState::kCached);  // pinned
  CHECK(f.State(ids[1], FileKind::kVideo).state == CacheState::kEvicted);
  CHECK(f.State(ids[2], FileKind::kVideo).state == CacheState::kEvicted);
  CHECK(f.State(ids[3], FileKind::kVideo).state == CacheState::kCached);
  CHECK(f.State(ids[1], FileKind::kVideo).error.find("evicted") != std::string::npos);
  CHECK_FALSE(fs::exists(f.files->PathOf(sha[ids[1]])));
  CHECK(fs::exists(f.files->PathOf(sha[ids[3]])));
  CHECK(f.store->MediaUsage()->bytes == 2000);

  // Evicted files are not fetched again on their own; media_fetch does.
  for (const auto& job : f.Lease("y", UnixMs() + 10000000, 100)) CHECK(job.kind == FileKind::kThumbnail);
  CHECK(*f.store->Transact([&] { return f.store->RequeueMedia({ids[1]}); }) == 1);
}

TEST_CASE("verify finds missing, truncated and altered files and queues them again; prune sweeps orphans") {
  Fixture f;
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(f.Save(i));
  std::map<std::string, std::string> sha;
  for (const auto& job : f.Lease("x", 100, 100))
    if (job.kind == FileKind::kVideo) sha[job.video_id] = f.Cache(job, "x", std::string(4096, char('a' + sha.size())));
  fs::remove(f.files->PathOf(sha[ids[0]]));
  fs::resize_file(f.files->PathOf(sha[ids[1]]), 100);
  {
    std::fstream out(f.files->PathOf(sha[ids[2]]), std::ios::in | std::ios::out | std::ios::binary);
    out.seekp(10);
    out.put('!');
  }
  auto report = VerifyCache(*f.store, *f.files);
  REQUIRE(report.ok());
  CHECK(report->checked == 4);
  CHECK(report->damaged.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(f.State(ids[i], FileKind::kVideo).state == CacheState::kNotCached);
  CHECK(f.State(ids[3], FileKind::kVideo).state == CacheState::kCached);
  int videos_again = 0;
  for (const auto& job : f.Lease("y", UnixMs(), 100)) videos_again += job.kind == FileKind::kVideo;
  CHECK(videos_again == 3);  // fetched again

  // A deleted video's file and partial download go with the next prune.
  std::ofstream(f.files->PartialPath(ids[3], FileKind::kThumbnail)) << "half";
  REQUIRE(f.store->Transact([&] { return f.store->Delete({ids[3]}); }).ok());
  auto pruned = PruneCache(*f.store, *f.files, 1ULL << 30, true);
  REQUIRE(pruned.ok());
  CHECK(pruned->orphans == 1);
  CHECK(pruned->partials == 1);
  CHECK(f.files->ListFiles().empty());
}

TEST_CASE("MediaFiles: identical content is kept once, reads are ranged") {
  Fixture f;
  const std::string p1 = f.files->PartialPath("a", FileKind::kVideo);
  const std::string p2 = f.files->PartialPath("b", FileKind::kVideo);
  std::ofstream(p1) << "0123456789";
  std::ofstream(p2) << "0123456789";
  const std::string sha = HashFile(p1).value();
  CHECK(sha == "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882");
  REQUIRE(f.files->Adopt(p1, sha).ok());
  REQUIRE(f.files->Adopt(p2, sha).ok());
  CHECK_FALSE(fs::exists(p2));
  CHECK(f.files->ListFiles().size() == 1);
  CHECK(*f.files->Read(sha, 3, 4) == "3456");
  CHECK(*f.files->Read(sha, 8, 100) == "89");
  CHECK(f.files->Read(sha, 50, 10)->empty());
  CHECK(f.files->Read(std::string(64, '0'), 0, 1).status().code() == ErrorCode::kNotFound);
  CHECK(f.files->Read("../../etc/passwd", 0, 1).status().code() == ErrorCode::kBadRequest);
}

TEST_CASE("media rows: a thumbnail whose link failed for good is made from the video instead") {
  Fixture f;
  const std::string id = f.Save(1);
  auto jobs = f.Lease("x", 100, 10);
  REQUIRE(jobs.size() == 2);
  REQUIRE(jobs[0].kind == FileKind::kThumbnail);
  REQUIRE(jobs[0].url == "https://cdn.example/t/1.jpg");
  MediaOutcome expired;
  expired.state = CacheState::kNotCached;
  expired.make_from_video = true;
  expired.error = "the link has probably expired: 403";
  REQUIRE(*f.store->Transact([&] { return f.store->FinishMedia(id, FileKind::kThumbnail, "x", expired); }));
  CHECK(f.State(id, FileKind::kThumbnail).generated);
  CHECK(f.Lease("y", 200, 10).empty());  // waits: the video is x's, not cached yet
  const std::string sha = f.Cache(jobs[1], "x", "video bytes");
  auto next = f.Lease("y", 300, 10);
  REQUIRE(next.size() == 1);
  CHECK(next[0].kind == FileKind::kThumbnail);
  CHECK(next[0].url.empty());
  CHECK(next[0].source_sha256 == sha);
}
