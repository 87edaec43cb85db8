#include "media_probe.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>
}

#include "file_io.h"
#include "string_util.h"

namespace vidkeep {

namespace {

// Caps on what a hostile file can make us do (see the header).
constexpr const char* kFormatWhitelist =
    "mov,matroska,avi,flv,mpegts,ogg,gif,jpeg_pipe,png_pipe,webp_pipe";
constexpr int64_t kProbeSize = 5 << 20;                 // bytes read to find streams
constexpr int64_t kAnalyzeDuration = 5 * AV_TIME_BASE;  // media time read to find streams
constexpr int kMaxStreams = 32;
constexpr int kMaxDimension = 16384;
constexpr int64_t kMaxDecodePixels = 7680 * 4320;  // 8K UHD
constexpr double kMaxDurationS = 7 * 24 * 3600.0;
constexpr auto kProbeDeadline = std::chrono::seconds(5);
constexpr auto kThumbnailDeadline = std::chrono::seconds(10);
constexpr int kMaxVideoPacketsPastSeek = 500;
constexpr int kMaxPacketsPastSeek = 2000;
constexpr int kJpegQscale = 4;  // as `ffmpeg -q:v 4`: 2 is best, 31 worst
// A frame counts as "at" the target from this much before it, so that a
// timestamp rounded in the stream's time base still matches.
constexpr double kFrameTolerance = 0.001;

struct CodecCloser {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsFreer {
  void operator()(SwsContext* c) const { sws_freeContext(c); }
};
using CodecPtr = std::unique_ptr<AVCodecContext, CodecCloser>;
using FramePtr = std::unique_ptr<AVFrame, FrameFreer>;
using PacketPtr = std::unique_ptr<AVPacket, PacketFreer>;
using SwsPtr = std::unique_ptr<SwsContext, SwsFreer>;

/// Per-stream option dictionaries for avformat_find_stream_info, freed on scope exit.
class StreamOptions {
 public:
  explicit StreamOptions(unsigned count) : dicts_(count, nullptr) {}
  ~StreamOptions() {
    for (auto*& d : dicts_) av_dict_free(&d);
  }
  StreamOptions(const StreamOptions&) = delete;
  StreamOptions& operator=(const StreamOptions&) = delete;
  AVDictionary** data() { return dicts_.data(); }
  std::vector<AVDictionary*>& dicts() { return dicts_; }

 private:
  std::vector<AVDictionary*> dicts_;
};

/// The wall-clock limit of one call, checked by our read and seek callbacks
/// and by FFmpeg through the format context's interrupt callback.
struct Deadline {
  std::chrono::steady_clock::time_point at;
  bool Passed() const { return std::chrono::steady_clock::now() >= at; }
  static int Interrupt(void* opaque) {
    return static_cast<const Deadline*>(opaque)->Passed() ? 1 : 0;
  }
};

// FFmpeg logs through one process-wide callback. Ours forwards warnings and
// errors to spdlog at debug level and drops the rest: the host's stdout is the
// native messaging pipe, and its stderr is not ours to fill either.
void LogToSpdlog(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > AV_LOG_WARNING) return;
  auto* logger = spdlog::default_logger_raw();
  if (logger == nullptr || !logger->should_log(spdlog::level::debug)) return;
  char line[512];
  int print_prefix = 1;
  if (av_log_format_line2(avcl, level, fmt, vl, line, sizeof line, &print_prefix) < 0) return;
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  if (!text.empty()) logger->debug("ffmpeg: {}", text);
}

void QuietFfmpegOnce() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(LogToSpdlog); });
}

