// What the chat page's relay may ask: store a captured video
// (`captureVideo`), tell the host about the app's own save (`appSave`), and
// read the page's configuration (`getPageConfig`). Each sender is checked
// first (sender.ts); a private window's page only when the setting allows.

import * as browser from "../shared/browser-api";
import type { Logger } from "../shared/log";
import type { CaptureAnswer } from "../shared/messages";
import { appSaveMatched, type WireError } from "../shared/protocol";
import { pageConfigOf, type PageConfig, type Settings } from "../shared/settings";
import type { AccountMemory } from "./accounts";
import { buildAppSave } from "./app-save";
import type { DebugState } from "./debug-state";
import type { HeldTabs } from "./held-tabs";
import type { HostConnection } from "./host-connection";
import { buildVideo, checkContentSender, privateWindowRefusal, type CaptureContext } from "./sender";
import type { SessionConfig } from "./session-config";
import { kHeldError, type VideoQueue } from "./video-queue";

export interface PageHandlersDeps {
  extensionId: string;
  host: Pick<HostConnection, "connection" | "request">;
  queue: VideoQueue;
  accounts: AccountMemory;
  sessions: Pick<SessionConfig, "followStore">;
  heldTabs: Pick<HeldTabs, "check">;
  debug: DebugState;
  badge: { schedule(): void };
  log: Logger;
  /// The settings in force now.
  settings(): Settings;
}

/// The answer an app_save message gets (the relay strips it, page-answer.ts).
export type AppSaveReply = { ok: true; matched: number } | { ok: false; error: WireError };

type Refused = { ok: false; error: WireError };

function refused(code: WireError["code"], message: string): Refused {
  return { ok: false, error: { code, message, retryable: false } };
}

/// A private tab whose cookie store cannot be found: refused rather than
/// synced with another store's session (session-config.ts followStore).
function storeUnknown(): Refused {
  return refused("unavailable", "the private tab's cookie store is unknown");
}

export class PageHandlers {
  private readonly deps: PageHandlersDeps;

  constructor(deps: PageHandlersDeps) {
    this.deps = deps;
  }

  /// What a capture and an app save both pass first: a content script on a
  /// configured origin (sender.ts), capture switched on, and a private
  /// window only when the setting allows it. `what` names it in the log.
  private admit(sender: chrome.runtime.MessageSender, what: string): { ok: true; context: CaptureContext } | Refused {
    const { extensionId, log } = this.deps;
    const settings = this.deps.settings();
    const check = checkContentSender(sender, extensionId, settings.origins, settings.chatIdPattern);
    if (!check.ok) {
      log.debug(`${what} refused:`, check.reason);
      return refused("unauthorized", check.reason);
    }
    if (!settings.captureEnabled) return refused("unavailable", "capture is switched off");
    const refusal = privateWindowRefusal(check.context, settings.capturePrivateWindows);
    if (refusal !== null) {
      log.debug(`${what} refused:`, refusal);
      return refused("unavailable", refusal);
    }
    return check;
  }

  /// `captureVideo`: checks the sender, stamps the account, and queues the
  /// video (held for a chat id when the tab has none yet).
  async capture(posted: unknown, sender: chrome.runtime.MessageSender): Promise<CaptureAnswer> {
    const { queue, accounts, sessions, heldTabs, debug, badge, log } = this.deps;
    const check = this.admit(sender, "capture");
    if (!check.ok) return check;
    const video = buildVideo(posted, check.context);
    if (video === null) return refused("invalid_url", "no http(s) video URL");
    if (!(await sessions.followStore(check.context.origin, sender.tab))) return storeUnknown();
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
      void heldTabs.check(tabId, () => browser.tabUrl(tabId));
    } else {
      // The tab has its id now: videos held for it go first, with that id.
      if (tabId !== undefined) await heldTabs.check(tabId, () => Promise.resolve(pageUrl));
      answer = await queue.submit(video);
    }
    if (!answer.ok) {
      log.debug("video kept or refused:", answer.error.code, answer.error.message);
      // What the page no longer reads goes to the popup instead (a held video
      // and a missing host are no errors worth listing: the popup shows both).
      if (answer.error !== kHeldError && answer.error.code !== "disconnected") {
        debug.error(`video ${answer.queued === true ? "kept" : "not stored"} (${answer.error.code}): ${answer.error.message}`);
      }
    }
    badge.schedule();
    return answer;
  }

  /// `appSave`: the app's own save-message request (relay `appSave`): checked
  /// like a capture, then told to the host, which holds back or marks the
  /// videos the app is saving itself. Not kept when the host is away: by the
  /// time it is back the app's answer is long known, and the host's grace
  /// period covers the videos.
  async appSave(posted: unknown, sender: chrome.runtime.MessageSender): Promise<AppSaveReply> {
    const { host, accounts, sessions, debug, badge, log } = this.deps;
    const check = this.admit(sender, "app save");
    if (!check.ok) return check;
    if (!(await sessions.followStore(check.context.origin, sender.tab))) return storeUnknown();
    const built = buildAppSave(posted, check.context, this.deps.settings().chatIdPattern, accounts.get(check.context.origin));
    if (!built.ok) {
      log.debug("app save refused:", built.reason);
      return refused("bad_request", built.reason);
    }
    const { save } = built;
    const what = `the app's own save (${save.phase}${save.http_status !== undefined ? `, HTTP ${save.http_status}` : ""}) in chat ${save.chat_id}`;
    const state = host.connection.state;
    if (state !== "connected" && state !== "connecting") {
      log.warn(`${what} not told to vidkeep-host: it is ${state}`);
      debug.error(`${what} not told to vidkeep-host (${state})`);
      return refused("disconnected", "vidkeep-host is not connected");
    }
    try {
      const answer = await host.request({ type: "app_save", save });
      if (!answer.ok) {
        debug.error(`app_save: ${answer.error.code}: ${answer.error.message}`);
        return answer;
      }
      log.debug(what, "matched", appSaveMatched(answer), "videos");
      badge.schedule();
      return { ok: true, matched: appSaveMatched(answer) };
    } catch (err) {
      debug.error(`${what} not told to vidkeep-host: ${String(err)}`);
      return refused("disconnected", String(err));
    }
  }

  /// `getPageConfig`: the configuration a page on a configured origin runs
  /// with; null elsewhere (another port, say), so the page stays inert.
  pageConfig(sender: chrome.runtime.MessageSender, fromExtensionPage: boolean): PageConfig | null {
    const settings = this.deps.settings();
    const check = checkContentSender(sender, this.deps.extensionId, settings.origins, settings.chatIdPattern);
    if (fromExtensionPage) return pageConfigOf(settings);
    if (!check.ok) return null;
    const config = pageConfigOf(settings);
    // A private window's page need not watch at all when it may not capture.
    if (privateWindowRefusal(check.context, settings.capturePrivateWindows) !== null) config.captureEnabled = false;
    return config;
  }
}
