// Where vidkeep keeps its files (PROTOCOL.md section 1) and its settings:
// /etc/vidkeep/config.json overridden key by key by the user's config.json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace vidkeep {

/// The files of one data root.
struct Paths {
  std::string data_dir;    // holds the database
  std::string config_dir;  // holds the user's config.json
  std::string state_dir;   // holds logs
  std::string database;
  std::string user_config;
  std::string system_config;  // $VIDKEEP_SYSTEM_CONFIG, else /etc/vidkeep/config.json
  std::string log_file;

  /// $VIDKEEP_HOME when set, else the XDG base directories (falling back to
  /// $HOME/.local/share, $HOME/.config and $HOME/.local/state).
  static Result<Paths> FromEnvironment();
  /// Creates the data and state directories with mode 0700.
  Status CreateDirectories() const;
};

struct LimitsConfig {
  std::size_t max_frame_bytes = 4 * 1024 * 1024;
  std::size_t max_url_bytes = 8 * 1024;
  std::size_t max_prompt_bytes = 64 * 1024;
  std::size_t max_text_bytes = 8 * 1024;   // chat_id, page_url, observed_at
  std::size_t max_meta_bytes = 16 * 1024;  // serialized `meta`
  int max_json_depth = 64;
  std::size_t max_batch = 512;             // requests committed in one transaction
};

struct DatabaseConfig {
  int busy_timeout_ms = 10000;
  bool synchronous_full = false;  // "full" survives power loss, "normal" a crash
};

struct LogConfig {
  std::string level = "info";
  bool to_stderr = false;
  std::size_t max_file_bytes = 5 * 1024 * 1024;
  int max_files = 3;
};

struct SyncConfig {
  bool enabled = true;
  std::vector<std::string> origins;  // admin-configured chat app origins
  std::string token_file;            // admin bearer token for `vidkeep sync`
  std::string extra_ca_file;         // trusted in addition to the system store
  int backoff_base_ms = 2000;
  int backoff_cap_ms = 30 * 60 * 1000;
  int connect_timeout_ms = 10000;
  int request_timeout_ms = 30000;
  int lease_ms = 60000;
  int max_in_flight = 4;
  /// `vidkeep sync`: a retry due later than this from now is left for later.
  int drain_wait_ms = 60000;
  /// Where the chat app says who is signed in (docs/protocol-extensions.md
  /// "`configure` answers the account"); "" turns the lookup off.
  std::string session_path = "/api/auth/session";
  /// Sends of one video that end in a retryable failure (408, 429, 5xx,
  /// network) before it is `failed`; `resync` starts over.
  int max_attempts = 8;
  // The real chat app (issue 12, docs/protocol-extensions.md).
  /// Chat ids the app accepts (ECMAScript regex, whole id, case-insensitive);
  /// "" accepts any. Others are never sent.
  std::string chat_id_pattern = std::string(kUuidPattern);
  int app_save_grace_ms = 15000;  // a new video waits this long for the app's own save
  int app_save_wait_ms = 60000;   // the app said it is saving: wait this long for its answer

  static constexpr const char* kUuidPattern =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
};

/// The media cache (issue 7, docs/media.md).
struct MediaConfig {
  bool enabled = true;
  std::uint64_t quota_bytes = 5ULL << 30;     // all cached files together
  std::uint64_t max_file_bytes = 1ULL << 30;  // one download
  int max_downloads = 2;                      // at once, per process
  bool allow_http = false;                // plain http, only to loopback (tests)
  bool allow_private_addresses = false;   // loopback, private, link-local targets
  int connect_timeout_ms = 10000;
  int stall_timeout_ms = 30000;  // no byte for this long ends a download
  int lease_ms = 60000;          // renewed while a download makes progress
  int backoff_base_ms = 5000;
  int backoff_cap_ms = 6 * 60 * 60 * 1000;
  int max_attempts = 8;  // then `failed` until `media_fetch` or `vidkeep cache fetch`
  /// `vidkeep cache fetch`: a retry due later than this from now is left for later.
  int drain_wait_ms = 2000;
};

struct Config {
  std::vector<std::string> allowed_callers;  // extra extension ids/origins
  // The public development ids (caller.h) are trusted only with `dev_ids`
  // (the demo and the tests: install.sh --dev); an admin's `no_dev_id` in
  // the system config refuses them whatever a user's config says.
  bool dev_ids = false;
  bool no_dev_id = false;
  std::vector<std::string> signing_params;   // extra query names to drop when deduping
  LimitsConfig limits;
  DatabaseConfig database;
  LogConfig log;
  SyncConfig sync;
  MediaConfig media;
  std::vector<std::string> warnings;  // unknown keys, for the log and `doctor`

  /// Defaults, then `system_file`, then `user_file` (missing files are fine).
  /// A bad file or value is one error naming the file and the key.
  static Result<Config> Load(const std::string& system_file, const std::string& user_file);
  /// Applies one JSON document's keys over this config.
  Status Apply(const std::string& json_text, const std::string& source_name);
};

}  // namespace vidkeep
