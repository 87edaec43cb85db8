#include "cli.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <CLI/CLI.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "config.h"
#include "dedupe.h"
#include "notifier.h"
#include "platform.h"
#include "sync.h"
#include "doctor.h"
#include "env.h"
#include "export.h"
#include "log.h"
#include "media_cache.h"
#include "protocol.h"
#include "registration.h"
#include "store.h"
#include "string_util.h"
#include "terminal.h"

namespace vidkeep {

namespace {


constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// Error messages may quote a URL, a prompt or a server's reason: escaped.
int Fail(const std::string& message) {
  std::cerr << "vidkeep: " << TerminalSafe(message) << "\n";
  return kExitFailure;
}

int Fail(const Status& status) {
  return status.code() == ErrorCode::kBadRequest ? (Fail(status.message()), kExitUsage)
                                                 : Fail(status.message());
}

// Counts UTF-8 code points, close enough to terminal columns for prompts.
std::size_t Columns(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xc0) != 0x80;
  return n;
}

// The first `max` code points of `s`, with an ellipsis when cut, for a table
// cell: line breaks and tabs (a prompt may hold them) become spaces, every
// other control character is escaped (TerminalSafe).
std::string Clip(std::string_view text, std::size_t max) {
  std::string flat(text);
  for (char& c : flat)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  const std::string safe = TerminalSafe(flat);
  const std::string_view s = safe;
  std::string out;
  std::size_t cols = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c & 0xc0) != 0x80 && ++cols > max) {
      // Drop the last whole code point for the ellipsis.
      while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xc0) == 0x80) out.pop_back();
      if (!out.empty()) out.pop_back();
      return out + "…";
    }
    out += static_cast<char>(c);
  }
  return out;
}

void PrintTable(const std::vector<std::string>& headers,
                const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) width[i] = Columns(headers[i]);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], Columns(row[i]));
  auto print = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line += std::string(width[i] - Columns(cells[i]) + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print(headers);
  for (const auto& row : rows) print(row);
}

// Shortens "2026-11-24T10:00:00.123Z" to "2026-11-24 10:00".
std::string ShortTime(const std::string& t) {
  return t.size() >= 16 ? t.substr(0, 10) + " " + t.substr(11, 5) : t;
}

std::string Plural(std::int64_t n, const char* noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// "500M", "2G", "1.5GiB", "4096": bytes, the suffixes K M G T being powers
// of 1024 (as the config's quota_bytes default, 5 GiB, is).
std::optional<std::uint64_t> ParseByteSize(std::string_view text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !std::isfinite(value) || value < 0) return std::nullopt;
  const std::string unit = Lower(std::string_view(end, text.data() + text.size() - end));
  static const std::map<std::string, int> kShift = {
      {"", 0},    {"b", 0},    {"k", 10},  {"kb", 10},  {"kib", 10}, {"m", 20},
      {"mb", 20}, {"mib", 20}, {"g", 30},  {"gb", 30},  {"gib", 30}, {"t", 40},
      {"tb", 40}, {"tib", 40}};
  auto it = kShift.find(unit);
  if (it == kShift.end()) return std::nullopt;
  const double bytes = std::ldexp(value, it->second);
  if (bytes > std::ldexp(1.0, 60)) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::string Percent(std::int64_t bytes, std::optional<std::int64_t> total) {
  if (!total || *total <= 0) return "";
  return fmt::format("{}%", std::min<std::int64_t>(99, bytes * 100 / *total));
}

// CacheUsage's counts in the order of kAllCacheStates, every state present.
std::vector<std::pair<std::string, std::int64_t>> CountsByState(
    const std::map<std::string, std::int64_t>& counts) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (CacheState s : kAllCacheStates) {
    auto it = counts.find(std::string(ToString(s)));
    out.emplace_back(ToString(s), it == counts.end() ? 0 : it->second);
  }
  return out;
}

// A video's local copy in a few words, for `list`.
std::string MediaLabel(const std::optional<MediaSummary>& media) {
  if (!media) return "-";
  const FileCache& f = media->video;
  switch (f.state) {
    case CacheState::kCached: return "cached " + FormatBytes(f.bytes);
    case CacheState::kDownloading: {
      const std::string percent = Percent(f.bytes, f.total);
      return "downloading " + (percent.empty() ? FormatBytes(f.bytes) : percent);
    }
    case CacheState::kFailed: return "failed";
    default: return "not cached";  // evicted ones too, as on the wire
  }
}

