import { describe, expect, it } from "vitest";
import { afterEach, vi } from "vitest";
import {
  detectInDataStreamLine, detectInJsonAnswer, detectInSseData, detectPayload, detectToolOutput, detectVideo,
  hasVideoExtension, kMaxRecords,
} from "./detect";

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
    const parse = vi.spyOn(JSON, "parse");
    expect(detectInSseData('{"type":"text-delta","delta":"hi"}')).toEqual({ ok: false, reason: "no video marker in data" });
    expect(detectInSseData('{"type":"text-delta","delta":"a video url https://c/v.mp4"}').ok).toBe(false);
    expect(parse).not.toHaveBeenCalled();
  });

  it("says why for broken JSON", () => {
    expect(detectInSseData('{"type":"file",')).toEqual({ ok: false, reason: "data is not JSON" });
    expect(detectInSseData("[DONE]").ok).toBe(false);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

// REAL-APP.md section 1: the backend's file record.
const record = (over: Record<string, unknown> = {}) => ({
  id: "f-1", url: "https://cdn.azurefd.example/v/f-1.mp4", thumbnail_url: "https://cdn.azurefd.example/v/f-1.webp",
  type: "video", image_generation_id: null, image_generation: null, video_generation_id: "g-1",
  video_generation: { prompt: "a fox in snow", negative_prompt: "", seed: 7, duration: 5, width: 1280, height: 720,
    aspect_ratio: "16:9", id: "g-1", generation_config_name: "veo", references: [] },
  audio_generation_id: null, audio_generation: null, duration: 5,
  tasks: [{ type: "video-generation", status: "completed", id: "t-1", file_id: "f-1", project_id: "p-1" }],
  ...over,
});

describe("the real app's file events (REAL-APP.md section 1)", () => {
  it("takes a finished video file event, prompt and meta from video_generation", () => {
    const d = detectInSseData(JSON.stringify({ type: "file", object: record() }));
    expect(d).toEqual({
      ok: true, via: "event",
      video: { url: "https://cdn.azurefd.example/v/f-1.mp4", thumbnail_url: "https://cdn.azurefd.example/v/f-1.webp",
        prompt: "a fox in snow", meta: { duration_s: 5, width: 1280, height: 720 } },
    });
  });

  it("counts type video without an extension", () => {
    expect(detectVideo({ type: "file", object: record({ url: "https://cdn.example/blob/9", video_generation: null }) }).ok).toBe(true);
  });

  // Decoys: an image with a video_generation or even a video content type is still an image.
  it.each([
    ["image", { type: "image", url: "https://cdn.example/i/1.webp" }],
    ["image with a video content type", { type: "image", url: "https://cdn.example/i/1.mp4", contentType: "video/mp4" }],
    ["audio", { type: "audio", url: "https://cdn.example/a/1.mp3", video_generation: {} }],
    ["in progress (url null)", { url: null, thumbnail_url: null,
      tasks: [{ type: "video-generation", status: "in_progress", id: "t", file_id: "f-1", project_id: "p" }] }],
  ])("a %s file record is not a video", (_name, over) => {
    expect(detectInSseData(JSON.stringify({ type: "file", object: record(over) })).ok).toBe(false);
    expect(detectInJsonAnswer(record(over))).toEqual([]);
  });

  it("takes render_result with url or file_url", () => {
    expect(detectInSseData('{"type":"render_result","object":{"url":"https://cdn.example/r/1.mp4"}}'))
      .toEqual({ ok: true, via: "event", video: { url: "https://cdn.example/r/1.mp4" } });
    expect(detectPayload({ type: "render_result", object: { file_url: "https://cdn.example/r/2" } }))
      .toMatchObject({ ok: true, video: { url: "https://cdn.example/r/2" } });
    expect(detectPayload({ type: "render_result", object: { url: null } }).ok).toBe(false);
    expect(detectPayload({ type: "render_progress", object: { url: "https://cdn.example/r/1.mp4" } }).ok).toBe(false);
  });
});

// REAL-APP.md section 2, verbatim shape.
const toolChunk = (output: unknown) => JSON.stringify({ type: "tool-output-available", toolCallId: "call_1", output });
const veoOutput = {
  success: true, fileId: "fal-video-1-x", videoUrl: "https://v3.fal.media/files/x/output.mp4",
  data: { id: "fal-video-1-x", url: "https://v3.fal.media/files/x/output.mp4", prompt: "a lighthouse at dusk",
    timestamp: 1, settings: { duration: "8s", aspectRatio: "16:9", resolution: "720p", generateAudio: true } },
  provider: "fal.ai", model: "veo3", message: "Video generated successfully",
};

describe("TOOL version: AI SDK tool outputs", () => {
  it("takes the veo3 tool output: url, prompt, duration, size from resolution and aspect ratio, model", () => {
    expect(detectInSseData(toolChunk(veoOutput))).toEqual({
      ok: true, via: "tool",
      video: { url: "https://v3.fal.media/files/x/output.mp4", prompt: "a lighthouse at dusk",
        meta: { duration_s: 8, height: 720, width: 1280, model: "veo3" } },
    });
  });

  it("takes output.data.url or output.url only when they look like a video", () => {
    expect(detectToolOutput({ data: { url: "https://c/x/out.webm", prompt: "p" } })).toMatchObject({ ok: true, video: { prompt: "p" } });
    expect(detectToolOutput({ url: "https://c/x/out", contentType: "video/mp4", thumbnailUrl: "https://c/x/t.jpg", prompt: "q" }))
      .toEqual({ ok: true, video: { url: "https://c/x/out", prompt: "q", thumbnail_url: "https://c/x/t.jpg", meta: { content_type: "video/mp4" } } });
  });

  // Decoys: tool outputs that carry no video.
  it.each([
    ["an image tool", { success: true, data: { url: "https://c/i/out.png", prompt: "cat" }, url: "https://c/i/out.png" }],
    ["a weather tool", { temperature: 21, city: "Oslo" }],
    ["a failed video tool", { ...veoOutput, success: false }],
    ["a string output", "Video generation started"],
    ["a non-http video url", { videoUrl: "javascript:alert(1)//.mp4" }],
    ["an extension only in the query", { url: "https://c/get?f=a.mp4" }],
  ])("%s is not a video", (_name, output) => {
    expect(detectInSseData(toolChunk(output)).ok).toBe(false);
  });

  it("never parses tool input or text chunks", () => {
    const parse = vi.spyOn(JSON, "parse");
    detectInSseData('{"type":"tool-input-delta","toolCallId":"call_1","inputTextDelta":"{\\"prompt\\""}');
    detectInSseData('{"type":"text-delta","id":"1","delta":"here is your video"}');
    expect(parse).not.toHaveBeenCalled();
  });
});

describe("AI SDK v4 data stream lines", () => {
  it("takes an a: tool result with the same rule", () => {
    const line = `a:${JSON.stringify({ toolCallId: "call_1", result: veoOutput })}`;
    expect(detectInDataStreamLine(line)).toEqual([{
      ok: true, via: "tool",
      video: expect.objectContaining({ url: "https://v3.fal.media/files/x/output.mp4", prompt: "a lighthouse at dusk" }),
    }]);
    expect(detectInDataStreamLine(`a:${JSON.stringify({ toolCallId: "c", result: { answer: 42 } })}`)[0].ok).toBe(false);
  });

  it("reads each element of a 2: or 8: data array as a stream payload", () => {
    const line = `2:${JSON.stringify([{ type: "progress" }, { type: "file", object: record() }, { type: "file", object: record({ type: "image", url: "https://c/i.png" }) }])}`;
    expect(detectInDataStreamLine(line).map((d) => d.ok)).toEqual([false, true, false]);
    expect(detectInDataStreamLine(`8:${JSON.stringify([{ type: "render_result", object: { url: "https://c/r.mp4" } }])}`)[0].ok).toBe(true);
  });

  it("never parses text parts or other codes", () => {
    const parse = vi.spyOn(JSON, "parse");
    expect(detectInDataStreamLine('0:"the \\"file\\" is https://c/v.mp4"')).toEqual([]);
    expect(detectInDataStreamLine('9:{"toolCallId":"c","toolName":"video","args":{"prompt":"p"}}')).toEqual([]);
    expect(detectInDataStreamLine('e:{"finishReason":"stop"}')).toEqual([]);
    expect(detectInDataStreamLine('2:[{"type":"progress","value":3}]')).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
  });
});

describe("detectInJsonAnswer (polling)", () => {
  it("takes the file record itself", () => {
    expect(detectInJsonAnswer(record())).toEqual([expect.objectContaining({ url: "https://cdn.azurefd.example/v/f-1.mp4", prompt: "a fox in snow" })]);
  });

  it("takes a project's files, skipping images and unfinished videos", () => {
    const project = { id: "p-1", name: "x", files: [
      record({ id: "a", url: "https://c/a.mp4" }),
      record({ id: "b", type: "image", url: "https://c/b.webp" }),
      record({ id: "c", url: null }),
      record({ id: "d", url: "https://c/d.mp4", video_generation: { prompt: "dee" } }),
    ] };
    expect(detectInJsonAnswer(project).map((v) => [v.url, v.prompt])).toEqual([
      ["https://c/a.mp4", "a fox in snow"], ["https://c/d.mp4", "dee"],
    ]);
    expect(detectInJsonAnswer([record({ url: "https://c/top.mp4" })]).map((v) => v.url)).toEqual(["https://c/top.mp4"]);
    expect(detectInJsonAnswer({ data: record({ url: "https://c/nested.mp4" }) }).map((v) => v.url)).toEqual(["https://c/nested.mp4"]);
  });

  it("looks at no more than kMaxRecords records", () => {
    const files = Array.from({ length: kMaxRecords + 50 }, (_, i) => record({ id: `f${i}`, url: `https://c/${i}.mp4` }));
    expect(detectInJsonAnswer({ files }).length).toBe(kMaxRecords);
  });

  it("ignores JSON that holds no file records", () => {
    expect(detectInJsonAnswer({ user: { id: "u", email: "a@b" } })).toEqual([]);
    expect(detectInJsonAnswer({ url: "https://c/v.mp4" })).toEqual([]); // no id: not a record
    expect(detectInJsonAnswer("https://c/v.mp4")).toEqual([]);
    expect(detectInJsonAnswer(null)).toEqual([]);
  });
});
