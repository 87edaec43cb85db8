#include "save_message.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "protocol.h"
#include "string_util.h"

namespace vidkeep {

namespace {

std::string LowerPathExtension(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
  return Lower(path.substr(dot + 1));
}

}  // namespace

std::string AttachmentName(std::string_view prompt) {
  if (prompt.empty()) return "Generated video";
  constexpr std::size_t kMaxChars = 50;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < prompt.size(); ++i) {
    if ((static_cast<unsigned char>(prompt[i]) & 0xc0) == 0x80) continue;  // continuation byte
    if (chars == kMaxChars) return std::string(prompt.substr(0, i)) + "...";
    ++chars;
  }
  return std::string(prompt);
}

std::string VideoContentType(const VideoRecord& record) {
  for (const char* key : {kMetaContentType, "contentType", "mediaType"}) {
    auto it = record.video.meta.find(key);
    if (it != record.video.meta.end() && it->is_string()) {
      const auto& type = it->get_ref<const std::string&>();
      if (type.starts_with("video/") && type.size() < 100 &&
          type.find_first_of("\r\n\"") == std::string::npos)
        return type;
    }
  }
  const std::string ext = LowerPathExtension(record.video.url);
  if (ext == "webm") return "video/webm";
  if (ext == "mov") return "video/quicktime";
  if (ext == "mkv") return "video/x-matroska";
  if (ext == "avi") return "video/x-msvideo";
  if (ext == "m4v") return "video/x-m4v";
  return "video/mp4";
}

std::string MessageText(const VideoRecord& r) {
  const std::string head = r.video.prompt.empty() ? std::string("Generated video")
                                                  : "Generated video: \"" + r.video.prompt + "\"";
  return head + "\n\n" + r.video.url;
}

std::string SaveMessageBody(const VideoRecord& r) {
  using nlohmann::json;
  // The link is in the text too: the TOOL version shows no attachment after
  // a reload and the WS version draws it as an empty box
  // (docs/protocol-extensions.md "Grace period, save-route answers, message text").
  const std::string text = MessageText(r);
  json attachment = {{"name", AttachmentName(r.video.prompt)},
                     {"url", r.video.url},
                     {"contentType", VideoContentType(r)}};
  if (!r.video.thumbnail_url.empty()) attachment["thumbnailUrl"] = r.video.thumbnail_url;
  json message = {{"id", r.video_id},
                  {"role", "assistant"},
                  {"content", text},
                  {"parts", json::array({{{"type", "text"}, {"text", text}}})},
                  {"attachments", json::array({attachment})},
                  {"experimental_attachments", json::array({attachment})},
                  {"createdAt", r.video.observed_at.empty() ? r.created_at : r.video.observed_at}};
  return Dump({{"chatId", r.video.chat_id}, {"message", std::move(message)}});
}

}  // namespace vidkeep
