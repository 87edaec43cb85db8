#include "manifests.h"

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "caller.h"
#include "manifest_templates.h"

namespace vidkeep {

namespace {

void AddOnce(std::vector<std::string>& list, const std::string& item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(item);
}

void Replace(std::string& text, const std::string& placeholder, const std::string& value) {
  for (auto at = text.find(placeholder); at != std::string::npos; at = text.find(placeholder, at + value.size()))
    text.replace(at, placeholder.size(), value);
}

// install.sh's json_list: ["a", "b"].
std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + nlohmann::json(items[i]).dump();
  return out + "]";
}

}  // namespace

Result<AllowedExtensions> CollectExtensionIds(const std::vector<std::string>& ids, bool no_dev_id) {
  AllowedExtensions out;
  if (!no_dev_id) {
    AddOnce(out.chromium_origins, kDevChromiumCaller);
    AddOnce(out.gecko_ids, kDevFirefoxCaller);
  }
  static const std::regex chromium("^[a-p]{32}$");
  static const std::regex gecko(R"(^[A-Za-z0-9._+-]*@[A-Za-z0-9._-]+$|^\{[0-9a-fA-F-]{36}\}$)");
  for (std::string id : ids) {
    if (id.starts_with("chrome-extension://")) {
      id = id.substr(19);
      if (id.ends_with("/")) id.pop_back();
      if (!std::regex_match(id, chromium)) return Status::BadRequest("bad Chromium extension id '" + id + "'");
      AddOnce(out.chromium_origins, "chrome-extension://" + id + "/");
    } else if (std::regex_match(id, chromium)) {
      AddOnce(out.chromium_origins, "chrome-extension://" + id + "/");
    } else if (std::regex_match(id, gecko)) {
      AddOnce(out.gecko_ids, id);
    } else {
      return Status::BadRequest("'" + id +
                                "' is neither a Chromium id (32 letters a-p) nor a Firefox id (name@domain or {uuid})");
    }
  }
  return out;
}

std::string RenderManifest(BrowserFamily family, const std::string& host_path, const AllowedExtensions& ids) {
  const bool chromium = family == BrowserFamily::kChromium;
  std::string text = chromium ? kChromiumManifestTemplate : kFirefoxManifestTemplate;
  const std::string path = nlohmann::json(host_path).dump();  // quoted and escaped
  Replace(text, "\"@VIDKEEP_HOST_PATH@\"", path);
  Replace(text, "@VIDKEEP_ALLOWED_ORIGINS@", JsonList(ids.chromium_origins));
  Replace(text, "@VIDKEEP_ALLOWED_EXTENSIONS@", JsonList(ids.gecko_ids));
  return text;
}

}  // namespace vidkeep
