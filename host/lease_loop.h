// The one scheduler over leased rows (issue 16, item 1). The outbox sender
// (sync.cpp) and the media downloader (media_cache.cpp) both take due rows
// under a lease, run up to N at a time, sleep until the next row is due or a
// job ends, and in a drain (`vidkeep sync`, `vidkeep cache fetch`) stop when
// nothing is left to do soon. What is leased and what a job does belongs to a
// LeaseSource; the time read and waited on belongs to a LoopClock, so tests
// run the real loop on a fake clock without sleeping (as ninja's Builder runs
// on a FakeCommandRunner).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "status.h"

namespace vidkeep {

/// What the loop and its jobs read the time from, and how they wait.
class LoopClock {
 public:
  virtual ~LoopClock() = default;
  /// Unix ms: the time leases and due times are stored in.
  virtual std::int64_t NowMs() const = 0;
  /// Arms `timer` to expire `delay` from now; cancel() still ends a wait early.
  virtual void Arm(boost::asio::steady_timer& timer, std::chrono::milliseconds delay) = 0;
};

/// The wall clock and real timers (UnixMs, expires_after). Lives forever.
LoopClock& SystemLoopClock();

/// Exponential backoff with full jitter, the same for sync and media:
/// uniform in [0, min(cap, base * 2^failures_before)], where
/// `failures_before` counts the failed attempts before this one (0 for the
/// first failure). Jitter keeps processes that failed together (a chat app or
/// CDN that was down) from all coming back at the same moment.
std::int64_t BackoffMs(int failures_before, std::int64_t base_ms, std::int64_t cap_ms,
                       std::mt19937_64& rng);

/// Time a job may still spend on work that must end while it holds its lease
/// (`until_ms`, taken for `lease_ms`): a quarter of the lease is kept to record
/// the outcome, and at most `cap_ms` is given. 0 when the lease is spent (the
/// work then times out at once and is retried under a new lease).
std::int64_t LeaseBudgetMs(std::int64_t until_ms, std::int64_t lease_ms, std::int64_t now_ms,
                           std::int64_t cap_ms);

/// When a long job renews its lease: at most once per `interval`, each time
/// for `lease_ms` from then. Not thread-safe; one per job.
class LeaseRenewal {
 public:
  LeaseRenewal(const LoopClock& clock, std::chrono::milliseconds interval, std::int64_t lease_ms)
      : clock_(clock), interval_ms_(interval.count()), lease_ms_(lease_ms), last_ms_(clock.NowMs()) {}
  /// The lease's new end when a renewal is due now, else nullopt. A clock
  /// that went back counts as due (the interval is a throttle, not a promise).
  std::optional<std::int64_t> Due();

 private:
  const LoopClock& clock_;
  std::int64_t interval_ms_;
  std::int64_t lease_ms_;
  std::int64_t last_ms_;
};

struct LeaseLoopOptions {
  int max_in_flight = 1;  // jobs at once, in this process
  /// Stop when nothing is left to do soon (the CLI) instead of running until
  /// Stop (the host).
  bool drain = false;
  /// Drain: stop as soon as nothing leased is running, whatever is due later
  /// (`vidkeep sync --once`).
  bool once = false;
  /// Drain: a row due later than this from now is left for a later run
  /// (sync.drain_wait_ms, media.drain_wait_ms).
  std::chrono::milliseconds drain_wait{60000};
};

/// What the loop schedules. Called on the loop's executor only.
class LeaseSource {
 public:
  /// One leased row's work. The loop counts it in flight until it ends.
  using Job = std::function<boost::asio::awaitable<void>()>;

  virtual ~LeaseSource() = default;
  /// Called at the top of every pass, before leasing. True when it has more
  /// to do at once (media's scan for new videos runs in batches): the loop
  /// then passes again after 1 ms instead of sleeping.
  virtual bool Prepare() { return false; }
  /// Leases up to `max` (> 0) due rows, reading the time once the write lock
  /// is held, and returns a job for each. Nothing on failure: the next pass
  /// tries again.
  virtual std::vector<Job> Lease(int max) = 0;
  /// When the next row that is not leased is due (unix ms); nullopt when
  /// none is pending. An error (a busy database) means: look again in 1 s.
  virtual Result<std::optional<std::int64_t>> NextDue() = 0;
  /// Work beside the jobs that a drain must wait for (sync's credential
  /// lookups); whoever ends it calls LeaseLoop::Kick.
  virtual bool Holding() const { return false; }
};

/// Runs a LeaseSource as a coroutine on `io`. `io`, `source` and `clock` must
/// outlive it; one thread (the event loop) calls every method.
class LeaseLoop {
 public:
  LeaseLoop(boost::asio::io_context& io, LeaseSource& source, LoopClock& clock,
            LeaseLoopOptions options);

  /// Starts the loop (once; later calls do nothing while it runs).
  void Start();
  /// Stops leasing; the loop ends at its next pass. Jobs in flight are not
  /// waited for: they ask stopped() and stop at their next step.
  void Stop();
  /// Wakes the loop: rows may be due (a new video, new credentials).
  void Kick() { wake_.cancel(); }
  /// Drain: called once when the loop ends (nothing left to do, or Stop).
  void set_on_done(std::function<void()> f) { on_done_ = std::move(f); }

  /// Set before Start.
  LeaseLoopOptions& options() { return options_; }
  bool stopped() const { return stopped_; }
  int in_flight() const { return in_flight_; }
  /// Unix ms when the loop started its first pass.
  std::int64_t started_ms() const { return started_ms_; }

  /// The longest sleep: leases of killed processes and rows other processes
  /// added are noticed within this.
  static constexpr std::int64_t kIdleMs = 60000;

 private:
  boost::asio::awaitable<void> Run();
  boost::asio::awaitable<void> RunJob(LeaseSource::Job job);

  boost::asio::io_context& io_;
  LeaseSource& source_;
  LoopClock& clock_;
  LeaseLoopOptions options_;
  boost::asio::steady_timer wake_;
  std::function<void()> on_done_;
  std::int64_t started_ms_ = 0;
  int in_flight_ = 0;
  bool running_ = false;
  bool stopped_ = false;
};

}  // namespace vidkeep
