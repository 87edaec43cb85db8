// Turns what the hooks saw into captures: detection, de-duplication within
// the page, the chatSSEInstance mirror, debug lines, and the post to the relay.

import type { CaptureAnswer, CapturedVideo } from "../shared/messages";
import type { Logger } from "../shared/log";
import type { VideoSource } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import { detectInSseData, type DetectedVideo } from "./detect";

export interface CapturerDeps {
  post(video: CapturedVideo, wantAnswer: boolean): Promise<CaptureAnswer> | undefined;
  mirror(videoUrl: string, thumbnailUrl: string | undefined): void;
  captureEnabled(): boolean;
  log: Logger;
  now?: () => Date;
}

export interface Capturer {
  /// One SSE message event's data (`where` names the stream, for the log).
  fromSse(data: unknown, where: string): void;
  fromArtifact(url: string, posterUrl: string | undefined): void;
  manual(videoUrl: unknown, thumbnailUrl: unknown): Promise<CaptureAnswer>;
}

/// How many URLs the page remembers to avoid forwarding one video twice (the
/// same event may come through an EventSource and a fetch stream).
const kRememberUrls = 500;

export function createCapturer(deps: CapturerDeps): Capturer {
  const now = deps.now ?? (() => new Date());
  // url -> whether what we forwarded had a prompt. A later sighting with a
  // prompt is still forwarded: the host fills in what the first one lacked.
  const sent = new Map<string, boolean>();

  const remember = (url: string, hadPrompt: boolean): void => {
    sent.delete(url);
    sent.set(url, hadPrompt);
    if (sent.size > kRememberUrls) sent.delete(sent.keys().next().value as string);
  };

  const forward = (found: DetectedVideo, source: VideoSource, wantAnswer: boolean): Promise<CaptureAnswer> | undefined => {
    const video: CapturedVideo = { ...found, source, observed_at: now().toISOString() };
    deps.mirror(video.url, video.thumbnail_url);
    remember(video.url, video.prompt !== undefined);
    deps.log.debug("forwarding video", source, video.url);
    return deps.post(video, wantAnswer);
  };

  const isNew = (found: DetectedVideo): boolean => {
    const hadPrompt = sent.get(found.url);
    return hadPrompt === undefined || (!hadPrompt && found.prompt !== undefined);
  };

  return {
    fromSse(data, where) {
      if (typeof data !== "string") return;
      const detection = detectInSseData(data);
      if (!detection.ok) {
        // Most events are text deltas; only say why for file events.
        if (data.includes('"file"')) deps.log.debug("SSE event is not a video:", detection.reason, where);
        return;
      }
      deps.log.debug("SSE video detected", where, detection.video.url);
      if (!deps.captureEnabled()) return deps.log.debug("capture is off; not forwarded");
      if (!isNew(detection.video)) return deps.log.debug("already forwarded", detection.video.url);
      void forward(detection.video, "sse", false);
    },
    fromArtifact(url, posterUrl) {
      const found: DetectedVideo = { url };
      if (posterUrl !== undefined) found.thumbnail_url = posterUrl;
      deps.log.debug("artifact video seen", url);
      if (!deps.captureEnabled() || !isNew(found)) return;
      void forward(found, "artifact", false);
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
