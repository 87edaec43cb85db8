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
  if (auto latest = store_.LatestMediaChange(); latest.ok()) last_media_seq_ = *latest;
  if (auto version = store_.DataVersion(); version.ok()) data_version_ = *version;
  Poll();
}

namespace {
// Sends an event per change after `last`, a page at a time, advancing `last`.
template <typename ReadPage, typename ToEvent>
void SendChanges(std::int64_t& last, ReadPage read_page, ToEvent to_event,
                 const ChangeNotifier::Sink& sink) {
  constexpr int kPage = 500;
  while (true) {
    auto changes = read_page(last, kPage);
    if (!changes.ok()) return;  // busy: the next poll catches up
    for (const auto& change : *changes) {
      sink(to_event(change));
      last = change.seq;
    }
    if (static_cast<int>(changes->size()) < kPage) return;
  }
}
}  // namespace

void ChangeNotifier::Notify() {
  SendChanges(
      last_seq_, [&](std::int64_t after, int n) { return store_.ChangesSince(after, n); },
      [](const StateChange& c) { return SyncStateEvent(c.video_id, c.state, c.last_error); }, sink_);
  SendChanges(
      last_media_seq_, [&](std::int64_t after, int n) { return store_.MediaChangesSince(after, n); },
      [](const MediaChange& c) { return MediaStateEvent(c.video_id, c.kind, c.file); }, sink_);
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
