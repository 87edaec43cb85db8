#include "lease_loop.h"

#include <algorithm>
#include <map>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

using namespace vidkeep;
namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

// Simulated time, as ninja's FakeCommandRunner simulates commands: Run()
// runs every ready handler, then jumps to the earliest armed timer and fires
// it. Nothing sleeps; a test of minutes of backoff takes microseconds.
class FakeClock : public LoopClock {
 public:
  explicit FakeClock(std::int64_t now) : now_(now) {}
  std::int64_t NowMs() const override { return now_; }
  void Arm(asio::steady_timer& timer, milliseconds delay) override {
    timer.expires_at(asio::steady_timer::time_point::max());  // only Run fires it
    armed_[&timer] = now_ + delay.count();
  }
  void Advance(milliseconds by) { now_ += by.count(); }

  /// What a job waits on: `delay` of fake time.
  asio::awaitable<void> Sleep(milliseconds delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    Arm(timer, delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    armed_.erase(&timer);
  }

  /// Runs `io` until `done()` or until nothing is armed (the loop ended).
  void Run(asio::io_context& io, const std::function<bool()>& done) {
    for (int step = 0; step < 100000; ++step) {
      io.restart();
      io.poll();
      if (done() || armed_.empty()) return;
      auto next = std::min_element(armed_.begin(), armed_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
      now_ = std::max(now_, next->second);
      asio::steady_timer* timer = next->first;
      armed_.erase(next);
      timer->cancel();  // wakes its waiter, as the expiry would
    }
    FAIL("the fake clock ran 100000 steps");
  }

 private:
  std::int64_t now_;
  std::map<asio::steady_timer*, std::int64_t> armed_;
};

constexpr std::int64_t kT0 = 1'700'000'000'000;

// Rows due at given times; each job takes `job_ms` of fake time.
struct Rows : LeaseSource {
  explicit Rows(FakeClock& c) : clock(c) {}
  FakeClock& clock;
  std::vector<std::int64_t> due;
  std::int64_t job_ms = 100;
  bool holding = false;
  int running = 0, most = 0, finished = 0, leases = 0;
  std::vector<std::int64_t> started_at;
  LeaseLoop* loop = nullptr;
  bool saw_stop = false;

  std::vector<Job> Lease(int max) override {
    ++leases;
    REQUIRE(max > 0);
    std::vector<Job> jobs;
    // As Syncer::Lease: `once` leases only what was due when the loop started.
    const std::int64_t cutoff = loop && loop->options().once ? loop->started_ms() : clock.NowMs();
    std::sort(due.begin(), due.end());
    while (!due.empty() && due.front() <= cutoff && static_cast<int>(jobs.size()) < max) {
      due.erase(due.begin());
      jobs.push_back([this] { return Work(); });
    }
    return jobs;
  }
  Result<std::optional<std::int64_t>> NextDue() override {
    if (due.empty()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(*std::min_element(due.begin(), due.end()));
  }
  bool Holding() const override { return holding; }

  asio::awaitable<void> Work() {
    ++running;
    most = std::max(most, running);
    started_at.push_back(clock.NowMs());
    co_await clock.Sleep(milliseconds(job_ms));
    if (loop && loop->stopped()) saw_stop = true;
    --running;
    ++finished;
  }
};

LeaseLoopOptions Drain(int max_in_flight, milliseconds drain_wait = milliseconds(60000)) {
  return LeaseLoopOptions{max_in_flight, true, false, drain_wait};
}

// The loop on a fake clock over Rows.
struct Sim {
  asio::io_context io;
  FakeClock clock{kT0};
  Rows rows{clock};
  bool done = false;  // on_done ran
  std::optional<LeaseLoop> loop;

  LeaseLoop& Start(LeaseLoopOptions options) {
    loop.emplace(io, rows, clock, options);
    rows.loop = &*loop;
    loop->set_on_done([this] { done = true; });
    loop->Start();
    return *loop;
  }
  void RunUntil(const std::function<bool()>& until) { clock.Run(io, until); }
  void RunToEnd() { clock.Run(io, [this] { return done; }); }
};

}  // namespace

TEST_CASE("lease loop: never more than max_in_flight jobs at once; a free slot is filled at once") {
  Sim sim;
  sim.rows.due.assign(10, kT0);
  sim.Start(Drain(3));
  sim.RunToEnd();
  CHECK(sim.done);
  CHECK(sim.rows.finished == 10);
  CHECK(sim.rows.most == 3);
  // Four rounds of 100 ms: each end starts the next job without a sleep.
  CHECK(sim.clock.NowMs() == kT0 + 400);
  CHECK(std::count(sim.rows.started_at.begin(), sim.rows.started_at.end(), kT0) == 3);
  CHECK(sim.loop->in_flight() == 0);
}

TEST_CASE("lease loop: sleeps until the next row is due, not longer, and at most a minute") {
  Sim sim;
  sim.rows.due = {kT0 + 1500, kT0 + 3 * 60000};
  sim.Start(LeaseLoopOptions{2, false, false, milliseconds(0)});
  sim.RunUntil([&] { return sim.rows.finished == 2; });
  REQUIRE(sim.rows.started_at.size() == 2);
  CHECK(sim.rows.started_at[0] == kT0 + 1500);
  CHECK(sim.rows.started_at[1] == kT0 + 3 * 60000);
  // The idle cap: the loop looked again at least every minute on the way
  // (rows other processes add are noticed), so it leased more than twice.
  CHECK(sim.rows.leases >= 4);
  CHECK_FALSE(sim.done);  // the host's loop never ends by itself
  sim.loop->Stop();
  sim.RunUntil([] { return false; });
}

TEST_CASE("lease loop: a drain waits for retries due within drain_wait and leaves later ones") {
  Sim sim;
  sim.rows.due = {kT0, kT0 + 1000, kT0 + 5000};
  sim.Start(Drain(4, milliseconds(2000)));
  sim.RunToEnd();
  CHECK(sim.done);
  CHECK(sim.rows.finished == 2);
  CHECK(sim.rows.due == std::vector<std::int64_t>{kT0 + 5000});  // left for the next run
  CHECK(sim.clock.NowMs() == kT0 + 1100);
}

TEST_CASE("lease loop: a drain with once stops after what was due, whatever comes next") {
  Sim sim;
  sim.rows.due = {kT0, kT0 + 10};
  auto options = Drain(4);
  options.once = true;
  sim.Start(options);
  sim.RunToEnd();
  CHECK(sim.rows.finished == 1);
  CHECK(sim.loop->started_ms() == kT0);
  CHECK(sim.clock.NowMs() == kT0 + 100);  // the row due since kT0 + 10 is not waited for
}

TEST_CASE("lease loop: a drain waits for work the source holds (a credential lookup)") {
  Sim sim;
  sim.rows.holding = true;
  sim.Start(Drain(1));
  sim.RunUntil([&] { return sim.clock.NowMs() >= kT0 + 120000; });
  CHECK_FALSE(sim.done);  // nothing due, but the lookup may bring credentials
  // The lookup ends with a row due now.
  sim.rows.holding = false;
  sim.rows.due = {sim.clock.NowMs()};
  sim.loop->Kick();
  sim.RunToEnd();
  CHECK(sim.done);
  CHECK(sim.rows.finished == 1);
}

TEST_CASE("lease loop: Kick wakes an idle loop at once") {
  Sim sim;
  sim.Start(LeaseLoopOptions{1, false, false, milliseconds(0)});
  sim.io.poll();  // the first pass: nothing due, an idle sleep of a minute
  sim.rows.due = {kT0};
  sim.loop->Kick();
  sim.RunUntil([&] { return sim.rows.finished == 1; });
  REQUIRE(sim.rows.started_at.size() == 1);
  CHECK(sim.rows.started_at[0] == kT0);
  sim.loop->Stop();
  sim.RunUntil([] { return false; });
}

TEST_CASE("lease loop: Stop leases nothing more; jobs in flight see it; a drain reports done") {
  Sim sim;
  sim.rows.due.assign(5, kT0);
  sim.Start(Drain(2));
  sim.io.poll();  // two jobs start
  REQUIRE(sim.rows.running == 2);
  sim.loop->Stop();
  sim.RunUntil([&] { return sim.rows.finished == 2; });
  CHECK(sim.done);
  CHECK(sim.rows.saw_stop);
  CHECK(sim.rows.due.size() == 3);  // not leased after Stop
}

TEST_CASE("backoff: full jitter within [0, min(cap, base * 2^failures)]") {
  std::mt19937_64 rng(7);
  for (int failures : {0, 1, 3, 10, 40}) {
    const std::int64_t ceiling = std::min<std::int64_t>(60000, 1000LL << std::min(failures, 30));
    std::int64_t low = ceiling, high = 0;
    for (int i = 0; i < 2000; ++i) {
      const std::int64_t d = BackoffMs(failures, 1000, 60000, rng);
      REQUIRE(d >= 0);
      REQUIRE(d <= ceiling);
      low = std::min(low, d);
      high = std::max(high, d);
    }
    // Spread over the whole range: jittered, not a fixed delay.
    CHECK(low < ceiling / 10);
    CHECK(high > ceiling * 9 / 10);
  }
  CHECK(BackoffMs(-1, 1000, 60000, rng) <= 1000);  // no negative exponent
}

TEST_CASE("lease renewal: at most once per interval, each for a whole lease from then") {
  FakeClock clock(kT0);
  LeaseRenewal renewal(clock, milliseconds(250), 60000);
  CHECK_FALSE(renewal.Due());
  clock.Advance(milliseconds(249));
  CHECK_FALSE(renewal.Due());
  clock.Advance(milliseconds(1));
  CHECK(renewal.Due() == kT0 + 250 + 60000);
  CHECK_FALSE(renewal.Due());
  clock.Advance(milliseconds(10000));
  CHECK(renewal.Due() == kT0 + 10250 + 60000);
  clock.Advance(milliseconds(-5000));  // the wall clock went back
  CHECK(renewal.Due() == kT0 + 5250 + 60000);
}

TEST_CASE("lease budget: work ends a quarter lease before the lease does, capped") {
  // A 60 s lease taken at t0: 45 s of work from t0, 30 s from t0 + 15 s.
  CHECK(LeaseBudgetMs(kT0 + 60000, 60000, kT0, 100000) == 45000);
  CHECK(LeaseBudgetMs(kT0 + 60000, 60000, kT0 + 15000, 100000) == 30000);
  CHECK(LeaseBudgetMs(kT0 + 60000, 60000, kT0, 30000) == 30000);
  // A lease spent while waiting for the write lock: the send times out at once.
  CHECK(LeaseBudgetMs(kT0 + 60000, 60000, kT0 + 50000, 30000) == 0);
}
