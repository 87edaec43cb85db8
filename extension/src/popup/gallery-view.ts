// Draws the gallery (gallery.ts holds its data): the cards, their cached
// thumbnails, the list status line and the selection bar; loads the first
// page for the current filters and more pages while the end is in view.

import { isSyncState, type VideoRecord } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import type { ArmedDelete } from "./armed-delete";
import type { PopupContext } from "./context";
import type { Filters } from "./gallery";
import { patchMedia } from "./media-view";
import { renderCard, setThumbnail, type CardContext } from "./render";

export class GalleryView {

  constructor(private readonly ctx: PopupContext, private readonly deleteButton: ArmedDelete) {}

  private cardContext(selected: boolean): CardContext {
    const { t, lang, thumbnails } = this.ctx;
    return { t, now: new Date(), lang, selected, cachedThumbnail: (id) => thumbnails.get(id) };
  }

  /// Draws every card again, with the status line and the selection bar.
  draw(): void {
    const { ui, gallery, thumbnails } = this.ctx;
    const cards = gallery.videos.map((v) => renderCard(document, v, this.cardContext(gallery.selected.has(v.video_id))));
    ui.gallery.replaceChildren(...cards);
    // Object URLs of thumbnails whose videos left the gallery are revoked,
    // once the new list is known (not while a new first page is on its way,
    // so videos that stay are not read again).
    if (!gallery.loading) thumbnails.keepOnly(gallery.videos.map((v) => v.video_id));
    this.fillThumbnails(cards);
    this.drawStatus();
    this.drawSelection();
  }

  private appendCards(from: number): void {
    const { ui, gallery } = this.ctx;
    const cards = gallery.videos.slice(from).map((v) => renderCard(document, v, this.cardContext(gallery.selected.has(v.video_id))));
    ui.gallery.append(...cards);
    this.fillThumbnails(cards);
    this.drawStatus();
  }

  cardById(id: string): HTMLLIElement | null {
    return this.ctx.ui.gallery.querySelector<HTMLLIElement>(`li.card[data-id="${CSS.escape(id)}"]`);
  }

  /// Reads the cached thumbnails the cards are waiting for; the remote one
  /// stands in when the cache cannot be read.
  private fillThumbnails(cards: HTMLElement[]): void {
    const { gallery, thumbnails } = this.ctx;
    for (const card of cards) {
      const id = card.dataset["id"];
      if (id === undefined || card.querySelector("button.thumb")?.getAttribute("data-thumb") !== "pending") continue;
      void thumbnails.load(id).then((url) => {
        const current = this.cardById(id);
        if (current === null) return;
        const remote = httpUrl(gallery.videos.find((v) => v.video_id === id)?.thumbnail_url);
        if (url !== null) setThumbnail(current, url, "cached");
        else if (remote !== null) setThumbnail(current, remote, "remote");
      });
    }
  }

  drawStatus(): void {
    const { ui, t, gallery } = this.ctx;
    const s = ui.status;
    s.className = "list-status";
    if (gallery.error !== undefined) {
      const connected = this.ctx.overview?.connection.state === "connected";
      s.textContent = connected ? `${t("listFailed")} ${gallery.error}` : t("historyNeedsHost");
      s.classList.add(connected ? "error" : "empty");
    } else if (gallery.loading) {
      s.textContent = t("loading");
    } else if (gallery.videos.length === 0) {
      const filtered = gallery.filters.query !== "" || gallery.filters.sync !== "" || gallery.filters.chatId !== undefined;
      s.textContent = filtered ? t("noMatches") : t("emptyGallery");
      s.classList.add("empty");
    } else if (gallery.done) {
      s.textContent = t("endOfList", String(gallery.videos.length));
    } else {
      s.textContent = "";
    }
  }

  drawSelection(): void {
    const { ui, t, gallery } = this.ctx;
    const n = gallery.selected.size;
    ui.selectionBar.hidden = n === 0;
    ui.selectionCount.textContent = t("selectedCount", String(n));
    // Videos the app saved itself are never sent again (a second message).
    const resyncable = gallery.resyncableIds().length;
    ui.resync.disabled = n > 0 && resyncable === 0;
    if (ui.resync.disabled) ui.resync.setAttribute("title", t("resyncNoneHint"));
    else ui.resync.removeAttribute("title");
    this.deleteButton.reset();
  }

  /// Draws one card again (its selection, sync state or record changed),
  /// keeping its focus.
  redrawCard(id: string): void {
    const { gallery } = this.ctx;
    const video = gallery.videos.find((v) => v.video_id === id);
    const old = this.cardById(id);
    if (video === undefined || old === null) return;
    const hadFocus = document.activeElement === old;
    const fresh = renderCard(document, video, this.cardContext(gallery.selected.has(id)));
    old.replaceWith(fresh);
    this.fillThumbnails([fresh]);
    if (hadFocus) fresh.focus();
  }

  /// Only the media row of a card: download progress comes several times a
  /// second and must not redraw the thumbnail or the list.
  patchCard(video: VideoRecord): void {
    const card = this.cardById(video.video_id);
    if (card !== null) patchMedia(card, video, this.ctx.t, this.ctx.lang);
  }

  /// Loads the first page for the filters the controls show now.
  async loadFirst(): Promise<void> {
    const { ui, gallery } = this.ctx;
    const filters: Filters = {
      query: ui.search.value,
      sync: isSyncState(ui.syncFilter.value) ? ui.syncFilter.value : "",
      chatId: ui.thisChat.checked ? this.ctx.overview?.activeChat?.chatId : undefined,
    };
    gallery.selected.clear();
    const pending = gallery.reset(filters);
    this.draw();
    await pending;
    this.draw();
    this.fillViewport();
  }

  async loadMore(): Promise<void> {
    const { gallery } = this.ctx;
    const before = gallery.videos.length;
    const started = gallery.more();
    this.drawStatus();
    if (!(await started)) return;
    this.appendCards(before);
    this.fillViewport();
  }

  /// Keeps loading while the sentinel is still visible (a tall full tab).
  private fillViewport(): void {
    const { ui, gallery } = this.ctx;
    if (gallery.done || gallery.loading || gallery.error !== undefined) return;
    const view = ui.scroller.getBoundingClientRect();
    const sentinel = ui.sentinel.getBoundingClientRect();
    if (sentinel.top <= view.bottom + 200) void this.loadMore();
  }
}
