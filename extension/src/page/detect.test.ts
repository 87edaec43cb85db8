import { describe, expect, it } from "vitest";
import { detectInSseData, detectVideo, hasVideoExtension } from "./detect";

const chatEvent = (object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "file", projectId: "p1", requestId: "r1", object, ...extra,
});

describe("hasVideoExtension", () => {
  it.each([
    ["https://cdn.example/v/123.mp4", true],
    ["https://cdn.example/v/123.MOV", true],
    ["https://cdn.example/v/a.webm?X-Amz-Signature=abc", true],
    ["https://cdn.example/v/a.m4v#t=3", true],
    ["https://cdn.example/v/a.avi", true],
    ["https://cdn.example/v/a.mkv", true],
    // the query or fragment does not count, only the path
    ["https://cdn.example/download?file=a.mp4", false],
    ["https://cdn.example/v/a#b.mp4", false],
    ["https://cdn.example/v/a.mp4x", false],
    ["https://cdn.example/v/a.png", false],
    ["not a url.mp4", false],
  ])("%s -> %s", (url, expected) => {
    expect(hasVideoExtension(url)).toBe(expected);
  });
});

describe("detectVideo: the chat's SSE file event", () => {
  it("takes url, thumbnail and prompt from object.video_generation", () => {
    const d = detectVideo(chatEvent({
      url: "https://cdn.example/v/123.mp4",
      thumbnail_url: "https://cdn.example/v/123.webp",
      contentType: "video/mp4",
      video_generation: { prompt: "a cat surfing a wave" },
    }));
    expect(d).toEqual({
      ok: true,
      video: {
        url: "https://cdn.example/v/123.mp4",
        thumbnail_url: "https://cdn.example/v/123.webp",
        prompt: "a cat surfing a wave",
        meta: { content_type: "video/mp4" },
      },
    });
  });

  it("counts a video by contentType alone (no extension)", () => {
    const d = detectVideo(chatEvent({ url: "https://cdn.example/blob/abc", contentType: "video/webm" }));
    expect(d.ok).toBe(true);
  });

  it("counts a video by mediaType alone", () => {
    expect(detectVideo(chatEvent({ url: "https://cdn.example/blob/abc", mediaType: "Video/MP4" })).ok).toBe(true);
  });

  it("counts a video by video_generation alone", () => {
    const d = detectVideo(chatEvent({ url: "https://cdn.example/blob/abc", video_generation: {} }));
    expect(d.ok).toBe(true);
  });

  it("refuses an image file", () => {
    const d = detectVideo(chatEvent({ url: "https://cdn.example/i/1.png", contentType: "image/png" }));
    expect(d).toMatchObject({ ok: false });
  });

  it("refuses a video extension that is only in the query", () => {
    const d = detectVideo(chatEvent({ url: "https://cdn.example/get?name=clip.mp4", contentType: "application/octet-stream" }));
    expect(d.ok).toBe(false);
  });

  it("refuses non-http(s) urls", () => {
    for (const url of ["javascript:alert(1)//.mp4", "data:video/mp4;base64,AAAA", "blob:https://x/1", "/relative.mp4", 42]) {
      expect(detectVideo(chatEvent({ url, contentType: "video/mp4" })).ok).toBe(false);
    }
  });

  it("refuses other event types", () => {
    expect(detectVideo({ type: "progress", object: { url: "https://cdn.example/v.mp4" } }).ok).toBe(false);
    expect(detectVideo(null).ok).toBe(false);
    expect(detectVideo([]).ok).toBe(false);
  });

  it("falls back to object.prompt, then to the top-level video_generation.prompt", () => {
    const a = detectVideo(chatEvent({ url: "https://c/v.mp4", prompt: "from object" }, { video_generation: { prompt: "top" } }));
    expect(a.ok && a.video.prompt).toBe("from object");
    const b = detectVideo(chatEvent({ url: "https://c/v.mp4" }, { video_generation: { prompt: "top" } }));
    expect(b.ok && b.video.prompt).toBe("top");
    const c = detectVideo(chatEvent({ url: "https://c/v.mp4", video_generation: { prompt: "  " }, prompt: "second" }));
    expect(c.ok && c.video.prompt).toBe("second");
  });

  it("drops a thumbnail that is not http(s)", () => {
    const d = detectVideo(chatEvent({ url: "https://c/v.mp4", thumbnail_url: "javascript:alert(1)" }));
    expect(d.ok && d.video.thumbnail_url).toBeUndefined();
  });

  it("collects duration, size and model into meta", () => {
    const d = detectVideo(chatEvent({
      url: "https://c/v.mp4",
      video_generation: { prompt: "p", duration: 5, resolution: "1280x720", model: "veo-3" },
    }));
    expect(d.ok && d.video.meta).toEqual({ duration_s: 5, width: 1280, height: 720, model: "veo-3" });
    const e = detectVideo(chatEvent({ url: "https://c/v.mp4", width: 640, height: "360", duration_s: "4.5" }));
    expect(e.ok && e.video.meta).toEqual({ duration_s: 4.5, width: 640, height: 360 });
  });

  it("has no meta when the event carries none", () => {
    const d = detectVideo(chatEvent({ url: "https://c/v.mp4" }));
    expect(d.ok && "meta" in d.video).toBe(false);
  });
});

describe("detectVideo: AI SDK UI-message-stream file chunk", () => {
  it("counts {type:file, url, mediaType: video/*}", () => {
    const d = detectVideo({ type: "file", url: "https://cdn.example/gen/abc", mediaType: "video/mp4" });
    expect(d).toEqual({ ok: true, video: { url: "https://cdn.example/gen/abc", meta: { content_type: "video/mp4" } } });
  });

  it("refuses a file chunk of another media type", () => {
    expect(detectVideo({ type: "file", url: "https://cdn.example/gen/abc", mediaType: "image/png" }).ok).toBe(false);
  });
});

describe("detectInSseData", () => {
  it("parses JSON data", () => {
    const data = JSON.stringify(chatEvent({ url: "https://c/v.mp4" }));
    expect(detectInSseData(data).ok).toBe(true);
  });

  it("skips text deltas without parsing", () => {
    expect(detectInSseData('{"type":"text-delta","delta":"hi"}')).toEqual({ ok: false, reason: 'no "file" in data' });
  });

  it("says why for broken JSON", () => {
    expect(detectInSseData('{"type":"file",')).toEqual({ ok: false, reason: "data is not JSON" });
    expect(detectInSseData("[DONE]").ok).toBe(false);
  });
});