std::string AvError(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

// Maps a libavformat/libavcodec error while reading `path` to our codes.
Status ReadError(int err, const std::string& path, const char* what) {
  const std::string detail = std::string(what) + " " + path + ": " + AvError(err);
  if (err == AVERROR_EXIT) return Status::Unavailable("gave up on " + path + ": took too long");
  if (err == AVERROR(ENOENT)) return Status::NotFound(detail);
  // Other errno values are the disk or the permissions, not the content;
  // EINVAL is how avformat_open_input refuses a format outside the whitelist.
  if (err < 0 && err > -4096 && err != AVERROR(EINVAL)) return Status::Unavailable(detail);
  return Status::Error(ErrorCode::kUnsupported, "not a media file: " + detail);
}

/// An open media file: the demuxer reads through our own callbacks on a file
/// descriptor, so no FFmpeg protocol is involved (no network, no other file)
/// and the format is found from the content alone, never from the name.
/// Owns the descriptor, the I/O context and the format context; not movable,
/// as FFmpeg holds `this` for the callbacks.
class Input {
 public:
  static Result<std::unique_ptr<Input>> Open(const std::string& path, std::chrono::seconds limit) {
    std::unique_ptr<Input> in(new Input(std::chrono::steady_clock::now() + limit));
    if (Status s = in->OpenFile(path); !s.ok()) return s;
    if (Status s = in->OpenFormat(path); !s.ok()) return s;
    return in;
  }

  ~Input() {
    avformat_close_input(&fmt_);  // leaves io_ alone: AVFMT_FLAG_CUSTOM_IO
    if (io_ != nullptr) {
      av_freep(&io_->buffer);  // FFmpeg may have replaced the buffer we gave it
      avio_context_free(&io_);
    }
    if (fd_ >= 0) CloseFd(fd_);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  AVFormatContext* fmt() const { return fmt_; }
  const Deadline& deadline() const { return deadline_; }
  int fd() const { return fd_; }

 private:
  static constexpr int kBufferSize = 64 << 10;

  explicit Input(std::chrono::steady_clock::time_point deadline) : deadline_{deadline} {}

  Status OpenFile(const std::string& path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
    fd_ = OpenFd(path, O_RDONLY | kOpenNoWait);
    if (fd_ < 0) {
      const std::string why = std::strerror(errno);
      if (errno == ENOENT || errno == ENOTDIR) return Status::NotFound("no such file: " + path);
      return Status::Unavailable("cannot open " + path + ": " + why);
    }
    const auto info = StatFd(fd_);
    if (!info) return Status::Unavailable("cannot read " + path + ": " + std::strerror(errno));
    if (!info->regular)
      return Status::Error(ErrorCode::kUnsupported, "not a regular file: " + path);
    if (info->size == 0)
      return Status::Error(ErrorCode::kUnsupported, "not a media file: " + path + " is empty");
    return Status();
  }

  Status OpenFormat(const std::string& path) {
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
    if (buffer == nullptr) return Status::Unavailable("out of memory opening " + path);
    io_ = avio_alloc_context(buffer, kBufferSize, 0, this, &Input::Read, nullptr, &Input::Seek);
    if (io_ == nullptr) {
      av_free(buffer);
      return Status::Unavailable("out of memory opening " + path);
    }
    fmt_ = avformat_alloc_context();
    if (fmt_ == nullptr) return Status::Unavailable("out of memory opening " + path);
    fmt_->pb = io_;
    fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
    fmt_->probesize = kProbeSize;
    fmt_->max_analyze_duration = kAnalyzeDuration;
    fmt_->max_streams = kMaxStreams;
    fmt_->interrupt_callback.callback = &Deadline::Interrupt;
    fmt_->interrupt_callback.opaque = &deadline_;
    // Freed with the context. No protocol at all: a container cannot make us
    // open a URL or another file (HLS, concat, drefs; most are off the list too).
    fmt_->format_whitelist = av_strdup(kFormatWhitelist);
    fmt_->protocol_whitelist = av_strdup("none");
    if (fmt_->format_whitelist == nullptr || fmt_->protocol_whitelist == nullptr)
      return Status::Unavailable("out of memory opening " + path);
    // On failure avformat_open_input frees the context and nulls fmt_.
    const int rc = avformat_open_input(&fmt_, "", nullptr, nullptr);
    if (rc < 0) return ReadError(rc, path, "cannot open");
    return Status();
  }

  static int Read(void* opaque, uint8_t* buf, int size) {
    auto* in = static_cast<Input*>(opaque);
    if (in->deadline_.Passed()) return AVERROR_EXIT;
    for (;;) {
      const ssize_t n = ReadFd(in->fd_, buf, static_cast<size_t>(size));
      if (n > 0) return static_cast<int>(n);
      if (n == 0) return AVERROR_EOF;
      if (errno != EINTR) return AVERROR(errno);
    }
  }

  static int64_t Seek(void* opaque, int64_t offset, int whence) {
    auto* in = static_cast<Input*>(opaque);
    if (in->deadline_.Passed()) return AVERROR_EXIT;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) {
      const auto info = StatFd(in->fd_);
      return info ? static_cast<int64_t>(info->size) : AVERROR(errno);
    }
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
    const std::int64_t at = SeekFd(in->fd_, offset, whence);
    return at < 0 ? AVERROR(errno) : static_cast<int64_t>(at);
  }

  int fd_ = -1;
  Deadline deadline_;
  AVIOContext* io_ = nullptr;
  AVFormatContext* fmt_ = nullptr;
};

std::optional<double> PlausibleSeconds(double s) {
  if (!std::isfinite(s) || s <= 0 || s > kMaxDurationS) return std::nullopt;
  return s;
}

bool ValidTimeBase(AVRational tb) { return tb.num > 0 && tb.den > 0; }

// The container's duration, else the longest stream's.
std::optional<double> DurationOf(const AVFormatContext* fmt) {
  if (fmt->duration != AV_NOPTS_VALUE) {
    if (auto d = PlausibleSeconds(static_cast<double>(fmt->duration) / AV_TIME_BASE)) return d;
  }
  std::optional<double> longest;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (st->duration == AV_NOPTS_VALUE || !ValidTimeBase(st->time_base)) continue;
    auto d = PlausibleSeconds(static_cast<double>(st->duration) * av_q2d(st->time_base));
    if (d && (!longest || *d > *longest)) longest = d;
  }
  return longest;
}

