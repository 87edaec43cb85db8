// Tells the host each configured origin's session (`configure`): the
// session cookie read from the cookie store the origin's slot points at
// (cookie-store.ts), again when that cookie changes or a capture comes from
// another store. The account the host answers is remembered for captures.

import * as browser from "../shared/browser-api";
import type { Logger } from "../shared/log";
import { parseConfigureAnswer } from "../shared/protocol";
import type { Settings } from "../shared/settings";
import type { AccountMemory } from "./accounts";
import { storeOfTab, type CookieStoreSlots } from "./cookie-store";
import { cookieAppliesToOrigin, isSessionCookieName, sessionCookieHeader } from "./cookies";
import type { DebugState } from "./debug-state";
import type { HostConnection } from "./host-connection";
import type { SenderLike } from "./sender";
import { grantedOrigins } from "./settings-sync";

export interface SessionConfigDeps {
  host: Pick<HostConnection, "connection" | "request">;
  accounts: AccountMemory;
  cookieSlots: CookieStoreSlots;
  debug: DebugState;
  log: Logger;
  /// The settings in force now.
  settings(): Settings;
}

/// Auth.js rewrites several cookie chunks at once: this long after the last
/// change the origin is configured again.
const kCookieBurstMs = 500;

export class SessionConfig {
  private readonly deps: SessionConfigDeps;
  private readonly cookieTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private storeSwitches: Promise<unknown> = Promise.resolve();

  constructor(deps: SessionConfigDeps) {
    this.deps = deps;
  }

  /// Sends `origin`'s session to the host (when connected) and remembers
  /// who it belongs to.
  async configure(origin: string): Promise<void> {
    const { host, accounts, cookieSlots, debug, log } = this.deps;
    if (host.connection.state !== "connected") return;
    let cookie: string | undefined;
    const storeId = cookieSlots.get(origin);
    try {
      cookie = sessionCookieHeader(await browser.cookiesFor(`${origin}/`, storeId), this.deps.settings().cookieNames);
    } catch (err) {
      log.debug("cookies unavailable for", origin, "in store", storeId ?? "(default)", String(err));
      if (storeId !== undefined) {
        // That store is gone (its private window closed): the default one.
        await cookieSlots.set(origin, undefined);
        return this.configure(origin);
      }
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

  /// Configures every configured origin the browser granted.
  async configureAll(): Promise<void> {
    for (const origin of await grantedOrigins(this.deps.settings().origins)) await this.configure(origin);
  }

  /// cookies.onChanged: a session cookie of a configured origin, in the
  /// store its slot is filled from, configures that origin again.
  onCookieChanged(info: chrome.cookies.CookieChangeInfo): void {
    const settings = this.deps.settings();
    if (!isSessionCookieName(info.cookie.name, settings.cookieNames)) return;
    for (const origin of settings.origins) {
      if (!cookieAppliesToOrigin(info.cookie, origin)) continue;
      // Another cookie store's session (a private window, a container) is not
      // the one this origin's slot is filled from.
      if (!this.deps.cookieSlots.fills(origin, info.cookie.storeId)) continue;
      // Wait for the burst to end.
      clearTimeout(this.cookieTimers.get(origin));
      this.cookieTimers.set(origin, setTimeout(() => {
        this.cookieTimers.delete(origin);
        this.deps.log.debug("session cookie changed for", origin);
        void this.configure(origin);
      }, kCookieBurstMs));
    }
  }

  /// Fills `origin`'s session slot from the cookie store of `tab` (the tab
  /// that captures now), configuring the origin again when that store differs
  /// from the last one, before the capture is stamped with an account
  /// (cookie-store.ts says why). One switch at a time. False when the tab is
  /// private and its store cannot be found: its capture is refused, rather
  /// than synced with another store's session.
  followStore(origin: string, tab: SenderLike["tab"]): Promise<boolean> {
    const { accounts, cookieSlots, log } = this.deps;
    const run = async (): Promise<boolean> => {
      const found = await storeOfTab(tab, browser.cookieStores);
      if (!found.ok) {
        log.debug("no cookie store found for private tab", tab?.id);
        return false;
      }
      if (!(await cookieSlots.set(origin, found.storeId, tab?.incognito === true))) return true;
      log.debug("the session of", origin, "is now read from cookie store", found.storeId ?? "(default)");
      await accounts.forget(origin);
      await this.configure(origin);
      return true;
    };
    const next = this.storeSwitches.then(run, run);
    this.storeSwitches = next.catch(() => {});
    return next;
  }
}
