// Who started the host: browsers name the calling extension on the command
// line, and only allowed extensions may use it (PROTOCOL.md section 1).
#pragma once

#include <string>
#include <vector>

#include "config.h"

namespace vidkeep {

inline constexpr const char* kDevChromiumCaller = "chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/";
inline constexpr const char* kDevFirefoxCaller = "vidkeep@vidkeep.org";

/// The caller named by a browser's arguments: Chromium passes
/// `chrome-extension://<id>/` first; Firefox passes the manifest path, then
/// the extension id. Empty when neither shape is present.
std::string CallerFromArgs(const std::vector<std::string>& args);

/// Normalizes an allowed-list entry: a bare 32-letter Chromium id becomes its
/// `chrome-extension://<id>/` origin; anything else is kept as written.
std::string NormalizeCaller(const std::string& entry);

/// The callers this config allows: the development ids unless `no_dev_id`,
/// plus `allowed_callers`.
std::vector<std::string> AllowedCallers(const Config& config);

bool IsCallerAllowed(const std::string& caller, const Config& config);

}  // namespace vidkeep