bool PlausibleDimension(int v) { return v >= 1 && v <= kMaxDimension; }

// The first video stream that is not cover art, else the first video stream; -1 if none.
int PickVideoStream(const AVFormatContext* fmt) {
  int cover = -1;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const AVStream* st = fmt->streams[i];
    if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO) continue;
    if (!(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) return static_cast<int>(i);
    if (cover < 0) cover = static_cast<int>(i);
  }
  return cover;
}

int PickAudioStream(const AVFormatContext* fmt) {
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) return static_cast<int>(i);
  }
  return -1;
}

std::string CodecName(AVCodecID id) { return id == AV_CODEC_ID_NONE ? "" : avcodec_get_name(id); }

// Whether the headers left out something only reading packets can tell.
bool NeedsStreamInfo(const AVFormatContext* fmt) {
  const int v = PickVideoStream(fmt);
  const int a = PickAudioStream(fmt);
  if (v < 0 && a < 0) return true;  // FLV, for one, makes its streams from packets
  if (v >= 0) {
    const AVCodecParameters* p = fmt->streams[v]->codecpar;
    if (p->codec_id == AV_CODEC_ID_NONE || !PlausibleDimension(p->width) ||
        !PlausibleDimension(p->height))
      return true;
  }
  return a >= 0 && fmt->streams[a]->codecpar->codec_id == AV_CODEC_ID_NONE;
}

Status FindStreamInfo(AVFormatContext* fmt, const std::string& path) {
  // Decoders opened here are single-threaded (FFmpeg's default for this call)
  // and refuse frames larger than kMaxDecodePixels.
  StreamOptions options(fmt->nb_streams);
  for (auto*& d : options.dicts()) av_dict_set_int(&d, "max_pixels", kMaxDecodePixels, 0);
  const int rc = avformat_find_stream_info(fmt, options.data());
  if (rc < 0) return ReadError(rc, path, "cannot read the streams of");
  return Status();
}

