// `vidkeep export`: every saved video as JSON, CSV or a self-contained HTML
// gallery page; with `--with-media`, an offline folder that plays the cached
// files (issue 7).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"
#include "status.h"
#include "store.h"

namespace vidkeep {

class MediaFiles;

enum class ExportFormat { kJson, kCsv, kHtml };

std::optional<ExportFormat> ParseExportFormat(std::string_view name);

/// Writes every video in `store`, oldest first, to `out`.
Status ExportVideos(Store& store, ExportFormat format, std::ostream& out);

/// What ExportWithMedia wrote.
struct MediaExportReport {
  std::int64_t videos = 0;
  std::int64_t local_videos = 0;  // videos whose video file is in the folder
  std::int64_t files = 0;         // distinct files in DIR/media
  std::int64_t linked = 0;        // of them, hard links to the cache
  std::int64_t copied = 0;        // of them, copies (another file system)
  std::int64_t bytes = 0;
  std::vector<std::string> damaged;  // "video_id kind: why", left out
};

/// Writes an offline copy of every video to the folder `dir`: index.html (a
/// gallery that plays the local files: no script, nothing loaded from
/// elsewhere), media/<sha256>.<ext> for every cached file (a hard link to the
/// cache on the same file system, else a copy; either way checked against
/// its SHA-256, a damaged one is left out) and videos.json (the JSON export
/// of the same records). `dir` must be absent or empty unless `force`.
/// Reads `store` and the cache; changes neither.
Result<MediaExportReport> ExportWithMedia(Store& store, const MediaFiles& files,
                                          const std::string& dir, bool force);

/// Writes `path` through `path + ".partial"`, renamed into place only when
/// `write` succeeded, so a failed export never leaves a half-written file
/// under the real name.
Status WriteFileAtomically(const std::string& path,
                           const std::function<Status(std::ostream&)>& write);

/// The file name extension for a media content type ("video/mp4" -> "mp4",
/// "image/jpeg" -> "jpg"); "bin" when unknown.
std::string ExtensionFor(std::string_view content_type);

/// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(std::string_view text);
/// Quotes one CSV cell (RFC 4180), defusing spreadsheet formulas: a cell that
/// starts with = + - @ gets a leading apostrophe.
std::string CsvCell(std::string_view text);

/// What libavformat said of a video: "2.0 s, 320x240, h264 + aac, mp4"
/// (missing parts left out; "" when nothing is known).
std::string DescribeFacts(const MediaFacts& facts);

}  // namespace vidkeep
