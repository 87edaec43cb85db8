// The one module that touches the browser's extension APIs (uBlock Origin
// Lite style). Chromium exposes promise-returning `chrome.*`; Firefox exposes
// `browser.*` (and a `chrome` alias). Everything else in the extension imports
// from here, so the differences live in this file only.
//
// Page-world code (src/page/) must never import this module.

type ChromeApi = typeof chrome;

function namespace(): ChromeApi {
  const g = globalThis as unknown as { browser?: ChromeApi; chrome?: ChromeApi };
  const api = g.browser ?? g.chrome;
  if (api === undefined) throw new Error("vidkeep: no extension API in this context");
  return api;
}

/// The raw namespace, for the few calls that need no wrapping.
export function api(): ChromeApi {
  return namespace();
}

export type MessageSender = chrome.runtime.MessageSender;
export type Port = chrome.runtime.Port;

/// Registers a runtime.onMessage handler. A handler returns a promise for its
/// answer, or undefined to leave the message to others. Uses sendResponse +
/// `return true`, which both browsers honour.
export function onMessage(
  handler: (message: unknown, sender: MessageSender) => Promise<unknown> | undefined,
): void {
  namespace().runtime.onMessage.addListener((message, sender, sendResponse) => {
    let result: Promise<unknown> | undefined;
    try {
      result = handler(message, sender);
    } catch (err) {
      sendResponse({ ok: false, error: { code: "internal", message: String(err), retryable: false } });
      return false;
    }
    if (result === undefined) return false;
    result.then(sendResponse, (err: unknown) =>
      sendResponse({ ok: false, error: { code: "internal", message: String(err), retryable: false } }),
    );
    return true;
  });
}

export function sendMessage<T = unknown>(message: unknown): Promise<T> {
  return namespace().runtime.sendMessage(message) as Promise<T>;
}

/// The reason a port disconnected: Chromium reports it in
/// runtime.lastError during onDisconnect, Firefox on `port.error`.
export function disconnectReason(port: Port): string | undefined {
  const firefoxError = (port as unknown as { error?: { message?: string } | null }).error;
  if (firefoxError?.message) return firefoxError.message;
  try {
    return namespace().runtime.lastError?.message;
  } catch {
    return undefined;
  }
}

export function connectNative(name: string): Port {
  return namespace().runtime.connectNative(name);
}

export function extensionVersion(): string {
  try {
    return namespace().runtime.getManifest().version;
  } catch {
    return "0.0.0";
  }
}

export function extensionUrl(path = ""): string {
  return namespace().runtime.getURL(path);
}

// ---- storage ----

export async function localGet<T>(key: string): Promise<T | undefined> {
  const got = await namespace().storage.local.get(key);
  return got[key] as T | undefined;
}

export async function localSet(items: Record<string, unknown>): Promise<void> {
  await namespace().storage.local.set(items);
}

/// Policy values (storage.managed). Firefox throws when no policy exists and
/// some builds lack the area: both mean "no policy".
export async function managedGetAll(): Promise<Record<string, unknown>> {
  try {
    const area = namespace().storage.managed;
    if (area === undefined) return {};
    return ((await area.get(null)) ?? {}) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function onStorageChanged(
  fn: (changes: Record<string, chrome.storage.StorageChange>, area: string) => void,
): void {
  namespace().storage.onChanged.addListener(fn);
}

// ---- cookies ----

/// All cookies the browser would send to `url`. Retries with
/// `firstPartyDomain: null` where Firefox's first-party isolation needs it.
export async function cookiesFor(url: string): Promise<chrome.cookies.Cookie[]> {
  const cookies = namespace().cookies;
  try {
    return await cookies.getAll({ url });
  } catch {
    return await cookies.getAll({ url, firstPartyDomain: null } as unknown as chrome.cookies.GetAllDetails);
  }
}

export function onCookieChanged(fn: (info: chrome.cookies.CookieChangeInfo) => void): void {
  namespace().cookies.onChanged.addListener(fn);
}

// ---- permissions ----

export function requestOrigins(patterns: string[]): Promise<boolean> {
  return namespace().permissions.request({ origins: patterns });
}

export function hasOrigins(patterns: string[]): Promise<boolean> {
  return namespace().permissions.contains({ origins: patterns });
}

export function removeOrigins(patterns: string[]): Promise<boolean> {
  return namespace().permissions.remove({ origins: patterns });
}

export function onPermissionsChanged(fn: () => void): void {
  namespace().permissions.onAdded.addListener(fn);
  namespace().permissions.onRemoved.addListener(fn);
}

// ---- scripting ----

export type RegisteredContentScript = chrome.scripting.RegisteredContentScript;

export function registeredScripts(ids: string[]): Promise<RegisteredContentScript[]> {
  return namespace().scripting.getRegisteredContentScripts({ ids });
}

export function registerScripts(scripts: RegisteredContentScript[]): Promise<void> {
  return namespace().scripting.registerContentScripts(scripts);
}

export function unregisterScripts(ids: string[]): Promise<void> {
  return namespace().scripting.unregisterContentScripts({ ids });
}

// ---- action (toolbar badge) ----

export async function setBadge(text: string, color: string, title?: string): Promise<void> {
  const action = namespace().action;
  await action.setBadgeText({ text });
  if (text !== "") await action.setBadgeBackgroundColor({ color });
  if (title !== undefined) await action.setTitle({ title });
}

// ---- tabs ----

export async function activeTabUrl(): Promise<string | undefined> {
  const [tab] = await namespace().tabs.query({ active: true, lastFocusedWindow: true });
  return tab?.url;
}

/// A tab's URL: undefined when the extension may not see it (no host
/// permission for its page). Rejects when the tab no longer exists.
export async function tabUrl(tabId: number): Promise<string | undefined> {
  const tab = await namespace().tabs.get(tabId);
  return tab.url;
}

/// tabs.onUpdated: `url` is the tab's URL as the extension may see it
/// (undefined without a host permission for its page). Needs no `tabs`
/// permission: the chat origin's host permission reveals its URLs.
export function onTabUpdated(fn: (tabId: number, changedUrl: string | undefined, status: string | undefined, url: string | undefined) => void): void {
  namespace().tabs.onUpdated.addListener((tabId, changeInfo, tab) => fn(tabId, changeInfo.url, changeInfo.status, tab?.url));
}

export function onTabRemoved(fn: (tabId: number) => void): void {
  namespace().tabs.onRemoved.addListener((tabId) => fn(tabId));
}

export async function openTab(url: string): Promise<void> {
  await namespace().tabs.create({ url });
}

export function openOptionsPage(): Promise<void> {
  return namespace().runtime.openOptionsPage();
}

// ---- alarms ----

export function createAlarm(name: string, periodInMinutes: number): void {
  void namespace().alarms.create(name, { periodInMinutes });
}

export function onAlarm(fn: (name: string) => void): void {
  namespace().alarms.onAlarm.addListener((alarm) => fn(alarm.name));
}

// ---- i18n ----

/// A localized string from _locales, or `fallback` (default: the key) where
/// no extension API exists (unit tests) or the key is unknown.
export function t(key: string, substitutions?: string | string[], fallback?: string): string {
  try {
    const g = globalThis as unknown as { browser?: ChromeApi; chrome?: ChromeApi };
    const i18n = (g.browser ?? g.chrome)?.i18n;
    const text = i18n?.getMessage(key, substitutions);
    if (text) return text;
  } catch {
    // fall through
  }
  return fallback ?? key;
}

export function uiLanguage(): string {
  try {
    return namespace().i18n.getUILanguage();
  } catch {
    return "en";
  }
}
