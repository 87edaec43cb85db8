#include "export.h"

#include <nlohmann/json.hpp>

#include "protocol.h"

namespace vidkeep {

namespace {

void WriteJson(Store& store, std::ostream& out, Status& status) {
  out << "[";
  bool first = true;
  status = store.ForEach([&](const VideoRecord& r) {
    out << (first ? "\n  " : ",\n  ") << Dump(RecordToJson(r));
    first = false;
  });
  out << (first ? "]\n" : "\n]\n");
}

void WriteCsv(Store& store, std::ostream& out, Status& status) {
  out << "video_id,created_at,sync,source,chat_id,prompt,url,thumbnail_url,page_url,"
         "sync_attempts,last_error\r\n";
  status = store.ForEach([&](const VideoRecord& r) {
    const std::string cells[] = {r.video_id,          r.created_at,
                                 std::string(ToString(r.sync)),
                                 std::string(ToString(r.video.source)),
                                 r.video.chat_id,     r.video.prompt,
                                 r.video.url,         r.video.thumbnail_url,
                                 r.video.page_url,    std::to_string(r.sync_attempts),
                                 r.last_error};
    bool first = true;
    for (const auto& cell : cells) {
      if (!first) out << ',';
      out << CsvCell(cell);
      first = false;
    }
    out << "\r\n";
  });
}

constexpr const char* kHtmlHead = R"html(<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src https: http: data:; media-src https: http:; style-src 'unsafe-inline'">
<title>vidkeep — saved videos</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#f6f7f9;color:#1d2330}
h1{font-size:20px;margin:0 0 4px}p.sub{color:#5b6475;margin:0 0 20px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;overflow:hidden}
video{width:100%;aspect-ratio:16/9;background:#111;display:block}
.body{padding:10px 12px}.prompt{margin:0 0 6px;overflow-wrap:anywhere}
.meta{color:#5b6475;font-size:12px}.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;background:#e6e9ef}
.synced{background:#d9f2e3;color:#176b3a}.failed,.auth_required{background:#fbe0e0;color:#8a1c1c}.pending{background:#fff1cc;color:#7a5400}
a{color:#2456c7}
</style></head><body>
)html";

void WriteHtml(Store& store, std::ostream& out, Status& status) {
  std::vector<std::string> cards;
  status = store.ForEach([&](const VideoRecord& r) {
    std::string card = "<div class=\"card\"><video controls preload=\"none\" src=\"" +
                       HtmlEscape(r.video.url) + "\"";
    if (!r.video.thumbnail_url.empty())
      card += " poster=\"" + HtmlEscape(r.video.thumbnail_url) + "\"";
    card += "></video><div class=\"body\"><p class=\"prompt\">" +
            HtmlEscape(r.video.prompt.empty() ? "(no prompt)" : r.video.prompt) +
            "</p><div class=\"meta\"><span class=\"badge " + std::string(ToString(r.sync)) + "\">" +
            std::string(ToString(r.sync)) + "</span> " + HtmlEscape(r.created_at) + " · " +
            std::string(ToString(r.video.source));
    if (!r.video.page_url.empty())
      card += " · <a href=\"" + HtmlEscape(r.video.page_url) + "\">chat</a>";
    card += " · <a href=\"" + HtmlEscape(r.video.url) + "\">video</a></div></div></div>\n";
    cards.push_back(std::move(card));
  });
  out << kHtmlHead << "<h1>Saved videos</h1><p class=\"sub\">" << cards.size()
      << " videos exported by vidkeep " << NowUtc() << "</p>\n<div class=\"grid\">\n";
  // Newest first, as everywhere else in vidkeep.
  for (auto it = cards.rbegin(); it != cards.rend(); ++it) out << *it;
  out << "</div></body></html>\n";
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "json") return ExportFormat::kJson;
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "html") return ExportFormat::kHtml;
  return std::nullopt;
}

Status ExportVideos(Store& store, ExportFormat format, std::ostream& out) {
  Status status;
  switch (format) {
    case ExportFormat::kJson: WriteJson(store, out, status); break;
    case ExportFormat::kCsv: WriteCsv(store, out, status); break;
    case ExportFormat::kHtml: WriteHtml(store, out, status); break;
  }
  if (status.ok() && !out) return Status::Unavailable("writing the export failed");
  return status;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string CsvCell(std::string_view text) {
  std::string cell(text);
  if (!cell.empty() && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@'))
    cell.insert(0, "'");
  if (cell.find_first_of(",\"\r\n") == std::string::npos && cell == text) return cell;
  std::string out = "\"";
  for (char c : cell) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace vidkeep
