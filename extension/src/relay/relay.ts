// The isolated-world content script: it checks that a window message comes
// from this very window (`event.source === window`) and carries the page
// tag, forwards it to the background, and posts answers back. Nothing else:
// it does not judge or change what the page sent; the background does. What
// it posts into the page is readable by every script there: answers carry
// a stable code and a generic message only (shared/page-answer.ts), and a
// `null` page config tells the page world it is not heard (issue 13).

import { kPageTag, kRelayTag, Msg, type PageToRelay, type RelayToPage } from "../shared/messages";
import { kPageMessages, pageCaptureAnswer } from "../shared/page-answer";
import type { PageConfig } from "../shared/settings";

export type SendToBackground = (message: unknown) => Promise<unknown>;

const kInstalled = Symbol.for("vidkeep.relay.installed");

/// Installs the relay once per (isolated) global. Returns false when already there.
export function installRelay(win: typeof globalThis, send: SendToBackground): boolean {
  const w = win as unknown as Record<symbol, unknown>;
  if (w[kInstalled] === true) return false;
  Object.defineProperty(w, kInstalled, { value: true });
  // In a Firefox content script the global object is a sandbox whose
  // `window` is the page's window; `event.source` is that window, never the
  // sandbox. (In Chromium both are the same object.)
  const self = (win as unknown as { window?: Window }).window ?? (win as unknown as Window);

  const origin = (): string => {
    const o = win.location?.origin;
    return o && o !== "null" ? o : "*";
  };
  const toPage = (message: RelayToPage): void => {
    win.postMessage(message, origin());
  };

  const pushConfig = (): void => {
    send({ type: Msg.getPageConfig }).then(
      (config) => {
        // null: the background does not hear this page (another port of a
        // configured host, say); the page switches capture off for good.
        if (typeof config === "object") toPage({ tag: kRelayTag, kind: "config", config: config as PageConfig | null });
      },
      () => {},
    );
  };

  win.addEventListener("message", (event: MessageEvent) => {
    if (event.source !== self) return;
    const data = event.data as PageToRelay | undefined;
    if (typeof data !== "object" || data === null || data.tag !== kPageTag) return;
    if (data.kind === "configRequest") {
      pushConfig();
      return;
    }
    if (data.kind === "appSave") {
      // Fire and forget: the background checks it against the tab.
      send({ type: Msg.appSave, save: data.save }).catch(() => {});
      return;
    }
    if (data.kind !== "capture") return;
    const requestId = typeof data.requestId === "string" && data.requestId.length <= 64 ? data.requestId : undefined;
    send({ type: Msg.captureVideo, video: data.video }).then(
      (answer) => {
        // Any script on the page reads what is posted: a stable code and a
        // generic message only (the background strips them too).
        if (requestId !== undefined) toPage({ tag: kRelayTag, kind: "answer", requestId, answer: pageCaptureAnswer(answer) });
      },
      () => {
        // Typically "Extension context invalidated" after an update: the
        // browser's words stay out of the page.
        if (requestId === undefined) return;
        toPage({
          tag: kRelayTag,
          kind: "answer",
          requestId,
          answer: { ok: false, error: { code: "unavailable", message: kPageMessages.failed, retryable: true } },
        });
      },
    );
  });

  pushConfig();
  return true;
}
