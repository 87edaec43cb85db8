#include "sync.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <locale>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "dedupe.h"
#include "file_io.h"
#include "save_message.h"

namespace vidkeep {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxReasonBytes = 500;

std::string Reason(const HttpResponse& r) {
  std::string body = r.body.substr(0, kMaxReasonBytes);
  for (char& c : body)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return body;
}

// The credentials of one exchange, longest first: the whole Cookie header,
// each cookie's value, the bearer token.
std::vector<std::string> SecretsOf(const ServerAuth& auth) {
  std::vector<std::string> out;
  if (!auth.bearer.empty()) out.push_back(auth.bearer);
  if (!auth.cookie.empty()) {
    out.push_back(auth.cookie);
    std::size_t start = 0;
    while (start < auth.cookie.size()) {
      std::size_t end = auth.cookie.find(';', start);
      if (end == std::string::npos) end = auth.cookie.size();
      const std::string pair = auth.cookie.substr(start, end - start);
      if (auto eq = pair.find('='); eq != std::string::npos) out.push_back(pair.substr(eq + 1));
      start = end + 1;
    }
  }
  std::erase_if(out, [](const std::string& s) { return s.size() < 6; });
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

// A chat app may echo the credentials it was sent (debug error pages do);
// what it answers is stored as the reason and logged, and credentials must
// never reach the database, a log line or the browser (PROTOCOL.md section 3).
void Redact(std::string& text, const std::vector<std::string>& secrets) {
  static constexpr std::string_view kMark = "[redacted]";
  for (const auto& secret : secrets)
    for (auto pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + kMark.size()))
      text.replace(pos, secret.size(), kMark);
}

// The path of a Location header (no scheme, host or query: a guest
// redirect's query carries the whole page URL), for a reason a person reads.
std::string LocationPath(const std::string& location) {
  std::string path;
  if (auto url = boost::urls::parse_uri_reference(location); url)
    path = std::string(url->encoded_path());
  else
    path = location.substr(0, location.find_first_of("?#"));
  if (path.size() > 200) path.resize(200);
  for (char& c : path)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  return path.empty() ? "/" : path;
}

}  // namespace

std::string IdentityMismatch(const VideoRecord& record, const HeldCredentials* held) {
  const std::string& wanted = record.video.account_id;
  if (wanted.empty()) return {};  // no session endpoint: whatever is held
  if (held && held->any_account) return {};
  const Account* holder = held && held->check.checked && held->check.account ? &*held->check.account
                                                                            : nullptr;
  if (holder && holder->id == wanted) return {};
  std::string reason = "waiting for " + DescribeVideoAccount(wanted, record.video.account_label) +
                       " to sign in at " + record.origin + "; ";
  const std::string who = held && held->admin ? "the admin's token" : "the browser";
  if (!held)
    reason += "vidkeep holds no credentials for it";
  else if (holder)
    reason += who + (held->admin ? " belongs to " : " is signed in as ") + Describe(*holder);
  else if (held->check.checked)
    reason += who + (held->admin ? " is no user's" : " has no session");
  else
    reason += "whom " + who + " is signed in as is unknown (" + held->check.why + ")";
  return reason;
}

std::optional<std::string> ResumableAccount(const HeldCredentials& held) {
  if (held.any_account) return std::nullopt;
  if (held.check.checked && held.check.account) return held.check.account->id;
  return std::string();
}

// The admin's bearer token: $VIDKEEP_TOKEN, else the file sync.token_file
// names, which must be private to its owner. Never copied or logged.
Result<std::string> ReadAdminToken(const SyncConfig& config) {
  if (const char* env = std::getenv("VIDKEEP_TOKEN"); env && *env) return std::string(env);
  if (config.token_file.empty())
    return Status::BadRequest("no admin token: set VIDKEEP_TOKEN or sync.token_file in the config");
  if (!StatPath(config.token_file))
    return Status::Unavailable("cannot read the token file " + config.token_file);
  if (std::string exposed = ExposedSecretFile(config.token_file); !exposed.empty())
    return Status::Unavailable(exposed);
  std::ifstream in(FsPath(config.token_file));
  std::string token;
  std::getline(in, token);
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  if (token.empty()) return Status::Unavailable("the token file " + config.token_file + " is empty");
  return token;
}