// One cached file's state for `show`: "cached, 1.2 MiB, video/mp4".
std::string DescribeFile(const FileCache& f) {
  std::string out(ToString(f.state));
  if (f.state == CacheState::kCached) {
    out += ", " + FormatBytes(f.bytes);
    if (!f.content_type.empty()) out += ", " + f.content_type;
    if (f.generated) out += ", made from the video";
  } else if (f.state == CacheState::kDownloading) {
    out += ", " + FormatBytes(f.bytes);
    if (f.total) out += " of " + FormatBytes(*f.total) + " (" + Percent(f.bytes, f.total) + ")";
  }
  return out;
}

void PrintMedia(const MediaSummary& m, const MediaFiles& files) {
  auto line = [](const char* key, const std::string& value) {
    std::cout << fmt::format("  {:<12}{}\n", key, value.empty() ? "-" : TerminalSafe(value));
  };
  for (FileKind kind : {FileKind::kVideo, FileKind::kThumbnail}) {
    const FileCache& f = kind == FileKind::kVideo ? m.video : m.thumbnail;
    line(kind == FileKind::kVideo ? "Video" : "Thumbnail", DescribeFile(f));
    if (f.state == CacheState::kCached) {
      line("SHA-256", f.sha256);
      line("File", files.PathOf(f.sha256));
    }
    if (!f.error.empty()) line("Error", f.error);
  }
  line("Info", m.info ? DescribeFacts(*m.info) : "");
  line("Pinned", m.pinned ? "yes" : "no");
  line("Last viewed", m.last_viewed_ms > 0 ? FormatUtcMs(m.last_viewed_ms) : "never");
}

// Prints a line for every file whose download ends while `vidkeep cache
// fetch` runs, read from the store's change feed (so a host's downloads
// meanwhile count too), and tallies how each one ended.
class FetchLog {
 public:
  FetchLog(Store& store, std::int64_t after, std::ostream& out)
      : store_(store), after_(after), out_(out) {}

  void Poll() {
    constexpr int kBatch = 500;
    for (;;) {
      auto changes = store_.MediaChangesSince(after_, kBatch);
      if (!changes.ok() || changes->empty()) return;
      for (const auto& c : *changes) {
        after_ = c.seq;
        Note(c);
      }
      if (changes->size() < kBatch) return;
    }
  }

  struct Tally {
    std::int64_t cached = 0, failed = 0, later = 0, bytes = 0;
  };
  Tally Count() const {
    Tally t;
    for (const auto& [key, file] : ended_) {
      if (file.state == CacheState::kCached) {
        ++t.cached;
        t.bytes += file.bytes;
      } else if (file.state == CacheState::kFailed) {
        ++t.failed;
      } else {
        ++t.later;
      }
    }
    return t;
  }

 private:
  void Note(const MediaChange& c) {
    const FileCache& f = c.file;
    std::string word, detail;
    if (f.state == CacheState::kCached) {
      word = "cached";
      detail = FormatBytes(f.bytes) + (f.generated ? ", made from the video" : "");
    } else if (f.state == CacheState::kFailed) {
      word = "failed";
      detail = f.error;
    } else if (f.state == CacheState::kNotCached && !f.error.empty()) {
      word = "retry";
      detail = f.error + " (tried again later)";
    } else {
      return;  // started, progressing or queued: not an end
    }
    auto [it, fresh] = ended_.try_emplace({c.video_id, c.kind});
    const bool same = !fresh && it->second.state == f.state && it->second.error == f.error;
    it->second = f;
    if (same) return;  // e.g. the probe's facts touched a cached row
    out_ << fmt::format("{:<7}{} {:<10}{}\n", word, TerminalSafe(c.video_id.substr(0, 8)),
                        ToString(c.kind), TerminalSafe(detail))
         << std::flush;
  }

  Store& store_;
  std::int64_t after_;
  std::ostream& out_;
  std::map<std::pair<std::string, FileKind>, FileCache> ended_;
};

// Progress of `vidkeep sync` on stderr: a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise.
class Progress {
 public:
  Progress(boost::asio::io_context& io, bool tty, std::int64_t total, const SyncCounters& counters)
      : timer_(io), tty_(tty), total_(total), counters_(counters) {}

  void Start() { Tick(); }
  void Stop() {
    stopped_ = true;
    timer_.cancel();
    Print();
    if (tty_) std::cerr << "\n";
  }

