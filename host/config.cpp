#include "config.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include "env.h"
#include "file_io.h"
#include "platform.h"

namespace vidkeep {

namespace {

using nlohmann::json;

// Reads typed keys out of one config document, naming the file and the
// dotted key in every error.
class Reader {
 public:
  Reader(const json& doc, std::string source) : doc_(doc), source_(std::move(source)) {}

  Status Error(const std::string& key, const std::string& what) const {
    return Status::BadRequest(fmt::format("config {}: '{}' {}", source_, key, what));
  }

  const json* Find(const std::string& dotted) const {
    const json* node = &doc_;
    std::size_t start = 0;
    while (true) {
      const auto dot = dotted.find('.', start);
      const std::string part = dotted.substr(start, dot - start);
      if (!node->is_object()) return nullptr;
      auto it = node->find(part);
      if (it == node->end()) return nullptr;
      node = &*it;
      if (dot == std::string::npos) return node;
      start = dot + 1;
    }
  }

  Status Bool(const std::string& key, bool& out) const {
    const json* v = Find(key);
    if (!v) return {};
    if (!v->is_boolean()) return Error(key, "must be true or false");
    out = v->get<bool>();
    return {};
  }

  template <typename Int>
  Status Integer(const std::string& key, Int& out, long long min, long long max) const {
    const json* v = Find(key);
    if (!v) return {};
    if (!v->is_number_integer()) return Error(key, "must be a whole number");
    const long long n = v->get<long long>();
    if (n < min || n > max)
      return Error(key, fmt::format("must be between {} and {} (got {})", min, max, n));
    out = static_cast<Int>(n);
    return {};
  }

  Status String(const std::string& key, std::string& out) const {
    const json* v = Find(key);
    if (!v) return {};
    if (!v->is_string()) return Error(key, "must be a string");
    out = v->get<std::string>();
    return {};
  }

  Status Strings(const std::string& key, std::vector<std::string>& out) const {
    const json* v = Find(key);
    if (!v) return {};
    if (!v->is_array()) return Error(key, "must be a list of strings");
    std::vector<std::string> list;
    for (const auto& item : *v) {
      if (!item.is_string()) return Error(key, "must be a list of strings");
      list.push_back(item.get<std::string>());
    }
    out = std::move(list);
    return {};
  }

 private:
  const json& doc_;
  std::string source_;
};

// Every key the config knows, for the unknown-key warnings.
const char* const kKnownKeys[] = {
    "allowed_callers", "dev_ids", "no_dev_id", "signing_params",
    "limits.max_frame_bytes", "limits.max_url_bytes", "limits.max_prompt_bytes",
    "limits.max_text_bytes", "limits.max_meta_bytes", "limits.max_json_depth",
    "limits.max_batch",
    "database.busy_timeout_ms", "database.synchronous",
    "log.level", "log.stderr", "log.max_file_bytes", "log.max_files",
    "sync.enabled", "sync.origins", "sync.token_file", "sync.extra_ca_file",
    "sync.backoff_base_ms", "sync.backoff_cap_ms", "sync.connect_timeout_ms",
    "sync.request_timeout_ms", "sync.lease_ms", "sync.max_in_flight", "sync.drain_wait_ms",
    "sync.session_path", "sync.max_attempts",
    "sync.chat_id_pattern", "sync.app_save_grace_ms", "sync.app_save_wait_ms",
    "media.enabled", "media.quota_bytes", "media.max_file_bytes", "media.max_downloads",
    "media.allow_http", "media.allow_private_addresses", "media.connect_timeout_ms",
    "media.stall_timeout_ms", "media.lease_ms", "media.backoff_base_ms",
    "media.backoff_cap_ms", "media.max_attempts", "media.drain_wait_ms"};

void CollectUnknown(const json& node, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& [key, value] : node.items()) {
    const std::string dotted = prefix.empty() ? key : prefix + "." + key;
    bool known = false, is_section = false;
    for (const char* k : kKnownKeys) {
      if (dotted == k) known = true;
      if (std::string_view(k).starts_with(dotted + ".")) is_section = true;
    }
    if (is_section && value.is_object())
      CollectUnknown(value, dotted, out);
    else if (!known && !is_section)
      out.push_back(dotted);
  }
}

}  // namespace

