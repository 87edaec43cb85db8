// The page world's side of window.postMessage to the relay. Nothing posted
// here is secret: the page can read it too.
//
// Nothing goes out before the relay's config says this page is on a
// configured chat origin (issue 13, finding 4): the capture scripts are
// registered by match pattern, which has no port, so they run on every port
// of a configured host (`http://localhost/*` for `http://localhost:3000`).
// Until the config is known, sightings wait (at most kMaxWaiting, for
// kConfigWaitMs); a `null` config (the background does not hear this page)
// drops them and switches capture off for good in this page.

import { kPageTag, kRelayTag, type AppSaveSeen, type CaptureAnswer, type CapturedVideo, type RelayToPage } from "../shared/messages";
import { kPageMessages } from "../shared/page-answer";
import type { PageConfig } from "../shared/settings";

/// How long `addVideoToChat` waits for the extension before settling with
/// an `unavailable` answer (the relay may be gone after an extension update).
export const kAnswerTimeoutMs = 20_000;
/// How long sightings wait for the page config before they are dropped.
export const kConfigWaitMs = 10_000;
/// How many sightings wait for the page config at most (the newest are dropped).
export const kMaxWaiting = 50;

/// Whether this page may forward: not known yet, yes, or never.
export type PageGate = "unknown" | "on" | "off";

const kNoAnswer: CaptureAnswer = {
  ok: false,
  error: { code: "unavailable", message: "no answer from the vidkeep extension", retryable: true },
};
const kNotHere: CaptureAnswer = { ok: false, error: { code: "unauthorized", message: kPageMessages.refused, retryable: false } };
const kSwitchedOff: CaptureAnswer = {
  ok: false,
  error: { code: "unavailable", message: "vidkeep capture is switched off in its options", retryable: false },
};

export interface PageBridge {
  /// Posts a capture; with `wantAnswer`, resolves with the host's answer.
  post(video: CapturedVideo, wantAnswer: boolean): Promise<CaptureAnswer> | undefined;
  /// Posts the app's own save as seen (fire and forget).
  postAppSave(save: AppSaveSeen): void;
  onConfig(fn: (config: PageConfig) => void): void;
  /// Whether the page config has said this page may forward.
  readonly gate: PageGate;
}

/// A sighting waiting for the page config: sent, or dropped with an answer.
interface Waiting {
  send(): void;
  drop(answer: CaptureAnswer): void;
}

export function createPageBridge(win: typeof globalThis): PageBridge {
  const postMessage = win.postMessage.bind(win);
  const target = (): string => {
    const origin = win.location?.origin;
    return origin && origin !== "null" ? origin : "*";
  };
  const waiting = new Map<string, (answer: CaptureAnswer) => void>();
  const configListeners: Array<(config: PageConfig) => void> = [];
  let counter = 0;
  let gate: PageGate = "unknown";
  const held: Waiting[] = [];
  let heldTimer: ReturnType<typeof setTimeout> | undefined;

  const dropHeld = (answer: CaptureAnswer): void => {
    if (heldTimer !== undefined) clearTimeout(heldTimer);
    heldTimer = undefined;
    for (const w of held.splice(0)) w.drop(answer);
  };

  /// Sends now, waits for the config, or drops (never when off).
  const whenAllowed = (w: Waiting): void => {
    if (gate === "on") return w.send();
    if (gate === "off") return w.drop(kNotHere);
    if (held.length >= kMaxWaiting) return w.drop(kNoAnswer);
    held.push(w);
    heldTimer ??= setTimeout(() => {
      heldTimer = undefined;
      dropHeld(kNoAnswer);
    }, kConfigWaitMs);
  };

  const takeConfig = (config: PageConfig | null): void => {
    if (gate === "off") return; // off for good in this page
    if (config === null || typeof config !== "object") {
      gate = "off";
      dropHeld(kNotHere);
      return;
    }
    gate = "on";
    for (const fn of configListeners) fn(config);
    if (config.captureEnabled === false) dropHeld(kSwitchedOff);
    else {
      if (heldTimer !== undefined) clearTimeout(heldTimer);
      heldTimer = undefined;
      for (const w of held.splice(0)) w.send();
    }
  };

  win.addEventListener("message", (event: MessageEvent) => {
    try {
      if (event.source !== (win as unknown as Window)) return;
      const data = event.data as RelayToPage | undefined;
      if (typeof data !== "object" || data === null || data.tag !== kRelayTag) return;
      if (data.kind === "config") {
        takeConfig(data.config);
      } else if (data.kind === "answer") {
        const resolve = waiting.get(data.requestId);
        if (resolve !== undefined) resolve(data.answer);
      }
    } catch {
      // never break the page
    }
  });

  return {
    post(video, wantAnswer) {
      if (!wantAnswer) {
        whenAllowed({ send: () => postMessage({ tag: kPageTag, kind: "capture", video }, target()), drop: () => {} });
        return undefined;
      }
      const requestId = `${Date.now().toString(36)}-${(++counter).toString(36)}`;
      return new Promise<CaptureAnswer>((resolve) => {
        const settle = (answer: CaptureAnswer) => {
          clearTimeout(timer);
          waiting.delete(requestId);
          resolve(answer);
        };
        const timer = setTimeout(() => settle(kNoAnswer), kAnswerTimeoutMs);
        whenAllowed({
          send: () => {
            waiting.set(requestId, settle);
            postMessage({ tag: kPageTag, kind: "capture", video, requestId }, target());
          },
          drop: settle,
        });
      });
    },
    postAppSave(save) {
      whenAllowed({ send: () => postMessage({ tag: kPageTag, kind: "appSave", save }, target()), drop: () => {} });
    },
    get gate() {
      return gate;
    },
    onConfig(fn) {
      configListeners.push(fn);
      // The relay pushes the config when it starts; ask too, in case it
      // started before us.
      postMessage({ tag: kPageTag, kind: "configRequest" }, target());
    },
  };
}