// An EBML variable-length integer at data[*pos] (RFC 8794 section 4); IDs keep
// their length marker, sizes drop it.
std::optional<uint64_t> ReadVint(const unsigned char* data, size_t size, size_t* pos,
                                 bool keep_marker) {
  if (*pos >= size) return std::nullopt;
  const unsigned char first = data[*pos];
  size_t len = 1;
  unsigned mask = 0x80;
  while (len <= 8 && !(first & mask)) {
    mask >>= 1;
    ++len;
  }
  if (len > 8 || size - *pos < len) return std::nullopt;
  uint64_t v = keep_marker ? first : (first & (mask - 1));
  for (size_t i = 1; i < len; ++i) v = (v << 8) | data[*pos + i];
  *pos += len;
  return v;
}

// The DocType of the EBML header at the start of file `fd` ("webm",
// "matroska"); "" if not found.
std::string EbmlDocType(int fd) {
  unsigned char head[256];
  const ssize_t got = PreadFd(fd, head, sizeof head, 0);
  if (got <= 0) return "";
  const size_t n = static_cast<size_t>(got);
  size_t pos = 0;
  auto id = ReadVint(head, n, &pos, true);
  auto len = ReadVint(head, n, &pos, false);
  if (!id || *id != 0x1A45DFA3 || !len) return "";
  const size_t end = pos + static_cast<size_t>(std::min<uint64_t>(*len, n - pos));
  while (pos < end) {
    auto child = ReadVint(head, end, &pos, true);
    auto child_len = ReadVint(head, end, &pos, false);
    if (!child || !child_len || *child_len > end - pos) return "";
    if (*child == 0x4282) {
      std::string doctype(reinterpret_cast<const char*>(head + pos),
                          static_cast<size_t>(*child_len));
      doctype.erase(std::find(doctype.begin(), doctype.end(), '\0'), doctype.end());
      return doctype;
    }
    pos += static_cast<size_t>(*child_len);
  }
  return "";
}

std::string ContainerName(const Input& input, const std::string& path) {
  const AVFormatContext* fmt = input.fmt();
  std::string name = fmt->iformat->name;
  name = name.substr(0, name.find(','));
  if (name == "mov") {
    // Every ISO-BMFF brand (isom, mp41, mp42, avc1, dash, M4V, 3gp...) is the
    // mp4 family; "qt  " is QuickTime. Files without an ftyp box go by name.
    if (const AVDictionaryEntry* brand = av_dict_get(fmt->metadata, "major_brand", nullptr, 0)) {
      return std::strncmp(brand->value, "qt", 2) == 0 ? "mov" : "mp4";
    }
    const std::string ext = Lower(std::filesystem::path(path).extension().string());
    return ext == ".mp4" || ext == ".m4v" || ext == ".m4a" ? "mp4" : "mov";
  }
  if (name == "matroska") return EbmlDocType(input.fd()) == "webm" ? "webm" : "matroska";
  const std::string pipe = "_pipe";
  if (name.size() > pipe.size() && name.compare(name.size() - pipe.size(), pipe.size(), pipe) == 0)
    name.resize(name.size() - pipe.size());
  return name;
}

