import { describe, expect, it } from "vitest";
import type { CaptureAnswer, CapturedVideo } from "../shared/messages";
import { createLogger } from "../shared/log";
import { createCapturer } from "./capture";

function setup(enabled = true) {
  const posted: Array<[CapturedVideo, boolean]> = [];
  const mirrored: Array<[string, string | undefined]> = [];
  const capturer = createCapturer({
    post: (video, wantAnswer) => {
      posted.push([video, wantAnswer]);
      return wantAnswer ? Promise.resolve<CaptureAnswer>({ ok: true, video_id: "v", duplicate: false, sync: "pending" }) : undefined;
    },
    mirror: (url, thumb) => mirrored.push([url, thumb]),
    captureEnabled: () => enabled,
    log: createLogger("test", { log: () => {}, warn: () => {} }),
    now: () => new Date("2026-11-24T10:00:00Z"),
  });
  return { capturer, posted, mirrored };
}

const sse = (url: string, prompt?: string) =>
  JSON.stringify({ type: "file", object: { url, contentType: "video/mp4", ...(prompt ? { video_generation: { prompt } } : {}) } });

describe("capturer", () => {
  it("forwards a detected SSE video once, with observed_at, and mirrors it", () => {
    const { capturer, posted, mirrored } = setup();
    capturer.fromSse(sse("https://c/v.mp4", "p"), "EventSource");
    capturer.fromSse(sse("https://c/v.mp4", "p"), "fetch");
    expect(posted).toEqual([[
      { url: "https://c/v.mp4", prompt: "p", meta: { content_type: "video/mp4" }, source: "sse", observed_at: "2026-11-24T10:00:00.000Z" },
      false,
    ]]);
    expect(mirrored).toEqual([["https://c/v.mp4", undefined]]);
  });

  it("forwards a later sighting that adds the prompt", () => {
    const { capturer, posted } = setup();
    capturer.fromArtifact("https://c/v.mp4", undefined);
    capturer.fromSse(sse("https://c/v.mp4", "now with prompt"), "fetch");
    capturer.fromArtifact("https://c/v.mp4", undefined);
    expect(posted.map(([v]) => [v.source, v.prompt])).toEqual([["artifact", undefined], ["sse", "now with prompt"]]);
  });

  it("forwards nothing while capture is off, and ignores non-videos", () => {
    const off = setup(false);
    off.capturer.fromSse(sse("https://c/v.mp4"), "x");
    expect(off.posted).toEqual([]);
    const on = setup();
    on.capturer.fromSse('{"type":"text-delta","delta":"hi"}', "x");
    on.capturer.fromSse(42, "x");
    expect(on.posted).toEqual([]);
  });

  it("manual capture checks its URL and waits for the answer", async () => {
    const { capturer, posted } = setup();
    await expect(capturer.manual("javascript:alert(1)", undefined)).resolves.toMatchObject({ ok: false, error: { code: "invalid_url" } });
    await expect(capturer.manual("https://c/m.mp4", "https://c/m.webp")).resolves.toMatchObject({ ok: true });
    expect(posted).toEqual([[
      { url: "https://c/m.mp4", thumbnail_url: "https://c/m.webp", source: "manual", observed_at: "2026-11-24T10:00:00.000Z" },
      true,
    ]]);
  });
});
