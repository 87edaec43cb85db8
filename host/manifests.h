// The native messaging host manifests, rendered from the templates in
// manifests/ exactly as installer/install.sh renders them (manifests/README.md),
// for the installers written in C++ (`vidkeep install --user` on Windows).
#pragma once

#include <string>
#include <vector>

#include "doctor.h"
#include "status.h"

namespace vidkeep {

/// Who may start the host: Chromium origins and Firefox extension ids.
struct AllowedExtensions {
  std::vector<std::string> chromium_origins;  // "chrome-extension://<id>/"
  std::vector<std::string> gecko_ids;         // "name@domain" or "{uuid}"
};

/// The development ids unless `no_dev_id`, then each of `ids`: a Chromium id
/// (32 letters a-p, or chrome-extension://<id>/) or a Firefox id
/// (name@domain or {uuid}); anything else is kBadRequest. No duplicates.
Result<AllowedExtensions> CollectExtensionIds(const std::vector<std::string>& ids, bool no_dev_id);

/// The manifest for `family`, with `host_path` and the family's ids
/// (JSON-escaped: a Windows path has backslashes).
std::string RenderManifest(BrowserFamily family, const std::string& host_path, const AllowedExtensions& ids);

}  // namespace vidkeep
