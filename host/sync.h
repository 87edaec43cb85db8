// The outbox sender (PROTOCOL.md section 4): leases due videos, posts each
// to its chat app's /api/save-message, and records the outcome with backoff.
// Runs as coroutines on the host's event loop, beside the browser channel,
// and in `vidkeep sync`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "config.h"
#include "http_client.h"
#include "lease_loop.h"
#include "protocol.h"
#include "session.h"
#include "store.h"

namespace vidkeep {

/// Running totals of one Syncer, for progress and the summary.
struct SyncCounters {
  std::int64_t requests = 0;  // HTTP exchanges started
  std::int64_t synced = 0;
  std::int64_t retried = 0;  // attempts that will be tried again
  std::int64_t failed = 0;
  std::int64_t auth_required = 0;
};

/// What an HTTP answer means for a video (PROTOCOL.md section 4;
/// docs/protocol-extensions.md "Grace period, save-route answers"): a 3xx is
/// a sign-in or guest redirect, and retryable failures end in `failed` once
/// `attempts_before` + 1 reaches `config.max_attempts`.
SendOutcome ClassifyResponse(const HttpResponse& response, int attempts_before,
                             const SyncConfig& config, std::int64_t now_ms, std::mt19937_64& rng);

/// Parses Retry-After (delay-seconds or an HTTP-date) into a delay from
/// `now_ms`; nullopt when absent or unreadable.
std::optional<std::int64_t> RetryAfterMs(const std::string& value, std::int64_t now_ms);

/// The admin's bearer token: $VIDKEEP_TOKEN, else the file sync.token_file
/// names, which must be private to its owner (mode 0600). Never copied or
/// logged.
Result<std::string> ReadAdminToken(const SyncConfig& config);

/// The credentials held for one origin and whom they were found to belong to.
struct HeldCredentials {
  ServerAuth auth;
  AccountCheck check;
  bool admin = false;        // the admin's token, not the browser's session
  bool any_account = false;  // an admin token that is no user's: sends every account's videos
};

/// Why `held` must not send `record` (the auth_required reason naming the
/// account that must sign in), or "" when it may: a video with an account
/// goes only with credentials checked to be that account's (or an admin
/// service token); a video without one goes with whatever is held.
std::string IdentityMismatch(const VideoRecord& record, const HeldCredentials* held);

/// Which auth_required videos of an origin new credentials may send, as
/// Store::ResumeOrigin takes it: nullopt every one, "" only those without an
/// account, else those without one or of that account.
std::optional<std::string> ResumableAccount(const HeldCredentials& held);


/// Runs on the shared LeaseLoop: this is the outbox's LeaseSource.
class Syncer : private LeaseSource {
 public:
  enum class Mode {
    kServe,  // the host: runs until stopped, sleeping until the next due video
    kDrain,  // `vidkeep sync`: stops when nothing is left to do soon
  };

  /// `store` and `clock` must outlive the Syncer; `owner` names this process
  /// in leases. A drain leaves videos due later than sync.drain_wait_ms.
  Syncer(boost::asio::io_context& io, Store& store, const SyncConfig& config, std::string owner,
         Mode mode, LoopClock& clock = SystemLoopClock());

  /// The extension's credentials for `origin` (kept in memory only): looks
  /// up whom they belong to, then holds them with that identity in place of
  /// the old ones (which stay in use meanwhile) and calls `done` with what
  /// was found. A later Configure of the same origin wins over an earlier
  /// one whose lookup ends last.
  void Configure(const std::string& origin, const ServerAuth& auth,
                 std::function<void(const AccountCheck&)> done);
  /// Holds `held` for `origin` at once (its lookup is done) and resumes the
  /// videos waiting for sign-in that these credentials may send.
  void SetCredentials(const std::string& origin, HeldCredentials held);
  /// The admin's token for an origin: looked up like Configure; it sends
  /// every account's videos unless the lookup says it is one user's. Without
  /// `replace` it is held only when the extension has not configured the
  /// origin by then. Invalid origins are ignored.
  void AllowOrigin(const std::string& origin, const ServerAuth& auth, bool replace = false);
  /// Wakes the loop: new videos may be due.
  void Kick() { loop_.Kick(); }
  void Start() { loop_.Start(); }
  /// Stops leasing, after writing the outcomes not yet written; exchanges in
  /// flight are abandoned with the event loop.
  void Stop();

  /// Drain mode: try each video once.
  void set_once(bool once) { loop_.options().once = once; }
  /// Called after every commit that changed sync states.
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }
  /// Drain mode: called once when the drain is over.
  void set_on_done(std::function<void()> f) { loop_.set_on_done(std::move(f)); }
  const SyncCounters& counters() const { return counters_; }
  bool paused(const std::string& origin) const { return paused_.count(origin) > 0; }

 private:
  // LeaseSource
  std::vector<Job> Lease(int max) override;
  Result<std::optional<std::int64_t>> NextDue() override;
  bool Holding() const override { return lookups_ > 0; }

  boost::asio::awaitable<void> LookUp(std::string origin, ServerAuth auth, bool admin, bool replace,
                                      std::uint64_t generation,
                                      std::function<void(const AccountCheck&)> done);
  /// Posts one leased video; the exchange ends before `lease_until_ms`.
  boost::asio::awaitable<void> SendOne(VideoRecord record, std::int64_t lease_until_ms);
  std::vector<std::string> ActiveOrigins() const;
  /// `pause`: an auth_required answer from the app stops sends to its origin.
  /// The outcome is written by the loop's next pass (WriteFinished).
  void Record(const VideoRecord& record, const SendOutcome& outcome, bool pause = true);
  /// Writes the recorded outcomes; runs inside a write transaction.
  Status WriteFinished(const std::vector<std::pair<std::string, SendOutcome>>& finished);

  boost::asio::io_context& io_;
  Store& store_;
  const SyncConfig& config_;
  std::string owner_;
  Mode mode_;
  LoopClock& clock_;
  HttpClient http_;
  std::map<std::string, HeldCredentials> credentials_;
  std::map<std::string, std::uint64_t> generation_;  // per origin: the newest lookup started
  std::uint64_t next_generation_ = 0;
  int lookups_ = 0;  // in flight; a drain waits for them
  std::set<std::string> paused_;  // origins that answered 401/403
  std::mt19937_64 rng_;
  SyncCounters counters_;
  std::function<void()> on_change_;
  // Outcomes of finished sends (video id, outcome) not yet written: the
  // pass of the loop that a finished send wakes writes them in the
  // transaction that leases the next video, one transaction per video
  // instead of two (issue 15).
  std::vector<std::pair<std::string, SendOutcome>> finished_;
  LeaseLoop loop_;  // last: its coroutine uses the members above
};

}  // namespace vidkeep
