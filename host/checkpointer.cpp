#include "checkpointer.h"

#include <sqlite3.h>
#include <spdlog/spdlog.h>

#include "store.h"

namespace vidkeep {

Checkpointer::Checkpointer(boost::asio::io_context& io, std::string db_path,
                           std::chrono::milliseconds idle)
    : path_(std::move(db_path)), idle_(idle), idle_timer_(io) {}

Checkpointer::~Checkpointer() {
  idle_timer_.cancel();
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::Committed(int frames) {
  if (frames >= kPassiveFrames) Request(Mode::kPassive);
  if (frames <= 0) return;
  // Re-armed by every commit: it fires once the writes have paused.
  idle_timer_.expires_after(idle_);
  idle_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Request(Mode::kTruncate);
  });
}

int Checkpointer::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

void Checkpointer::Request(Mode mode) {
  // Started with the first checkpoint, not before the host's first answer.
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  {
    std::lock_guard lock(mu_);
    if (mode > wanted_) wanted_ = mode;  // a TRUNCATE does a PASSIVE's work too
  }
  wake_.notify_one();
}

void Checkpointer::Run() {
  sqlite3* db = nullptr;
  while (true) {
    Mode mode;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stop_ || wanted_ != Mode::kNone; });
      if (stop_) break;
      mode = wanted_;
      wanted_ = Mode::kNone;
    }
    if (!db) {
      if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                          nullptr) != SQLITE_OK) {
        spdlog::warn("checkpoints: cannot open {}: {}", path_, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        db = nullptr;
        continue;
      }
      KeepWalOnClose(db);  // as the store's own connection
      // A connection opens the WAL with its first read; until then (SQLite
      // 3.40) a checkpoint on it does nothing and reports -1 frames.
      sqlite3_exec(db, "PRAGMA schema_version", nullptr, nullptr, nullptr);
    }
    // PASSIVE copies what no reader still needs and waits for nobody.
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    // TRUNCATE takes the write lock (without waiting: the busy timeout is
    // 0), so only once everything is copied, when it has nothing left to do
    // but empty the file; a writer that came meanwhile makes it BUSY, and the
    // next pause tries again.
    if (mode == Mode::kTruncate && rc == SQLITE_OK && frames > 0 && copied == frames)
      rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::warn("checkpoint failed: {}", sqlite3_errmsg(db));
    std::lock_guard lock(mu_);
    ++done_;
  }
  sqlite3_close(db);
}

}  // namespace vidkeep
