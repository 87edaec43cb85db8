// Entry of sw.js: the Chromium service worker / Firefox background script.
// It alone owns the native port to vidkeep-host. Listeners are registered
// synchronously at the top level (so events wake the worker); state is
// loaded in `ready`, which every handler awaits.

import * as browser from "../shared/browser-api";
import { createLogger } from "../shared/log";
import {
  Msg,
  kPopupPortName,
  type CaptureAnswer,
  type ConnectionInfo,
  type Overview,
  type PopupEvent,
  type SettingsView,
} from "../shared/messages";
import {
  appSaveMatched,
  isSyncStateEvent,
  kHostName,
  parseConfigureAnswer,
  parseMediaStateEvent,
  type Answer,
  type StatusAnswer,
  type Video,
} from "../shared/protocol";
import {
  effectiveSettings,
  kSettingsStorageKey,
  pageConfigOf,
  sanitizeSettings,
  type EffectiveSettings,
  type Settings,
} from "../shared/settings";
import { chatIdFromUrl } from "../shared/chat-id";
import { matchPatternFor, originOf } from "../shared/urls";
import { AccountMemory } from "./accounts";
import { buildAppSave } from "./app-save";
import { badgeFor } from "./badge";
import { holdOutcome } from "./chat-hold";
import { cookieAppliesToOrigin, isSessionCookieName, sessionCookieHeader } from "./cookies";
import { syncContentScripts, type ScriptRegistration } from "./content-scripts";
import { DebugState } from "./debug-state";
import { HostConnection, HostUnavailableError, type NativePort } from "./host-connection";
import { mediaIdFromUrl, serveMedia } from "./media-server";
import { mediaReader } from "../shared/media-read";
import { sanitizePopupRequest } from "./popup-requests";
import { buildVideo, checkContentSender, isExtensionPage } from "./sender";
import { VideoQueue, type KeyValueStore } from "./video-queue";

const log = createLogger("background");
const hostLog = createLogger("host");
const queueLog = createLogger("queue");
/// All service worker loggers follow the options' debug logging switch.
const loggers = [log, hostLog, queueLog];
const store: KeyValueStore = { get: browser.localGet, set: browser.localSet };
const extensionId = browser.api().runtime.id;
const extensionBase = browser.extensionUrl("");

let current: EffectiveSettings = effectiveSettings(undefined, undefined);
let lastStatus: StatusAnswer | undefined;
const popupPorts = new Set<chrome.runtime.Port>();
const debug = new DebugState(store);
/// The last person signed in on each chat origin (stamped on captures).
const accounts = new AccountMemory(store);

// ---- the host ----

const host = new HostConnection({
  connect: () => browser.connectNative(kHostName) as unknown as NativePort,
  disconnectReason: (port) => browser.disconnectReason(port as unknown as chrome.runtime.Port),
  extensionVersion: browser.extensionVersion(),
  log: hostLog,
});

const queue = new VideoQueue({
  store,
  send: (video: Video) => host.request({ type: "video", video }),
  log: queueLog,
  onStored(answer, video) {
    log.debug(answer.duplicate ? "host: duplicate of" : "host: stored", answer.video_id, "sync:", answer.sync, video.url);
    broadcast({ type: "videoStored", video_id: answer.video_id, duplicate: answer.duplicate });
    scheduleBadge();
  },
  onDropped(video, error) {
    log.warn("video given up:", error.code, error.message, video.url);
    debug.error(`video not stored (${error.code}): ${error.message}`);
  },
});

host.onState((info: ConnectionInfo) => {
  queue.setOnline(info.state === "connected");
  if (info.state !== "connected" && info.state !== "connecting" && info.detail) {
    debug.error(`host ${info.state}: ${info.detail}`);
  }
  broadcast({ type: "connection", connection: info });
  scheduleBadge();
});

host.onConnected(() => {
  void ready.then(configureAll);
});

host.onEvent((event) => {
  if (isSyncStateEvent(event)) {
    log.debug("sync_state", event.video_id, event.sync);
    const out: PopupEvent = { type: "syncState", video_id: event.video_id, sync: event.sync };
    if (event.last_error !== undefined) out.last_error = event.last_error;
    broadcast(out);
    scheduleBadge();
    return;
  }
  const media = parseMediaStateEvent(event);
  if (media !== null) {
    const { type: _type, ...fields } = media;
    broadcast({ type: "mediaState", ...fields });
  }
});

