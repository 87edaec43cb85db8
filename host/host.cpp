#include "host.h"

#include <csignal>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "caller.h"
#include "channel.h"
#include "config.h"
#include "log.h"
#include "service.h"
#include "store.h"

namespace vidkeep {

int RunHost(const std::vector<std::string>& args) {
  // Nothing may reach stdout but frames; the browser reading it is gone when
  // a write fails, which must be an error, not a signal.
  InitSilentLogging();
  std::signal(SIGPIPE, SIG_IGN);

  std::string unavailable;  // why every request must be refused, if anything
  Config config;
  auto paths = Paths::FromEnvironment();
  if (!paths.ok()) {
    unavailable = paths.status().message();
  } else {
    auto loaded = Config::Load(paths->system_config, paths->user_config);
    if (loaded.ok())
      config = std::move(loaded).value();
    else
      unavailable = loaded.status().message() + " (fix the config; videos are kept by the extension meanwhile)";
    if (Status s = paths->CreateDirectories(); !s.ok() && unavailable.empty())
      unavailable = s.message();
    else
      (void)InitLogging(paths->log_file, config.log, "vidkeep-host");
  }
  for (const auto& warning : config.warnings) spdlog::warn("{}", warning);

  const std::string caller = CallerFromArgs(args);
  const bool allowed = IsCallerAllowed(caller, config);
  if (!allowed)
    spdlog::warn("refused caller '{}': not an allowed extension (allowed: development ids{} "
                 "and allowed_callers); every request gets 'unauthorized'",
                 caller.substr(0, 200), config.no_dev_id ? " are off" : "");
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
  boost::asio::io_context io;
  std::unique_ptr<Channel> channel;
  channel = std::make_unique<Channel>(
      io, 0, 1, config.limits.max_frame_bytes, config.limits.max_batch,
      [&](std::vector<FrameEvent> frames) {
        for (auto& answer : service.HandleBatch(frames)) channel->Send(std::move(answer));
      },
      [&] { io.stop(); });
  channel->Start();
  io.run();
  spdlog::info("exiting");
  return 0;
}

}  // namespace vidkeep
