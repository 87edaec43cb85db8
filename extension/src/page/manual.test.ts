import { beforeEach, describe, expect, it } from "vitest";
import type { CaptureAnswer } from "../shared/messages";
import { installAddVideoToChat, mirrorLastVideo } from "./manual";

type Win = Record<string, unknown>;
const answer: CaptureAnswer = { ok: true, video_id: "vid", duplicate: false, sync: "pending" };

describe("addVideoToChat", () => {
  let win: Win;
  let calls: unknown[][];
  beforeEach(() => {
    win = {};
    calls = [];
    installAddVideoToChat(win as unknown as typeof globalThis, async (...args) => {
      calls.push(args);
      return answer;
    });
  });

  it("returns a promise of the host's answer when the page has none", async () => {
    const fn = win["addVideoToChat"] as (a: string, b?: string) => Promise<CaptureAnswer>;
    await expect(fn("https://c/v.mp4", "https://c/t.webp")).resolves.toEqual(answer);
    expect(calls).toEqual([["https://c/v.mp4", "https://c/t.webp"]]);
  });

  it("keeps the page's own function working, and captures on the side", () => {
    const pageCalls: unknown[] = [];
    win["addVideoToChat"] = function (this: unknown, url: string) {
      pageCalls.push([this, url]);
      return "page result";
    };
    const fn = win["addVideoToChat"] as (a: string) => unknown;
    expect(fn.call(win, "https://c/v.mp4")).toBe("page result");
    expect(pageCalls).toEqual([[win, "https://c/v.mp4"]]);
    expect(calls).toEqual([["https://c/v.mp4", undefined]]);
  });

  it("gives back a non-function the page assigned", () => {
    win["addVideoToChat"] = 5;
    expect(win["addVideoToChat"]).toBe(5);
  });
});

describe("mirrorLastVideo", () => {
  it("creates chatSSEInstance when the page has none", () => {
    const win: Win = {};
    mirrorLastVideo(win as unknown as typeof globalThis, "https://c/v.mp4", "https://c/t.webp");
    expect(win["chatSSEInstance"]).toEqual({ lastVideoUrl: "https://c/v.mp4", lastThumbnailUrl: "https://c/t.webp" });
  });

  it("sets the fields on the page's own object without replacing it", () => {
    const own = { connect() {}, lastVideoUrl: "old", lastThumbnailUrl: "old-thumb" };
    const win: Win = { chatSSEInstance: own };
    mirrorLastVideo(win as unknown as typeof globalThis, "https://c/v.mp4", undefined);
    expect(win["chatSSEInstance"]).toBe(own);
    expect(own.lastVideoUrl).toBe("https://c/v.mp4");
    expect(own.lastThumbnailUrl).toBe("old-thumb");
  });

  it("leaves a frozen page object alone without throwing", () => {
    const own = Object.freeze({ lastVideoUrl: "old" });
    const win: Win = { chatSSEInstance: own };
    expect(() => mirrorLastVideo(win as unknown as typeof globalThis, "https://c/v.mp4", undefined)).not.toThrow();
    expect(win["chatSSEInstance"]).toBe(own);
  });
});