 private:
  void Tick() {
    timer_.expires_after(std::chrono::milliseconds(tty_ ? 200 : 2000));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopped_) return;
      Print();
      Tick();
    });
  }
  void Print() {
    const std::int64_t done = counters_.synced + counters_.failed + counters_.auth_required;
    const std::string counts = fmt::format("{}/{} synced {} failed {} retries {}", done, total_,
                                           counters_.synced, counters_.failed, counters_.retried);
    if (!tty_) {
      std::cerr << "sync: " << counts << "\n";
      return;
    }
    constexpr int kWidth = 30;
    const int filled = total_ > 0 ? static_cast<int>(std::min<std::int64_t>(done, total_) * kWidth / total_) : kWidth;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] "
              << counts << "   " << std::flush;
  }

  boost::asio::steady_timer timer_;
  bool tty_;
  std::int64_t total_;
  const SyncCounters& counters_;
  bool stopped_ = false;
};

class Cli {
 public:
  // Opens config and store; on failure prints why and returns the exit code.
  std::optional<int> Open() {
    auto paths = Paths::FromEnvironment();
    if (!paths.ok()) return Fail(paths.status().message());
    paths_ = *paths;
    auto config = Config::Load(paths_.system_config, paths_.user_config);
    if (!config.ok()) return Fail(config.status().message());
    config_ = std::move(config).value();
    for (const auto& w : config_.warnings) std::cerr << "vidkeep: warning: " << TerminalSafe(w) << "\n";
    if (Status s = paths_.CreateDirectories(); !s.ok()) return Fail(s.message());
    auto store = Store::Open(paths_.database,
                             {config_.database.busy_timeout_ms, config_.database.synchronous_full});
    if (!store.ok()) return Fail(store.status().message());
    store_ = std::move(store).value();
    return std::nullopt;
  }

  int List(ListQuery query, bool as_json) {
    auto page = store_->List(query);
    if (!page.ok()) return Fail(page.status());
    if (as_json) {
      std::cout << DumpPretty(CliListJson(page->videos)) << "\n";
      return 0;
    }
    if (page->videos.empty()) {
      std::cout << (query.text.empty() ? "No videos saved yet.\n" : "No videos match.\n");
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : page->videos)
      rows.push_back({r.video_id.substr(0, 8), ShortTime(r.created_at), std::string(ToString(r.sync)),
                      std::string(ToString(r.video.source)), Clip(r.video.chat_id, 12),
                      MediaLabel(r.media),
                      Clip(r.video.prompt.empty() ? "(no prompt)" : r.video.prompt, 56)});
    PrintTable({"ID", "SAVED (UTC)", "SYNC", "SOURCE", "CHAT", "MEDIA", "PROMPT"}, rows);
    if (page->more)
      std::cerr << fmt::format("(newest {} shown; --limit N for more)\n", page->videos.size());
    return 0;
  }

  int Show(const std::string& id_prefix, bool as_json) {
    auto id = store_->ResolveId(id_prefix);
    if (!id.ok()) return Fail(id.status());
    auto record = store_->Get(*id);
    if (!record.ok()) return Fail(record.status());
    auto history = store_->History(*id);
    if (!history.ok()) return Fail(history.status());
    if (as_json) {
      std::cout << DumpPretty(CliShowJson(*record, *history)) << "\n";
      return 0;
    }
    const auto& r = *record;
    auto line = [](const char* key, const std::string& value) {
      std::cout << fmt::format("{:<14}{}\n", key, value.empty() ? "-" : TerminalSafe(value));
    };
    line("Video", r.video_id);
    line("Prompt", r.video.prompt);
    line("URL", r.video.url);
    line("Thumbnail", r.video.thumbnail_url);
    line("Chat", r.video.chat_id);
    line("Page", r.video.page_url);
    line("Source", std::string(ToString(r.video.source)));
    line("Saved", r.created_at);
    line("Observed", r.video.observed_at);
    line("Account", r.video.account_id.empty()
                        ? std::string()
                        : r.video.account_label.empty()
                              ? r.video.account_id
                              : fmt::format("{} (id {})", r.video.account_label, r.video.account_id));
    if (r.sync == SyncState::kSavedByApp)
      line("Sync", r.app_message_id.empty()
                       ? std::string("saved by the app")
                       : fmt::format("saved by the app (message {})", r.app_message_id));
    else
      line("Sync", fmt::format("{} after {} attempt{}", ToString(r.sync), r.sync_attempts,
                               r.sync_attempts == 1 ? "" : "s"));
    if (r.sync == SyncState::kSynced && !r.app_message_id.empty())
      line("App message", fmt::format("the app saved it too (message {})", r.app_message_id));
    if (r.sync == SyncState::kPending && r.next_try_ms > UnixMs())
      line("Next attempt", "not before " + FormatUtcMs(r.next_try_ms));
    line("Last error", r.last_error);
    if (!r.video.meta.empty()) line("Meta", Dump(r.video.meta));
    std::cout << "\nLocal copy:\n";
    if (r.media)
      PrintMedia(*r.media, Files());
    else
      std::cout << "  (not known to the cache yet)\n";
    std::cout << "\nSync history:\n";
    if (history->empty()) {
      std::cout << "  (no attempts yet)\n";
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : *history)
      rows.push_back({"  " + a.at, a.http_status ? std::to_string(a.http_status) : "-", a.result,
                      Clip(a.reason, 80)});
    PrintTable({"  TIME", "HTTP", "RESULT", "REASON"}, rows);
    return 0;
  }

