// Entry of sw.js: the Chromium service worker / Firefox background script.
// It alone owns the native port to vidkeep-host. This file only wires the
// parts together; listeners are registered synchronously at the top level
// (so events wake the worker); state is loaded in `ready`, which every
// handler awaits.
//
// Where each concern lives:
//   host-events.ts     host connection and queue events -> popups, badge
//   popup-ports.ts     the popups' live-event ports
//   badge-updater.ts   the toolbar badge
//   settings-sync.ts   settings + policy, content scripts, options page
//   session-config.ts  `configure`: each origin's session cookie and store
//   held-tabs.ts       videos held until their tab has a chat id
//   page-handlers.ts   capture, app save, page config (from the relay)
//   popup-handlers.ts  host requests and the overview (from the popup)
//   handlers.ts        which sender may send which message

import * as browser from "../shared/browser-api";
import { createLogger } from "../shared/log";
import { kHostName, type Video } from "../shared/protocol";
import { kSettingsStorageKey, type Settings } from "../shared/settings";
import { mediaReader } from "../shared/media-read";
import { AccountMemory } from "./accounts";
import { BadgeUpdater } from "./badge-updater";
import { CookieStoreSlots } from "./cookie-store";
import { DebugState } from "./debug-state";
import { messageRouter } from "./handlers";
import { HeldTabs } from "./held-tabs";
import { HostConnection } from "./host-connection";
import { queueEvents, wireHostEvents } from "./host-events";
import { mediaIdFromUrl, serveMedia } from "./media-server";
import { PageHandlers } from "./page-handlers";
import { PopupHandlers } from "./popup-handlers";
import { PopupPorts } from "./popup-ports";
import { SessionConfig } from "./session-config";
import { SettingsSync } from "./settings-sync";
import { VideoQueue, type KeyValueStore } from "./video-queue";

const log = createLogger("background");
const hostLog = createLogger("host");
const queueLog = createLogger("queue");
const store: KeyValueStore = { get: browser.localGet, set: browser.localSet };
const extensionId = browser.api().runtime.id;
const extensionBase = browser.extensionUrl("");

const debug = new DebugState(store);
/// The last person signed in on each chat origin (stamped on captures).
const accounts = new AccountMemory(store);
/// The cookie store each origin's session is read from (cookie-store.ts).
const cookieSlots = new CookieStoreSlots(store);
const popups = new PopupPorts(extensionId, extensionBase);

// ---- the host ----

const host = new HostConnection({
  connect: () => browser.connectNative(kHostName),
  disconnectReason: (port) => browser.disconnectReason(port as unknown as chrome.runtime.Port),
  extensionVersion: browser.extensionVersion(),
  log: hostLog,
});
// The badge reads the queue's size and the queue redraws the badge: each
// side reaches the other only from callbacks, after both exist.
const badge = new BadgeUpdater({ host, queued: (): number => queue.size, log });
const queue = new VideoQueue({
  store,
  send: (video: Video) => host.request({ type: "video", video }),
  log: queueLog,
  ...queueEvents({ popups, badge, debug, log }),
});

// ---- settings and sessions ----

// The settings in force now (read at each use: they change at runtime).
const settings = (): Settings => settingsSync.current.settings;
const sessions = new SessionConfig({ host, accounts, cookieSlots, debug, log, settings });
const settingsSync = new SettingsSync({
  // All service worker loggers follow the options' debug logging switch.
  loggers: [log, hostLog, queueLog],
  log,
  debug,
  accounts,
  cookieSlots,
  sessions,
});
const heldTabs = new HeldTabs({ queue, badge, log, settings });

wireHostEvents(host, queue, { popups, badge, debug, log, onConnected: () => void ready.then(() => sessions.configureAll()) });

// ---- message handlers ----

const handle = messageRouter({
  extensionId,
  extensionBase,
  ready: () => ready,
  host,
  page: new PageHandlers({ extensionId, host, queue, accounts, sessions, heldTabs, debug, badge, log, settings }),
  popup: new PopupHandlers({ host, queued: () => queue.size, debug, badge, settings }),
  settings: settingsSync,
});