function broadcast(event: PopupEvent): void {
  for (const port of popupPorts) {
    try {
      port.postMessage(event);
    } catch {
      popupPorts.delete(port);
    }
  }
}

// ---- settings, permissions, content scripts, cookies ----

/// The last policy values seen, kept in storage.local: storage.managed can
/// take seconds to answer when a worker starts (about 3 s in Chromium with
/// no policy at all), and nothing should wait for it.
const kManagedCacheKey = "managedCache";
let managed: Record<string, unknown> = {};

async function loadSettings(): Promise<void> {
  const [stored, cached] = await Promise.all([
    browser.localGet(kSettingsStorageKey),
    browser.localGet<Record<string, unknown>>(kManagedCacheKey),
  ]);
  if (cached !== undefined) managed = cached;
  current = effectiveSettings(stored, managed);
  for (const logger of loggers) logger.setEnabled(current.settings.debugLogging);
}

/// Reads storage.managed itself and applies it when it differs from the cache.
async function refreshManaged(): Promise<void> {
  const fresh = await browser.managedGetAll();
  if (JSON.stringify(fresh) === JSON.stringify(managed)) return;
  managed = fresh;
  await browser.localSet({ [kManagedCacheKey]: fresh });
  await settingsChanged();
}

async function grantedOrigins(origins: readonly string[]): Promise<string[]> {
  const granted: string[] = [];
  for (const origin of origins) {
    try {
      if (await browser.hasOrigins([matchPatternFor(origin)])) granted.push(origin);
    } catch {
      // an origin the browser cannot express: skip it
    }
  }
  return granted;
}

/// Registration changes run one at a time: a settings change and the
/// permission event it causes would otherwise both register the same ids.
let scriptsQueue: Promise<void> = Promise.resolve();
function syncScripts(): Promise<void> {
  scriptsQueue = scriptsQueue.then(syncScriptsNow, syncScriptsNow);
  return scriptsQueue;
}

async function syncScriptsNow(): Promise<void> {
  const granted = await grantedOrigins(current.settings.origins);
  try {
    const changed = await syncContentScripts(
      {
        registered: (ids) => browser.registeredScripts(ids),
        register: (scripts: ScriptRegistration[]) => browser.registerScripts(scripts as unknown as browser.RegisteredContentScript[]),
        unregister: (ids) => browser.unregisterScripts(ids),
      },
      granted.map(matchPatternFor),
    );
    if (changed) log.debug("content scripts registered for", granted);
  } catch (err) {
    log.warn("could not register content scripts", String(err));
    debug.error(`content scripts: ${String(err)}`);
  }
}

async function configure(origin: string): Promise<void> {
  if (host.connection.state !== "connected") return;
  let cookie: string | undefined;
  try {
    cookie = sessionCookieHeader(await browser.cookiesFor(`${origin}/`), current.settings.cookieNames);
  } catch (err) {
    log.debug("cookies unavailable for", origin, String(err));
  }
  const server: { origin: string; auth?: { cookie: string } } = { origin };
  if (cookie !== undefined) server.auth = { cookie };
  // Log the fact, never the value.
  log.debug("configure", origin, cookie === undefined ? "(no session cookie)" : "(with session cookie)");
  try {
    const answer = await host.request({ type: "configure", server });
    if (!answer.ok) {
      debug.error(`configure ${origin}: ${answer.error.code}: ${answer.error.message}`);
      return;
    }
    // Who these credentials belong to: later captures on the origin carry it.
    const configured = parseConfigureAnswer(answer);
    if (await accounts.learn(origin, configured)) log.debug("signed in on", origin, "as", configured.account?.id);
  } catch (err) {
    log.debug("configure failed", origin, String(err));
  }
}

async function configureAll(): Promise<void> {
  for (const origin of await grantedOrigins(current.settings.origins)) await configure(origin);
}