std::optional<std::int64_t> RetryAfterMs(const std::string& value, std::int64_t now_ms) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789 ") == std::string::npos) {
    try {
      return std::min<std::int64_t>(std::stoll(value), 365LL * 24 * 3600) * 1000;
    } catch (...) {
      return std::nullopt;
    }
  }
  // An HTTP date in the C locale (std::get_time and std::chrono rather than
  // strptime and timegm, which Windows lacks).
  std::tm tm{};
  std::istringstream in(value);
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) return std::nullopt;
  namespace chrono = std::chrono;
  const chrono::year_month_day day{chrono::year(tm.tm_year + 1900), chrono::month(static_cast<unsigned>(tm.tm_mon + 1)),
                                   chrono::day(static_cast<unsigned>(tm.tm_mday))};
  if (!day.ok()) return std::nullopt;
  const auto at = chrono::sys_days(day) + chrono::hours(tm.tm_hour) + chrono::minutes(tm.tm_min) +
                  chrono::seconds(tm.tm_sec);
  const std::int64_t at_ms = chrono::duration_cast<chrono::milliseconds>(at.time_since_epoch()).count();
  return std::max<std::int64_t>(0, at_ms - now_ms);
}

SendOutcome ClassifyResponse(const HttpResponse& r, int attempts_before, const SyncConfig& config,
                             std::int64_t now_ms, std::mt19937_64& rng) {
  SendOutcome out;
  out.attempt.at = NowUtc();
  out.attempt.http_status = r.status;
  const int s = r.status;
  auto retry = [&](std::string reason) {
    out.state = SyncState::kPending;
    std::int64_t delay = BackoffMs(attempts_before, config.backoff_base_ms, config.backoff_cap_ms, rng);
    // The server's own word wins over our cap (bounded to a day).
    if (auto after = RetryAfterMs(r.retry_after, now_ms))
      delay = std::max(delay, std::min<std::int64_t>(*after, 24LL * 3600 * 1000));
    out.next_try_ms = now_ms + std::max<std::int64_t>(delay, 1);
    out.last_error = std::move(reason);
    // A bounded budget: a video the app keeps refusing (a chat it cannot
    // create, a database that is down for good) stops costing requests.
    if (attempts_before + 1 >= config.max_attempts) {
      out.state = SyncState::kFailed;
      out.next_try_ms = 0;
      out.last_error = fmt::format("gave up after {} attempts: {}", attempts_before + 1, out.last_error);
    }
  };
  if (s == 0) {
    retry(r.error.empty() ? "no answer" : r.error);
  } else if ((s >= 200 && s < 300) || s == 409) {
    out.state = SyncState::kSynced;
  } else if (s == 401 || s == 403) {
    out.state = SyncState::kAuthRequired;
    out.last_error = "HTTP " + std::to_string(s) + ": sign in to the chat app again";
  } else if (s == 408 || s == 429 || s >= 500) {
    retry("HTTP " + std::to_string(s) + (r.body.empty() ? "" : ": " + Reason(r)));
  } else if (s >= 300 && s < 400) {
    // The real app's middleware answers an unauthenticated request with a
    // redirect to its guest sign-in (REAL-APP.md section 4): the session is
    // gone, as with a 401. Never followed.
    out.state = SyncState::kAuthRequired;
    out.last_error = "HTTP " + std::to_string(s) + ": the app redirected to " +
                     LocationPath(r.location) + " (sign-in or guest page)";
  } else {
    out.state = SyncState::kFailed;
    out.last_error = "HTTP " + std::to_string(s) + (r.body.empty() ? "" : ": " + Reason(r));
  }
  out.attempt.result = std::string(ToString(out.state));
  out.attempt.reason = out.last_error;
  return out;
}

