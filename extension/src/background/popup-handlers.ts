// What the popup may ask: one of the host requests it is allowed
// (popup-requests.ts), and the overview its header and debug panel show.

import * as browser from "../shared/browser-api";
import { chatIdFromUrl } from "../shared/chat-id";
import type { Overview } from "../shared/messages";
import type { Answer } from "../shared/protocol";
import type { Settings } from "../shared/settings";
import { originOf } from "../shared/urls";
import type { DebugState } from "./debug-state";
import { HostUnavailableError, type HostConnection } from "./host-connection";
import { sanitizePopupRequest } from "./popup-requests";

export interface PopupHandlersDeps {
  host: Pick<HostConnection, "connection" | "request">;
  /// How many videos wait in the queue now.
  queued(): number;
  debug: DebugState;
  badge: { schedule(): void };
  /// The settings in force now.
  settings(): Settings;
}

export class PopupHandlers {
  private readonly deps: PopupHandlersDeps;

  constructor(deps: PopupHandlersDeps) {
    this.deps = deps;
  }

  /// `hostRequest`: passes an allowed request on and answers with the host's
  /// answer, or a retryable error when no host answered.
  async hostRequest(raw: unknown): Promise<Answer> {
    const { host, debug, badge } = this.deps;
    const request = sanitizePopupRequest(raw);
    if (request === null) {
      return { id: null, ok: false, error: { code: "bad_request", message: "not a request the popup may make", retryable: false } };
    }
    try {
      const answer = await host.request(request);
      if (request.type === "delete" || request.type === "resync") badge.schedule();
      // A thumbnail or video that is not cached (yet) is no error worth listing.
      if (!answer.ok && request.type !== "media_read") debug.error(`${request.type}: ${answer.error.code}: ${answer.error.message}`);
      return answer;
    } catch (err) {
      const e = err instanceof HostUnavailableError ? err : new HostUnavailableError("disconnected", String(err));
      return { id: null, ok: false, error: { code: e.code, message: e.message, retryable: true } };
    }
  }

  /// `getOverview`: the connection, queue, debug state and the chat in the
  /// active tab (when it is on a configured origin).
  async overview(): Promise<Overview> {
    const { host, debug } = this.deps;
    const snapshot = debug.snapshot;
    const settings = this.deps.settings();
    const out: Overview = {
      connection: host.connection, // read again below, after the awaits
      recentErrors: snapshot.recentErrors,
      queued: this.deps.queued(),
      originsConfigured: settings.origins.length,
      captureEnabled: settings.captureEnabled,
      extensionVersion: browser.extensionVersion(),
    };
    if (snapshot.lastVideoUrl !== undefined) out.lastVideoUrl = snapshot.lastVideoUrl;
    if (snapshot.lastThumbnailUrl !== undefined) out.lastThumbnailUrl = snapshot.lastThumbnailUrl;
    try {
      const url = await browser.activeTabUrl();
      const origin = originOf(url);
      const now = this.deps.settings();
      if (url !== undefined && origin !== null && now.origins.includes(origin)) {
        const chat: NonNullable<Overview["activeChat"]> = { origin, url };
        const chatId = chatIdFromUrl(url, now.chatIdPattern);
        if (chatId !== undefined) chat.chatId = chatId;
        out.activeChat = chat;
      }
    } catch {
      // no tab access: no current chat
    }
    out.connection = host.connection;
    return out;
  }
}