const cookieTimers = new Map<string, ReturnType<typeof setTimeout>>();
function onCookieChanged(info: chrome.cookies.CookieChangeInfo): void {
  if (!isSessionCookieName(info.cookie.name, current.settings.cookieNames)) return;
  for (const origin of current.settings.origins) {
    if (!cookieAppliesToOrigin(info.cookie, origin)) continue;
    // Auth.js rewrites several chunks at once: wait for the burst to end.
    clearTimeout(cookieTimers.get(origin));
    cookieTimers.set(origin, setTimeout(() => {
      cookieTimers.delete(origin);
      log.debug("session cookie changed for", origin);
      void configure(origin);
    }, 500));
  }
}

async function settingsChanged(): Promise<void> {
  const before = current.settings;
  await loadSettings();
  await syncScripts();
  await accounts.keepOnly(current.settings.origins);
  const added = current.settings.origins.filter((o) => !before.origins.includes(o));
  for (const origin of added) await configure(origin);
  if (JSON.stringify(before.cookieNames) !== JSON.stringify(current.settings.cookieNames)) await configureAll();
}

// ---- badge ----

let badgeTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleBadge(): void {
  if (badgeTimer !== undefined) return;
  badgeTimer = setTimeout(() => {
    badgeTimer = undefined;
    void updateBadge();
  }, 300);
}

async function updateBadge(): Promise<void> {
  const state = host.connection.state;
  if (state === "connected") {
    try {
      const answer = await host.request({ type: "status" });
      lastStatus = answer.ok ? (answer as StatusAnswer) : lastStatus;
    } catch {
      // keep the last one
    }
  } else if (state !== "connecting") {
    lastStatus = undefined;
  }
  const badge = badgeFor(state, lastStatus, queue.size);
  try {
    await browser.setBadge(badge.text, badge.color, browser.t(badge.titleKey, badge.text, "vidkeep"));
  } catch (err) {
    log.debug("badge", String(err));
  }
}

// ---- message handlers ----

async function onCapture(posted: unknown, sender: chrome.runtime.MessageSender): Promise<CaptureAnswer> {
  const check = checkContentSender(sender, extensionId, current.settings.origins, current.settings.chatIdPattern);
  if (!check.ok) {
    log.debug("capture refused:", check.reason);
    return { ok: false, error: { code: "unauthorized", message: check.reason, retryable: false } };
  }
  if (!current.settings.captureEnabled) {
    return { ok: false, error: { code: "unavailable", message: "capture is switched off", retryable: false } };
  }
  const video = buildVideo(posted, check.context);
  if (video === null) {
    return { ok: false, error: { code: "invalid_url", message: "no http(s) video URL", retryable: false } };
  }
  const account = accounts.get(check.context.origin);
  if (account !== undefined) video.account = account;
  log.debug("capture from", check.context.origin, "chat", video.chat_id ?? "(none)", video.source, video.url);
  debug.lastVideo(video.url, video.thumbnail_url);
  const { tabId, origin, pageUrl } = check.context;
  let answer: CaptureAnswer;
  if (video.chat_id === undefined && tabId !== undefined) {
    // A new chat at `/` whose address gains its id later (REAL-APP.md
    // section 2): hold the video for that id, then look at the tab once
    // more in case it gained it while this message was on its way.
    answer = await queue.submit(video, { tabId, origin });
    void checkHeldTab(tabId, () => browser.tabUrl(tabId));
  } else {
    // The tab has its id now: videos held for it go first, with that id.
    if (tabId !== undefined) await checkHeldTab(tabId, async () => pageUrl);
    answer = await queue.submit(video);
  }
  if (!answer.ok) log.debug("video kept or refused:", answer.error.code, answer.error.message);
  scheduleBadge();
  return answer;
}

/// Releases the videos held for `tabId` when its URL (read by `url`, which
/// rejects when the tab is gone) says it gained a chat id or left the page.
async function checkHeldTab(tabId: number, url: () => Promise<string | undefined>): Promise<void> {
  const held = queue.heldTabs().find((h) => h.tabId === tabId);
  if (held === undefined) return;
  let tabUrl: string | undefined;
  try {
    tabUrl = await url();
  } catch {
    tabUrl = undefined; // the tab is gone
  }
  const outcome = holdOutcome(held, tabUrl, current.settings.chatIdPattern);
  if (outcome === "keep") return;
  const released = await queue.release(tabId, outcome.release);
  if (released > 0) {
    log.debug("released", released, "held videos of tab", tabId, outcome.release === null ? "without a chat id" : `for chat ${outcome.release.chatId}`);
    scheduleBadge();
  }
}

