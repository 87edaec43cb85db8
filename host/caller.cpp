#include "caller.h"

#include <algorithm>

namespace vidkeep {

namespace {
bool IsChromiumId(const std::string& s) {
  return s.size() == 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'p'; });
}
}  // namespace

std::string CallerFromArgs(const std::vector<std::string>& args) {
  if (args.size() >= 2 && args[1].starts_with("chrome-extension://")) return args[1];
  if (args.size() >= 3 && !args[2].starts_with("--")) return args[2];
  return {};
}

std::string NormalizeCaller(const std::string& entry) {
  if (IsChromiumId(entry)) return "chrome-extension://" + entry + "/";
  if (entry.starts_with("chrome-extension://") && !entry.ends_with("/")) return entry + "/";
  return entry;
}

bool DevIdsTrusted(const Config& config) { return config.dev_ids && !config.no_dev_id; }

std::vector<std::string> AllowedCallers(const Config& config) {
  std::vector<std::string> allowed;
  if (DevIdsTrusted(config)) {
    allowed.emplace_back(kDevChromiumCaller);
    allowed.emplace_back(kDevFirefoxCaller);
  }
  for (const auto& entry : config.allowed_callers) allowed.push_back(NormalizeCaller(entry));
  return allowed;
}

bool IsCallerAllowed(const std::string& caller, const Config& config) {
  if (caller.empty()) return false;
  const auto allowed = AllowedCallers(config);
  return std::find(allowed.begin(), allowed.end(), NormalizeCaller(caller)) != allowed.end();
}

}  // namespace vidkeep