// Writes `data` to `path + ".tmp"` (mode 0600), syncs it and renames it over
// `path`; on any failure removes the temporary file.
Status WriteFileAtomically(const std::string& path, const uint8_t* data, size_t size) {
  const std::string tmp = path + ".tmp";
  auto fail = [&](const char* what) {
    Status s = Status::Unavailable(std::string(what) + " " + tmp + ": " + std::strerror(errno));
    RemoveFile(tmp);
    return s;
  };
  const int fd = OpenFd(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::Unavailable("cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < size) {
    const ssize_t n = WriteFd(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      CloseFd(fd);
      errno = err;
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (SyncFd(fd) != 0) {
    const int err = errno;
    CloseFd(fd);
    errno = err;
    return fail("cannot sync");
  }
  if (CloseFd(fd) != 0) return fail("cannot close");
  if (std::error_code ec = MoveReplacing(tmp, path)) {
    errno = ec.category() == std::generic_category() ? ec.value() : EIO;
    return fail("cannot rename");
  }
  return Status();
}

// The size a frame of `width` x `height` (pixel aspect `sar`) is scaled to:
// at most `max_width` wide, never enlarged, display aspect kept, both even.
std::pair<int, int> ThumbnailSize(int width, int height, AVRational sar, int max_width) {
  double display_w = width;
  const double display_h = height;
  if (sar.num > 0 && sar.den > 0) {
    const double r = av_q2d(sar);
    if (r >= 0.1 && r <= 10) display_w *= r;  // else a lie: take square pixels
  }
  const double w = std::min<double>(max_width, std::round(display_w));
  const double h = std::min<double>(kMaxDimension, w * display_h / display_w);
  const int out_w = std::max(2, static_cast<int>(w) / 2 * 2);
  const int out_h = std::max(2, static_cast<int>(std::lround(h / 2)) * 2);
  return {out_w, out_h};
}

// Scales `frame` (pixel aspect `sar`) and encodes it as one baseline JPEG.
Result<std::vector<uint8_t>> EncodeJpeg(const AVFrame* frame, AVRational sar, int max_width) {
  if (!PlausibleDimension(frame->width) || !PlausibleDimension(frame->height))
    return Status::Error(ErrorCode::kUnsupported, "decoded frame has implausible dimensions");
  const auto src_format = static_cast<AVPixelFormat>(frame->format);
  if (src_format == AV_PIX_FMT_NONE || !sws_isSupportedInput(src_format))
    return Status::Error(ErrorCode::kUnsupported,
                         "cannot scale frames in pixel format " + std::to_string(frame->format));
  const auto [out_w, out_h] = ThumbnailSize(frame->width, frame->height, sar, max_width);

  SwsPtr sws(sws_getContext(frame->width, frame->height, src_format, out_w, out_h,
                            AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws)
    return Status::Internal("cannot set up scaling to " + std::to_string(out_w) + "x" +
                            std::to_string(out_h));
  // JPEG is full range (JFIF). swscale already takes the yuvj formats and RGB
  // as full range; a frame may say so too. Only the range is converted: for
  // YUV to YUV swscale keeps the matrix, so a BT.709 source is off by a hue
  // shift too small to matter in a thumbnail.
  int* src_table = nullptr;
  int* dst_table = nullptr;
  int src_range = 0, dst_range = 0, brightness = 0, contrast = 0, saturation = 0;
  if (sws_getColorspaceDetails(sws.get(), &src_table, &src_range, &dst_table, &dst_range,
                               &brightness, &contrast, &saturation) >= 0) {
    if (frame->color_range == AVCOL_RANGE_JPEG) src_range = 1;
    sws_setColorspaceDetails(sws.get(), src_table, src_range, dst_table, 1, brightness, contrast,
                             saturation);
  }

  FramePtr scaled(av_frame_alloc());
  if (!scaled) return Status::Unavailable("out of memory");
  scaled->width = out_w;
  scaled->height = out_h;
  scaled->format = AV_PIX_FMT_YUV420P;
  scaled->color_range = AVCOL_RANGE_JPEG;
  if (av_frame_get_buffer(scaled.get(), 0) < 0) return Status::Unavailable("out of memory");
  if (sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, scaled->data,
                scaled->linesize) < 0)
    return Status::Internal("scaling the frame failed");

  const AVCodec* encoder = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (encoder == nullptr) return Status::Internal("libavcodec has no mjpeg encoder");
  CodecPtr enc(avcodec_alloc_context3(encoder));
  if (!enc) return Status::Unavailable("out of memory");
  enc->width = out_w;
  enc->height = out_h;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->color_range = AVCOL_RANGE_JPEG;  // with yuv420p, what makes the mjpeg encoder accept it
  enc->time_base = AVRational{1, 25};
  enc->thread_count = 1;
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * kJpegQscale;
  if (int rc = avcodec_open2(enc.get(), encoder, nullptr); rc < 0)
    return Status::Internal("cannot open the mjpeg encoder: " + AvError(rc));
  scaled->quality = enc->global_quality;
  scaled->pts = 0;
  if (int rc = avcodec_send_frame(enc.get(), scaled.get()); rc < 0)
    return Status::Internal("encoding the thumbnail failed: " + AvError(rc));
  avcodec_send_frame(enc.get(), nullptr);  // end of stream: the packet comes out now
  PacketPtr packet(av_packet_alloc());
  if (!packet) return Status::Unavailable("out of memory");
  if (int rc = avcodec_receive_packet(enc.get(), packet.get()); rc < 0)
    return Status::Internal("encoding the thumbnail failed: " + AvError(rc));
  return std::vector<uint8_t>(packet->data, packet->data + packet->size);
}

}  // namespace

Result<MediaInfo> ProbeMedia(const std::string& path) {
  QuietFfmpegOnce();
  auto input = Input::Open(path, kProbeDeadline);
  if (!input.ok()) return input.status();
  AVFormatContext* fmt = (*input)->fmt();
  if (NeedsStreamInfo(fmt)) {
    if (Status s = FindStreamInfo(fmt, path); !s.ok()) return s;
  }

  MediaInfo info;
  const int v = PickVideoStream(fmt);
  const int a = PickAudioStream(fmt);
  if (v < 0 && a < 0)
    return Status::Error(ErrorCode::kUnsupported,
                         "not a media file: " + path + " has no audio or video stream");
  if (v >= 0) {
    const AVCodecParameters* p = fmt->streams[v]->codecpar;
    info.video_codec = CodecName(p->codec_id);
    if (PlausibleDimension(p->width) && PlausibleDimension(p->height)) {
      info.width = p->width;
      info.height = p->height;
    }
  }
  if (a >= 0) info.audio_codec = CodecName(fmt->streams[a]->codecpar->codec_id);
  info.duration_s = DurationOf(fmt);
  info.container = ContainerName(**input, path);
  return info;
}

Status MakeThumbnail(const std::string& video_path, const std::string& jpeg_path, double at_seconds,
                     int max_width) {
  if (max_width < 2)
    return Status::BadRequest("thumbnail width must be at least 2, not " +
                              std::to_string(max_width));
  if (jpeg_path.empty()) return Status::BadRequest("no thumbnail path");
  QuietFfmpegOnce();
  auto input = Input::Open(video_path, kThumbnailDeadline);
  if (!input.ok()) return input.status();
  AVFormatContext* fmt = (*input)->fmt();
  const Deadline& deadline = (*input)->deadline();
  if (fmt->nb_streams == 0) {  // streams made from packets (FLV)
    if (Status s = FindStreamInfo(fmt, video_path); !s.ok()) return s;
  }
  const int vi = PickVideoStream(fmt);
  if (vi < 0) return Status::Error(ErrorCode::kUnsupported, "no video stream in " + video_path);
  AVStream* stream = fmt->streams[vi];
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != vi)
      fmt->streams[i]->discard = AVDISCARD_ALL;  // the demuxer skips them
  }

  const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
  if (decoder == nullptr)
    return Status::Error(ErrorCode::kUnsupported, "no decoder for video codec \"" +
                                                      CodecName(stream->codecpar->codec_id) +
                                                      "\" in " + video_path);
  CodecPtr dec(avcodec_alloc_context3(decoder));
  if (!dec) return Status::Unavailable("out of memory");
  if (int rc = avcodec_parameters_to_context(dec.get(), stream->codecpar); rc < 0)
    return Status::Error(ErrorCode::kUnsupported,
                         "bad video stream parameters in " + video_path + ": " + AvError(rc));
  dec->thread_count = 1;  // one frame's worth of work: threads would only add latency and memory
  dec->max_pixels = kMaxDecodePixels;
  dec->pkt_timebase = stream->time_base;
  if (int rc = avcodec_open2(dec.get(), decoder, nullptr); rc < 0)
    return Status::Error(ErrorCode::kUnsupported,
                         "cannot decode " + video_path + ": " + AvError(rc));

  // The target time, relative to the stream's start.
  double target =
      std::isfinite(at_seconds) && at_seconds > 0 ? std::min(at_seconds, kMaxDurationS) : 0.0;
  if (auto duration = DurationOf(fmt); duration && *duration <= target) target = 0;
  const bool timed = ValidTimeBase(stream->time_base);
  int64_t start = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;
  if (start < -(int64_t{1} << 62) || start > (int64_t{1} << 62))
    start = 0;  // a lie; keeps the sum below in range
  if (target > 0 && timed && !(stream->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    const int64_t offset =
        av_rescale_q(std::llround(target * AV_TIME_BASE), AV_TIME_BASE_Q, stream->time_base);
    // BACKWARD: the keyframe at or before the target, decoded forward from there.
    // A failed seek leaves us at the start, which only costs packets.
    if (offset >= 0 && offset < (int64_t{1} << 62))
      av_seek_frame(fmt, vi, start + offset, AVSEEK_FLAG_BACKWARD);
  }

  PacketPtr packet(av_packet_alloc());
  FramePtr frame(av_frame_alloc());
  FramePtr kept(av_frame_alloc());  // the best frame so far: the latest decoded
  if (!packet || !frame || !kept) return Status::Unavailable("out of memory");
  bool have_frame = false;
  bool found = false;
  // Takes every frame the decoder has ready; stops at the first at or past the target.
  auto drain = [&] {
    while (!found && avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      const int64_t pts = frame->best_effort_timestamp;
      av_frame_unref(kept.get());
      av_frame_move_ref(kept.get(), frame.get());
      have_frame = true;
      const bool untimed = pts == AV_NOPTS_VALUE || !timed;
      const double t =
          (static_cast<double>(pts) - static_cast<double>(start)) * av_q2d(stream->time_base);
      found = untimed || t >= target - kFrameTolerance;
    }
  };
  int packets = 0;
  int video_packets = 0;
  while (!found && packets < kMaxPacketsPastSeek && video_packets < kMaxVideoPacketsPastSeek &&
         !deadline.Passed()) {
    // Any read error ends the stream: a truncated file still gives the frames before the cut.
    if (av_read_frame(fmt, packet.get()) < 0) break;
    ++packets;
    if (packet->stream_index == vi) {
      ++video_packets;
      // A corrupt packet is skipped: the decoder resyncs at the next keyframe.
      if (avcodec_send_packet(dec.get(), packet.get()) >= 0) drain();
    }
    av_packet_unref(packet.get());
  }
  if (!found) {
    // The decoder may still hold frames (reordering delay): flush them out.
    avcodec_send_packet(dec.get(), nullptr);
    drain();
  }
  if (!have_frame) {
    if (deadline.Passed())
      return Status::Unavailable("gave up on " + video_path + ": decoding took too long");
    return Status::Error(ErrorCode::kUnsupported,
                         "no video frame could be decoded from " + video_path);
  }

  // The container's pixel aspect if it has one (mp4 pasp), else the codec's.
  const AVRational sar = av_guess_sample_aspect_ratio(fmt, stream, kept.get());
  auto jpeg = EncodeJpeg(kept.get(), sar, max_width);
  if (!jpeg.ok()) return jpeg.status();
  return WriteFileAtomically(jpeg_path, jpeg->data(), jpeg->size());
}

}  // namespace vidkeep
