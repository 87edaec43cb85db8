#include "media_cache.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <cstring>
#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include "media_fetch.h"
#include "file_io.h"
#include "media_child.h"

namespace vidkeep {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

bool IsSha256(const std::string& name) {
  return name.size() == 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) && !std::isupper(static_cast<unsigned char>(c)); });
}


std::string Megabytes(std::int64_t bytes) {
  return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
}

MediaFacts FactsOf(const MediaInfo& info) {
  return {info.duration_s, info.width, info.height, info.video_codec, info.audio_codec,
          info.container};
}

}  // namespace

// ---------------------------------------------------------------- MediaFiles

std::string MediaFiles::PathOf(const std::string& sha256) const {
  return root_ + "/" + sha256.substr(0, 2) + "/" + sha256;
}

std::string MediaFiles::PartialPath(const std::string& video_id, FileKind kind) const {
  return root_ + "/partial/" + video_id + "." + std::string(ToString(kind));
}

Status MediaFiles::Prepare() const {
  // Private whatever the umask: the files are the user's videos.
  for (const std::string& dir : {root_, root_ + "/partial"})
    if (Status s = MakePrivateDir(dir); !s.ok()) return s;
  return {};
}

Status MediaFiles::Adopt(const std::string& partial, const std::string& sha256) const {
  if (!IsSha256(sha256)) return Status::Internal("not a SHA-256: " + sha256);
  const std::string dir = root_ + "/" + sha256.substr(0, 2);
  if (Status s = MakePrivateDir(dir); !s.ok()) return s;
  std::error_code ec;
  const std::string target = PathOf(sha256);
  if (fs::exists(FsPath(target), ec)) {
    fs::remove(FsPath(partial), ec);  // identical content is kept once
    return {};
  }
  if (std::error_code moved = MoveReplacing(partial, target))
    return Status::Unavailable("cannot move " + partial + " into the cache: " + moved.message());
  // The rename must survive a crash as surely as the row that records it.
  return SyncDirectory(dir);
}

Status MediaFiles::Remove(const std::string& sha256) const {
  if (!IsSha256(sha256)) return {};
  std::error_code ec;
  fs::remove(FsPath(PathOf(sha256)), ec);
  if (ec) return Status::Unavailable("cannot delete " + PathOf(sha256) + ": " + ec.message());
  return {};
}

Result<std::string> MediaFiles::Read(const std::string& sha256, std::int64_t offset,
                                     std::size_t length) const {
  if (!IsSha256(sha256) || offset < 0) return Status::BadRequest("bad file reference");
  const int fd = OpenFd(PathOf(sha256), O_RDONLY);
  if (fd < 0)
    return Status::NotFound("the cached file is missing (" + std::string(std::strerror(errno)) +
                            "); `vidkeep cache verify` fetches it again");
  std::string data(length, '\0');
  std::size_t got = 0;
  while (got < length) {
    const ssize_t n = PreadFd(fd, data.data() + got, length - got, offset + static_cast<std::int64_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      CloseFd(fd);
      return Status::Unavailable(std::string("cannot read the cached file: ") + std::strerror(err));
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  CloseFd(fd);
  data.resize(got);
  return data;
}

std::vector<std::pair<std::string, std::int64_t>> MediaFiles::ListFiles() const {
  std::vector<std::pair<std::string, std::int64_t>> out;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(FsPath(root_), ec)) {
    if (!dir.is_directory(ec) || dir.path().filename().string().size() != 2) continue;
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      const std::string name = f.path().filename().string();
      if (IsSha256(name) && f.is_regular_file(ec))
        out.emplace_back(name, static_cast<std::int64_t>(f.file_size(ec)));
    }
  }
  return out;
}

std::vector<std::string> MediaFiles::ListPartials() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(FsPath(root_ + "/partial"), ec))
    if (f.is_regular_file(ec)) out.push_back(Utf8Path(f.path()));
  return out;
}