  int Stats(bool as_json) {
    auto stats = store_->Stats();
    if (!stats.ok()) return Fail(stats.status());
    if (as_json) {
      std::cout << DumpPretty(CliStatsJson(*stats, paths_.database)) << "\n";
      return 0;
    }
    std::cout << fmt::format("{:<15}{}\n", "Videos", stats->videos);
    for (SyncState s : kAllSyncStates)
      std::cout << fmt::format("  {:<13}{}\n", ToString(s), stats->count(s));
    std::cout << fmt::format("{:<15}{} ({:.1f} MiB)\n", "Database", paths_.database,
                             static_cast<double>(stats->database_bytes) / (1024 * 1024));
    if (!stats->last_error.empty())
      std::cout << fmt::format("{:<15}{}\n", "Last error", TerminalSafe(stats->last_error));
    return 0;
  }

  int Resync(const std::vector<std::string>& prefixes, bool failed) {
    if (failed == !prefixes.empty())
      return Fail(Status::BadRequest("resync takes video ids or --failed, not both or neither"));
    auto queued = store_->Transact([&]() -> Result<int> {
      if (failed) return store_->ResyncFailed();
      auto ids = ResolveIds(prefixes);
      if (!ids.ok()) return ids.status();
      return store_->Resync(*ids);
    });
    if (!queued.ok()) return Fail(queued.status());
    std::cout << fmt::format("Queued {} for sync.\n", Plural(*queued, "video"));
    return 0;
  }

  int Export(const std::string& format_name, const std::string& output) {
    auto format = ParseExportFormat(format_name);
    if (!format) return Fail(Status::BadRequest("--format must be json, csv or html"));
    if (output.empty() || output == "-") {
      Status s = ExportVideos(*store_, *format, std::cout);
      return s.ok() ? 0 : Fail(s);
    }
    Status s = WriteFileAtomically(
        output, [&](std::ostream& out) { return ExportVideos(*store_, *format, out); });
    if (!s.ok()) return Fail(s);
    std::cerr << "Exported to " << output << "\n";
    return 0;
  }

  int ExportFolder(const std::string& dir, bool force) {
    if (dir.empty() || dir == "-")
      return Fail(Status::BadRequest("--with-media writes a folder: pass -o DIR"));
    auto report = ExportWithMedia(*store_, Files(), dir, force);
    if (!report.ok()) return Fail(report.status());
    for (const auto& d : report->damaged)
      std::cerr << "vidkeep: warning: left out a damaged cached file: " << TerminalSafe(d) << "\n";
    std::cerr << fmt::format(
        "Exported {} to {}: {} with a local copy ({}, {}: {} linked, {} copied), {} without.\n",
        Plural(report->videos, "video"), dir, report->local_videos, Plural(report->files, "file"),
        FormatBytes(report->bytes), report->linked, report->copied,
        report->videos - report->local_videos);
    return 0;
  }

  // ------------------------------------------------------------ cache

