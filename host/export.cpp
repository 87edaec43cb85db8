#include "export.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include "file_io.h"
#include "media_cache.h"
#include "protocol.h"
#include "string_util.h"

namespace vidkeep {

namespace {

namespace fs = std::filesystem;

using Visit = std::function<void(const VideoRecord&)>;
/// Calls its argument for every video, oldest first: the store, or records
/// read from it before.
using Records = std::function<Status(const Visit&)>;

Records FromStore(Store& store) {
  return [&store](const Visit& visit) { return store.ForEach(visit); };
}

void WriteJson(const Records& records, std::ostream& out, Status& status) {
  out << "[";
  bool first = true;
  status = records([&](const VideoRecord& r) {
    out << (first ? "\n  " : ",\n  ") << Dump(RecordToJson(r));
    first = false;
  });
  out << (first ? "]\n" : "\n]\n");
}

void WriteCsv(Store& store, std::ostream& out, Status& status) {
  out << "video_id,created_at,sync,source,chat_id,prompt,url,thumbnail_url,page_url,"
         "sync_attempts,last_error,account_id,account_label,app_message_id\r\n";
  status = store.ForEach([&](const VideoRecord& r) {
    const std::string cells[] = {r.video_id,          r.created_at,
                                 std::string(ToString(r.sync)),
                                 std::string(ToString(r.video.source)),
                                 r.video.chat_id,     r.video.prompt,
                                 r.video.url,         r.video.thumbnail_url,
                                 r.video.page_url,    std::to_string(r.sync_attempts),
                                 r.last_error,        r.video.account_id,
                                 r.video.account_label, r.app_message_id};
    bool first = true;
    for (const auto& cell : cells) {
      if (!first) out << ',';
      out << CsvCell(cell);
      first = false;
    }
    out << "\r\n";
  });
}

// The online page may load the videos from their links; the offline one
// only from its own folder.
constexpr const char* kOnlineCsp =
    "default-src 'none'; img-src https: http: data:; media-src https: http:; style-src 'unsafe-inline'";
constexpr const char* kOfflineCsp =
    "default-src 'none'; img-src 'self' file:; media-src 'self' file:; style-src 'unsafe-inline'";

constexpr const char* kHtmlStyle = R"html(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;background:#f6f7f9;color:#1d2330}
h1{font-size:20px;margin:0 0 4px}p.sub{color:#5b6475;margin:0 0 20px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:16px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 3px #0002;overflow:hidden}
video{width:100%;aspect-ratio:16/9;background:#111;display:block}
.body{padding:10px 12px}.prompt{margin:0 0 6px;overflow-wrap:anywhere}
.meta{color:#5b6475;font-size:12px}.badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;background:#e6e9ef}
.synced{background:#d9f2e3;color:#176b3a}.failed,.auth_required{background:#fbe0e0;color:#8a1c1c}.pending{background:#fff1cc;color:#7a5400}
.saved_by_app{background:#dde8fb;color:#1d3f8a}
a{color:#2456c7}
)html";

// Offline cards: a poster or a plain box where the video has no local copy.
constexpr const char* kOfflineStyle =
    ".missing{width:100%;aspect-ratio:16/9;background:#2b2f38;color:#e6e9ef;display:flex;"
    "align-items:center;justify-content:center;position:relative;overflow:hidden}\n"
    ".missing img{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;opacity:.45}\n"
    ".missing span{position:relative;font-weight:600}.note{color:#8a1c1c;overflow-wrap:anywhere}\n";

std::string HtmlHead(const char* csp, const char* extra_style = "") {
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n"
      "<title>vidkeep — saved videos</title>\n<style>{}{}</style></head><body>\n",
      csp, kHtmlStyle, extra_style);
}

// The sync badge, date, source and chat link of a card.
std::string CardMeta(const VideoRecord& r) {
  const std::string sync(ToString(r.sync));
  std::string meta = "<span class=\"badge " + sync + "\">" + sync + "</span> " +
                     HtmlEscape(r.created_at) + " · " + std::string(ToString(r.video.source));
  if (!r.app_message_id.empty())
    meta += " · app message " + HtmlEscape(r.app_message_id);
  if (!r.video.account_id.empty())
    meta += " · " + HtmlEscape(r.video.account_label.empty() ? r.video.account_id : r.video.account_label);
  if (!r.video.page_url.empty())
    meta += " · <a href=\"" + HtmlEscape(r.video.page_url) + "\">chat</a>";
  return meta;
}

std::string PromptOf(const VideoRecord& r) {
  return HtmlEscape(r.video.prompt.empty() ? "(no prompt)" : r.video.prompt);
}

// The page around the cards, newest first as everywhere else in vidkeep.
void WriteGallery(std::ostream& out, const std::string& head, const std::string& subtitle,
                  const std::vector<std::string>& cards) {
  out << head << "<h1>Saved videos</h1><p class=\"sub\">" << subtitle
      << "</p>\n<div class=\"grid\">\n";
  for (auto it = cards.rbegin(); it != cards.rend(); ++it) out << *it;
  out << "</div></body></html>\n";
}

void WriteHtml(Store& store, std::ostream& out, Status& status) {
  std::vector<std::string> cards;
  status = store.ForEach([&](const VideoRecord& r) {
    std::string card = "<div class=\"card\"><video controls preload=\"none\" src=\"" +
                       HtmlEscape(r.video.url) + "\"";
    if (!r.video.thumbnail_url.empty())
      card += " poster=\"" + HtmlEscape(r.video.thumbnail_url) + "\"";
    card += "></video><div class=\"body\"><p class=\"prompt\">" + PromptOf(r) +
            "</p><div class=\"meta\">" + CardMeta(r) + " · <a href=\"" + HtmlEscape(r.video.url) +
            "\">video</a></div></div></div>\n";
    cards.push_back(std::move(card));
  });
  WriteGallery(out, HtmlHead(kOnlineCsp),
               fmt::format("{} videos exported by vidkeep {}", cards.size(), NowUtc()), cards);
}

// ------------------------------------------------------ export --with-media

// Where a video's files are in the export folder (relative paths; empty: no
// local copy) and, without a video file, why.
struct LocalCopy {
  std::string video, thumbnail, why;
};

// Creates `dir`/media; refuses a folder that holds something unless `force`.
Status PrepareFolder(const std::string& dir, bool force) {
  std::error_code ec;
  if (fs::exists(FsPath(dir), ec)) {
    if (!fs::is_directory(FsPath(dir), ec)) return Status::BadRequest(dir + " is not a folder");
    if (!force && !fs::is_empty(FsPath(dir), ec))
      return Status::BadRequest(dir + " is not empty; pass --force to write into it anyway");
  }
  fs::create_directories(FsPath(dir + "/media"), ec);
  if (ec) return Status::Unavailable("cannot create " + dir + "/media: " + ec.message());
  return {};
}

enum class Placement { kLinked, kCopied, kMissing };

// Puts the cache's files into DIR/media under their hash, each distinct file
// once, and counts them in `report`.
class MediaPlacer {
 public:
  MediaPlacer(const MediaFiles& files, std::string dir, MediaExportReport& report)
      : files_(files), dir_(std::move(dir)), report_(report) {}

  /// The video's files in the folder. Fails only when the folder cannot be
  /// written; a damaged or missing cached file is no local copy.
  Result<LocalCopy> Place(const VideoRecord& r) {
    if (!r.media) return LocalCopy{{}, {}, "the cache has no record of it"};
    LocalCopy local;
    for (FileKind kind : {FileKind::kVideo, FileKind::kThumbnail}) {
      const FileCache& file = kind == FileKind::kVideo ? r.media->video : r.media->thumbnail;
      auto placed = PlaceFile(r.video_id, kind, file);
      if (!placed.ok()) return placed.status();
      (kind == FileKind::kVideo ? local.video : local.thumbnail) = *placed;
    }
    if (local.video.empty()) local.why = WhyNotLocal(r.media->video);
    return local;
  }

 private:
  Result<std::string> PlaceFile(const std::string& video_id, FileKind kind, const FileCache& file) {
    if (file.state != CacheState::kCached || file.sha256.empty()) return std::string();
    auto [it, fresh] = placed_.try_emplace(file.sha256);
    if (fresh) {
      auto placed = Put(file);
      if (!placed.ok()) return placed.status();
      it->second = *placed;
    }
    const auto& [relative, why] = it->second;
    if (!why.empty())
      report_.damaged.push_back(fmt::format("{} {}: {}", video_id, ToString(kind), why));
    return relative;
  }

  // {relative path, ""} when placed, {"", why} when the cached copy is bad.
  Result<std::pair<std::string, std::string>> Put(const FileCache& file) {
    const std::string relative = "media/" + file.sha256 + "." + ExtensionFor(file.content_type);
    const std::string target = dir_ + "/" + relative;
    const std::string temp = target + ".partial";
    std::error_code ec;
    fs::remove(FsPath(temp), ec);
    auto how = LinkOrCopy(files_.PathOf(file.sha256), temp);
    if (!how.ok()) return how.status();
    if (*how == Placement::kMissing) return Unusable("the cached file is missing");
    // A link shares the cache's bytes, a copy has its own: either way the
    // folder gets exactly what was downloaded, or nothing.
    auto hash = HashFile(temp);
    if (!hash.ok() || *hash != file.sha256) {
      fs::remove(FsPath(temp), ec);
      return Unusable("the cached file is damaged (`vidkeep cache verify` fetches it again)");
    }
    const auto size = fs::file_size(FsPath(temp), ec);
    ec = MoveReplacing(temp, target);
    if (ec) return Status::Unavailable("cannot write " + target + ": " + ec.message());
    // rename(2) does nothing when both names link the same file (an earlier
    // export linked it already): the temporary name stays behind.
    fs::remove(FsPath(temp), ec);
    ++report_.files;
    ++(*how == Placement::kLinked ? report_.linked : report_.copied);
    report_.bytes += static_cast<std::int64_t>(size);
    return std::pair{relative, std::string()};
  }

  static std::pair<std::string, std::string> Unusable(std::string why) {
    return {std::string(), std::move(why)};
  }

  // A hard link when the folder is on the cache's file system, else a copy.
  static Result<Placement> LinkOrCopy(const std::string& source, const std::string& temp) {
    std::error_code ec;
    if (!fs::exists(FsPath(source), ec)) return Placement::kMissing;
    fs::create_hard_link(FsPath(source), FsPath(temp), ec);
    if (!ec) return Placement::kLinked;
    // EXDEV (another file system), or one without hard links.
    if (fs::copy_file(FsPath(source), FsPath(temp), fs::copy_options::overwrite_existing, ec))
      return Placement::kCopied;
    if (!fs::exists(FsPath(source))) return Placement::kMissing;
    return Status::Unavailable("cannot copy " + source + " to " + temp + ": " + ec.message());
  }

  static std::string WhyNotLocal(const FileCache& file) {
    if (file.state == CacheState::kCached) return "the cached file is damaged";
    if (!file.error.empty()) return file.error;
    switch (file.state) {
      case CacheState::kDownloading: return "still downloading";
      case CacheState::kFailed: return "the download failed";
      default: return "not downloaded yet";
    }
  }

  const MediaFiles& files_;
  std::string dir_;
  MediaExportReport& report_;
  std::map<std::string, std::pair<std::string, std::string>> placed_;  // sha256 -> Put's answer
};

std::string OfflineCard(const VideoRecord& r, const LocalCopy& local) {
  const std::string url = HtmlEscape(r.video.url);
  std::string card = "<div class=\"card\">";
  if (!local.video.empty()) {
    card += "<video controls preload=\"metadata\" src=\"" + HtmlEscape(local.video) + "\"";
    if (!local.thumbnail.empty()) card += " poster=\"" + HtmlEscape(local.thumbnail) + "\"";
    card += "></video>";
  } else {
    card += "<div class=\"missing\">";
    if (!local.thumbnail.empty())
      card += "<img alt=\"\" src=\"" + HtmlEscape(local.thumbnail) + "\">";
    card += "<span>no local copy</span></div>";
  }
  card += "<div class=\"body\"><p class=\"prompt\">" + PromptOf(r) + "</p><div class=\"meta\">" +
          CardMeta(r) + "</div>";
  if (!local.video.empty()) {
    std::string facts = r.media && r.media->info ? DescribeFacts(*r.media->info) : "";
    if (!facts.empty()) facts += ", ";
    card += "<div class=\"meta\">" + HtmlEscape(facts + FormatBytes(r.media->video.bytes)) +
            " · <a href=\"" + url + "\">original link</a></div>";
  } else {
    card += "<div class=\"meta note\">No local copy (" + HtmlEscape(local.why) +
            "). The original link, which may have expired: <a href=\"" + url + "\">" + url +
            "</a></div>";
  }
  return card + "</div></div>\n";
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
    case ExportFormat::kJson: WriteJson(FromStore(store), out, status); break;
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
  // A spreadsheet reads a cell starting with one of these as a formula; TAB
  // and CR too (they are skipped before the '=' some apps look for).
  if (!cell.empty() && std::string_view("=+-@\t\r").find(cell[0]) != std::string_view::npos)
    cell.insert(0, "'");
  if (cell.find_first_of(",\"\r\n") == std::string::npos && cell == text) return cell;
  std::string out = "\"";
  for (char c : cell) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

Result<MediaExportReport> ExportWithMedia(Store& store, const MediaFiles& files,
                                          const std::string& dir, bool force) {
  if (Status s = PrepareFolder(dir, force); !s.ok()) return s;
  // Read once: the page, the files and videos.json tell of the same videos
  // while a host may save more.
  std::vector<VideoRecord> records;
  if (Status s = store.ForEach([&](const VideoRecord& r) { records.push_back(r); }); !s.ok())
    return s;
  MediaExportReport report;
  report.videos = static_cast<std::int64_t>(records.size());
  MediaPlacer placer(files, dir, report);
  std::vector<std::string> cards;
  for (const auto& r : records) {
    auto local = placer.Place(r);
    if (!local.ok()) return local.status();
    if (!local->video.empty()) ++report.local_videos;
    cards.push_back(OfflineCard(r, *local));
  }
  const Records read = [&](const Visit& visit) {
    for (const auto& r : records) visit(r);
    return Status();
  };
  Status s = WriteFileAtomically(dir + "/videos.json", [&](std::ostream& out) {
    Status written;
    WriteJson(read, out, written);
    return written;
  });
  if (!s.ok()) return s;
  const std::string subtitle =
      fmt::format("{} videos, {} with a local copy, exported by vidkeep {}", report.videos,
                  report.local_videos, NowUtc());
  s = WriteFileAtomically(dir + "/index.html", [&](std::ostream& out) {
    WriteGallery(out, HtmlHead(kOfflineCsp, kOfflineStyle), subtitle, cards);
    return Status();
  });
  if (!s.ok()) return s;
  return report;
}

Status WriteFileAtomically(const std::string& path,
                           const std::function<Status(std::ostream&)>& write) {
  const std::string temp = path + ".partial";
  {
    std::ofstream out(FsPath(temp), std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable("cannot write " + temp);
    Status s = write(out);
    out.close();
    if (s.ok() && !out) s = Status::Unavailable("writing " + temp + " failed");
    if (!s.ok()) {
      RemoveFile(temp);
      return s;
    }
  }
  if (std::error_code ec = MoveReplacing(temp, path))
    return Status::Unavailable("cannot rename to " + path + ": " + ec.message());
  return {};
}

std::string ExtensionFor(std::string_view content_type) {
  static const std::map<std::string_view, std::string_view> kByType = {
      {"video/mp4", "mp4"},        {"video/webm", "webm"},     {"video/quicktime", "mov"},
      {"video/x-matroska", "mkv"}, {"video/ogg", "ogv"},       {"video/3gpp", "3gp"},
      {"video/3gpp2", "3g2"},      {"video/x-msvideo", "avi"}, {"video/x-flv", "flv"},
      {"video/mp2t", "ts"},        {"image/jpeg", "jpg"},      {"image/png", "png"},
      {"image/webp", "webp"},      {"image/gif", "gif"},       {"image/avif", "avif"},
      {"image/heic", "heic"},      {"image/heif", "heif"}};
  const std::string type = Lower(Trim(content_type.substr(0, content_type.find(';'))));
  auto it = kByType.find(type);
  return std::string(it == kByType.end() ? "bin" : it->second);
}

std::string DescribeFacts(const MediaFacts& facts) {
  std::vector<std::string> parts;
  if (facts.duration_s) parts.push_back(fmt::format("{:.1f} s", *facts.duration_s));
  if (facts.width && facts.height) parts.push_back(fmt::format("{}x{}", *facts.width, *facts.height));
  std::string codecs = facts.video_codec;
  if (!facts.audio_codec.empty()) codecs += (codecs.empty() ? "" : " + ") + facts.audio_codec;
  if (!codecs.empty()) parts.push_back(codecs);
  if (!facts.container.empty()) parts.push_back(facts.container);
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace vidkeep
