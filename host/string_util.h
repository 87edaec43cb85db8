// Small text helpers every module used to write for itself (issue 16, item
// 6): one spelling each, so two messages never show the same size two ways.
// (Not "strings.h": host/ is on the include path, and glibc's <string.h>
// includes POSIX <strings.h>.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vidkeep {

/// `s` with ASCII letters lowercased; other bytes (UTF-8 included) unchanged.
/// For case-insensitive protocol tokens: schemes, hosts, media types, file
/// extensions.
std::string Lower(std::string_view s);

/// `s` without leading and trailing spaces and tabs (HTTP's optional
/// whitespace, RFC 9110 section 5.6.3). A view into `s`.
std::string_view Trim(std::string_view s);

/// A byte count for people, in powers of 1024: "512 B", "12.3 KiB",
/// "5.2 MiB", "1.50 GiB" (two decimals from GiB up, where quotas live).
/// The one format of the CLI, the export page and the media errors.
std::string FormatBytes(std::int64_t bytes);

}  // namespace vidkeep
