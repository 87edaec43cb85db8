// The media cache (issue 7, docs/media.md): a local copy of every saved video
// and thumbnail, so history stays watchable after its links expire.
//
// MediaFiles is the disk side: files named by their SHA-256 under
// <data>/media (identical files kept once), partial downloads under
// <data>/media/partial named by video and kind. MediaCache is the downloader:
// it leases due files from the Store (so host processes never fetch the same
// file twice at once), fetches them with FetchMedia, moves them into place,
// probes the video with libavformat off the event loop, makes a thumbnail when
// the event had none, and keeps the cache under its quota.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "config.h"
#include "lease_loop.h"
#include "model.h"
#include "status.h"
#include "store.h"

namespace vidkeep {

class MediaFiles {
 public:
  /// `root` is <data_dir>/media.
  explicit MediaFiles(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  /// root/ab/abcdef… for a lowercase hex SHA-256.
  std::string PathOf(const std::string& sha256) const;
  /// Where the download of one file of a video is written until complete.
  std::string PartialPath(const std::string& video_id, FileKind kind) const;
  /// Creates root and root/partial (mode 0700).
  Status Prepare() const;
  /// Moves a complete, hashed file into place under its hash (fsyncing the
  /// directory); when an identical file is there already, drops `partial`.
  Status Adopt(const std::string& partial, const std::string& sha256) const;
  /// Deletes the file with this hash (absent is fine).
  Status Remove(const std::string& sha256) const;
  /// Up to `length` bytes from `offset` (fewer at the end, none past it).
  Result<std::string> Read(const std::string& sha256, std::int64_t offset,
                           std::size_t length) const;
  /// Every cached file as {sha256, bytes}, and every partial file's path.
  std::vector<std::pair<std::string, std::int64_t>> ListFiles() const;
  std::vector<std::string> ListPartials() const;

 private:
  std::string root_;
};

/// Lowercase hex SHA-256 of a file, read in 1 MiB pieces.
Result<std::string> HashFile(const std::string& path);

/// Checks every cached file against its hash and size; a missing, truncated
/// or altered one is dropped and queued to be fetched again.
Result<VerifyReport> VerifyCache(Store& store, const MediaFiles& files);

/// Drops least recently viewed, unpinned video files until the cache fits
/// `quota_bytes`; with `sweep`, also deletes files nothing points at and
/// partial downloads of files no longer wanted (deleted videos, cached or
/// failed files). Safe while hosts run: what a download writes is wanted.
Result<PruneReport> PruneCache(Store& store, const MediaFiles& files, std::uint64_t quota_bytes,
                               bool sweep);

/// Runs on the shared LeaseLoop: this is the media rows' LeaseSource.
class MediaCache : private LeaseSource {
 public:
  enum class Mode {
    kServe,  // the host: runs until stopped
    kDrain,  // `vidkeep cache fetch`: stops when nothing is due soon
  };

  /// `store` and `clock` must outlive the cache; `owner` names this process
  /// in leases. A drain leaves files due later than media.drain_wait_ms.
  MediaCache(boost::asio::io_context& io, Store& store, const MediaConfig& config,
             std::string extra_ca_file, MediaFiles files, std::string owner, Mode mode,
             LoopClock& clock = SystemLoopClock());
  ~MediaCache();

  void Start();
  /// Stops leasing; downloads stop at their next chunk, keeping their
  /// partial files for a later resume.
  void Stop() { loop_.Stop(); }
  /// Wakes the loop: new videos may have been saved.
  void Kick() { loop_.Kick(); }
  /// Called after every commit that changed a file's state.
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }
  /// Drain mode: called once when nothing is left to do.
  void set_on_done(std::function<void()> f) { on_done_ = std::move(f); }

  struct Counters {
    std::int64_t cached = 0, failed = 0, retried = 0, bytes = 0;
  };
  const Counters& counters() const { return counters_; }

 private:
  // LeaseSource
  bool Prepare() override;
  std::vector<Job> Lease(int max) override;
  Result<std::optional<std::int64_t>> NextDue() override { return store_.NextMediaDue(); }

  boost::asio::awaitable<void> Download(MediaJob job);
  boost::asio::awaitable<void> Generate(MediaJob job);
  /// Runs `work` on the worker thread and resumes on the event loop.
  template <typename T>
  boost::asio::awaitable<T> OffLoop(std::function<T()> work);
  void Finish(const MediaJob& job, MediaOutcome outcome);
  /// Probes a cached video and keeps the cache under its quota.
  boost::asio::awaitable<void> AfterCached(MediaJob job, std::string sha256);
  MediaOutcome Retry(const MediaJob& job, std::string error, bool permanent);
  void Changed() {
    if (on_change_) on_change_();
  }

  boost::asio::io_context& io_;
  Store& store_;
  const MediaConfig& config_;
  std::string extra_ca_file_;
  MediaFiles files_;
  std::string owner_;
  Mode mode_;
  LoopClock& clock_;
  boost::asio::thread_pool workers_{1};  // libavformat and hashing, off the loop
  Counters counters_;
  std::mt19937_64 rng_;
  bool pruned_ = false;  // the first pass sweeps leftovers
  std::function<void()> on_change_;
  std::function<void()> on_done_;
  LeaseLoop loop_;  // last: its coroutine uses the members above
};

}  // namespace vidkeep