  int CacheStats(bool as_json) {
    auto usage = store_->MediaUsage();
    if (!usage.ok()) return Fail(usage.status());
    const auto quota = static_cast<std::int64_t>(config_.media.quota_bytes);
    const auto videos = CountsByState(usage->videos_by_state);
    const auto thumbnails = CountsByState(usage->thumbnails_by_state);
    if (as_json) {
      std::cout << DumpPretty(CliCacheStatsJson(*usage, quota, Files().root(), config_.media.enabled))
                << "\n";
      return 0;
    }
    const double used =
        static_cast<double>(usage->bytes) / static_cast<double>(std::max<std::int64_t>(quota, 1));
    std::cout << fmt::format("{:<15}{}, {} of {} ({:.0f}%)\n", "Cached", Plural(usage->files, "file"),
                             FormatBytes(usage->bytes), FormatBytes(quota), 100 * used);
    for (const auto& [title, counts] : {std::pair{"Videos", &videos}, {"Thumbnails", &thumbnails}}) {
      std::cout << title << "\n";
      for (const auto& [state, n] : *counts) std::cout << fmt::format("  {:<13}{}\n", state, n);
    }
    std::cout << fmt::format("{:<15}{}\n", "Pinned", Plural(usage->pinned_videos, "video"));
    std::cout << fmt::format("{:<15}{}\n", "Directory", Files().root());
    if (!config_.media.enabled)
      std::cout << fmt::format("{:<15}off (media.enabled is false in the config)\n", "Downloads");
    return 0;
  }

  int CacheVerify(bool as_json, bool fetch) {
    auto report = VerifyCache(*store_, Files());
    if (!report.ok()) return Fail(report.status());
    const auto damaged = static_cast<std::int64_t>(report->damaged.size());
    std::ostream& log = as_json ? std::cerr : std::cout;
    if (!as_json) {
      std::cout << fmt::format("Checked {} ({} read) in {}.\n", Plural(report->checked, "file"),
                               FormatBytes(report->bytes), Files().root());
      if (damaged > 0) std::cout << "Damaged, dropped and queued to be fetched again:\n";
      for (const auto& d : report->damaged) std::cout << "  " << TerminalSafe(d) << "\n";
    }
    std::optional<FetchLog::Tally> fetched;
    if (fetch && damaged > 0) {
      auto tally = Drain(log);
      if (!tally.ok()) return Fail(tally.status());
      fetched = *tally;
    }
    if (as_json) {
      std::optional<FetchCounts> counts;
      if (fetched) counts = FetchCounts{fetched->cached, fetched->failed, fetched->later};
      std::cout << DumpPretty(CliCacheVerifyJson(*report, Files().root(), counts)) << "\n";
    }
    if (damaged == 0) return 0;
    if (fetched) {
      if (fetched->failed + fetched->later == 0) return 0;
      return Fail(fmt::format("{} damaged, and not every one could be fetched again",
                              Plural(damaged, "cached file")));
    }
    return Fail(fmt::format("{} damaged: dropped and queued; the host fetches them again when it "
                            "next runs, or run `vidkeep cache fetch` (or verify --fetch)",
                            Plural(damaged, "cached file")));
  }

  int CachePrune(const std::string& quota_text, bool as_json) {
    std::uint64_t quota = config_.media.quota_bytes;
    if (!quota_text.empty()) {
      auto parsed = ParseByteSize(quota_text);
      if (!parsed) return Fail(Status::BadRequest("--quota must be a size such as 500M or 2G"));
      quota = *parsed;
    }
    auto report = PruneCache(*store_, Files(), quota, true);
    if (!report.ok()) return Fail(report.status());
    auto usage = store_->MediaUsage();
    if (!usage.ok()) return Fail(usage.status());
    const auto quota_bytes = static_cast<std::int64_t>(std::min<std::uint64_t>(quota, INT64_MAX));
    if (as_json) {
      std::cout << DumpPretty(CliCachePruneJson(*report, usage->bytes, quota_bytes)) << "\n";
      return 0;
    }
    std::cout << fmt::format(
        "Evicted {}, deleted {} and {}; freed {}.\nThe cache holds {} of {}.\n",
        Plural(report->evicted, "video"), Plural(report->orphans, "orphaned file"),
        Plural(report->partials, "partial download"), FormatBytes(report->bytes_freed),
        FormatBytes(usage->bytes), FormatBytes(quota_bytes));
    if (usage->bytes > quota_bytes)
      std::cout << "Still over the quota: pinned videos and thumbnails are never evicted.\n";
    return 0;
  }

