// The background's live events on the popup port: sync and media state of
// cards, connection changes, and new videos (the first page is read again
// and what is new goes on top).

import * as browser from "../shared/browser-api";
import { kPopupPortName, type PopupEvent, type PopupHostRequest } from "../shared/messages";
import { parseGetAnswer, parseListAnswer } from "../shared/protocol";
import type { ConnectionView } from "./connection-view";
import type { PopupContext } from "./context";
import type { GalleryView } from "./gallery-view";
import type { OverviewPanel } from "./overview";
import { setThumbnail } from "./render";

/// How long after the last new video the first page is read again.
const kRefreshDelayMs = 400;

export interface LiveEventsDeps {
  view: GalleryView;
  connection: ConnectionView;
  overview: OverviewPanel;
}

export class LiveEvents {
  private refreshTimer: number | undefined;

  constructor(private readonly ctx: PopupContext, private readonly deps: LiveEventsDeps) {}

  /// Connects the port and follows its events for the popup's lifetime.
  listen(): void {
    const { gallery } = this.ctx;
    const { view, connection, overview } = this.deps;
    const port = browser.api().runtime.connect({ name: kPopupPortName });
    port.onMessage.addListener((message: unknown) => {
      const event = message as PopupEvent;
      if (event.type === "syncState") {
        if (gallery.updateSync(event.video_id, event.sync, event.last_error) !== undefined) {
          view.redrawCard(event.video_id);
          if (gallery.selected.has(event.video_id)) view.drawSelection();
        }
      } else if (event.type === "mediaState") {
        void this.onMediaState(event);
      } else if (event.type === "connection") {
        const wasConnected = this.ctx.overview?.connection.state === "connected";
        connection.show(event.connection);
        overview.drawDebug();
        if (!wasConnected && event.connection.state === "connected") void view.loadFirst();
      } else if (event.type === "videoStored" && !event.duplicate) {
        // A new video: fetch the first page again and put what is new on top.
        clearTimeout(this.refreshTimer);
        this.refreshTimer = window.setTimeout(() => void this.refreshTop(), kRefreshDelayMs);
      }
    });
  }

  /// A `media_state` event: the card's media row follows it. A thumbnail
  /// that was just cached is shown from the cache; a video that was just
  /// cached is asked for again, for what the host's probe found (info).
  private async onMediaState(event: Extract<PopupEvent, { type: "mediaState" }>): Promise<void> {
    const { gallery, thumbnails, hostRequest } = this.ctx;
    const { view } = this.deps;
    const video = gallery.updateMedia(event);
    if (video === undefined) return;
    view.patchCard(video);
    if (event.state !== "cached") return;
    if (event.kind === "thumbnail") {
      thumbnails.forget(video.video_id);
      const url = await thumbnails.load(video.video_id);
      const current = view.cardById(video.video_id);
      if (url !== null && current !== null) setThumbnail(current, url, "cached");
      return;
    }
    const answer = await hostRequest({ type: "get", video_id: video.video_id });
    const fresh = answer.ok ? parseGetAnswer(answer) : null;
    if (fresh !== null && fresh.video_id === video.video_id && gallery.replace(fresh) !== undefined) {
      view.redrawCard(video.video_id);
    }
  }

  /// Reads the first page under the current filters and puts the videos not
  /// shown yet on top.
  private async refreshTop(): Promise<void> {
    const { gallery, hostRequest } = this.ctx;
    const request: PopupHostRequest = { type: "list", limit: 10 };
    const f = gallery.filters;
    if (f.query !== "") request.query = f.query;
    if (f.sync !== "") request.sync = f.sync;
    if (f.chatId !== undefined) request.chat_id = f.chatId;
    const answer = await hostRequest(request);
    if (!answer.ok) return;
    const added = gallery.prepend(parseListAnswer(answer).videos);
    if (added.length > 0) this.deps.view.draw();
    void this.deps.overview.refresh();
  }
}
