// Tells the browser about sync and media-cache changes, whichever process
// made them: this host's syncer or downloader, another host process, or the CLI.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "store.h"

namespace vidkeep {

/// Sends one `sync_state` event per outbox change and one `media_state` event
/// per cached-file change since the last one sent.
/// Notify() reads changes at once (after this process's own commits); a
/// once-a-second timer notices other processes' commits through SQLite's
/// data_version, which costs one pragma when nothing changed.
class ChangeNotifier {
 public:
  using Sink = std::function<void(std::string event)>;

  /// `on_foreign_change` runs when another process committed anything (it may
  /// have queued videos this process should send).
  ChangeNotifier(boost::asio::io_context& io, Store& store, Sink sink,
                 std::function<void()> on_foreign_change);

  void Start();
  void Notify();

 private:
  void Poll();

  Store& store_;
  Sink sink_;
  std::function<void()> on_foreign_change_;
  boost::asio::steady_timer timer_;
  std::int64_t last_seq_ = 0;
  std::int64_t last_media_seq_ = 0;
  std::int64_t data_version_ = -1;
};

/// A lease owner name unique to this process, e.g. "host-4242-9f1c".
std::string ProcessOwner(const std::string& role);

}  // namespace vidkeep
