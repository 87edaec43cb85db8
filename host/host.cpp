#include "host.h"

#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "caller.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "media_cache.h"
#include "service.h"
#include "notifier.h"
#include "platform.h"
#include "store.h"
#include "sync.h"

namespace vidkeep {

namespace {

// Everything the host writes to the browser, in order: answers stay in
// request order (PROTOCOL.md section 2) and an event never overtakes the
// answer that acknowledged its video, also while a `configure` answer waits
// for its account lookup (bounded by the sync request timeout).
class OrderedOutput {
 public:
  explicit OrderedOutput(std::function<void(std::string)> send) : send_(std::move(send)) {}

  /// A place for an answer that comes later, through Fill.
  std::uint64_t Reserve() {
    slots_.push_back({});
    return first_ + slots_.size() - 1;
  }
  void Fill(std::uint64_t slot, std::string payload) {
    if (slot < first_ || slot - first_ >= slots_.size()) return;
    slots_[slot - first_] = std::move(payload);
    Flush();
  }
  void Push(std::string payload) {
    slots_.push_back(std::move(payload));
    Flush();
  }

 private:
  void Flush() {
    while (!slots_.empty() && slots_.front()) {
      send_(std::move(*slots_.front()));
      slots_.pop_front();
      ++first_;
    }
  }

  std::function<void(std::string)> send_;
  std::deque<std::optional<std::string>> slots_;
  std::uint64_t first_ = 0;  // the slot number of slots_.front()
};

}  // namespace

void RunHost(const std::vector<std::string>& args) {
  // Nothing may reach stdout but frames; the browser reading it is gone when
  // a write fails, which must be an error, not a signal.
  InitSilentLogging();
  IgnoreBrokenPipes();

  std::string unavailable;  // why every request must be refused, if anything
  bool config_broken = false;
  Config config;
  auto paths = Paths::FromEnvironment();
  if (!paths.ok()) {
    unavailable = paths.status().message();
  } else {
    auto loaded = Config::Load(paths->system_config, paths->user_config);
    if (loaded.ok())
      config = std::move(loaded).value();
    else {
      unavailable = loaded.status().message() + " (fix the config; videos are kept by the extension meanwhile)";
      config_broken = true;
    }
    if (Status s = paths->CreateDirectories(); !s.ok() && unavailable.empty())
      unavailable = s.message();
    else
      (void)InitLogging(paths->log_file, config.log, "vidkeep-host");
  }
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);

  const std::string caller = CallerFromArgs(args);
  // With a config it cannot read the host does not know whom to trust, so it
  // opens nothing and every request gets `unavailable` saying why (the
  // browser already checked the caller against the manifest).
  const bool allowed = IsCallerAllowed(caller, config) || (config_broken && !caller.empty());
  if (!allowed)
    spdlog::warn("refused caller '{}': not an allowed extension (allowed: development ids{} "
                 "and allowed_callers); every request gets 'unauthorized'",
                 caller.substr(0, 200), DevIdsTrusted(config) ? "" : " are off");
  else
    spdlog::info("started for {}", caller);

  std::unique_ptr<Store> store;
  if (allowed && unavailable.empty()) {
    auto opened = Store::Open(paths->database, {config.database.busy_timeout_ms,
                                                config.database.synchronous_full});
    if (opened.ok())
      store = std::move(opened).value();
    else
      unavailable = opened.status().message();
  }
  if (!unavailable.empty()) spdlog::error("cannot serve: {}", unavailable);

  Service service(store.get(), config, allowed, unavailable);
  std::optional<MediaFiles> media_files;
  if (store) {
    media_files.emplace(paths->data_dir + "/media");
    service.set_media_files(&*media_files);
  }
  boost::asio::io_context io;
  std::unique_ptr<Channel> channel;
  std::unique_ptr<Syncer> syncer;
  std::unique_ptr<MediaCache> media;
  std::unique_ptr<ChangeNotifier> notifier;
  OrderedOutput output([&](std::string payload) { channel->Send(std::move(payload)); });

  channel = std::make_unique<Channel>(
      io, 0, 1, config.limits.max_frame_bytes, config.limits.max_batch,
      [&](std::vector<FrameEvent> frames) {
        for (auto& answer : service.HandleBatch(frames)) {
          if (!answer.configure) {
            output.Push(std::move(answer.payload));
            continue;
          }
          // Answered once the app said whom these credentials belong to.
          const std::uint64_t slot = output.Reserve();
          if (!syncer) {
            output.Fill(slot, ConfigureAnswer(answer.configure->id, {}));
            continue;
          }
          syncer->Configure(answer.configure->origin, answer.configure->auth,
                            [&output, slot, id = answer.configure->id](const AccountCheck& check) {
                              output.Fill(slot, ConfigureAnswer(id, check));
                            });
        }
        // Events only after the answers that acknowledged their videos.
        if (notifier) notifier->Notify();
      },
      [&] {
        if (syncer) syncer->Stop();
        if (media) media->Stop();
        io.stop();
      });

  if (store) {
    syncer = std::make_unique<Syncer>(io, *store, config.sync, ProcessOwner("host"),
                                      Syncer::Mode::kServe);
    if (config.media.enabled)
      media = std::make_unique<MediaCache>(io, *store, config.media, config.sync.extra_ca_file,
                                           *media_files, ProcessOwner("host"),
                                           MediaCache::Mode::kServe);
    notifier = std::make_unique<ChangeNotifier>(
        io, *store, [&](std::string event) { output.Push(std::move(event)); }, [&] {
          // Another process saved or queued something this one may take.
          syncer->Kick();
          if (media) media->Kick();
        });
    // The admin's origins are sent to with the admin's token; without one,
    // only the credentials the extension configures count.
    if (!config.sync.origins.empty()) {
      auto token = ReadAdminToken(config.sync);
      if (token.ok())
        for (const auto& origin : config.sync.origins) syncer->AllowOrigin(origin, {{}, *token});
      else
        spdlog::info("admin origins wait for the extension's credentials: {}", token.status().message());
    }
    syncer->set_on_change([&] { notifier->Notify(); });
    service.set_on_sync_work([&] { syncer->Kick(); });
    if (media) {
      media->set_on_change([&] { notifier->Notify(); });
      service.set_on_media_work([&] { media->Kick(); });
    }
    syncer->Start();
    notifier->Start();
    if (media) media->Start();
  }
  channel->Start();
  io.run();
  spdlog::info("exiting");
  // Leave without unwinding: every answer is written and every commit is
  // durable by now, while a background thread may be blocked for seconds (a
  // DNS lookup of a media host inside Asio's resolver, a libavformat probe)
  // and destroying the io_context would wait for it, past the 2 s the browser
  // gives a host after closing its input.
  spdlog::shutdown();
  std::_Exit(0);
}

}  // namespace vidkeep
