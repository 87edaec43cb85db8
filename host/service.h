// The host's request handling, free of I/O: a batch of frames in, the answers
// out in the same order, with every write committed before its answer exists.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "config.h"
#include "dedupe.h"
#include "framing.h"
#include "media_cache.h"
#include "protocol.h"
#include "store.h"

namespace vidkeep {

/// One answer of a batch, in request order. A `configure` is answered only
/// once its credentials' owner is known (docs/protocol-extensions.md
/// "`configure` answers the account"): then `configure` is set, `payload` is
/// empty, and the caller answers it with ConfigureAnswer, keeping the order.
struct BatchAnswer {
  struct Configure {
    nlohmann::json id;
    std::string origin;
    ServerAuth auth;  // in memory only
  };
  std::string payload;
  std::optional<Configure> configure;
};

/// Serves requests against one Store. Lives on the host's event loop thread.
class Service {
 public:
  /// `store` may be null when the database could not be opened; then every
  /// request is answered with `unavailable_reason`. `caller_allowed` false
  /// refuses every request without touching the store.
  Service(Store* store, const Config& config, bool caller_allowed,
          std::string unavailable_reason = {});

  /// Handles frames in one write transaction (group commit): a savepoint per
  /// write request, so a failing one undoes only itself; reads see the writes
  /// before them. Returns one answer per frame, in order.
  std::vector<BatchAnswer> HandleBatch(const std::vector<FrameEvent>& frames);

  /// Called after a batch committed videos or resyncs that are due for sync.
  void set_on_sync_work(std::function<void()> callback) { on_sync_work_ = std::move(callback); }
  /// Called after a batch stored new videos or queued downloads.
  void set_on_media_work(std::function<void()> callback) { on_media_work_ = std::move(callback); }
  /// Where `media_read` finds cached files; without it, it is unsupported.
  void set_media_files(const MediaFiles* files) { media_files_ = files; }

 private:
  /// What a batch's requests did that wants work once it commits; each
  /// handler only ever sets a flag. A request whose savepoint rolls back
  /// may leave one set: the wake-up then finds nothing to do.
  struct BatchEffects {
    bool queued_sync = false;   // videos due for sync: stored, promoted, resynced, app-saved
    bool queued_media = false;  // media_fetch queued files
    bool stored_video = false;  // a new video to download
  };

  // Each returns the answer's fields, or why the request failed.
  Result<nlohmann::json> Handle(const Request& request, BatchEffects& effects);
  Result<nlohmann::json> HandleVideo(const Request& request, BatchEffects& effects);
  Result<std::string> HandleList(const Request& request);  // the answer's text
  Result<nlohmann::json> HandleMediaRead(const Request& request);
  Result<nlohmann::json> HandleAppSave(const Request& request, BatchEffects& effects);
  /// Why a video of this chat and origin may not be sent by itself, with the
  /// words for its `last_error`; kNone (and "") when it may.
  std::pair<LocalReason, std::string> WhyLocal(const std::string& chat_id,
                                               const std::string& origin) const;
  bool ChatIdAccepted(const std::string& chat_id) const;

  Store* store_;
  const Config& config_;
  bool caller_allowed_;
  std::string unavailable_reason_;
  SigningParams signing_;
  // sync.chat_id_pattern, compiled when a chat id first needs it (not
  // before `hello`); the default pattern, a UUID, is checked by hand.
  mutable std::optional<std::regex> chat_id_pattern_;
  std::function<void()> on_sync_work_;
  std::function<void()> on_media_work_;
  const MediaFiles* media_files_ = nullptr;
};

/// The version this build reports in `hello` and `status`.
const char* HostVersion();

}  // namespace vidkeep