/// The app's own save-message request (relay `appSave`): checked like a
/// capture, then told to the host, which holds back or marks the videos the
/// app is saving itself. Not kept when the host is away: by the time it is
/// back the app's answer is long known, and the host's grace period covers
/// the videos.
async function onAppSave(posted: unknown, sender: chrome.runtime.MessageSender): Promise<unknown> {
  const check = checkContentSender(sender, extensionId, current.settings.origins, current.settings.chatIdPattern);
  if (!check.ok) {
    log.debug("app save refused:", check.reason);
    return { ok: false, error: { code: "unauthorized", message: check.reason, retryable: false } };
  }
  if (!current.settings.captureEnabled) {
    return { ok: false, error: { code: "unavailable", message: "capture is switched off", retryable: false } };
  }
  const built = buildAppSave(posted, check.context, current.settings.chatIdPattern, accounts.get(check.context.origin));
  if (!built.ok) {
    log.debug("app save refused:", built.reason);
    return { ok: false, error: { code: "bad_request", message: built.reason, retryable: false } };
  }
  const { save } = built;
  const what = `the app's own save (${save.phase}${save.http_status !== undefined ? `, HTTP ${save.http_status}` : ""}) in chat ${save.chat_id}`;
  const state = host.connection.state;
  if (state !== "connected" && state !== "connecting") {
    log.warn(`${what} not told to vidkeep-host: it is ${state}`);
    debug.error(`${what} not told to vidkeep-host (${state})`);
    return { ok: false, error: { code: "disconnected", message: "vidkeep-host is not connected", retryable: false } };
  }
  try {
    const answer = await host.request({ type: "app_save", save });
    if (!answer.ok) {
      debug.error(`app_save: ${answer.error.code}: ${answer.error.message}`);
      return answer;
    }
    log.debug(what, "matched", appSaveMatched(answer), "videos");
    scheduleBadge();
    return { ok: true, matched: appSaveMatched(answer) };
  } catch (err) {
    debug.error(`${what} not told to vidkeep-host: ${String(err)}`);
    return { ok: false, error: { code: "disconnected", message: String(err), retryable: false } };
  }
}

async function onHostRequest(raw: unknown): Promise<Answer> {
  const request = sanitizePopupRequest(raw);
  if (request === null) {
    return { id: null, ok: false, error: { code: "bad_request", message: "not a request the popup may make", retryable: false } };
  }
  try {
    const answer = await host.request(request);
    if (request.type === "delete" || request.type === "resync") scheduleBadge();
    // A thumbnail or video that is not cached (yet) is no error worth listing.
    if (!answer.ok && request.type !== "media_read") debug.error(`${request.type}: ${answer.error.code}: ${answer.error.message}`);
    return answer;
  } catch (err) {
    const e = err instanceof HostUnavailableError ? err : new HostUnavailableError("disconnected", String(err));
    return { id: null, ok: false, error: { code: e.code, message: e.message, retryable: true } };
  }
}

async function overview(): Promise<Overview> {
  const snapshot = debug.snapshot;
  const out: Overview = {
    connection: host.connection, // read again below, after the awaits
    recentErrors: snapshot.recentErrors,
    queued: queue.size,
    originsConfigured: current.settings.origins.length,
    captureEnabled: current.settings.captureEnabled,
    extensionVersion: browser.extensionVersion(),
  };
  if (snapshot.lastVideoUrl !== undefined) out.lastVideoUrl = snapshot.lastVideoUrl;
  if (snapshot.lastThumbnailUrl !== undefined) out.lastThumbnailUrl = snapshot.lastThumbnailUrl;
  try {
    const url = await browser.activeTabUrl();
    const origin = originOf(url);
    if (url !== undefined && origin !== null && current.settings.origins.includes(origin)) {
      const chat: NonNullable<Overview["activeChat"]> = { origin, url };
      const chatId = chatIdFromUrl(url, current.settings.chatIdPattern);
      if (chatId !== undefined) chat.chatId = chatId;
      out.activeChat = chat;
    }
  } catch {
    // no tab access: no current chat
  }
  out.connection = host.connection;
  return out;
}

