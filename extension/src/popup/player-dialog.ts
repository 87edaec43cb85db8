// The player overlay: opens on a card with its poster and prompt, plays the
// remote video or the host's cached copy (player.ts), and gives the focus
// back to where it was when it closes.

import * as browser from "../shared/browser-api";
import { mediaReader, mediaUrl } from "../shared/media-read";
import { httpUrl } from "../shared/urls";
import type { PopupContext } from "./context";
import { Player, localCopyOpener } from "./player";

export class PlayerDialog {
  private readonly player: Player;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly ctx: PopupContext) {
    const { ui, t, lang, hostRequest } = ctx;
    this.player = new Player(
      { video: ui.playerVideo, offlineMark: ui.playerOffline, message: ui.playerMessage },
      {
        t,
        lang,
        openLocal: localCopyOpener({
          // Chromium: this page is controlled by the extension's service worker,
          // which answers media/<id> with range requests. Firefox has no
          // navigator.serviceWorker in extension pages: the copy is read whole.
          streamed: () => navigator.serviceWorker?.controller != null,
          mediaUrl: (videoId) => mediaUrl(browser.extensionUrl(""), videoId),
          reader: (videoId) => mediaReader(hostRequest, videoId, "video"),
        }),
        onSource(source, url) {
          // "Full size" opens what plays, where a tab can open it: the remote
          // URL, or the service worker's media URL; a Blob lives in this page only.
          const tabUrl = source === "remote" ? httpUrl(url) : source === "local" && url?.startsWith(browser.extensionUrl("")) ? url : null;
          ui.playerTab.hidden = tabUrl === null;
          if (tabUrl !== null) ui.playerTab.dataset["url"] = tabUrl;
        },
      },
    );
  }

  get isOpen(): boolean {
    return !this.ctx.ui.player.hidden;
  }

  play(id: string): void {
    const { ui, t, gallery, thumbnails } = this.ctx;
    const video = gallery.videos.find((v) => v.video_id === id);
    if (video === undefined) return;
    this.returnFocus = document.activeElement as HTMLElement | null;
    // The cached thumbnail when there is one (it outlives the remote link).
    const poster = thumbnails.get(id) ?? httpUrl(video.thumbnail_url);
    if (poster !== null) ui.playerVideo.setAttribute("poster", poster);
    else ui.playerVideo.removeAttribute("poster");
    ui.playerTitle.textContent = video.prompt ?? t("noPrompt");
    ui.playerTitle.setAttribute("title", video.prompt ?? "");
    ui.player.hidden = false;
    ui.playerClose.focus();
    this.player.open(video);
  }

  close(): void {
    this.player.close();
    this.ctx.ui.player.hidden = true;
    this.returnFocus?.focus();
  }
}
