#include "lease_loop.h"

#include <algorithm>
#include <cmath>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "model.h"

namespace vidkeep {

namespace asio = boost::asio;

namespace {

class SystemClock final : public LoopClock {
 public:
  std::int64_t NowMs() const override { return UnixMs(); }
  void Arm(asio::steady_timer& timer, std::chrono::milliseconds delay) override {
    timer.expires_after(delay);
  }
};

}  // namespace

LoopClock& SystemLoopClock() {
  static SystemClock clock;
  return clock;
}

std::int64_t BackoffMs(int failures_before, std::int64_t base_ms, std::int64_t cap_ms,
                       std::mt19937_64& rng) {
  const double ceiling = std::min<double>(
      static_cast<double>(cap_ms),
      static_cast<double>(base_ms) * std::pow(2.0, std::clamp(failures_before, 0, 30)));
  std::uniform_real_distribution<double> pick(0.0, ceiling);
  return static_cast<std::int64_t>(pick(rng));
}

std::int64_t LeaseBudgetMs(std::int64_t until_ms, std::int64_t lease_ms, std::int64_t now_ms,
                           std::int64_t cap_ms) {
  // The budget counts from the lease, not from now: committing it and
  // scheduling the job took part of it.
  return std::clamp<std::int64_t>(until_ms - lease_ms / 4 - now_ms, 0, cap_ms);
}

std::optional<std::int64_t> LeaseRenewal::Due() {
  const std::int64_t now = clock_.NowMs();
  if (now >= last_ms_ && now - last_ms_ < interval_ms_) return std::nullopt;
  last_ms_ = now;
  return now + lease_ms_;
}

LeaseLoop::LeaseLoop(asio::io_context& io, LeaseSource& source, LoopClock& clock,
                     LeaseLoopOptions options)
    : io_(io), source_(source), clock_(clock), options_(options), wake_(io) {}

void LeaseLoop::Start() {
  if (running_) return;
  running_ = true;
  asio::co_spawn(io_, Run(), asio::detached);
}

void LeaseLoop::Stop() {
  stopped_ = true;
  Kick();
}

asio::awaitable<void> LeaseLoop::RunJob(LeaseSource::Job job) {
  co_await job();
  --in_flight_;
  Kick();  // a slot is free, and a drain may be over
}

asio::awaitable<void> LeaseLoop::Run() {
  started_ms_ = clock_.NowMs();
  while (!stopped_) {
    const bool again = source_.Prepare();
    std::size_t leased = 0;
    if (in_flight_ < options_.max_in_flight) {
      for (auto& job : source_.Lease(options_.max_in_flight - in_flight_)) {
        ++leased;
        ++in_flight_;
        asio::co_spawn(io_, RunJob(std::move(job)), asio::detached);
      }
    }

    // How long until something is due; nullopt when nothing is pending.
    // Only asked when this pass leased nothing and nothing is in flight:
    // otherwise a completion wakes the loop, and asking after every one made
    // a drain quadratic (NextDue looks at every pending row).
    std::optional<std::int64_t> wait;
    if (leased > 0 || in_flight_ > 0 || again) {
      wait = 0;
    } else {
      auto next = source_.NextDue();
      if (next.ok() && next->has_value()) wait = std::max<std::int64_t>(0, **next - clock_.NowMs());
      if (!next.ok()) wait = 1000;  // the database is busy: look again soon
    }
    const bool holding = source_.Holding();
    if (options_.drain && in_flight_ == 0 && leased == 0 && !holding &&
        (options_.once || !wait || *wait > options_.drain_wait.count()))
      break;

    // Completions and Kick() cancel this sleep; the cap keeps leases of
    // killed processes and other processes' new rows from waiting long.
    std::int64_t sleep_ms = wait.value_or(kIdleMs);
    if ((in_flight_ > 0 || holding) && !again) sleep_ms = kIdleMs;  // an end wakes us
    if (again)
      sleep_ms = 1;  // let the browser's requests in between batches
    else if (leased == 0)
      sleep_ms = std::max<std::int64_t>(sleep_ms, 10);  // never spin
    clock_.Arm(wake_, std::chrono::milliseconds(std::min(sleep_ms, kIdleMs)));
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  running_ = false;
  if (options_.drain && on_done_) on_done_();
}

}  // namespace vidkeep