  int CacheFetch(const std::vector<std::string>& prefixes) {
    auto queued = store_->Transact([&]() -> Result<int> {
      auto ids = ResolveIds(prefixes);
      if (!ids.ok()) return ids.status();
      return store_->RequeueMedia(*ids);
    });
    if (!queued.ok()) return Fail(queued.status());
    if (*queued > 0) std::cout << fmt::format("Queued {} again.\n", Plural(*queued, "file"));
    const auto started = std::chrono::steady_clock::now();
    auto tally = Drain(std::cout);
    if (!tally.ok()) return Fail(tally.status());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cout << fmt::format("Cached {} ({}) in {:.1f} s; {} failed, {} to be tried again later.\n",
                             Plural(tally->cached, "file"), FormatBytes(tally->bytes), seconds,
                             tally->failed, tally->later);
    return tally->failed + tally->later > 0 ? kExitFailure : 0;
  }

  int CachePin(const std::vector<std::string>& prefixes, bool pinned) {
    auto changed = store_->Transact([&]() -> Result<int> {
      auto ids = ResolveIds(prefixes);
      if (!ids.ok()) return ids.status();
      return store_->SetPinned(*ids, pinned);
    });
    if (!changed.ok()) return Fail(changed.status());
    std::cout << fmt::format("{} {}.\n", pinned ? "Pinned" : "Unpinned", Plural(*changed, "video"));
    return 0;
  }

  int Sync(const std::string& only_origin, bool once) {
    auto token = ReadAdminToken(config_.sync);
    if (!token.ok()) return Fail(token.status());
    // The admin's token (sync.token_file) goes only to the chat apps the
    // config names; a token given for this run (VIDKEEP_TOKEN) goes where
    // the same person said.
    const bool admin_token = EnvOr("VIDKEEP_TOKEN", "").empty();
    std::vector<std::string> origins;
    for (const auto& o : only_origin.empty() ? config_.sync.origins : std::vector{only_origin}) {
      const std::string origin = OriginOf(o);
      if (!IsAllowedSyncOrigin(origin))
        return Fail(Status::BadRequest("'" + o + "' is not an https origin (or http on loopback)"));
      const auto& configured = config_.sync.origins;
      if (admin_token && std::none_of(configured.begin(), configured.end(),
                                      [&](const std::string& c) { return OriginOf(c) == origin; }))
        return Fail(Status::BadRequest(
            "'" + o + "' is not in sync.origins: the admin token of sync.token_file is sent only "
            "to the chat apps the config names (add it there, or give a token in VIDKEEP_TOKEN)"));
      origins.push_back(origin);
    }
    if (origins.empty())
      return Fail(Status::BadRequest("no chat app to sync to: pass --origin URL or set sync.origins"));

    // "Now": pending videos of these origins are due at once, whatever
    // their backoff said.
    auto due = store_->Transact([&] { return store_->MakeDue(origins); });
    if (!due.ok()) return Fail(due.status());
    const std::int64_t total = *due;

    boost::asio::io_context io;
    SyncConfig sync_config = config_.sync;
    Syncer syncer(io, *store_, sync_config, ProcessOwner("cli"), Syncer::Mode::kDrain);
    // Looked up first: a token that is one user's sends only that user's
    // videos (and those without an account); a service token sends all.
    for (const auto& origin : origins) syncer.AllowOrigin(origin, ServerAuth{{}, *token}, /*replace=*/true);
    syncer.set_once(once);
    const auto started = std::chrono::steady_clock::now();
    const bool tty = StderrIsTerminal();
    Progress progress(io, tty, total, syncer.counters());
    syncer.set_on_done([&] {
      progress.Stop();
      io.stop();
    });
    syncer.Start();
    progress.Start();
    io.run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    const auto& c = syncer.counters();
    std::int64_t left = 0;
    if (auto pending = store_->PendingByOrigin(); pending.ok())
      for (const auto& [origin, count] : *pending)
        if (std::find(origins.begin(), origins.end(), origin) != origins.end()) left += count;
    std::cout << fmt::format(
        "Synced {} video{}; {} failed, {} need sign-in, {} still pending; {} requests ({} retried) "
        "in {:.1f} s.\n",
        c.synced, c.synced == 1 ? "" : "s", c.failed, c.auth_required, left, c.requests, c.retried,
        seconds);
    return (c.failed > 0 || c.auth_required > 0 || left > 0) ? kExitFailure : 0;
  }

