// The popup's controls: search and filters, clicks and keys on the cards,
// the selection bar, the player's buttons, the header buttons, and the
// sentinel that loads more while scrolling.

import * as browser from "../shared/browser-api";
import { httpUrl } from "../shared/urls";
import type { Actions } from "./actions";
import type { PopupContext } from "./context";
import type { GalleryView } from "./gallery-view";
import type { OverviewPanel } from "./overview";
import type { PlayerDialog } from "./player-dialog";

export interface ControlsDeps {
  view: GalleryView;
  actions: Actions;
  player: PlayerDialog;
  overview: OverviewPanel;
}

/// How long typing pauses before the search runs.
const kSearchDelayMs = 250;

function cardOf(node: EventTarget | null): HTMLLIElement | null {
  return node instanceof Element ? node.closest<HTMLLIElement>("li.card") : null;
}

/// Registers the listeners of every control; once, when the popup opens.
export function wireControls(ctx: PopupContext, deps: ControlsDeps): void {
  const { ui, gallery } = ctx;
  const { view, actions, player, overview } = deps;

  let searchTimer: number | undefined;
  ui.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void view.loadFirst(), kSearchDelayMs);
  });
  ui.search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(searchTimer);
      void view.loadFirst();
    }
  });
  ui.syncFilter.addEventListener("change", () => void view.loadFirst());
  ui.thisChat.addEventListener("change", () => void view.loadFirst());

  ui.gallery.addEventListener("click", (e) => {
    const target = e.target as HTMLElement;
    const card = cardOf(target);
    const id = card?.dataset["id"];
    if (card === null || id === undefined) return;
    const action = target.closest<HTMLElement>("[data-action]")?.dataset["action"];
    if (action === "play") player.play(id);
    else if (action === "copy-url") void actions.copyUrl(id);
    else if (action === "open-chat") actions.openChat(id);
    else if (action === "pin") {
      const video = gallery.videos.find((v) => v.video_id === id);
      if (video?.media !== undefined) void actions.pin([id], !video.media.pinned);
    } else if (action === "fetch") void actions.fetchAgain([id]);
    else if (action === "select") {
      gallery.toggle(id, (target as HTMLInputElement).checked);
      card.classList.toggle("selected", gallery.selected.has(id));
      card.setAttribute("aria-selected", String(gallery.selected.has(id)));
      view.drawSelection();
    }
  });

  // Keyboard: arrows move between cards, Enter plays, Space selects.
  ui.gallery.addEventListener("keydown", (e) => {
    const card = cardOf(e.target);
    if (card === null || e.target !== card) return;
    const id = card.dataset["id"];
    if (id === undefined) return;
    if (e.key === "ArrowDown" || e.key === "ArrowRight") {
      (card.nextElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
      (card.previousElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === "Enter") {
      player.play(id);
      e.preventDefault();
    } else if (e.key === " ") {
      gallery.toggle(id);
      view.redrawCard(id);
      view.drawSelection();
      e.preventDefault();
    }
  });

  ui.selectAll.addEventListener("click", () => {
    for (const v of gallery.videos) gallery.selected.add(v.video_id);
    view.draw();
  });
  ui.clear.addEventListener("click", () => {
    gallery.selected.clear();
    view.draw();
  });
  ui.resync.addEventListener("click", () => void actions.resyncSelected());
  ui.pinSelected.addEventListener("click", () => void actions.pin([...gallery.selected], true));
  ui.unpinSelected.addEventListener("click", () => void actions.pin([...gallery.selected], false));
  ui.fetchSelected.addEventListener("click", () => void actions.fetchAgain([...gallery.selected]));
  ui.deleteBtn.addEventListener("click", () => void actions.deleteSelected());
  ui.exportBtn.addEventListener("click", () => actions.exportSelected());

  ui.playerClose.addEventListener("click", () => player.close());
  ui.playerTab.addEventListener("click", () => {
    const url = httpUrl(ui.playerTab.dataset["url"]);
    if (url !== null) void browser.openTab(url);
  });
  ui.player.addEventListener("click", (e) => {
    if (e.target === ui.player) player.close();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && player.isOpen) {
      player.close();
      e.preventDefault();
    }
  });

  ui.reconnect.addEventListener("click", () => void overview.reconnect());
  ui.openOptions.addEventListener("click", () => void browser.openOptionsPage());
  ui.openTab.addEventListener("click", () => void browser.openTab(browser.extensionUrl("popup.html?view=tab")));

  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void view.loadMore();
  }, { root: ui.scroller, rootMargin: "200px" }).observe(ui.sentinel);
}
