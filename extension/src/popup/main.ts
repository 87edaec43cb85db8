// The popup (also usable as a full tab: popup.html?view=tab). Talks only to
// the background: `hostRequest` for list/get/delete/resync/status and the
// media cache requests, `getOverview` for the connection and debug state,
// and a port for live `sync_state`, `media_state` and connection events.
// This file only wires the parts together:
//   context.ts          the elements and what every part shares
//   connection-view.ts  the connection pill and banner
//   overview.ts         the background's overview, "This chat", debug panel
//   gallery-view.ts     drawing and loading the gallery (gallery.ts: its data)
//   actions.ts          card and selection actions, toasts
//   armed-delete.ts     the two-press delete button
//   player-dialog.ts    the player overlay
//   live-events.ts      the background's live events
//   controls.ts         the listeners of every control

import * as browser from "../shared/browser-api";
import { applyI18n } from "../shared/i18n-dom";
import { mediaReader } from "../shared/media-read";
import { kSyncStates } from "../shared/protocol";
import { Actions } from "./actions";
import { ArmedDelete } from "./armed-delete";
import { ConnectionView } from "./connection-view";
import { findElements, hostRequest, type PopupContext } from "./context";
import { wireControls } from "./controls";
import { Gallery } from "./gallery";
import { GalleryView } from "./gallery-view";
import { LiveEvents } from "./live-events";
import { OverviewPanel } from "./overview";
import { PlayerDialog } from "./player-dialog";
import { ThumbnailCache } from "./thumbnails";

const t = (key: string, subs?: string | string[]) => browser.t(key, subs);
const ctx: PopupContext = {
  ui: findElements(document),
  t,
  lang: browser.uiLanguage(),
  gallery: new Gallery((request) => hostRequest(request)),
  thumbnails: new ThumbnailCache((videoId) => mediaReader(hostRequest, videoId, "thumbnail")),
  hostRequest,
  overview: undefined,
};
const player = new PlayerDialog(ctx);
const deleteButton = new ArmedDelete(ctx.ui.deleteBtn, t);
const view = new GalleryView(ctx, deleteButton);
const actions = new Actions(ctx, view, deleteButton);
// The banner's retry button reconnects through the overview, which draws
// the banner: each reaches the other only from a click, after both exist.
const connection = new ConnectionView(ctx, (): Promise<void> => overview.reconnect());
const overview = new OverviewPanel(ctx, connection);
const live = new LiveEvents(ctx, { view, connection, overview });

async function main(): Promise<void> {
  const { ui } = ctx;
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
  wireControls(ctx, { view, actions, player, overview });
  live.listen();
  await overview.refresh();
  await view.loadFirst();
}

void main();
