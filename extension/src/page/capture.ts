// Turns what the hooks saw into captures: detection, de-duplication within
// the page, the chatSSEInstance mirror, debug lines, and the post to the relay.

import type { CaptureAnswer, CapturedVideo } from "../shared/messages";
import type { Logger } from "../shared/log";
import type { VideoSource } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import { detectInDataStreamLine, detectInJsonAnswer, detectInSseData, type DetectedVideo, type Found } from "./detect";

export interface CapturerDeps {
  post(video: CapturedVideo, wantAnswer: boolean): Promise<CaptureAnswer> | undefined;
  mirror(videoUrl: string, thumbnailUrl: string | undefined): void;
  captureEnabled(): boolean;
  log: Logger;
  now?: () => Date;
}

/// Names the stream for the debug log; a function is called only when a line
/// is printed or a video found (most messages are neither).
export type Where = string | (() => string);
const whereText = (where: Where): string => (typeof where === "function" ? where() : where);

/// Sources a stream message can come from (a tool result inside it is "tool").
export type StreamSource = "sse" | "websocket";

export interface Capturer {
  /// One SSE `data` or WebSocket text message (`where` names the stream, for
  /// the log). Anything but a string is ignored.
  fromData(data: unknown, source: StreamSource, where: Where): void;
  /// One line of an AI SDK v4 data stream.
  fromDataStreamLine(line: string, where: Where): void;
  /// A parsed JSON answer of the page's own fetch / XMLHttpRequest (polling).
  fromPoll(body: unknown, where: Where): void;
  /// A `<video>` the page shows: in the artifact panel or in the message list.
  fromElement(url: string, posterUrl: string | undefined, source: "artifact" | "inline"): void;
  manual(videoUrl: unknown, thumbnailUrl: unknown): Promise<CaptureAnswer>;
}

interface Sent {
  prompt: boolean;
  generating: boolean;
}

/// `artifact` and `inline` only say the page shows a video (maybe one from
/// the chat's history); every other source says it was just made.
function isGenerating(source: VideoSource): boolean {
  return source !== "artifact" && source !== "inline";
}

/// How many URLs the page remembers to avoid forwarding one video twice (the
/// same event may come through an EventSource and a fetch stream).
const kRememberUrls = 500;

export function createCapturer(deps: CapturerDeps): Capturer {
  const now = deps.now ?? (() => new Date());
  // url -> what we forwarded: whether it had a prompt, and whether a
  // generating source (not a `<video>` merely shown) named it. A later
  // sighting that adds either is still forwarded: the host fills in the
  // prompt, and a generating sighting makes a "seen" video pending.
  const sent = new Map<string, Sent>();

  const remember = (url: string, now: Sent): void => {
    const before = sent.get(url);
    sent.delete(url);
    sent.set(url, { prompt: now.prompt || (before?.prompt ?? false), generating: now.generating || (before?.generating ?? false) });
    if (sent.size > kRememberUrls) sent.delete(sent.keys().next().value as string);
  };

  const forward = (found: DetectedVideo, source: VideoSource, wantAnswer: boolean): Promise<CaptureAnswer> | undefined => {
    const video: CapturedVideo = { ...found, source, observed_at: now().toISOString() };
    deps.mirror(video.url, video.thumbnail_url);
    remember(video.url, { prompt: video.prompt !== undefined, generating: isGenerating(source) });
    deps.log.debug("forwarding video", source, video.url);
    return deps.post(video, wantAnswer);
  };

  const isNew = (found: DetectedVideo, source: VideoSource): boolean => {
    const before = sent.get(found.url);
    return before === undefined || (!before.prompt && found.prompt !== undefined) ||
      (!before.generating && isGenerating(source));
  };

  const take = (found: DetectedVideo, source: VideoSource, where: Where): void => {
    deps.log.debug("video detected", source, whereText(where), found.url);
    if (!deps.captureEnabled()) return deps.log.debug("capture is off; not forwarded");
    if (!isNew(found, source)) return deps.log.debug("already forwarded", found.url);
    void forward(found, source, false);
  };

  const takeFound = (detection: Found, source: VideoSource, where: Where): void => {
    if (detection.ok) take(detection.video, detection.via === "tool" ? "tool" : source, where);
    else if (deps.log.enabled) deps.log.debug("not a video:", detection.reason, whereText(where));
  };

  return {
    fromData(data, source, where) {
      if (typeof data !== "string") return;
      const detection = detectInSseData(data);
      // Most events are text deltas: say why only for those that looked like one.
      if (detection.ok || !detection.reason.startsWith("no video marker")) takeFound(detection, source, where);
    },
    fromDataStreamLine(line, where) {
      for (const detection of detectInDataStreamLine(line)) takeFound(detection, "sse", where);
    },
    fromPoll(body, where) {
      for (const found of detectInJsonAnswer(body)) take(found, "poll", where);
    },
    fromElement(url, posterUrl, source) {
      const found: DetectedVideo = { url };
      if (posterUrl !== undefined) found.thumbnail_url = posterUrl;
      deps.log.debug(`${source} video seen`, url);
      if (!deps.captureEnabled() || !isNew(found, source)) return;
      void forward(found, source, false);
    },
    manual(videoUrl, thumbnailUrl) {
      const url = httpUrl(videoUrl, undefined);
      if (url === null) {
        deps.log.debug("addVideoToChat: not an http(s) URL", videoUrl);
        return Promise.resolve({
          ok: false,
          error: { code: "invalid_url", message: "videoUrl must be an http(s) URL", retryable: false },
        });
      }
      const found: DetectedVideo = { url };
      const thumb = httpUrl(thumbnailUrl);
      if (thumb !== null) found.thumbnail_url = thumb;
      if (!deps.captureEnabled()) {
        return Promise.resolve({
          ok: false,
          error: { code: "unavailable", message: "vidkeep capture is switched off in its options", retryable: false },
        });
      }
      return forward(found, "manual", true)!;
    },
  };
}
