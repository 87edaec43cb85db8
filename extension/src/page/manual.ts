// The page-console helpers of the chat app (PROTOCOL.md section 5):
// `addVideoToChat(videoUrl, thumbnailUrl)` and the
// `chatSSEInstance.lastVideoUrl` / `lastThumbnailUrl` mirror.

import type { CaptureAnswer } from "../shared/messages";

export type ManualSubmit = (videoUrl: unknown, thumbnailUrl: unknown) => Promise<CaptureAnswer>;

/// Defines `win.addVideoToChat`. Without a page function of that name, it
/// returns a promise that settles with the host's answer. When the page has
/// (or later assigns) its own `addVideoToChat`, that one runs exactly as
/// before and its return value is returned; we capture on the side.
export function installAddVideoToChat(win: typeof globalThis, submit: ManualSubmit): void {
  const w = win as unknown as Record<string, unknown>;
  const existing = Object.getOwnPropertyDescriptor(win, "addVideoToChat");
  if (existing !== undefined && !existing.configurable) return;
  let pageValue: unknown = existing !== undefined && "value" in existing ? existing.value : undefined;
  let pageSet = existing !== undefined;

  const addVideoToChat = function (this: unknown, videoUrl: unknown, thumbnailUrl?: unknown): unknown {
    if (typeof pageValue === "function") {
      try {
        void submit(videoUrl, thumbnailUrl).catch(() => {});
      } catch {
        // never break the page's own helper
      }
      return Reflect.apply(pageValue as (...a: unknown[]) => unknown, this, [videoUrl, thumbnailUrl]);
    }
    return submit(videoUrl, thumbnailUrl);
  };

  Object.defineProperty(w, "addVideoToChat", {
    configurable: true,
    enumerable: true,
    get() {
      return pageSet && typeof pageValue !== "function" ? pageValue : addVideoToChat;
    },
    set(value: unknown) {
      pageValue = value;
      pageSet = true;
    },
  });
}

/// Mirrors the last captured URLs on `win.chatSSEInstance`: sets the two
/// fields on the page's own object when it has one (never replacing it), or
/// creates a plain object when it has none.
export function mirrorLastVideo(win: typeof globalThis, videoUrl: string, thumbnailUrl: string | undefined): void {
  const w = win as unknown as Record<string, unknown>;
  try {
    const instance = w["chatSSEInstance"];
    if (typeof instance === "object" && instance !== null) {
      const target = instance as Record<string, unknown>;
      target["lastVideoUrl"] = videoUrl;
      if (thumbnailUrl !== undefined) target["lastThumbnailUrl"] = thumbnailUrl;
    } else if (instance === undefined || instance === null) {
      w["chatSSEInstance"] = { lastVideoUrl: videoUrl, lastThumbnailUrl: thumbnailUrl ?? null };
    }
  } catch {
    // frozen or exotic page object: leave it alone
  }
}