 private:
  MediaFiles Files() const { return MediaFiles(paths_.data_dir + "/media"); }

  // Full ids of `prefixes`, each resolved as `show` does.
  Result<std::vector<std::string>> ResolveIds(const std::vector<std::string>& prefixes) {
    std::vector<std::string> ids;
    for (const auto& p : prefixes) {
      auto id = store_->ResolveId(p);
      if (!id.ok()) return id.status();
      ids.push_back(*id);
    }
    return ids;
  }

  // Runs the downloader until nothing is due soon, a line on `log` for every
  // file that ends.
  Result<FetchLog::Tally> Drain(std::ostream& log) {
    if (!config_.media.enabled)
      return Status::Unavailable("the media cache is off (media.enabled is false in the config)");
    auto since = store_->LatestMediaChange();
    if (!since.ok()) return since.status();
    // The lines below say how each download ended; the downloader's own
    // warnings would say it twice.
    spdlog::set_level(spdlog::level::err);
    boost::asio::io_context io;
    MediaCache cache(io, *store_, config_.media, config_.sync.extra_ca_file, Files(),
                     ProcessOwner("cli"), MediaCache::Mode::kDrain);
    FetchLog fetch_log(*store_, *since, log);
    cache.set_on_change([&] { fetch_log.Poll(); });
    cache.set_on_done([&] { io.stop(); });
    cache.Start();
    io.run();
    fetch_log.Poll();
    return fetch_log.Count();
  }

  Paths paths_;
  Config config_;
  std::unique_ptr<Store> store_;
};

}  // namespace

