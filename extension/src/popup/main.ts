// The popup (also usable as a full tab: popup.html?view=tab). Talks only to
// the background: `hostRequest` for list/get/delete/resync/status and the
// media cache requests, `getOverview` for the connection and debug state,
// and a port for live `sync_state`, `media_state` and connection events.

import * as browser from "../shared/browser-api";
import { applyI18n } from "../shared/i18n-dom";
import {
  Msg,
  kPopupPortName,
  type ConnectionInfo,
  type Overview,
  type PopupEvent,
  type PopupHostRequest,
} from "../shared/messages";
import { mediaReader, mediaUrl } from "../shared/media-read";
import { isSyncState, kSyncStates, type Answer, type ListAnswer, type VideoRecord } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import { Gallery, exportJson, type Filters } from "./gallery";
import { fetchVideos, pinVideos } from "./media-actions";
import { patchMedia } from "./media-view";
import { Player, localCopyOpener } from "./player";
import { renderCard, renderRows, setThumbnail, type CardContext } from "./render";
import { ThumbnailCache } from "./thumbnails";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

const ui = {
  conn: $("conn"),
  banner: $("banner"),
  search: $<HTMLInputElement>("search"),
  syncFilter: $<HTMLSelectElement>("sync-filter"),
  thisChat: $<HTMLInputElement>("this-chat"),
  thisChatLabel: $("this-chat-label"),
  selectionBar: $("selection-bar"),
  selectionCount: $("selection-count"),
  selectAll: $<HTMLButtonElement>("sel-all"),
  resync: $<HTMLButtonElement>("sel-resync"),
  pinSelected: $<HTMLButtonElement>("sel-pin"),
  unpinSelected: $<HTMLButtonElement>("sel-unpin"),
  fetchSelected: $<HTMLButtonElement>("sel-fetch"),
  exportBtn: $<HTMLButtonElement>("sel-export"),
  deleteBtn: $<HTMLButtonElement>("sel-delete"),
  clear: $<HTMLButtonElement>("sel-clear"),
  scroller: $("gallery-wrap"),
  gallery: $<HTMLUListElement>("gallery"),
  sentinel: $("sentinel"),
  status: $("list-status"),
  debugRows: $("debug-rows"),
  debugErrors: $<HTMLOListElement>("debug-errors"),
  reconnect: $<HTMLButtonElement>("debug-reconnect"),
  player: $("player"),
  playerVideo: $<HTMLVideoElement>("player-video"),
  playerTitle: $("player-title"),
  playerOffline: $("player-offline"),
  playerMessage: $("player-message"),
  playerTab: $<HTMLButtonElement>("player-tab"),
  playerClose: $<HTMLButtonElement>("player-close"),
  toast: $("toast"),
  openTab: $<HTMLButtonElement>("open-tab"),
  openOptions: $<HTMLButtonElement>("open-options"),
};

const lang = browser.uiLanguage();
const t = (key: string, subs?: string | string[]) => browser.t(key, subs);
let overview: Overview | undefined;

function hostRequest(request: PopupHostRequest): Promise<Answer> {
  return browser.sendMessage<Answer>({ type: Msg.hostRequest, request });
}

