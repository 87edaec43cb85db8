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
    capturer.fromData(sse("https://c/v.mp4", "p"), "sse", "EventSource");
    capturer.fromData(sse("https://c/v.mp4", "p"), "websocket", "fetch");
    expect(posted).toEqual([[
      { url: "https://c/v.mp4", prompt: "p", meta: { content_type: "video/mp4" }, source: "sse", observed_at: "2026-11-24T10:00:00.000Z" },
      false,
    ]]);
    expect(mirrored).toEqual([["https://c/v.mp4", undefined]]);
  });

  it("forwards a later sighting that adds the prompt", () => {
    const { capturer, posted } = setup();
    capturer.fromElement("https://c/v.mp4", undefined, "artifact");
    capturer.fromData(sse("https://c/v.mp4", "now with prompt"), "sse", "fetch");
    capturer.fromElement("https://c/v.mp4", undefined, "artifact");
    expect(posted.map(([v]) => [v.source, v.prompt])).toEqual([["artifact", undefined], ["sse", "now with prompt"]]);
  });

  it("forwards nothing while capture is off, and ignores non-videos", () => {
    const off = setup(false);
    off.capturer.fromData(sse("https://c/v.mp4"), "sse", "x");
    off.capturer.fromPoll({ id: "f", url: "https://c/p.mp4" }, "x");
    expect(off.posted).toEqual([]);
    const on = setup();
    on.capturer.fromData('{"type":"text-delta","delta":"hi"}', "sse", "x");
    on.capturer.fromData(42, "websocket", "x");
    on.capturer.fromData(new ArrayBuffer(8), "websocket", "x");
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

  it("names the source per path: websocket, poll, tool (whatever carried it), inline", () => {
    const { capturer, posted } = setup();
    capturer.fromData(sse("https://c/ws.mp4"), "websocket", "ws");
    capturer.fromPoll({ id: "f", url: "https://c/poll.mp4", type: "video" }, "GET /api/file/f");
    capturer.fromData(JSON.stringify({ type: "tool-output-available", toolCallId: "c", output: { videoUrl: "https://c/tool.mp4" } }), "sse", "fetch");
    capturer.fromDataStreamLine(`a:${JSON.stringify({ toolCallId: "c", result: { videoUrl: "https://c/v4.mp4" } })}`, "fetch");
    capturer.fromDataStreamLine(`2:${JSON.stringify([{ type: "file", object: { url: "https://c/v4file.mp4" } }])}`, "fetch");
    capturer.fromElement("https://c/inline.mp4", "https://c/inline.webp", "inline");
    expect(posted.map(([v]) => [v.source, v.url])).toEqual([
      ["websocket", "https://c/ws.mp4"], ["poll", "https://c/poll.mp4"], ["tool", "https://c/tool.mp4"],
      ["tool", "https://c/v4.mp4"], ["sse", "https://c/v4file.mp4"], ["inline", "https://c/inline.mp4"],
    ]);
  });

  it("dedupes across every path, by URL", () => {
    const { capturer, posted } = setup();
    const url = "https://c/same.mp4";
    capturer.fromData(sse(url, "p"), "websocket", "ws");
    capturer.fromData(sse(url, "p"), "sse", "es");
    capturer.fromPoll({ files: [{ id: "f", url, video_generation: { prompt: "p" } }] }, "poll");
    capturer.fromData(JSON.stringify({ type: "tool-output-available", output: { videoUrl: url } }), "sse", "fetch");
    capturer.fromElement(url, undefined, "inline");
    capturer.fromElement(url, undefined, "artifact");
    expect(posted.map(([v]) => v.source)).toEqual(["websocket"]);
  });

  // A video first seen only as a <video> (maybe from the chat's history) is
  // kept "local" by the host; the generating sighting that follows must reach
  // it too, or the video is never sent.
  it("forwards a generating sighting after a video was only seen on the page", () => {
    const { capturer, posted } = setup();
    capturer.fromElement("https://c/g.mp4", undefined, "inline");
    capturer.fromElement("https://c/g.mp4", undefined, "artifact");
    capturer.fromPoll({ id: "f", url: "https://c/g.mp4" }, "poll");
    capturer.fromData(sse("https://c/g.mp4"), "sse", "es");
    expect(posted.map(([v]) => v.source)).toEqual(["inline", "poll"]);
  });
});
