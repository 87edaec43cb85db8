// The page world's side of window.postMessage to the relay. Nothing posted
// here is secret: the page can read it too.

import { kPageTag, kRelayTag, type AppSaveSeen, type CaptureAnswer, type CapturedVideo, type RelayToPage } from "../shared/messages";
import type { PageConfig } from "../shared/settings";

/// How long `addVideoToChat` waits for the extension before settling with
/// an `unavailable` answer (the relay may be gone after an extension update).
export const kAnswerTimeoutMs = 20_000;

export interface PageBridge {
  /// Posts a capture; with `wantAnswer`, resolves with the host's answer.
  post(video: CapturedVideo, wantAnswer: boolean): Promise<CaptureAnswer> | undefined;
  /// Posts the app's own save as seen (fire and forget).
  postAppSave(save: AppSaveSeen): void;
  onConfig(fn: (config: PageConfig) => void): void;
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

  win.addEventListener("message", (event: MessageEvent) => {
    try {
      if (event.source !== (win as unknown as Window)) return;
      const data = event.data as RelayToPage | undefined;
      if (typeof data !== "object" || data === null || data.tag !== kRelayTag) return;
      if (data.kind === "config") {
        for (const fn of configListeners) fn(data.config);
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
        postMessage({ tag: kPageTag, kind: "capture", video }, target());
        return undefined;
      }
      const requestId = `${Date.now().toString(36)}-${(++counter).toString(36)}`;
      return new Promise<CaptureAnswer>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(requestId);
          resolve({
            ok: false,
            error: { code: "unavailable", message: "no answer from the vidkeep extension", retryable: true },
          });
        }, kAnswerTimeoutMs);
        waiting.set(requestId, (answer) => {
          clearTimeout(timer);
          waiting.delete(requestId);
          resolve(answer);
        });
        postMessage({ tag: kPageTag, kind: "capture", video, requestId }, target());
      });
    },
    postAppSave(save) {
      postMessage({ tag: kPageTag, kind: "appSave", save }, target());
    },
    onConfig(fn) {
      configListeners.push(fn);
      // The relay pushes the config when it starts; ask too, in case it
      // started before us.
      postMessage({ tag: kPageTag, kind: "configRequest" }, target());
    },
  };
}