Result<Paths> Paths::FromEnvironment() {
  Paths p;
  p.system_config = EnvOr("VIDKEEP_SYSTEM_CONFIG", DefaultSystemConfig());
  const std::string home_root = EnvOr("VIDKEEP_HOME", "");
  if (!home_root.empty()) {
    p.data_dir = p.config_dir = home_root;
    p.state_dir = home_root + "/log";
  } else {
    auto defaults = PlatformLocations();
    if (!defaults.ok()) return defaults.status();
    p.data_dir = defaults->data_dir;
    p.config_dir = defaults->config_dir;
    p.state_dir = defaults->state_dir;
  }
  p.database = p.data_dir + "/vidkeep.db";
  p.user_config = p.config_dir + "/config.json";
  p.log_file = p.state_dir + "/host.log";
  return p;
}

Status Paths::CreateDirectories() const {
  for (const std::string& dir : {data_dir, state_dir}) {
    if (Status s = MakePrivateDirs(dir); !s.ok()) return s;
    if (Status s = CheckPrivateDir(dir); !s.ok()) return s;
  }
  return {};
}

Status Config::Apply(const std::string& json_text, const std::string& source_name) {
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::BadRequest(fmt::format("config {}: not valid JSON", source_name));
  if (!doc.is_object()) return Status::BadRequest(fmt::format("config {}: must be a JSON object", source_name));
  Reader r(doc, source_name);
  constexpr long long kMaxInt = std::numeric_limits<int>::max();
  Status s;
  auto check = [&](Status next) {
    if (s.ok()) s = std::move(next);
  };
  check(r.Strings("allowed_callers", allowed_callers));
  check(r.Bool("dev_ids", dev_ids));
  check(r.Bool("no_dev_id", no_dev_id));
  check(r.Strings("signing_params", signing_params));
  // Upper bounds keep one stored record well under the 1 MiB answer limit.
  check(r.Integer("limits.max_frame_bytes", limits.max_frame_bytes, 1024, 256LL << 20));
  check(r.Integer("limits.max_url_bytes", limits.max_url_bytes, 256, 64 * 1024));
  check(r.Integer("limits.max_prompt_bytes", limits.max_prompt_bytes, 0, 256 * 1024));
  check(r.Integer("limits.max_text_bytes", limits.max_text_bytes, 256, 64 * 1024));
  check(r.Integer("limits.max_meta_bytes", limits.max_meta_bytes, 2, 64 * 1024));
  check(r.Integer("limits.max_json_depth", limits.max_json_depth, 4, 1000));
  check(r.Integer("limits.max_batch", limits.max_batch, 1, 100000));
  check(r.Integer("database.busy_timeout_ms", database.busy_timeout_ms, 0, kMaxInt));
  if (const json* v = r.Find("database.synchronous")) {
    if (v->is_string() && (*v == "normal" || *v == "full"))
      database.synchronous_full = (*v == "full");
    else
      check(r.Error("database.synchronous", "must be \"normal\" or \"full\""));
  }
  check(r.String("log.level", log.level));
  if (!(log.level == "trace" || log.level == "debug" || log.level == "info" ||
        log.level == "warn" || log.level == "error" || log.level == "off"))
    check(r.Error("log.level", "must be one of trace, debug, info, warn, error, off"));
  check(r.Bool("log.stderr", log.to_stderr));
  check(r.Integer("log.max_file_bytes", log.max_file_bytes, 64 * 1024, 1LL << 30));
  check(r.Integer("log.max_files", log.max_files, 1, 100));
  check(r.Bool("sync.enabled", sync.enabled));
  check(r.Strings("sync.origins", sync.origins));
  check(r.String("sync.token_file", sync.token_file));
  check(r.String("sync.extra_ca_file", sync.extra_ca_file));
  check(r.Integer("sync.backoff_base_ms", sync.backoff_base_ms, 1, kMaxInt));
  check(r.Integer("sync.backoff_cap_ms", sync.backoff_cap_ms, 1, kMaxInt));
  check(r.Integer("sync.connect_timeout_ms", sync.connect_timeout_ms, 1, kMaxInt));
  check(r.Integer("sync.request_timeout_ms", sync.request_timeout_ms, 1, kMaxInt));
  check(r.Integer("sync.lease_ms", sync.lease_ms, 100, kMaxInt));
  check(r.Integer("sync.max_in_flight", sync.max_in_flight, 1, 64));
  check(r.Integer("sync.drain_wait_ms", sync.drain_wait_ms, 0, kMaxInt));
  check(r.String("sync.session_path", sync.session_path));
  if (!sync.session_path.empty() &&
      (sync.session_path[0] != '/' || sync.session_path.find_first_of(" \r\n#") != std::string::npos))
    check(r.Error("sync.session_path", "must be a path starting with / (or \"\" for none)"));
  check(r.Integer("sync.max_attempts", sync.max_attempts, 1, 1000));
  check(r.String("sync.chat_id_pattern", sync.chat_id_pattern));
  if (r.Find("sync.chat_id_pattern") && !sync.chat_id_pattern.empty()) {
    try {
      std::regex(sync.chat_id_pattern, std::regex::ECMAScript | std::regex::icase);
    } catch (const std::regex_error& e) {
      check(r.Error("sync.chat_id_pattern", fmt::format("is not a valid regular expression ({})", e.what())));
    }
  }
  check(r.Integer("sync.app_save_grace_ms", sync.app_save_grace_ms, 0, 24 * 3600 * 1000));
  check(r.Integer("sync.app_save_wait_ms", sync.app_save_wait_ms, 0, 24 * 3600 * 1000));
  check(r.Bool("media.enabled", media.enabled));
  check(r.Integer("media.quota_bytes", media.quota_bytes, 0, 1LL << 50));
  check(r.Integer("media.max_file_bytes", media.max_file_bytes, 1024, 1LL << 40));
  check(r.Integer("media.max_downloads", media.max_downloads, 1, 16));
  check(r.Bool("media.allow_http", media.allow_http));
  check(r.Bool("media.allow_private_addresses", media.allow_private_addresses));
  check(r.Integer("media.connect_timeout_ms", media.connect_timeout_ms, 1, kMaxInt));
  check(r.Integer("media.stall_timeout_ms", media.stall_timeout_ms, 1, kMaxInt));
  check(r.Integer("media.lease_ms", media.lease_ms, 100, kMaxInt));
  check(r.Integer("media.backoff_base_ms", media.backoff_base_ms, 1, kMaxInt));
  check(r.Integer("media.backoff_cap_ms", media.backoff_cap_ms, 1, kMaxInt));
  check(r.Integer("media.max_attempts", media.max_attempts, 1, 1000));
  check(r.Integer("media.drain_wait_ms", media.drain_wait_ms, 0, kMaxInt));
  if (!s.ok()) return s;

  std::vector<std::string> unknown;
  CollectUnknown(doc, "", unknown);
  for (const auto& key : unknown)
    warnings.push_back(fmt::format("config {}: unknown key '{}' ignored", source_name, key));
  return {};
}

Result<Config> Config::Load(const std::string& system_file, const std::string& user_file) {
  Config config;
  bool admin_no_dev_id = false;
  const std::string files[] = {system_file, user_file};
  for (const std::string& file : files) {
    std::error_code ec;
    if (file.empty() || !std::filesystem::exists(FsPath(file), ec)) continue;
    std::ifstream in(FsPath(file), std::ios::binary);
    if (!in) return Status::BadRequest(fmt::format("config {}: cannot be read", file));
    std::ostringstream text;
    text << in.rdbuf();
    if (Status s = config.Apply(text.str(), file); !s.ok()) return s;
    if (&file == &files[0]) admin_no_dev_id = config.no_dev_id;
  }
  // An admin's refusal of the development ids is not the user's to undo.
  if (admin_no_dev_id && !config.no_dev_id)
    config.warnings.push_back(fmt::format(
        "config {}: 'no_dev_id' is true in the system config {}; the user's false is ignored",
        user_file, system_file));
  config.no_dev_id = config.no_dev_id || admin_no_dev_id;
  return config;
}

}  // namespace vidkeep