const gallery = new Gallery((request) => hostRequest(request));
const thumbnails = new ThumbnailCache((videoId) => mediaReader(hostRequest, videoId, "thumbnail"));
const player = new Player(
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

// ---- connection banner and pill ----

let latest: ConnectionInfo | undefined;
/// The newer of `info` and what was shown last: a port event and an answer
/// may arrive out of order.
function newest(info: ConnectionInfo): ConnectionInfo {
  if (latest !== undefined && (info.seq ?? 0) < (latest.seq ?? 0)) return latest;
  latest = info;
  return info;
}

function showConnection(given: ConnectionInfo): void {
  const info = newest(given);
  if (overview !== undefined) overview.connection = info;
  const labels: Record<string, string> = {
    connected: t("connConnected"),
    connecting: t("connConnecting"),
    not_found: t("connNotFound"),
    forbidden: t("connForbidden"),
    incompatible: t("connIncompatible"),
    disconnected: t("connDisconnected"),
    idle: t("connConnecting"),
  };
  ui.conn.textContent = labels[info.state] ?? info.state;
  ui.conn.dataset["state"] = info.state;
  ui.conn.setAttribute("title", info.detail ?? labels[info.state] ?? info.state);
  renderBanner(info);
}

function renderBanner(info: ConnectionInfo): void {
  const b = ui.banner;
  b.replaceChildren();
  b.className = "banner";
  const add = (tag: string, text: string, className?: string) => {
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    b.append(node);
    return node;
  };
  const retry = () => {
    const button = add("button", t("retry"), "primary") as HTMLButtonElement;
    button.type = "button";
    button.addEventListener("click", () => void reconnect());
  };
  switch (info.state) {
    case "not_found": {
      b.classList.add("error");
      add("strong", t("hostMissingTitle"));
      const p = add("p", t("hostMissingBody"));
      p.append(" ");
      const code = document.createElement("code");
      code.textContent = "installer/install.sh";
      p.append(code);
      add("p", t("hostMissingAfter"), "small");
      retry();
      break;
    }
    case "forbidden":
      b.classList.add("error");
      add("strong", t("hostForbiddenTitle"));
      add("p", t("hostForbiddenBody", browser.api().runtime.id));
      retry();
      break;
    case "incompatible":
      b.classList.add("error");
      add("strong", t("updateTitle"));
      add("p", t("updateBody", [String(info.protocol ?? "?"), "1"]));
      retry();
      break;
    case "disconnected":
      b.classList.add("warn");
      add("strong", t("hostGoneTitle"));
      if (info.detail) add("p", info.detail, "small");
      retry();
      break;
    default:
      if (overview !== undefined && overview.originsConfigured === 0) {
        b.classList.add("info");
        add("strong", t("noOriginsTitle"));
        add("p", t("noOriginsBody"));
        const button = add("button", t("openOptions"), "primary") as HTMLButtonElement;
        button.type = "button";
        button.addEventListener("click", () => void browser.openOptionsPage());
      } else if (overview !== undefined && !overview.captureEnabled) {
        b.classList.add("info");
        add("strong", t("captureOffTitle"));
      } else if (overview !== undefined && overview.queued > 0 && info.state === "connected") {
        b.classList.add("info");
        add("p", t("queuedBody", String(overview.queued)), "small");
      } else {
        b.hidden = true;
        return;
      }
  }
  b.hidden = false;
}

// ---- gallery drawing ----

function cardContext(selected: boolean): CardContext {
  return { t, now: new Date(), lang, selected, cachedThumbnail: (id) => thumbnails.get(id) };
}

function drawGallery(): void {
  const cards = gallery.videos.map((v) => renderCard(document, v, cardContext(gallery.selected.has(v.video_id))));
  ui.gallery.replaceChildren(...cards);
  // Object URLs of thumbnails whose videos left the gallery are revoked,
  // once the new list is known (not while a new first page is on its way,
  // so videos that stay are not read again).
  if (!gallery.loading) thumbnails.keepOnly(gallery.videos.map((v) => v.video_id));
  fillThumbnails(cards);
  drawStatus();
  drawSelection();
}

function appendCards(from: number): void {
  const cards = gallery.videos.slice(from).map((v) => renderCard(document, v, cardContext(gallery.selected.has(v.video_id))));
  ui.gallery.append(...cards);
  fillThumbnails(cards);
  drawStatus();
}

function cardById(id: string): HTMLLIElement | null {
  return ui.gallery.querySelector<HTMLLIElement>(`li.card[data-id="${CSS.escape(id)}"]`);
}

/// Reads the cached thumbnails the cards are waiting for; the remote one
/// stands in when the cache cannot be read.
function fillThumbnails(cards: HTMLElement[]): void {
  for (const card of cards) {
    const id = card.dataset["id"];
    if (id === undefined || card.querySelector("button.thumb")?.getAttribute("data-thumb") !== "pending") continue;
    void thumbnails.load(id).then((url) => {
      const current = cardById(id);
      if (current === null) return;
      const remote = httpUrl(gallery.videos.find((v) => v.video_id === id)?.thumbnail_url);
      if (url !== null) setThumbnail(current, url, "cached");
      else if (remote !== null) setThumbnail(current, remote, "remote");
    });
  }
}

function drawStatus(): void {
  const s = ui.status;
  s.className = "list-status";
  if (gallery.error !== undefined) {
    const connected = overview?.connection.state === "connected";
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

function drawSelection(): void {
  const n = gallery.selected.size;
  ui.selectionBar.hidden = n === 0;
  ui.selectionCount.textContent = t("selectedCount", String(n));
  // Videos the app saved itself are never sent again (a second message).
  const resyncable = gallery.resyncableIds().length;
  ui.resync.disabled = n > 0 && resyncable === 0;
  if (ui.resync.disabled) ui.resync.setAttribute("title", t("resyncNoneHint"));
  else ui.resync.removeAttribute("title");
  resetDeleteButton();
}

function cardOf(node: EventTarget | null): HTMLLIElement | null {
  return node instanceof Element ? node.closest<HTMLLIElement>("li.card") : null;
}

function redrawCard(id: string): void {
  const video = gallery.videos.find((v) => v.video_id === id);
  const old = cardById(id);
  if (video === undefined || old === null) return;
  const hadFocus = document.activeElement === old;
  const fresh = renderCard(document, video, cardContext(gallery.selected.has(id)));
  old.replaceWith(fresh);
  fillThumbnails([fresh]);
  if (hadFocus) fresh.focus();
}

/// Only the media row of a card: download progress comes several times a
/// second and must not redraw the thumbnail or the list.
function patchCard(video: VideoRecord): void {
  const card = cardById(video.video_id);
  if (card !== null) patchMedia(card, video, t, lang);
}

async function loadFirst(): Promise<void> {
  const filters: Filters = {
    query: ui.search.value,
    sync: isSyncState(ui.syncFilter.value) ? ui.syncFilter.value : "",
    chatId: ui.thisChat.checked ? overview?.activeChat?.chatId : undefined,
  };
  gallery.selected.clear();
  const pending = gallery.reset(filters);
  drawGallery();
  await pending;
  drawGallery();
  fillViewport();
}

async function loadMore(): Promise<void> {
  const before = gallery.videos.length;
  const started = gallery.more();
  drawStatus();
  if (!(await started)) return;
  appendCards(before);
  fillViewport();
}

/// Keeps loading while the sentinel is still visible (a tall full tab).
function fillViewport(): void {
  if (gallery.done || gallery.loading || gallery.error !== undefined) return;
  const view = ui.scroller.getBoundingClientRect();
  const sentinel = ui.sentinel.getBoundingClientRect();
  if (sentinel.top <= view.bottom + 200) void loadMore();
}

// ---- actions ----

let toastTimer: number | undefined;
function toast(text: string): void {
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => (ui.toast.hidden = true), 2500);
}

let playerReturnFocus: HTMLElement | null = null;
function play(id: string): void {
  const video = gallery.videos.find((v) => v.video_id === id);
  if (video === undefined) return;
  playerReturnFocus = document.activeElement as HTMLElement | null;
  // The cached thumbnail when there is one (it outlives the remote link).
  const poster = thumbnails.get(id) ?? httpUrl(video.thumbnail_url);
  if (poster !== null) ui.playerVideo.setAttribute("poster", poster);
  else ui.playerVideo.removeAttribute("poster");
  ui.playerTitle.textContent = video.prompt ?? t("noPrompt");
  ui.playerTitle.setAttribute("title", video.prompt ?? "");
  ui.player.hidden = false;
  ui.playerClose.focus();
  player.open(video);
}

function closePlayer(): void {
  player.close();
  ui.player.hidden = true;
  playerReturnFocus?.focus();
}

async function copyUrl(id: string): Promise<void> {
  const url = gallery.videos.find((v) => v.video_id === id)?.url;
  if (url === undefined) return;
  try {
    await navigator.clipboard.writeText(url);
    toast(t("copied"));
  } catch {
    toast(t("copyFailed"));
  }
}

function openChat(id: string): void {
  const url = httpUrl(gallery.videos.find((v) => v.video_id === id)?.page_url);
  if (url !== null) void browser.openTab(url);
}

async function resyncSelected(): Promise<void> {
  const ids = gallery.resyncableIds();
  if (ids.length === 0) return;
  const answer = await hostRequest({ type: "resync", video_ids: ids });
  if (!answer.ok) return toast(`${t("actionFailed")} ${answer.error.message}`);
  toast(t("resyncQueued", String(answer["queued"] ?? ids.length)));
  for (const id of ids) {
    gallery.updateSync(id, "pending", null);
    redrawCard(id);
  }
}

async function pin(ids: string[], pinned: boolean): Promise<void> {
  const result = await pinVideos(hostRequest, gallery, ids, pinned);
  if (!result.ok) return toast(`${t("actionFailed")} ${result.message}`);
  for (const video of result.changed) patchCard(video);
  toast(t(pinned ? "pinnedToast" : "unpinnedToast", String(result.count)));
}

async function fetchAgain(ids: string[]): Promise<void> {
  const result = await fetchVideos(hostRequest, ids);
  if (!result.ok) return toast(`${t("actionFailed")} ${result.message}`);
  toast(t("fetchQueued", String(result.count)));
}

/// A `media_state` event: the card's media row follows it. A thumbnail
/// that was just cached is shown from the cache; a video that was just
/// cached is asked for again, for what the host's probe found (info).
async function onMediaState(event: Extract<PopupEvent, { type: "mediaState" }>): Promise<void> {
  const video = gallery.updateMedia(event);
  if (video === undefined) return;
  patchCard(video);
  if (event.state !== "cached") return;
  if (event.kind === "thumbnail") {
    thumbnails.forget(video.video_id);
    const url = await thumbnails.load(video.video_id);
    const current = cardById(video.video_id);
    if (url !== null && current !== null) setThumbnail(current, url, "cached");
    return;
  }
  const answer = await hostRequest({ type: "get", video_id: video.video_id });
  const fresh = answer.ok ? (answer["video"] as VideoRecord | undefined) : undefined;
  if (fresh && typeof fresh === "object" && fresh.video_id === video.video_id && gallery.replace(fresh) !== undefined) {
    redrawCard(video.video_id);
  }
}

let deleteArmed: number | undefined;
function resetDeleteButton(): void {
  clearTimeout(deleteArmed);
  deleteArmed = undefined;
  ui.deleteBtn.textContent = t("deleteSelected");
  ui.deleteBtn.classList.remove("armed");
}

async function deleteSelected(): Promise<void> {
  const ids = [...gallery.selected];
  if (ids.length === 0) return;
  if (deleteArmed === undefined) {
    // First press arms, second press deletes: no accidental loss.
    ui.deleteBtn.textContent = t("confirmDelete", String(ids.length));
    ui.deleteBtn.classList.add("armed");
    deleteArmed = window.setTimeout(resetDeleteButton, 4000);
    return;
  }
  resetDeleteButton();
  const answer = await hostRequest({ type: "delete", video_ids: ids });
  if (!answer.ok) return toast(`${t("actionFailed")} ${answer.error.message}`);
  gallery.remove(ids);
  drawGallery();
  toast(t("deleted", String(answer["deleted"] ?? ids.length)));
}

function exportSelected(): void {
  const videos = gallery.selectedVideos();
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
  toast(t("exported", String(videos.length)));
}

// ---- debug panel ----

function drawDebug(): void {
  if (overview === undefined) return;
  const c = overview.connection;
  const yesNo = c.state === "connected" ? t("yes") : `${t("no")} (${c.state})`;
  renderRows(document, ui.debugRows, [
    [t("dbgConnected"), yesNo],
    [t("dbgHostVersion"), c.hostVersion ?? "—"],
    [t("dbgProtocol"), c.protocol !== undefined ? String(c.protocol) : "—"],
    [t("dbgDbPath"), c.dbPath ?? "—"],
    [t("dbgExtension"), `${overview.extensionVersion} (${browser.api().runtime.id})`],
    [t("dbgQueued"), String(overview.queued)],
    [t("dbgLastVideo"), overview.lastVideoUrl ?? "—"],
    [t("dbgLastThumb"), overview.lastThumbnailUrl ?? "—"],
    [t("dbgDetail"), c.detail ?? "—"],
  ]);
  ui.debugErrors.replaceChildren();
  if (overview.recentErrors.length === 0) {
    const li = document.createElement("li");
    li.textContent = t("dbgNoErrors");
    li.className = "muted";
    ui.debugErrors.append(li);
  }
  for (const e of overview.recentErrors) {
    const li = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = e.at;
    time.textContent = new Date(e.at).toLocaleTimeString(lang);
    li.append(time, " ", e.message);
    ui.debugErrors.append(li);
  }
}

async function refreshOverview(): Promise<void> {
  try {
    overview = await browser.sendMessage<Overview>({ type: Msg.getOverview });
  } catch {
    return;
  }
  showConnection(overview.connection);
  const chatId = overview.activeChat?.chatId;
  ui.thisChat.disabled = chatId === undefined;
  ui.thisChatLabel.setAttribute("title", chatId !== undefined ? chatId : t("thisChatUnavailable"));
  if (chatId === undefined) ui.thisChat.checked = false;
  drawDebug();
}

async function reconnect(): Promise<void> {
  overview = await browser.sendMessage<Overview>({ type: Msg.reconnect });
  showConnection(overview.connection);
  drawDebug();
}

// ---- events ----

function wire(): void {
  let searchTimer: number | undefined;
  ui.search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => void loadFirst(), 250);
  });
  ui.search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      clearTimeout(searchTimer);
      void loadFirst();
    }
  });
  ui.syncFilter.addEventListener("change", () => void loadFirst());
  ui.thisChat.addEventListener("change", () => void loadFirst());

  ui.gallery.addEventListener("click", (e) => {
    const target = e.target as HTMLElement;
    const card = cardOf(target);
    const id = card?.dataset["id"];
    if (id === undefined) return;
    const action = target.closest<HTMLElement>("[data-action]")?.dataset["action"];
    if (action === "play") play(id);
    else if (action === "copy-url") void copyUrl(id);
    else if (action === "open-chat") openChat(id);
    else if (action === "pin") {
      const video = gallery.videos.find((v) => v.video_id === id);
      if (video?.media !== undefined) void pin([id], !video.media.pinned);
    } else if (action === "fetch") void fetchAgain([id]);
    else if (action === "select") {
      gallery.toggle(id, (target as HTMLInputElement).checked);
      card!.classList.toggle("selected", gallery.selected.has(id));
      card!.setAttribute("aria-selected", String(gallery.selected.has(id)));
      drawSelection();
    }
  });

  // Keyboard: arrows move between cards, Enter plays, Space selects.
  ui.gallery.addEventListener("keydown", (e) => {
    const card = cardOf(e.target);
    if (card === null || e.target !== card) return;
    const id = card.dataset["id"]!;
    if (e.key === "ArrowDown" || e.key === "ArrowRight") {
      (card.nextElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
      (card.previousElementSibling as HTMLElement | null)?.focus();
      e.preventDefault();
    } else if (e.key === "Enter") {
      play(id);
      e.preventDefault();
    } else if (e.key === " ") {
      gallery.toggle(id);
      redrawCard(id);
      drawSelection();
      e.preventDefault();
    }
  });

  ui.selectAll.addEventListener("click", () => {
    for (const v of gallery.videos) gallery.selected.add(v.video_id);
    drawGallery();
  });
  ui.clear.addEventListener("click", () => {
    gallery.selected.clear();
    drawGallery();
  });
  ui.resync.addEventListener("click", () => void resyncSelected());
  ui.pinSelected.addEventListener("click", () => void pin([...gallery.selected], true));
  ui.unpinSelected.addEventListener("click", () => void pin([...gallery.selected], false));
  ui.fetchSelected.addEventListener("click", () => void fetchAgain([...gallery.selected]));
  ui.deleteBtn.addEventListener("click", () => void deleteSelected());
  ui.exportBtn.addEventListener("click", exportSelected);

  ui.playerClose.addEventListener("click", closePlayer);
  ui.playerTab.addEventListener("click", () => {
    const url = httpUrl(ui.playerTab.dataset["url"]);
    if (url !== null) void browser.openTab(url);
  });
  ui.player.addEventListener("click", (e) => {
    if (e.target === ui.player) closePlayer();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !ui.player.hidden) {
      closePlayer();
      e.preventDefault();
    }
  });

  ui.reconnect.addEventListener("click", () => void reconnect());
  ui.openOptions.addEventListener("click", () => void browser.openOptionsPage());
  ui.openTab.addEventListener("click", () => void browser.openTab(browser.extensionUrl("popup.html?view=tab")));

  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) void loadMore();
  }, { root: ui.scroller, rootMargin: "200px" }).observe(ui.sentinel);
}

