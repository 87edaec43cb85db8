#include "cli.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <CLI/CLI.hpp>
#include <spdlog/fmt/fmt.h>

#include "config.h"
#include "dedupe.h"
#include "notifier.h"
#include "sync.h"
#include "doctor.h"
#include "export.h"
#include "log.h"
#include "protocol.h"
#include "store.h"

namespace vidkeep {

namespace {

using nlohmann::json;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int Fail(const std::string& message) {
  std::cerr << "vidkeep: " << message << "\n";
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

// The first `max` code points of `s`, with an ellipsis when cut; control
// characters (a prompt may hold newlines) become spaces.
std::string Clip(std::string_view s, std::size_t max) {
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
    out += c < 0x20 ? ' ' : static_cast<char>(c);
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
    for (const auto& w : config_.warnings) std::cerr << "vidkeep: warning: " << w << "\n";
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
      json out = json::array();
      for (const auto& r : page->videos) out.push_back(RecordToJson(r));
      std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
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
                      Clip(r.video.prompt.empty() ? "(no prompt)" : r.video.prompt, 56)});
    PrintTable({"ID", "SAVED (UTC)", "SYNC", "SOURCE", "CHAT", "PROMPT"}, rows);
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
      json out = RecordToJson(*record);
      out["history"] = json::array();
      for (const auto& a : *history)
        out["history"].push_back(
            {{"at", a.at}, {"http_status", a.http_status}, {"result", a.result}, {"reason", a.reason}});
      std::cout << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
      return 0;
    }
    const auto& r = *record;
    auto line = [](const char* key, const std::string& value) {
      std::cout << fmt::format("{:<14}{}\n", key, value.empty() ? "-" : value);
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
    line("Sync", fmt::format("{} after {} attempt{}", ToString(r.sync), r.sync_attempts,
                             r.sync_attempts == 1 ? "" : "s"));
    line("Last error", r.last_error);
    if (!r.video.meta.empty()) line("Meta", Dump(r.video.meta));
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
      json out = {{"videos", stats->videos},
                  {"database", paths_.database},
                  {"database_bytes", stats->database_bytes},
                  {"last_error", stats->last_error.empty() ? json(nullptr) : json(stats->last_error)}};
      for (SyncState s : kAllSyncStates) out[std::string(ToString(s))] = stats->count(s);
      std::cout << out.dump(2) << "\n";
      return 0;
    }
    std::cout << fmt::format("{:<15}{}\n", "Videos", stats->videos);
    for (SyncState s : kAllSyncStates)
      std::cout << fmt::format("  {:<13}{}\n", ToString(s), stats->count(s));
    std::cout << fmt::format("{:<15}{} ({:.1f} MiB)\n", "Database", paths_.database,
                             static_cast<double>(stats->database_bytes) / (1024 * 1024));
    if (!stats->last_error.empty()) std::cout << fmt::format("{:<15}{}\n", "Last error", stats->last_error);
    return 0;
  }

  int Resync(const std::vector<std::string>& prefixes, bool failed) {
    if (failed == !prefixes.empty())
      return Fail(Status::BadRequest("resync takes video ids or --failed, not both or neither"));
    if (Status s = store_->Begin(); !s.ok()) return Fail(s);
    Result<int> queued = 0;
    if (failed) {
      queued = store_->ResyncFailed();
    } else {
      std::vector<std::string> ids;
      for (const auto& p : prefixes) {
        auto id = store_->ResolveId(p);
        if (!id.ok()) {
          store_->Rollback();
          return Fail(id.status());
        }
        ids.push_back(*id);
      }
      queued = store_->Resync(ids);
    }
    if (!queued.ok()) {
      store_->Rollback();
      return Fail(queued.status());
    }
    if (Status s = store_->Commit(); !s.ok()) return Fail(s);
    std::cout << fmt::format("Queued {} video{} for sync.\n", *queued, *queued == 1 ? "" : "s");
    return 0;
  }

  int Export(const std::string& format_name, const std::string& output) {
    auto format = ParseExportFormat(format_name);
    if (!format) return Fail(Status::BadRequest("--format must be json, csv or html"));
    if (output.empty() || output == "-") {
      Status s = ExportVideos(*store_, *format, std::cout);
      return s.ok() ? 0 : Fail(s);
    }
    // Write beside the target and rename, so a failed export never leaves a
    // half-written file under the real name.
    const std::string temp = output + ".partial";
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      if (!out) return Fail("cannot write " + temp);
      Status s = ExportVideos(*store_, *format, out);
      out.close();
      if (s.ok() && !out) s = Status::Unavailable("writing " + temp + " failed");
      if (!s.ok()) {
        std::remove(temp.c_str());
        return Fail(s);
      }
    }
    std::error_code ec;
    std::filesystem::rename(temp, output, ec);
    if (ec) return Fail("cannot rename to " + output + ": " + ec.message());
    std::cerr << "Exported to " << output << "\n";
    return 0;
  }

  int Sync(const std::string& only_origin, bool once) {
    auto token = ReadAdminToken(config_.sync);
    if (!token.ok()) return Fail(token.status());
    std::vector<std::string> origins;
    for (const auto& o : only_origin.empty() ? config_.sync.origins : std::vector{only_origin}) {
      const std::string origin = OriginOf(o);
      if (!IsAllowedSyncOrigin(origin))
        return Fail(Status::BadRequest("'" + o + "' is not an https origin (or http on loopback)"));
      origins.push_back(origin);
    }
    if (origins.empty())
      return Fail(Status::BadRequest("no chat app to sync to: pass --origin URL or set sync.origins"));

    // "Now": pending videos of these origins are due at once, whatever
    // their backoff said.
    std::int64_t total = 0;
    if (Status s = store_->Begin(); !s.ok()) return Fail(s);
    auto due = store_->MakeDue(origins);
    if (!due.ok() || !store_->Commit().ok()) {
      store_->Rollback();
      return Fail(due.ok() ? Status::Unavailable("cannot start the sync") : due.status());
    }
    total = *due;

    boost::asio::io_context io;
    SyncConfig sync_config = config_.sync;
    Syncer syncer(io, *store_, sync_config, ProcessOwner("cli"), Syncer::Mode::kDrain);
    for (const auto& origin : origins) syncer.SetCredentials(origin, ServerAuth{{}, *token});
    syncer.set_once(once);
    const auto started = std::chrono::steady_clock::now();
    const bool tty = ::isatty(STDERR_FILENO);
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
      ->check(CLI::IsMember({"pending", "synced", "failed", "auth_required", "local"}));
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

  auto* exporter = app.add_subcommand("export", "Everything, to a file");
  exporter->add_option("--format", format, "json, csv or html (default json)")
      ->check(CLI::IsMember({"json", "csv", "html"}));
  exporter->add_option("-o,--output", output, "File to write (default: standard output)");

  std::string sync_origin;
  bool once = false;
  auto* sync = app.add_subcommand("sync", "Send pending videos to the chat app now (admin token)");
  sync->add_option("--origin", sync_origin, "Only this chat app (default: sync.origins in config)");
  sync->add_flag("--once", once, "Try each pending video once, without waiting for retries");
  auto* doctor = app.add_subcommand("doctor", "Check the installation for each browser");
  doctor->allow_extras();  // its options are parsed by RunDoctor (doctor.h)

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "vidkeep: " << e.what() << " (see 'vidkeep --help')\n";
    return kExitUsage;
  }

  if (*doctor) return RunDoctor(doctor->remaining(), std::cout);

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
  if (*exporter) return cli.Export(format, output);
  if (*sync) return cli.Sync(sync_origin, once);
  return kExitUsage;
}

}  // namespace vidkeep
