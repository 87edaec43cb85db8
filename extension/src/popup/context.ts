// What every part of the popup shares: its elements, the translation, the
// gallery's data, the thumbnail cache, the way to the host (through the
// background) and the background's last overview.

import * as browser from "../shared/browser-api";
import { Msg, type Overview, type PopupHostRequest } from "../shared/messages";
import type { Answer } from "../shared/protocol";
import type { Gallery } from "./gallery";
import type { Translate } from "./render";
import type { ThumbnailCache } from "./thumbnails";

/// The popup's elements by id (popup.html).
export function findElements(doc: Document) {
  const $ = <T extends HTMLElement>(id: string): T => doc.getElementById(id) as T;
  return {
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
}

export type PopupElements = ReturnType<typeof findElements>;

/// One host request, through the background (`hostRequest`).
export function hostRequest(request: PopupHostRequest): Promise<Answer> {
  return browser.sendMessage<Answer>({ type: Msg.hostRequest, request });
}

export interface PopupContext {
  readonly ui: PopupElements;
  readonly t: Translate;
  readonly lang: string;
  readonly gallery: Gallery;
  readonly thumbnails: ThumbnailCache;
  readonly hostRequest: (request: PopupHostRequest) => Promise<Answer>;
  /// The background's last overview; undefined until it first answered.
  overview: Overview | undefined;
}