async function settingsView(): Promise<SettingsView> {
  const granted = await grantedOrigins(current.settings.origins);
  return {
    settings: current.settings,
    locked: current.locked,
    missingPermissions: current.settings.origins.filter((o) => !granted.includes(o)),
  };
}

async function saveSettings(patch: unknown): Promise<SettingsView> {
  const clean = sanitizeSettings(patch);
  // Locked (managed) keys are not the person's to change.
  for (const key of current.locked) delete clean[key];
  const stored = sanitizeSettings(await browser.localGet(kSettingsStorageKey));
  const next: Partial<Settings> = { ...stored, ...clean };
  const removed = current.settings.origins.filter((o) => clean.origins !== undefined && !clean.origins.includes(o));
  await browser.localSet({ [kSettingsStorageKey]: next });
  await settingsChanged();
  // Give back host permissions of origins no longer configured.
  const stillUsed = new Set(current.settings.origins.map(matchPatternFor));
  const release = [...new Set(removed.map(matchPatternFor))].filter((p) => !stillUsed.has(p));
  if (release.length > 0) {
    try {
      await browser.removeOrigins(release);
    } catch (err) {
      log.debug("could not release", release, String(err));
    }
  }
  return settingsView();
}

function handle(message: unknown, sender: chrome.runtime.MessageSender): Promise<unknown> | undefined {
  if (typeof message !== "object" || message === null) return undefined;
  const m = message as { type?: unknown } & Record<string, unknown>;
  const fromExtensionPage = isExtensionPage(sender, extensionId, extensionBase);
  switch (m.type) {
    case Msg.captureVideo:
      return ready.then(() => onCapture(m["video"], sender));
    case Msg.appSave:
      return ready.then(() => onAppSave(m["save"], sender));
    case Msg.getPageConfig:
      return ready.then(() => {
        const check = checkContentSender(sender, extensionId, current.settings.origins, current.settings.chatIdPattern);
        return check.ok || fromExtensionPage ? pageConfigOf(current.settings) : null;
      });
    default:
      break;
  }
  if (!fromExtensionPage) return undefined; // content scripts get nothing else
  switch (m.type) {
    case Msg.hostRequest:
      return ready.then(() => onHostRequest(m["request"]));
    case Msg.getOverview:
      return ready.then(overview);
    case Msg.reconnect:
      return ready.then(() => {
        host.reconnectNow();
        return overview();
      });
    case Msg.getSettings:
      return ready.then(settingsView);
    case Msg.saveSettings:
      return ready.then(() => saveSettings(m["patch"]));
    default:
      return undefined;
  }
}

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
  if (port.name !== kPopupPortName || !isExtensionPage(port.sender ?? {}, extensionId, extensionBase)) {
    port.disconnect();
    return;
  }
  popupPorts.add(port);
  port.onDisconnect.addListener(() => popupPorts.delete(port));
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
  if (area === "local" && kSettingsStorageKey in changes) void ready.then(settingsChanged);
  if (area === "managed") void ready.then(refreshManaged);
});
browser.onPermissionsChanged(() => {
  void ready.then(async () => {
    await syncScripts();
    await configureAll();
  });
});
browser.onCookieChanged(onCookieChanged);

// A held video's tab gaining its chat id (history.replaceState), leaving, or
// closing. Only URL and load changes matter (not title, favicon, audio).
browser.onTabUpdated((tabId, changedUrl, status, url) => {
  if (changedUrl === undefined && status === undefined) return;
  void ready.then(() => checkHeldTab(tabId, async () => url));
});
browser.onTabRemoved((tabId) => {
  void ready.then(() => checkHeldTab(tabId, () => Promise.reject(new Error("closed"))));
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
    await Promise.all([loadSettings(), queue.load(), debug.load(), accounts.load()]);
  } catch (err) {
    log.warn("could not load state", String(err));
  }
  // Tabs that closed or moved on while no worker was running.
  for (const held of queue.heldTabs()) void checkHeldTab(held.tabId, () => browser.tabUrl(held.tabId));
  browser.createAlarm(kAlarm, 1);
  await syncScripts();
  scheduleBadge();
  void refreshManaged().catch((err: unknown) => log.warn("could not read policy", String(err)));
})();
