// `vidkeep export`: every saved video as JSON, CSV or a self-contained HTML
// gallery page.
#pragma once

#include <optional>
#include <ostream>
#include <string_view>

#include "status.h"
#include "store.h"

namespace vidkeep {

enum class ExportFormat { kJson, kCsv, kHtml };

std::optional<ExportFormat> ParseExportFormat(std::string_view name);

/// Writes every video in `store`, oldest first, to `out`.
Status ExportVideos(Store& store, ExportFormat format, std::ostream& out);

/// Escapes text for HTML element content and quoted attribute values.
std::string HtmlEscape(std::string_view text);
/// Quotes one CSV cell (RFC 4180), defusing spreadsheet formulas: a cell that
/// starts with = + - @ gets a leading apostrophe.
std::string CsvCell(std::string_view text);

}  // namespace vidkeep
