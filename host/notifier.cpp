#include "notifier.h"

#include <random>
#include <unistd.h>

#include <spdlog/fmt/fmt.h>

#include "protocol.h"

namespace vidkeep {

ChangeNotifier::ChangeNotifier(boost::asio::io_context& io, Store& store, Sink sink,
                               std::function<void()> on_foreign_change)
    : store_(store),
      sink_(std::move(sink)),
      on_foreign_change_(std::move(on_foreign_change)),
      timer_(io) {}

void ChangeNotifier::Start() {
  // Changes made before this connection are not news to the browser.
  if (auto latest = store_.LatestChange(); latest.ok()) last_seq_ = *latest;
  if (auto version = store_.DataVersion(); version.ok()) data_version_ = *version;
  Poll();
}

void ChangeNotifier::Notify() {
  constexpr int kPage = 500;
  while (true) {
    auto changes = store_.ChangesSince(last_seq_, kPage);
    if (!changes.ok()) return;  // busy: the next poll catches up
    for (const auto& change : *changes) {
      sink_(SyncStateEvent(change.video_id, change.state, change.last_error));
      last_seq_ = change.seq;
    }
    if (static_cast<int>(changes->size()) < kPage) return;
  }
}

void ChangeNotifier::Poll() {
  timer_.expires_after(std::chrono::seconds(1));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    auto version = store_.DataVersion();
    if (version.ok() && *version != data_version_) {
      data_version_ = *version;
      Notify();
      if (on_foreign_change_) on_foreign_change_();
    }
    Poll();
  });
}

std::string ProcessOwner(const std::string& role) {
  std::random_device rd;
  return fmt::format("{}-{}-{:08x}", role, ::getpid(), rd());
}

}  // namespace vidkeep
