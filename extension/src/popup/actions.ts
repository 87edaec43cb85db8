// What the card buttons and the selection bar do: copy a URL, open the
// chat, sync again, pin, fetch again, delete (two presses), export; each
// ends in a short toast.

import * as browser from "../shared/browser-api";
import { parseCountAnswer } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import type { ArmedDelete } from "./armed-delete";
import type { PopupContext } from "./context";
import { exportJson } from "./gallery";
import type { GalleryView } from "./gallery-view";
import { fetchVideos, pinVideos } from "./media-actions";

const kToastMs = 2500;

export class Actions {
  private toastTimer: number | undefined;

  constructor(private readonly ctx: PopupContext, private readonly view: GalleryView, private readonly deleteButton: ArmedDelete) {}

  private toast(text: string): void {
    const { ui } = this.ctx;
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = window.setTimeout(() => (ui.toast.hidden = true), kToastMs);
  }

  async copyUrl(id: string): Promise<void> {
    const { t, gallery } = this.ctx;
    const url = gallery.videos.find((v) => v.video_id === id)?.url;
    if (url === undefined) return;
    try {
      await navigator.clipboard.writeText(url);
      this.toast(t("copied"));
    } catch {
      this.toast(t("copyFailed"));
    }
  }

  openChat(id: string): void {
    const url = httpUrl(this.ctx.gallery.videos.find((v) => v.video_id === id)?.page_url);
    if (url !== null) void browser.openTab(url);
  }

  async resyncSelected(): Promise<void> {
    const { t, gallery, hostRequest } = this.ctx;
    const ids = gallery.resyncableIds();
    if (ids.length === 0) return;
    const answer = await hostRequest({ type: "resync", video_ids: ids });
    if (!answer.ok) return this.toast(`${t("actionFailed")} ${answer.error.message}`);
    this.toast(t("resyncQueued", String(parseCountAnswer("resync", answer) ?? ids.length)));
    for (const id of ids) {
      gallery.updateSync(id, "pending", null);
      this.view.redrawCard(id);
    }
  }

  async pin(ids: string[], pinned: boolean): Promise<void> {
    const { t, gallery, hostRequest } = this.ctx;
    const result = await pinVideos(hostRequest, gallery, ids, pinned);
    if (!result.ok) return this.toast(`${t("actionFailed")} ${result.message}`);
    for (const video of result.changed) this.view.patchCard(video);
    this.toast(t(pinned ? "pinnedToast" : "unpinnedToast", String(result.count)));
  }

  async fetchAgain(ids: string[]): Promise<void> {
    const { t, hostRequest } = this.ctx;
    const result = await fetchVideos(hostRequest, ids);
    if (!result.ok) return this.toast(`${t("actionFailed")} ${result.message}`);
    this.toast(t("fetchQueued", String(result.count)));
  }

  async deleteSelected(): Promise<void> {
    const { t, gallery, hostRequest } = this.ctx;
    const ids = [...gallery.selected];
    if (ids.length === 0) return;
    if (!this.deleteButton.press(ids.length)) return;
    const answer = await hostRequest({ type: "delete", video_ids: ids });
    if (!answer.ok) return this.toast(`${t("actionFailed")} ${answer.error.message}`);
    gallery.remove(ids);
    this.view.draw();
    this.toast(t("deleted", String(parseCountAnswer("delete", answer) ?? ids.length)));
  }

  exportSelected(): void {
    const videos = this.ctx.gallery.selectedVideos();
    if (videos.length === 0) return;
    const blob = new Blob([exportJson(videos)], { type: "application/json" });
    const href = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = href;
    a.download = `vidkeep-export-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
    this.toast(this.ctx.t("exported", String(videos.length)));
  }
}
