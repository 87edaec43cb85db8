// The settings the worker acts on: stored settings merged with policy
// (storage.managed), the content scripts registered for the origins that
// have permission, and what follows a change (host sessions configured,
// accounts and cookie stores of removed origins forgotten, permissions of
// removed origins given back). The options page reads and saves through here.

import * as browser from "../shared/browser-api";
import type { Logger } from "../shared/log";
import type { SettingsView } from "../shared/messages";
import {
  effectiveSettings,
  kSettingsStorageKey,
  sanitizeSettings,
  type EffectiveSettings,
  type Settings,
} from "../shared/settings";
import { matchPatternFor } from "../shared/urls";
import type { AccountMemory } from "./accounts";
import { syncContentScripts, type ScriptRegistration } from "./content-scripts";
import type { CookieStoreSlots } from "./cookie-store";
import type { DebugState } from "./debug-state";

/// The last policy values seen, kept in storage.local: storage.managed can
/// take seconds to answer when a worker starts (about 3 s in Chromium with
/// no policy at all), and nothing should wait for it.
const kManagedCacheKey = "managedCache";

/// The origins of `origins` the browser has granted host permission for.
export async function grantedOrigins(origins: readonly string[]): Promise<string[]> {
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

export interface SettingsSyncDeps {
  /// Follow the debug logging switch.
  loggers: readonly Logger[];
  log: Logger;
  debug: DebugState;
  accounts: AccountMemory;
  cookieSlots: CookieStoreSlots;
  /// Tells the host an origin's session (session-config.ts).
  sessions: { configure(origin: string): Promise<void>; configureAll(): Promise<void> };
}

export class SettingsSync {
  private readonly deps: SettingsSyncDeps;
  private currentSettings: EffectiveSettings = effectiveSettings(undefined, undefined);
  private managed: Record<string, unknown> = {};
  /// Registration changes run one at a time: a settings change and the
  /// permission event it causes would otherwise both register the same ids.
  private scriptsQueue: Promise<void> = Promise.resolve();

  constructor(deps: SettingsSyncDeps) {
    this.deps = deps;
  }

  /// What the worker acts on now (defaults until `load` ran).
  get current(): EffectiveSettings {
    return this.currentSettings;
  }

  /// Reads the stored settings and the cached policy.
  async load(): Promise<void> {
    const [stored, cached] = await Promise.all([
      browser.localGet(kSettingsStorageKey),
      browser.localGet<Record<string, unknown>>(kManagedCacheKey),
    ]);
    if (cached !== undefined) this.managed = cached;
    this.currentSettings = effectiveSettings(stored, this.managed);
    for (const logger of this.deps.loggers) logger.setEnabled(this.currentSettings.settings.debugLogging);
  }

  /// Reads storage.managed itself and applies it when it differs from the cache.
  async refreshManaged(): Promise<void> {
    const fresh = await browser.managedGetAll();
    if (JSON.stringify(fresh) === JSON.stringify(this.managed)) return;
    this.managed = fresh;
    await browser.localSet({ [kManagedCacheKey]: fresh });
    await this.changed();
  }

  /// Registers the capture scripts for the granted origins (one run at a time).
  syncScripts(): Promise<void> {
    const run = () => this.syncScriptsNow();
    this.scriptsQueue = this.scriptsQueue.then(run, run);
    return this.scriptsQueue;
  }

  private async syncScriptsNow(): Promise<void> {
    const { log, debug } = this.deps;
    const granted = await grantedOrigins(this.currentSettings.settings.origins);
    try {
      const changed = await syncContentScripts(
        {
          registered: (ids) => browser.registeredScripts(ids),
          register: (scripts: ScriptRegistration[]) => browser.registerScripts(scripts),
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

  /// The stored settings or the policy changed: load them and act on the difference.
  async changed(): Promise<void> {
    const { accounts, cookieSlots, sessions } = this.deps;
    const before = this.currentSettings.settings;
    await this.load();
    // `this.current` is read again after each await: a change that lands
    // meanwhile is acted on with its own values.
    await this.syncScripts();
    await accounts.keepOnly(this.current.settings.origins);
    await cookieSlots.keepOnly(this.current.settings.origins);
    const added = this.current.settings.origins.filter((o) => !before.origins.includes(o));
    for (const origin of added) await sessions.configure(origin);
    if (!this.current.settings.capturePrivateWindows) {
      // A private window's session leaves the host with the setting.
      for (const origin of await cookieSlots.leavePrivate()) {
        if (added.includes(origin)) continue;
        await accounts.forget(origin);
        await sessions.configure(origin);
      }
    }
    if (JSON.stringify(before.cookieNames) !== JSON.stringify(this.current.settings.cookieNames)) await sessions.configureAll();
  }

  /// What the options page shows.
  async view(): Promise<SettingsView> {
    const granted = await grantedOrigins(this.current.settings.origins);
    const { settings, locked, refusedOrigins } = this.current;
    return {
      settings,
      locked,
      missingPermissions: settings.origins.filter((o) => !granted.includes(o)),
      refusedOrigins,
    };
  }

  /// Stores the options page's `patch` (locked keys left out), acts on it,
  /// and gives back host permissions of origins no longer configured.
  async save(patch: unknown): Promise<SettingsView> {
    const clean = sanitizeSettings(patch);
    // Locked (managed) keys are not the person's to change.
    for (const key of this.currentSettings.locked) delete clean[key];
    const stored = sanitizeSettings(await browser.localGet(kSettingsStorageKey));
    const next: Partial<Settings> = { ...stored, ...clean };
    const removed = this.currentSettings.settings.origins.filter((o) => clean.origins !== undefined && !clean.origins.includes(o));
    await browser.localSet({ [kSettingsStorageKey]: next });
    await this.changed();
    // Give back host permissions of origins no longer configured.
    const stillUsed = new Set(this.currentSettings.settings.origins.map(matchPatternFor));
    const release = [...new Set(removed.map(matchPatternFor))].filter((p) => !stillUsed.has(p));
    if (release.length > 0) {
      try {
        await browser.removeOrigins(release);
      } catch (err) {
        this.deps.log.debug("could not release", release, String(err));
      }
    }
    return this.view();
  }
}