// ---- listeners (top level, synchronous) ----

browser.onMessage(handle);

// Offline copies for <video> in extension pages (Chromium's service worker;
// Firefox's event page never gets these events): `media/<video_id>` is
// answered from the host's cache with range support (media-server.ts).
interface ExtensionFetchEvent extends Event {
  request: Request;
  respondWith(response: Promise<Response>): void;
}
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
const workerScope = globalThis as unknown as {
  addEventListener?: (type: string, fn: (event: Event) => void) => void;
  clients?: { claim(): Promise<void> };
};
if (typeof workerScope.addEventListener === "function") {
  workerScope.addEventListener("fetch", (event) => {
    const fetchEvent = event as ExtensionFetchEvent;
    const videoId = mediaIdFromUrl(fetchEvent.request.url, extensionBase);
    if (videoId === null) return; // the package's own files: the browser serves them
    log.debug("media", videoId, fetchEvent.request.headers.get("Range") ?? "(whole)");
    const read = mediaReader((request) => host.request(request), videoId, "video");
    fetchEvent.respondWith(ready.then(() => serveMedia(fetchEvent.request, read)));
  });
  // Pages opened before this worker took over (install, update) are
  // controlled at once, so their <video> requests reach the handler above.
  workerScope.addEventListener("activate", (event) => {
    if (workerScope.clients !== undefined) (event as ExtendableEventLike).waitUntil(workerScope.clients.claim());
  });
}

browser.api().runtime.onConnect.addListener((port) => {
  if (!popups.accept(port)) return;
  // A popup that loaded while this worker was still starting up for the
  // first time is not controlled by it, and its <video> could not reach the
  // media/ handler: take it over now (Chromium; a no-op when controlled).
  void workerScope.clients?.claim().catch(() => {});
  // A popup opening is a good moment to try again at once.
  void ready.then(() => {
    const state = host.connection.state;
    if (state !== "connected" && state !== "connecting") host.reconnectNow();
  });
});

browser.onStorageChanged((changes, area) => {
  if (area === "local" && kSettingsStorageKey in changes) void ready.then(() => settingsSync.changed());
  if (area === "managed") void ready.then(() => settingsSync.refreshManaged());
});
browser.onPermissionsChanged(() => {
  void ready.then(async () => {
    await settingsSync.syncScripts();
    await sessions.configureAll();
  });
});
browser.onCookieChanged((info) => sessions.onCookieChanged(info));

// A held video's tab gaining its chat id (history.replaceState), leaving, or
// closing. Only URL and load changes matter (not title, favicon, audio).
browser.onTabUpdated((tabId, changedUrl, status, url) => {
  if (changedUrl === undefined && status === undefined) return;
  void ready.then(() => heldTabs.check(tabId, () => Promise.resolve(url)));
});
browser.onTabRemoved((tabId) => {
  void ready.then(() => heldTabs.check(tabId, () => Promise.reject(new Error("closed"))));
});

// A worker that was idle (and so had no port) reconnects on this tick and
// sends what is still queued.
const kAlarm = "vidkeep-retry";
browser.onAlarm((name) => {
  if (name !== kAlarm) return;
  void ready.then(() => {
    host.start();
    void queue.flush();
    // A worker that slept through a hold's deadline sends it now.
    void queue.releaseExpired();
  });
});

// The host needs no settings: say hello at once.
host.start();

const ready: Promise<void> = (async () => {
  try {
    await Promise.all([settingsSync.load(), queue.load(), debug.load(), accounts.load(), cookieSlots.load()]);
  } catch (err) {
    log.warn("could not load state", String(err));
  }
  // Tabs that closed or moved on while no worker was running.
  for (const held of queue.heldTabs()) void heldTabs.check(held.tabId, () => browser.tabUrl(held.tabId));
  browser.createAlarm(kAlarm, 1);
  await settingsSync.syncScripts();
  badge.schedule();
  void settingsSync.refreshManaged().catch((err: unknown) => log.warn("could not read policy", String(err)));
})();