function listen(): void {
  const port = browser.api().runtime.connect({ name: kPopupPortName });
  let refreshTimer: number | undefined;
  port.onMessage.addListener((message: unknown) => {
    const event = message as PopupEvent;
    if (event.type === "syncState") {
      if (gallery.updateSync(event.video_id, event.sync, event.last_error) !== undefined) {
        redrawCard(event.video_id);
        if (gallery.selected.has(event.video_id)) drawSelection();
      }
    } else if (event.type === "mediaState") {
      void onMediaState(event);
    } else if (event.type === "connection") {
      const wasConnected = overview?.connection.state === "connected";
      showConnection(event.connection);
      drawDebug();
      if (!wasConnected && event.connection.state === "connected") void loadFirst();
    } else if (event.type === "videoStored" && !event.duplicate) {
      // A new video: fetch the first page again and put what is new on top.
      clearTimeout(refreshTimer);
      refreshTimer = window.setTimeout(() => void refreshTop(), 400);
    }
  });
}

async function refreshTop(): Promise<void> {
  const request: PopupHostRequest = { type: "list", limit: 10 };
  const f = gallery.filters;
  if (f.query !== "") request.query = f.query;
  if (f.sync !== "") request.sync = f.sync;
  if (f.chatId !== undefined) request.chat_id = f.chatId;
  const answer = await hostRequest(request);
  if (!answer.ok) return;
  const added = gallery.prepend((answer as ListAnswer).videos ?? []);
  if (added.length > 0) drawGallery();
  void refreshOverview();
}

async function main(): Promise<void> {
  applyI18n(document);
  if (new URLSearchParams(location.search).get("view") === "tab") {
    document.body.classList.add("tab");
    ui.openTab.hidden = true;
  }
  // Sync filter options, localized.
  for (const state of ["", ...kSyncStates]) {
    const option = document.createElement("option");
    option.value = state;
    option.textContent = state === "" ? t("allStates") : t(`sync_${state}`);
    ui.syncFilter.append(option);
  }
  wire();
  listen();
  await refreshOverview();
  await loadFirst();
}

void main();