Syncer::Syncer(asio::io_context& io, Store& store, const SyncConfig& config, std::string owner,
               Mode mode, LoopClock& clock)
    : io_(io),
      store_(store),
      config_(config),
      owner_(std::move(owner)),
      mode_(mode),
      clock_(clock),
      http_(io.get_executor(),
            HttpOptions{64 * 1024, config.extra_ca_file, 4,
                        std::chrono::milliseconds(config.connect_timeout_ms), nullptr}),
      rng_(std::random_device{}()),
      loop_(io, *this, clock,
            LeaseLoopOptions{config.max_in_flight, mode == Mode::kDrain, false,
                             std::chrono::milliseconds(config.drain_wait_ms)}) {}

void Syncer::Configure(const std::string& origin, const ServerAuth& auth,
                       std::function<void(const AccountCheck&)> done) {
  const std::uint64_t generation = ++next_generation_;
  generation_[origin] = generation;
  ++lookups_;
  asio::co_spawn(io_, LookUp(origin, auth, false, true, generation, std::move(done)), asio::detached);
}

void Syncer::AllowOrigin(const std::string& origin, const ServerAuth& auth, bool replace) {
  const std::string normalized = OriginOf(origin);
  if (!IsAllowedSyncOrigin(normalized)) return;
  const std::uint64_t generation = ++next_generation_;
  if (replace) generation_[normalized] = generation;
  ++lookups_;
  asio::co_spawn(io_, LookUp(normalized, auth, true, replace, generation, nullptr), asio::detached);
}

asio::awaitable<void> Syncer::LookUp(std::string origin, ServerAuth auth, bool admin, bool replace,
                                     std::uint64_t generation,
                                     std::function<void(const AccountCheck&)> done) {
  AccountCheck check = co_await LookUpAccount(http_, origin, auth, config_);
  --lookups_;
  if (loop_.stopped()) co_return;
  // Only who was found goes to the log; the credentials never do.
  spdlog::info("credentials for {} ({}) belong to {}", origin, admin ? "admin" : "browser",
               check.account ? Describe(*check.account)
                             : check.checked ? std::string("no session") : "unknown: " + check.why);
  HeldCredentials held{std::move(auth), check, admin,
                       admin && !(check.checked && check.account)};
  // A newer Configure of this origin started meanwhile: its answer counts.
  // The admin's token never displaces the extension's credentials.
  const auto newest = generation_.find(origin);
  const bool superseded = replace ? (newest != generation_.end() && newest->second != generation)
                                  : (newest != generation_.end() || credentials_.count(origin) > 0);
  if (!superseded) SetCredentials(origin, std::move(held));
  else Kick();  // a drain may be waiting for this lookup
  if (done) done(check);
}

void Syncer::SetCredentials(const std::string& origin, HeldCredentials held) {
  const auto resumable = ResumableAccount(held);
  credentials_[origin] = std::move(held);
  paused_.erase(origin);
  // Videos that waited for sign-in get another chance, those these
  // credentials may send: the others would only come back (no event churn).
  auto resumed = store_.Transact([&] { return store_.ResumeOrigin(origin, resumable); });
  if (resumed.ok() && *resumed > 0 && on_change_) on_change_();
  Kick();
}

std::vector<std::string> Syncer::ActiveOrigins() const {
  std::vector<std::string> origins;
  for (const auto& [origin, auth] : credentials_)
    if (!paused_.count(origin)) origins.push_back(origin);
  return origins;
}

std::vector<LeaseSource::Job> Syncer::Lease(int max) {
  const auto origins = ActiveOrigins();
  if (origins.empty()) return {};
  std::int64_t until = 0;
  auto got = store_.Transact([&] {
    // The clock is read once the write lock is held: Begin may have waited
    // for it, and a lease must not start in the past.
    const std::int64_t now = clock_.NowMs();
    until = now + config_.lease_ms;
    // `vidkeep sync --once` leases only what was due when it started, so
    // each video gets one attempt.
    const std::int64_t due = loop_.options().once ? loop_.started_ms() : now;
    return store_.LeaseDue(owner_, origins, now, due, until, max);
  });
  std::vector<Job> jobs;
  if (!got.ok()) return jobs;
  for (auto& record : *got)
    jobs.push_back([this, record = std::move(record), until] { return SendOne(record, until); });
  return jobs;
}

