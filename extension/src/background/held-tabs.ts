// Videos held for a chat id (a new chat at `/` whose address gains its id
// later, REAL-APP.md section 2) are released when their tab's URL says it
// gained the id or left the page, or when the tab closed.

import type { Logger } from "../shared/log";
import type { Settings } from "../shared/settings";
import { holdOutcome } from "./chat-hold";
import type { VideoQueue } from "./video-queue";

export interface HeldTabsDeps {
  queue: VideoQueue;
  badge: { schedule(): void };
  log: Logger;
  /// The settings in force now.
  settings(): Settings;
}

export class HeldTabs {
  private readonly deps: HeldTabsDeps;

  constructor(deps: HeldTabsDeps) {
    this.deps = deps;
  }

  /// Releases the videos held for `tabId` when its URL (read by `url`, which
  /// rejects when the tab is gone) says it gained a chat id or left the page.
  async check(tabId: number, url: () => Promise<string | undefined>): Promise<void> {
    const { queue, badge, log } = this.deps;
    const held = queue.heldTabs().find((h) => h.tabId === tabId);
    if (held === undefined) return;
    let tabUrl: string | undefined;
    try {
      tabUrl = await url();
    } catch {
      tabUrl = undefined; // the tab is gone
    }
    const outcome = holdOutcome(held, tabUrl, this.deps.settings().chatIdPattern);
    if (outcome === "keep") return;
    const released = await queue.release(tabId, outcome.release);
    if (released > 0) {
      log.debug("released", released, "held videos of tab", tabId, outcome.release === null ? "without a chat id" : `for chat ${outcome.release.chatId}`);
      badge.schedule();
    }
  }
}