int RunCli(int argc, char** argv) {
  InitStderrLogging("warn");
  CLI::App app{"vidkeep: the videos your browser saved, on the command line.", "vidkeep"};
  app.require_subcommand(1);
  app.set_version_flag("--version", VIDKEEP_VERSION);

  ListQuery query;
  std::string chat, sync_name, text, id, format = "json", output;
  std::vector<std::string> ids;
  bool as_json = false, failed = false;

  auto* list = app.add_subcommand("list", "Saved videos, newest first");
  list->add_option("--chat", chat, "Only this chat's videos");
  list->add_option("--sync", sync_name, "Only videos in this sync state")
      ->check(CLI::IsMember({"pending", "synced", "failed", "auth_required", "local", "saved_by_app"}));
  list->add_option("--limit", query.limit, "How many (default 50)")->check(CLI::Range(1, 100000));
  list->add_flag("--json", as_json, "Machine-readable output");

  auto* search = app.add_subcommand("search", "Full-text search of prompts");
  search->add_option("query", text, "Words to find")->required();
  search->add_option("--limit", query.limit, "How many (default 50)")->check(CLI::Range(1, 100000));
  search->add_flag("--json", as_json, "Machine-readable output");

  auto* show = app.add_subcommand("show", "One video with its sync history");
  show->add_option("id", id, "Video id (or its first characters)")->required();
  show->add_flag("--json", as_json, "Machine-readable output");

  auto* resync = app.add_subcommand("resync", "Queue videos for sending again");
  resync->add_option("ids", ids, "Video ids (or their first characters)");
  resync->add_flag("--failed", failed, "Every video whose sync failed");

  auto* stats = app.add_subcommand("stats", "Counts by sync state, database size");
  stats->add_flag("--json", as_json, "Machine-readable output");

  bool with_media = false, force = false;
  auto* exporter = app.add_subcommand("export", "Everything, to a file");
  auto* format_option = exporter->add_option("--format", format, "json, csv or html (default json)")
      ->check(CLI::IsMember({"json", "csv", "html"}));
  exporter->add_option("-o,--output", output,
                       "File to write (default: standard output); with --with-media, a folder");
  auto* with_media_flag = exporter->add_flag(
      "--with-media", with_media,
      "An offline folder: index.html, videos.json and the cached files under media/")
      ->excludes(format_option);
  exporter->add_flag("--force", force, "With --with-media: write into a folder that is not empty")
      ->needs(with_media_flag);

  std::string quota;
  bool fetch_now = false;
  auto* cache = app.add_subcommand("cache", "The local copies of videos and thumbnails");
  cache->require_subcommand(1);
  auto* cache_stats = cache->add_subcommand("stats", "Files and bytes cached, quota, counts by state");
  cache_stats->add_flag("--json", as_json, "Machine-readable output");
  auto* verify = cache->add_subcommand("verify", "Check every cached file against its SHA-256");
  verify->add_flag("--json", as_json, "Machine-readable output");
  verify->add_flag("--fetch", fetch_now, "Fetch the damaged files again now");
  auto* prune = cache->add_subcommand("prune", "Evict over-quota videos, delete leftover files");
  prune->add_option("--quota", quota, "Shrink to this size (500M, 2G; default media.quota_bytes)");
  prune->add_flag("--json", as_json, "Machine-readable output");
  auto* fetch =
      cache->add_subcommand("fetch", "Download what is not cached now (failed and evicted too)");
  fetch->add_option("ids", ids, "Only these videos (ids or their first characters)");
  auto* pin = cache->add_subcommand("pin", "Keep videos through quota eviction");
  pin->add_option("ids", ids, "Video ids (or their first characters)")->required();
  auto* unpin = cache->add_subcommand("unpin", "Let pinned videos be evicted again");
  unpin->add_option("ids", ids, "Video ids (or their first characters)")->required();

  std::string sync_origin;
  bool once = false;
  auto* sync = app.add_subcommand("sync", "Send pending videos to the chat app now (admin token)");
  sync->add_option("--origin", sync_origin, "Only this chat app (default: sync.origins in config)");
  sync->add_flag("--once", once, "Try each pending video once, without waiting for retries");
  auto* doctor = app.add_subcommand("doctor", "Check the installation for each browser");
  doctor->allow_extras();  // its options are parsed by RunDoctor (doctor.h)

  // Windows only: registration through the registry, per user (registration.h).
  // On Linux installer/install.sh does it.
  UserInstall user_install;
  bool user_scope = false;
  CLI::App* install = nullptr;
  CLI::App* uninstall = nullptr;
  if (kRegistryRegistration) {
    install = app.add_subcommand("install", "Register vidkeep-host with the browsers (per user, no admin rights)");
    install->add_flag("--user", user_scope, "For this user (HKCU); the MSI installs for all users")->required();
    install->add_option("--extension-id", user_install.extension_ids,
                        "Also allow this extension (a Chromium id or a Firefox id)");
    install->add_flag("--no-dev-id", user_install.no_dev_id, "Do not allow the development extension ids");
    install->add_option("--host", user_install.host_path, "The host binary (default: vidkeep-host.exe beside this one)");
    install->add_option("--manifest-dir", user_install.manifest_dir,
                        "Where the manifests go (default: %LOCALAPPDATA%\\vidkeep\\manifests)");
    uninstall = app.add_subcommand("uninstall", "Remove exactly what install --user registered");
    uninstall->add_flag("--user", user_scope, "For this user (HKCU)")->required();
    uninstall->add_option("--manifest-dir", user_install.manifest_dir, "Where install --user put the manifests");
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "vidkeep: " << e.what() << " (see 'vidkeep --help')\n";
    return kExitUsage;
  }

  if (*doctor)
    return kRegistryRegistration ? RunRegistryDoctor(doctor->remaining(), std::cout)
                                 : RunDoctor(doctor->remaining(), std::cout);
  if (install && (*install || *uninstall)) {
    const Status s = *install ? InstallForUser(user_install, std::cout) : UninstallForUser(user_install, std::cout);
    if (s.ok()) return 0;
    std::cerr << "vidkeep: " << s.message() << "\n";
    return 1;
  }

  Cli cli;
  if (auto failed_open = cli.Open()) return *failed_open;
  if (*list || *search) {
    if (!chat.empty()) query.chat_id = chat;
    if (!sync_name.empty()) query.sync = ParseSyncState(sync_name);
    query.text = text;
    return cli.List(query, as_json);
  }
  if (*show) return cli.Show(id, as_json);
  if (*resync) return cli.Resync(ids, failed);
  if (*stats) return cli.Stats(as_json);
  if (*exporter) return with_media ? cli.ExportFolder(output, force) : cli.Export(format, output);
  if (*cache_stats) return cli.CacheStats(as_json);
  if (*verify) return cli.CacheVerify(as_json, fetch_now);
  if (*prune) return cli.CachePrune(quota, as_json);
  if (*fetch) return cli.CacheFetch(ids);
  if (*pin || *unpin) return cli.CachePin(ids, pin->parsed());
  if (*sync) return cli.Sync(sync_origin, once);
  return kExitUsage;
}

}  // namespace vidkeep
