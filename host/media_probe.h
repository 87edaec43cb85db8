// Media files on disk (the local copy of a video): container and stream
// metadata, and a JPEG thumbnail of one frame, with FFmpeg's C API
// (libavformat, libavcodec, libswscale, Debian 12: FFmpeg 5.1).
//
// The files come from the internet, so both functions treat them as hostile:
// libavformat reads the one file through our own callbacks (no FFmpeg
// protocol: no network, no other file) and picks the format from the content,
// never the name, among a fixed list of demuxers (mp4/mov, matroska/webm,
// avi, flv, mpegts, ogg, gif, jpeg/png/webp images); at most 32 streams,
// probing capped at 5 MiB / 5 s of media, decoding single-threaded with at
// most 8K-UHD frames, and a wall-clock deadline checked on every read (5 s
// for a probe, 10 s for a thumbnail). Values a header may lie about
// (durations, dimensions) come back unknown when zero, negative or absurd.
// Errors are Status values; nothing throws or aborts.
//
// Both block on disk I/O and, for MakeThumbnail, on decoding (tens of
// milliseconds for a small clip, bounded by the deadline): call them from a
// worker thread, never on the event loop. They share no state, so any number
// of threads may call them at once. FFmpeg's own log lines never reach stdout
// or stderr: the first call routes them to spdlog at debug level (this is the
// process-wide av_log callback, set once).
#pragma once

#include <optional>
#include <string>

#include "status.h"

namespace vidkeep {

/// What a media file's container says about it. Fields are unknown (nullopt
/// or empty) when the file does not say or says something implausible.
struct MediaInfo {
  std::optional<double> duration_s;  // > 0 and at most a week
  std::optional<int> width, height;  // both set or neither; 1..16384 each
  std::string video_codec;           // libavcodec's name, e.g. "h264", "vp9"; "" when none
  std::string audio_codec;           // e.g. "aac", "opus"; "" when none
  /// Short container name: "mp4" (any ISO-BMFF brand, or no brand and a
  /// .mp4/.m4v/.m4a name), "mov" (QuickTime), "webm" or "matroska" (by the
  /// EBML DocType), else the first of libavformat's names with "_pipe"
  /// dropped ("avi", "flv", "mpegts", "ogg", "gif", "jpeg", "png", "webp").
  std::string container;
};

/// Reads container and stream metadata of the local file `path` with
/// libavformat. Decodes nothing when the headers give the dimensions (mp4,
/// webm, mkv); otherwise (an image, MPEG-TS, FLV) libavformat decodes a few
/// frames within the probe caps. The reported video stream is the first that
/// is not cover art. Errors: kNotFound (no such file), kUnsupported (empty,
/// not a regular file, not a media file, a format outside the list, no audio
/// or video stream), kUnavailable (unreadable: permissions, I/O error, the
/// deadline passed).
Result<MediaInfo> ProbeMedia(const std::string& path);

/// Decodes the frame at `at_seconds` of `video_path`'s video stream and writes
/// it as a JPEG to `jpeg_path`. `at_seconds` is clamped to the duration: a
/// video no longer than `at_seconds` (or a negative or NaN `at_seconds`) gives
/// its first frame, and when the duration is unknown and the video ends
/// sooner, its last decoded frame. The frame is scaled with libswscale to at
/// most `max_width` (>= 2) pixels wide, never enlarged, display aspect kept,
/// both dimensions even, and encoded by libavcodec's mjpeg encoder (full-range
/// 4:2:0). Decoding stops 500 video packets after the seek point (2000
/// packets in all) or after 10 s, taking the last frame decoded if any.
/// The JPEG is written to `jpeg_path + ".tmp"` (mode 0600, synced) and
/// renamed over `jpeg_path`, so readers see the old file or the whole new
/// one; on any error the ".tmp" is removed and `jpeg_path` is untouched.
/// `jpeg_path`'s folder must exist. Errors: as ProbeMedia, plus
/// kUnsupported (no video stream, no decoder for its codec, no frame
/// decoded), kBadRequest (max_width < 2, empty jpeg_path), kUnavailable
/// (cannot write the JPEG).
Status MakeThumbnail(const std::string& video_path, const std::string& jpeg_path,
                     double at_seconds = 1.0, int max_width = 480);

}  // namespace vidkeep
