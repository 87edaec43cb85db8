// Settings: what the person set in the options page (storage.local), what an
// admin set by policy (storage.managed, wins and is shown locked), and the
// defaults. Pure functions; the background reads the storage areas.

import { compileChatIdPattern, kDefaultChatIdPattern } from "./chat-id";
import { checkOrigin, type OriginProblem } from "./urls";

export interface Settings {
  /// Chat app origins the extension captures on and syncs to. Empty by
  /// default: nothing is captured until a person or admin names one.
  origins: string[];
  /// Regular expression over the page path; group 1 is the chat id.
  chatIdPattern: string;
  /// CSS selector of the chat's artifact panel; `<video>`s inside it count.
  artifactSelector: string;
  /// CSS selector of the chat's message list items; `<video>`s inside them
  /// count as source "inline" (the TOOL version plays videos in the message).
  inlineSelector: string;
  /// Session cookie names sent to the host with `configure`; their chunked
  /// variants (`name.0`, `name.1`, …) are included.
  cookieNames: string[];
  /// Capture on/off. Off: nothing is forwarded to the host.
  captureEnabled: boolean;
  /// Whether videos made in a private (incognito) window are stored and
  /// sent. Off by default, like a browser's "allow in private windows":
  /// nothing from a private window reaches the disk (issue 13, finding 8).
  capturePrivateWindows: boolean;
  /// Prints each step with a `[vidkeep]` prefix in the page console and the
  /// service worker. Never prints cookies.
  debugLogging: boolean;
}

export type SettingKey = keyof Settings;
export const kSettingKeys: readonly SettingKey[] = [
  "origins", "chatIdPattern", "artifactSelector", "inlineSelector", "cookieNames", "captureEnabled", "capturePrivateWindows",
  "debugLogging",
];

/// The Vercel chatbot renders its artifact panel as `data-testid="artifact"`.
export const kDefaultArtifactSelector = '[data-testid="artifact"]';
/// The Vercel chatbot marks each message `data-testid="message-assistant"` and
/// `data-role="assistant"`.
export const kDefaultInlineSelector = '[data-testid="message-assistant"], [data-role="assistant"]';
/// Auth.js v5 names (WS and SSE versions) and NextAuth v4 names (TOOL version),
/// REAL-APP.md section 5.
export const kDefaultCookieNames = [
  "authjs.session-token", "__Secure-authjs.session-token",
  "next-auth.session-token", "__Secure-next-auth.session-token",
];

export const kDefaultSettings: Readonly<Settings> = Object.freeze({
  origins: [],
  chatIdPattern: kDefaultChatIdPattern,
  artifactSelector: kDefaultArtifactSelector,
  inlineSelector: kDefaultInlineSelector,
  cookieNames: kDefaultCookieNames,
  captureEnabled: true,
  capturePrivateWindows: false,
  debugLogging: false,
});

/// The storage.local key holding the person's settings (a partial Settings).
export const kSettingsStorageKey = "settings";

export interface EffectiveSettings {
  settings: Settings;
  /// Keys an admin set by policy: shown locked, not editable.
  locked: SettingKey[];
  /// Configured origins that are not used, and why (the options page shows them).
  refusedOrigins: RefusedOrigin[];
}

/// An origin a person or policy named that is not used.
export interface RefusedOrigin {
  /// As written (cut to 200 characters).
  value: string;
  problem: OriginProblem;
  /// Named by policy (storage.managed) rather than the options page.
  byPolicy: boolean;
}

/// The entries of a raw `origins` value that sanitizeSettings drops.
export function refusedOrigins(raw: unknown, byPolicy: boolean): RefusedOrigin[] {
  if (typeof raw !== "object" || raw === null) return [];
  const origins = (raw as Record<string, unknown>)["origins"];
  if (!Array.isArray(origins)) return [];
  const out: RefusedOrigin[] = [];
  for (const o of origins) {
    if (typeof o !== "string") continue;
    const check = checkOrigin(o);
    if (!check.ok) out.push({ value: o.slice(0, 200), problem: check.problem, byPolicy });
  }
  return out;
}

/// Keeps only valid values of known keys; anything else is dropped (so a
/// bad policy or stored value falls back to the next layer, never breaks).
export function sanitizeSettings(raw: unknown): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (typeof raw !== "object" || raw === null) return out;
  const r = raw as Record<string, unknown>;
  if (Array.isArray(r["origins"])) {
    const origins = r["origins"]
      .map((o) => (typeof o === "string" ? checkOrigin(o) : null))
      .flatMap((c) => (c !== null && c.ok ? [c.origin] : []));
    out.origins = [...new Set(origins)];
  }
  if (typeof r["chatIdPattern"] === "string" && compileChatIdPattern(r["chatIdPattern"]) !== null) {
    out.chatIdPattern = r["chatIdPattern"];
  }
  if (typeof r["artifactSelector"] === "string" && r["artifactSelector"].trim() !== "") {
    out.artifactSelector = r["artifactSelector"].trim();
  }
  if (typeof r["inlineSelector"] === "string" && r["inlineSelector"].trim() !== "") {
    out.inlineSelector = r["inlineSelector"].trim();
  }
  if (Array.isArray(r["cookieNames"])) {
    const names = r["cookieNames"]
      .filter((n): n is string => typeof n === "string")
      .map((n) => n.trim())
      .filter((n) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(n));
    out.cookieNames = [...new Set(names)];
  }
  if (typeof r["captureEnabled"] === "boolean") out.captureEnabled = r["captureEnabled"];
  if (typeof r["capturePrivateWindows"] === "boolean") out.capturePrivateWindows = r["capturePrivateWindows"];
  if (typeof r["debugLogging"] === "boolean") out.debugLogging = r["debugLogging"];
  return out;
}

/// Layers defaults < stored < managed. Managed values win and are locked.
export function effectiveSettings(stored: unknown, managed: unknown): EffectiveSettings {
  const fromStore = sanitizeSettings(stored);
  const fromPolicy = sanitizeSettings(managed);
  const settings: Settings = { ...kDefaultSettings, ...fromStore, ...fromPolicy };
  settings.origins = [...settings.origins];
  settings.cookieNames = [...settings.cookieNames];
  const locked = kSettingKeys.filter((k) => k in fromPolicy);
  // Stored entries are listed only while the person's list is the one used.
  const refused = [...("origins" in fromPolicy ? [] : refusedOrigins(stored, false)), ...refusedOrigins(managed, true)];
  return { settings, locked, refusedOrigins: refused };
}

/// What the page-world script needs to know (nothing secret: it is posted
/// into the page).
export interface PageConfig {
  captureEnabled: boolean;
  debugLogging: boolean;
  artifactSelector: string;
  inlineSelector: string;
}

export function pageConfigOf(settings: Settings): PageConfig {
  return {
    captureEnabled: settings.captureEnabled,
    debugLogging: settings.debugLogging,
    artifactSelector: settings.artifactSelector,
    inlineSelector: settings.inlineSelector,
  };
}
