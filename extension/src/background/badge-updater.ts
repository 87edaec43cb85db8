// Keeps the toolbar badge in step with the host's `status` counts and the
// queue (badge.ts says what it shows). Updates are coalesced: a burst of
// events asks the host once.

import * as browser from "../shared/browser-api";
import type { Logger } from "../shared/log";
import { parseStatusAnswer, type StatusAnswer } from "../shared/protocol";
import { badgeFor } from "./badge";
import type { HostConnection } from "./host-connection";

export interface BadgeUpdaterDeps {
  host: Pick<HostConnection, "connection" | "request">;
  /// How many videos wait in the queue now.
  queued(): number;
  log: Logger;
}

/// How long after the first request in a burst the badge is drawn.
const kBadgeDelayMs = 300;

export class BadgeUpdater {
  private readonly deps: BadgeUpdaterDeps;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /// The last `status` answer, kept while the host is connecting again.
  private lastStatus: StatusAnswer | undefined;

  constructor(deps: BadgeUpdaterDeps) {
    this.deps = deps;
  }

  /// Draws the badge again soon (once for all calls until then).
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.update();
    }, kBadgeDelayMs);
  }

  private async update(): Promise<void> {
    const { host, log } = this.deps;
    const state = host.connection.state;
    if (state === "connected") {
      try {
        const answer = await host.request({ type: "status" });
        this.lastStatus = answer.ok ? parseStatusAnswer(answer) : this.lastStatus;
      } catch {
        // keep the last one
      }
    } else if (state !== "connecting") {
      this.lastStatus = undefined;
    }
    const badge = badgeFor(state, this.lastStatus, this.deps.queued());
    try {
      await browser.setBadge(badge.text, badge.color, browser.t(badge.titleKey, badge.text, "vidkeep"));
    } catch (err) {
      log.debug("badge", String(err));
    }
  }
}
