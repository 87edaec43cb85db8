// The chat app's side of the wire (PROTOCOL.md section 4): the body of
// POST /api/save-message for one video.
#pragma once

#include <string>
#include <string_view>

#include "model.h"

namespace vidkeep {

inline constexpr const char* kSaveMessagePath = "/api/save-message";

/// `{"chatId": …, "message": {…}}` for `record`.
std::string SaveMessageBody(const VideoRecord& record);

/// `content` and the text part: `Generated video: "<prompt>"` (or
/// `Generated video` without one), a blank line, and the stored full URL.
std::string MessageText(const VideoRecord& record);

/// The attachment name: the prompt when it has at most 50 characters (code
/// points), else its first 50 followed by "..."; "Generated video" without one.
std::string AttachmentName(std::string_view prompt);

/// The video's MIME type: a `video/…` content type the page reported in
/// `meta`, else one inferred from the URL path's extension, else video/mp4.
std::string VideoContentType(const VideoRecord& record);

}  // namespace vidkeep