Result<std::optional<std::int64_t>> Syncer::NextDue() {
  const auto origins = ActiveOrigins();
  if (origins.empty()) return std::optional<std::int64_t>();
  return store_.NextDue(origins);
}

asio::awaitable<void> Syncer::SendOne(VideoRecord record, std::int64_t lease_until_ms) {
  const std::string origin = record.origin;
  const auto held = credentials_.find(origin);
  // Whoever is signed in now must be the person who made the video: the app
  // checks no ownership, so another person's session would write into their
  // chat. No request is made; the video waits for its person.
  if (std::string mismatch = IdentityMismatch(record, held == credentials_.end() ? nullptr : &held->second);
      !mismatch.empty()) {
    SendOutcome outcome;
    outcome.state = SyncState::kAuthRequired;
    outcome.last_error = mismatch;
    outcome.attempt = {NowUtc(), 0, std::string(ToString(SyncState::kAuthRequired)), mismatch};
    if (!loop_.stopped()) Record(record, outcome, /*pause=*/false);
    co_return;
  }
  HttpRequest request;
  request.origin = origin;
  request.target = kSaveMessagePath;
  request.headers.emplace_back("Content-Type", "application/json");
  std::vector<std::string> secrets;
  if (held != credentials_.end()) {
    const ServerAuth& auth = held->second.auth;
    secrets = SecretsOf(auth);
    AddCredentials(request, auth);
  }
  request.body = SaveMessageBody(record);
  // The exchange must end while this process still holds the lease, or
  // another process could send the same message at the same moment. The
  // margin leaves time to record the outcome; the budget counts from the
  // lease, not from now, since commit and scheduling took part of it. A
  // lease already spent gives a deadline in the past: the send times out at
  // once and is retried under a new lease.
  const std::int64_t budget =
      LeaseBudgetMs(lease_until_ms, config_.lease_ms, clock_.NowMs(), config_.request_timeout_ms);
  request.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(budget);
  ++counters_.requests;
  HttpResponse response = co_await http_.Send(std::move(request));
  for (std::string* text : {&response.body, &response.location, &response.error, &response.retry_after})
    Redact(*text, secrets);
  if (!loop_.stopped()) {
    SendOutcome outcome =
        ClassifyResponse(response, record.sync_attempts, config_, clock_.NowMs(), rng_);
    Record(record, outcome);
  }
}

void Syncer::Record(const VideoRecord& record, const SendOutcome& outcome, bool pause) {
  switch (outcome.state) {
    case SyncState::kSynced: ++counters_.synced; break;
    case SyncState::kPending: ++counters_.retried; break;
    case SyncState::kFailed: ++counters_.failed; break;
    case SyncState::kAuthRequired:
      ++counters_.auth_required;
      // No retry storm: nothing more goes to this origin until new
      // credentials arrive.
      if (pause && paused_.insert(record.origin).second)
        spdlog::warn("{} answered {}: sync to it paused until the extension signs in again",
                     record.origin, outcome.attempt.http_status);
      break;
    case SyncState::kLocal:
    case SyncState::kSavedByApp: break;
  }
  spdlog::debug("sync {} -> {} ({})", record.video_id, ToString(outcome.state), outcome.last_error);
  auto s = store_.Transact([&] { return store_.FinishSend(record.video_id, owner_, outcome); });
  // If this cannot be recorded, the lease runs out and the video is sent
  // again later; the server treats the resend as an update.
  if (!s.ok()) spdlog::error("cannot record sync of {}: {}", record.video_id, s.status().message());
  if (on_change_) on_change_();
}

}  // namespace vidkeep