Result<std::string> HashFile(const std::string& path) {
  const int fd = OpenFd(path, O_RDONLY);
  if (fd < 0) return Status::NotFound(path + ": " + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<unsigned char> buffer(1 << 20);
  for (;;) {
    const ssize_t n = ReadFd(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      CloseFd(fd);
      return Status::Unavailable(path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
  }
  CloseFd(fd);
  return FinishHexDigest(ctx.get());
}

// ------------------------------------------------------- verify and prune

Result<VerifyReport> VerifyCache(Store& store, const MediaFiles& files) {
  std::vector<CachedFile> cached;
  if (Status s = store.ForEachCachedFile([&](const CachedFile& f) { cached.push_back(f); }); !s.ok())
    return s;
  VerifyReport report;
  std::map<std::string, std::string> verdict;  // sha256 -> why it is bad ("" = good)
  for (const auto& f : cached) {
    auto [it, fresh] = verdict.try_emplace(f.sha256);
    if (fresh) {
      std::error_code ec;
      const std::string path = files.PathOf(f.sha256);
      const auto size = fs::file_size(FsPath(path), ec);
      if (ec) {
        it->second = "the file is missing";
      } else if (static_cast<std::int64_t>(size) != f.bytes) {
        it->second = fmt::format("the file has {} bytes, not {}", size, f.bytes);
      } else {
        auto hash = HashFile(path);
        if (!hash.ok()) it->second = hash.status().message();
        else if (*hash != f.sha256) it->second = "the file's content changed (SHA-256 differs)";
        report.bytes += f.bytes;
      }
      ++report.checked;
    }
    // A plain reference: clang (14) refuses a lambda naming a structured binding.
    const std::string& why = it->second;
    if (why.empty()) continue;
    auto dropped = store.Transact([&] {
      return store.DropCachedFile(f.video_id, f.kind, CacheState::kNotCached,
                                  "the cached copy was damaged (" + why + "); fetching it again");
    });
    if (!dropped.ok()) return dropped.status();
    report.damaged.push_back(fmt::format("{} {}: {}", f.video_id, ToString(f.kind), why));
  }
  for (const auto& [sha, why] : verdict)
    if (!why.empty()) (void)files.Remove(sha);
  return report;
}

Result<PruneReport> PruneCache(Store& store, const MediaFiles& files, std::uint64_t quota_bytes,
                               bool sweep) {
  PruneReport report;
  auto usage = store.MediaUsage();
  if (!usage.ok()) return usage.status();
  std::int64_t used = usage->bytes;
  const auto quota = static_cast<std::int64_t>(std::min<std::uint64_t>(quota_bytes, INT64_MAX));
  while (used > quota) {
    auto candidates = store.EvictionCandidates(32);
    if (!candidates.ok()) return candidates.status();
    if (candidates->empty()) break;  // everything left is pinned
    for (const auto& f : *candidates) {
      if (used <= quota) break;
      auto dropped = store.Transact([&] {
        return store.DropCachedFile(
            f.video_id, FileKind::kVideo, CacheState::kEvicted,
            fmt::format("evicted: the cache was over its quota of {}; pin a video to keep it",
                        Megabytes(quota)));
      });
      if (!dropped.ok()) return dropped.status();
      ++report.evicted;
      auto in_use = store.ShaInUse(f.sha256);
      if (in_use.ok() && !*in_use) {
        (void)files.Remove(f.sha256);
        used -= f.bytes;
        report.bytes_freed += f.bytes;
      }
    }
  }
  if (!sweep) return report;
  // Files nothing points at: their videos were deleted, or evicted above.
  for (const auto& [sha, bytes] : files.ListFiles()) {
    auto in_use = store.ShaInUse(sha);
    if (!in_use.ok()) return in_use.status();
    if (*in_use) continue;
    if (files.Remove(sha).ok()) {
      ++report.orphans;
      report.bytes_freed += bytes;
    }
  }
  // Partial downloads of videos that are gone or need them no more.
  for (const auto& path : files.ListPartials()) {
    const std::string name = Utf8Path(FsPath(path).filename());
    const auto dot = name.rfind('.');
    const auto kind = dot == std::string::npos ? std::nullopt : ParseFileKind(name.substr(dot + 1));
    bool wanted = false;
    if (kind) {
      auto record = store.Get(name.substr(0, dot));
      const FileCache* file = !record.ok() || !record->media ? nullptr
                              : *kind == FileKind::kVideo   ? &record->media->video
                                                            : &record->media->thumbnail;
      wanted = file && (file->state == CacheState::kNotCached || file->state == CacheState::kDownloading);
    }
    if (wanted) continue;
    std::error_code ec;
    const auto size = fs::file_size(FsPath(path), ec);
    if (fs::remove(FsPath(path), ec)) {
      ++report.partials;
      report.bytes_freed += static_cast<std::int64_t>(size);
    }
  }
  return report;
}

// ---------------------------------------------------------------- MediaCache

MediaCache::MediaCache(asio::io_context& io, Store& store, const MediaConfig& config,
                       std::string extra_ca_file, MediaFiles files, std::string owner, Mode mode,
                       LoopClock& clock)
    : io_(io),
      store_(store),
      config_(config),
      extra_ca_file_(std::move(extra_ca_file)),
      files_(std::move(files)),
      owner_(std::move(owner)),
      mode_(mode),
      clock_(clock),
      rng_(std::random_device{}()),
      loop_(io, *this, clock,
            LeaseLoopOptions{config.max_downloads, mode == Mode::kDrain, false,
                             std::chrono::milliseconds(config.drain_wait_ms)}) {
  loop_.set_on_done([this] {
    if (on_done_) on_done_();
  });
}

MediaCache::~MediaCache() {
  // Queued work is dropped; a probe or thumbnail already running finishes
  // (they are bounded: docs/media.md) before the loop's handlers go.
  workers_.stop();
  workers_.join();
}

void MediaCache::Start() {
  if (Status s = files_.Prepare(); !s.ok()) {
    spdlog::error("media cache off: {}", s.message());
    if (mode_ == Mode::kDrain && on_done_) on_done_();
    return;
  }
  loop_.Start();
}

template <typename T>
asio::awaitable<T> MediaCache::OffLoop(std::function<T()> work) {
  // The worker fills `out`, then wakes this coroutine through the loop. The
  // pool is joined before the loop's handlers (and this frame) are destroyed.
  struct Shared {
    explicit Shared(asio::io_context& io) : done(io, asio::steady_timer::time_point::max()) {}
    asio::steady_timer done;
    std::optional<T> out;
  };
  auto shared = std::make_shared<Shared>(io_);
  asio::post(workers_, [shared, work = std::move(work), &io = io_] {
    shared->out.emplace(work());
    asio::post(io, [shared] { shared->done.cancel(); });
  });
  co_await shared->done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(*shared->out);
}

bool MediaCache::Prepare() {
  // Leftovers of deleted videos and of an earlier quota, before anything new.
  if (!pruned_) {
    pruned_ = true;
    if (auto pruned = PruneCache(store_, files_, config_.quota_bytes, true); !pruned.ok())
      spdlog::warn("media cache: {}", pruned.status().message());
  }
  // New videos (saved by any process) get their media rows, a batch per
  // turn of the loop so a backlog (the first start on a big database) never
  // holds up the answers to the browser.
  constexpr int kScanBatch = 500;
  auto scanned = store_.Transact([&] { return store_.ScanForMedia(kScanBatch); });
  return scanned.ok() && *scanned == kScanBatch;
}

std::vector<LeaseSource::Job> MediaCache::Lease(int max) {
  auto leased = store_.Transact([&] {
    const std::int64_t now = clock_.NowMs();  // under the write lock: leases start now
    return store_.LeaseMedia(owner_, now, now + config_.lease_ms, max);
  });
  std::vector<Job> jobs;
  if (!leased.ok()) return jobs;
  for (auto& job : *leased) {
    if (job.url.empty())
      jobs.push_back([this, job = std::move(job)] { return Generate(job); });
    else
      jobs.push_back([this, job = std::move(job)] { return Download(job); });
  }
  if (!jobs.empty()) Changed();
  return jobs;
}

MediaOutcome MediaCache::Retry(const MediaJob& job, std::string error, bool permanent) {
  MediaOutcome out;
  const int attempts = job.attempts + 1;
  if (permanent || attempts >= config_.max_attempts) {
    out.state = CacheState::kFailed;
    ++counters_.failed;
  } else {
    out.state = CacheState::kNotCached;
    // Jittered as sync's retries are (they used not to be: issue 16, item 1).
    const std::int64_t backoff =
        BackoffMs(job.attempts, config_.backoff_base_ms, config_.backoff_cap_ms, rng_);
    out.next_try_ms = clock_.NowMs() + std::max<std::int64_t>(backoff, 1);
    ++counters_.retried;
  }
  out.error = std::move(error);
  return out;
}

void MediaCache::Finish(const MediaJob& job, MediaOutcome outcome) {
  auto s = store_.Transact([&] { return store_.FinishMedia(job.video_id, job.kind, owner_, outcome); });
  if (!s.ok())
    spdlog::error("media cache: cannot record {} {}: {}", job.video_id, ToString(job.kind),
                  s.status().message());
  Changed();
}

asio::awaitable<void> MediaCache::Download(MediaJob job) {
  const std::string partial = files_.PartialPath(job.video_id, job.kind);
  FetchPolicy policy;
  policy.allow_http = config_.allow_http;
  policy.allow_private_addresses = config_.allow_private_addresses;
  // A file bigger than the whole quota would be evicted as soon as cached.
  policy.max_bytes = std::min(config_.max_file_bytes, config_.quota_bytes);
  policy.connect_timeout_ms = config_.connect_timeout_ms;
  policy.stall_timeout_ms = config_.stall_timeout_ms;
  policy.extra_ca_file = extra_ca_file_;

  bool lease_lost = false;
  LeaseRenewal renewal(clock_, std::chrono::milliseconds(250), config_.lease_ms);
  auto progress = [&](std::uint64_t bytes, std::uint64_t total, const std::string& validator) {
    const auto until = renewal.Due();
    if (!until) return;
    // Progress renews the lease and keeps the validator for a resume after
    // a kill; the browser hears of it through the change it commits.
    auto held = store_.Transact([&] {
      return store_.MediaProgress(job.video_id, job.kind, owner_, static_cast<std::int64_t>(bytes),
                                  total ? std::optional<std::int64_t>(total) : std::nullopt,
                                  validator, *until);
    });
    if (held.ok() && !*held) lease_lost = true;
    if (held.ok()) Changed();
  };
  FetchRequest request{job.url, partial,
                       job.kind == FileKind::kVideo ? MediaKind::kVideo : MediaKind::kImage,
                       job.validator};
  std::function<bool()> keep_going = [&] { return !loop_.stopped() && !lease_lost; };
  FetchResult result = co_await FetchMedia(io_.get_executor(), request, policy, progress, keep_going);
  if (loop_.stopped()) co_return;  // the lease runs out and whoever comes next resumes
  if (result.ok) {
    if (Status adopted = files_.Adopt(partial, result.sha256); !adopted.ok()) {
      result.ok = false;
      result.error = adopted.message();
    }
  }
  if (result.ok) {
    MediaOutcome out;
    out.state = CacheState::kCached;
    out.bytes = static_cast<std::int64_t>(result.bytes);
    out.total = out.bytes;
    out.content_type = result.content_type;
    out.sha256 = result.sha256;
    out.validator = result.validator;
    ++counters_.cached;
    counters_.bytes += out.bytes;
    spdlog::info("cached {} of {} ({}, {})", ToString(job.kind), job.video_id,
                 Megabytes(out.bytes), result.resumed ? "resumed" : "whole");
    Finish(job, out);
    co_await AfterCached(job, result.sha256);
  } else if (job.kind == FileKind::kThumbnail && result.permanent) {
    // An expired or refused thumbnail link: the video makes a thumbnail.
    MediaOutcome out;
    out.state = CacheState::kNotCached;
    out.make_from_video = true;
    out.error = result.error + "; a thumbnail is made from the video instead";
    spdlog::info("thumbnail of {}: {}", job.video_id, out.error);
    Finish(job, out);
  } else {
    MediaOutcome out = Retry(job, result.error, result.permanent);
    out.bytes = static_cast<std::int64_t>(result.bytes);
    if (result.total) out.total = static_cast<std::int64_t>(*result.total);
    out.validator = result.validator;
    spdlog::warn("download of {} of {} {}: {}", ToString(job.kind), job.video_id,
                 out.state == CacheState::kFailed ? "failed" : "will be retried", result.error);
    Finish(job, out);
  }
}

asio::awaitable<void> MediaCache::Generate(MediaJob job) {
  const std::string partial = files_.PartialPath(job.video_id, job.kind);
  const std::string source = files_.PathOf(job.source_sha256);
  // Named, not a temporary in the co_await (see AfterCached).
  std::function<Result<std::string>()> make = [partial, source]() -> Result<std::string> {
    if (Status s = MakeThumbnailInChild(source, partial); !s.ok()) return s;
    return HashFile(partial);
  };
  auto made = co_await OffLoop<Result<std::string>>(std::move(make));
  if (!loop_.stopped()) {
    std::error_code ec;
    const auto size = made.ok() ? fs::file_size(FsPath(partial), ec) : 0;
    Status adopted = made.ok() ? files_.Adopt(partial, *made) : made.status();
    if (adopted.ok()) {
      MediaOutcome out;
      out.state = CacheState::kCached;
      out.bytes = static_cast<std::int64_t>(size);
      out.total = out.bytes;
      out.content_type = "image/jpeg";
      out.sha256 = *made;
      out.generated = true;
      ++counters_.cached;
      Finish(job, out);
    } else {
      fs::remove(FsPath(partial), ec);
      Finish(job, Retry(job, "cannot make a thumbnail from the video: " + adopted.message(), true));
    }
  }
}

asio::awaitable<void> MediaCache::AfterCached(MediaJob job, std::string sha256) {
  if (job.kind == FileKind::kVideo) {
    const std::string path = files_.PathOf(sha256);
    // Named, not a temporary in the co_await: GCC 12 destroys a lambda
    // temporary of a co_await expression twice.
    std::function<Result<MediaInfo>()> probe = [path] { return ProbeMediaInChild(path); };
    auto info = co_await OffLoop<Result<MediaInfo>>(std::move(probe));
    if (info.ok()) {
      auto s = store_.Transact([&] { return store_.SetMediaFacts(job.video_id, FactsOf(*info)); });
      if (s.ok()) Changed();
    } else {
      spdlog::info("cannot read the metadata of {}: {}", job.video_id, info.status().message());
    }
  }
  auto pruned = PruneCache(store_, files_, config_.quota_bytes, false);
  if (!pruned.ok()) spdlog::warn("media cache: {}", pruned.status().message());
  else if (pruned->evicted) {
    spdlog::info("media cache over quota: evicted {} videos, freed {}", pruned->evicted,
                 Megabytes(pruned->bytes_freed));
    Changed();
  }
}

}  // namespace vidkeep
