// The parts of a fake `chrome` namespace that the service-worker tests
// (main.test.ts, main-security.test.ts) share: events that keep their
// listeners, runtime with a FakePort per connectNative, storage.local over a
// Map, granted permissions, the content-script registry, and sending a
// runtime message the way the browser does. Each test file builds its own
// cookies, tabs and action around these, since that is what it is about.

import { FakePort } from "./fake-port";

// The fake events carry listeners of every chrome event, whatever they take.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Listener = (...args: any[]) => unknown;

export function event() {
  const listeners: Listener[] = [];
  return {
    listeners,
    addListener: (fn: Listener) => void listeners.push(fn),
    removeListener: (fn: Listener) => void listeners.splice(listeners.indexOf(fn), 1),
    fire: (...args: unknown[]) => listeners.map((fn) => fn(...args)),
  };
}

/// chrome.runtime for extension `id`: every connectNative (to the vidkeep
/// host only) appends a new FakePort to `ports`.
export function fakeRuntime(id: string, ports: FakePort[]) {
  const base = `chrome-extension://${id}/`;
  return {
    id,
    lastError: undefined as undefined | { message: string },
    getURL: (p: string) => base + p,
    getManifest: () => ({ version: "9.9.9" }),
    onMessage: event(),
    onConnect: event(),
    connectNative: (name: string) => {
      if (name !== "org.vidkeep.host") throw new Error(`connectNative to an unexpected host: ${name}`);
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    openOptionsPage: async () => {},
  };
}

/// chrome.storage.local over `local`; values are copied both ways, as the
/// browser serializes them.
export function fakeLocalStorage(local: Map<string, unknown>) {
  return {
    get: async (key: string) => (local.has(key) ? { [key]: structuredClone(local.get(key)) } : {}),
    set: async (items: Record<string, unknown>) => {
      for (const [k, v] of Object.entries(items)) local.set(k, structuredClone(v));
    },
  };
}

/// chrome.permissions with every origin granted.
export function fakePermissions() {
  return {
    contains: async () => true,
    request: async () => true,
    remove: async () => true,
    onAdded: event(),
    onRemoved: event(),
  };
}

/// chrome.scripting over `registered` (script id -> what was registered).
export function fakeScripting<S extends { id: string }>(registered: Map<string, S>) {
  return {
    getRegisteredContentScripts: async ({ ids }: { ids: string[] }) => ids.filter((i) => registered.has(i)).map((i) => registered.get(i)),
    registerContentScripts: async (scripts: S[]) => void scripts.forEach((s) => registered.set(s.id, s)),
    unregisterContentScripts: async ({ ids }: { ids: string[] }) => void ids.forEach((i) => registered.delete(i)),
  };
}

/// Sends a runtime message the way the browser does and returns the answer
/// (undefined when no listener keeps the channel open).
export function sendMessage(onMessage: { listeners: Listener[] }, message: unknown, sender: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve) => {
    const results = onMessage.listeners.map((fn) => fn(message, sender, resolve));
    if (!results.includes(true)) resolve(undefined);
  });
}

/// What both service-worker tests take as is: runtime (see fakeRuntime),
/// granted permissions, the script registry over `registered`, alarms that
/// never fire by themselves, and an English i18n with no messages. Spread
/// into a test's own namespace next to its storage, cookies, action and tabs.
export function fakeChromeBase<S extends { id: string }>(id: string, ports: FakePort[], registered: Map<string, S>) {
  return {
    runtime: fakeRuntime(id, ports),
    permissions: fakePermissions(),
    scripting: fakeScripting(registered),
    alarms: { create: async () => {}, onAlarm: event() },
    i18n: { getMessage: () => "", getUILanguage: () => "en" },
  };
}
