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

/// Whether the public development ids are trusted: only when asked for
/// (`dev_ids`, written by install.sh --dev) and not refused (`no_dev_id`).
/// Anyone can build an extension with these ids (a Firefox add-on picks its
/// own id), so a default install trusts only the ids it was installed for.
bool DevIdsTrusted(const Config& config);

/// The callers this config allows: the development ids when DevIdsTrusted,
/// plus `allowed_callers`.
std::vector<std::string> AllowedCallers(const Config& config);

bool IsCallerAllowed(const std::string& caller, const Config& config);

}  // namespace vidkeep
