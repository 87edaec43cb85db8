// WAL checkpoints off the acknowledgement path (issue 15). SQLite's automatic
// checkpoint runs inside the COMMIT that takes the WAL past 1,000 frames, so
// the batch whose answers wait for that commit also waited for the WAL to be
// copied into the database and the database fsynced (17% of ingest). The host
// turns it off (Store::set_wal_observer) and runs it here instead, on a thread
// with a connection of its own: PASSIVE (it never blocks a writer, and a
// commit never waits for it) once the WAL holds kPassiveFrames, and TRUNCATE
// once no commit came for `idle`, so an idle host leaves an empty WAL that the
// next start need not read back. Should this thread fall behind, the store
// checkpoints inline at its hard cap (store.cpp): the WAL stays bounded.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vidkeep {

class Checkpointer {
 public:
  /// A checkpoint once the WAL holds this many frames (16 MiB). Four times
  /// SQLite's default: each time a checkpoint has caught up, the next commit
  /// starts the WAL over and fsyncs its header, on the acknowledgement path.
  static constexpr int kPassiveFrames = 4000;

  Checkpointer(boost::asio::io_context& io, std::string db_path,
               std::chrono::milliseconds idle = std::chrono::milliseconds(200));
  /// Stops the thread (a checkpoint under way finishes first).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// After a commit that left `frames` frames in the WAL (the store's
  /// observer); on the loop thread.
  void Committed(int frames);
  /// Checkpoints done so far (PASSIVE and TRUNCATE), for tests.
  int done() const;

 private:
  enum class Mode { kNone, kPassive, kTruncate };
  void Request(Mode mode);
  void Run();

  std::string path_;
  std::chrono::milliseconds idle_;
  boost::asio::steady_timer idle_timer_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  Mode wanted_ = Mode::kNone;
  bool stop_ = false;
  int done_ = 0;
  std::thread thread_;  // started by the first Request
};

}  // namespace vidkeep
