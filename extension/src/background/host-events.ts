// What the host connection and the queue tell the popups: connection
// changes, `sync_state` and `media_state` events, stored and dropped videos.
// Each also redraws the badge; failures go to the popup's debug errors.

import type { Logger } from "../shared/log";
import type { ConnectionInfo, PopupEvent } from "../shared/messages";
import { isSyncStateEvent, parseMediaStateEvent } from "../shared/protocol";
import type { DebugState } from "./debug-state";
import type { HostConnection } from "./host-connection";
import type { VideoQueue, VideoQueueDeps } from "./video-queue";

export interface HostEventsDeps {
  popups: { broadcast(event: PopupEvent): void };
  badge: { schedule(): void };
  debug: DebugState;
  log: Logger;
}

/// The queue's callbacks: a stored video is news for the popups.
export function queueEvents(deps: HostEventsDeps): Pick<VideoQueueDeps, "onStored" | "onDropped"> {
  const { popups, badge, debug, log } = deps;
  return {
    onStored(answer, video) {
      log.debug(answer.duplicate ? "host: duplicate of" : "host: stored", answer.video_id, "sync:", answer.sync, video.url);
      popups.broadcast({ type: "videoStored", video_id: answer.video_id, duplicate: answer.duplicate });
      badge.schedule();
    },
    onDropped(video, error) {
      log.warn("video given up:", error.code, error.message, video.url);
      debug.error(`video not stored (${error.code}): ${error.message}`);
    },
  };
}

/// Registers the host connection's listeners. `onConnected` runs after each
/// successful `hello` (the worker configures the origins then).
export function wireHostEvents(host: HostConnection, queue: VideoQueue, deps: HostEventsDeps & { onConnected(): void }): void {
  const { popups, badge, debug, log } = deps;
  host.onState((info: ConnectionInfo) => {
    queue.setOnline(info.state === "connected");
    if (info.state !== "connected" && info.state !== "connecting" && info.detail) {
      debug.error(`host ${info.state}: ${info.detail}`);
    }
    popups.broadcast({ type: "connection", connection: info });
    badge.schedule();
  });

  host.onConnected(() => deps.onConnected());

  host.onEvent((event) => {
    if (isSyncStateEvent(event)) {
      log.debug("sync_state", event.video_id, event.sync);
      const out: PopupEvent = { type: "syncState", video_id: event.video_id, sync: event.sync };
      if (event.last_error !== undefined) out.last_error = event.last_error;
      popups.broadcast(out);
      badge.schedule();
      return;
    }
    const media = parseMediaStateEvent(event);
    if (media !== null) {
      const { type: _type, ...fields } = media;
      popups.broadcast({ type: "mediaState", ...fields });
    }
  });
}
