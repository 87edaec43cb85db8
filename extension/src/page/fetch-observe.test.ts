// wrapFetch beyond SSE: polled JSON answers, AI SDK v4 data streams and the
// app's own POST /api/save-message (fetch-tee.ts, poll.ts, app-save.ts).
import { describe, expect, it, vi } from "vitest";
import type { AppSaveSeen } from "../shared/messages";
import { wrapFetch, type FetchObservers } from "./fetch-tee";
import { kMaxPollBytes } from "./poll";

const kOrigin = "https://chat.example";
const enc = new TextEncoder();
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

/// A response as the browser hands it out (a url, chunked body).
function answer(body: string | Uint8Array[], init: { status?: number; headers?: Record<string, string>; url?: string } = {}) {
  const chunks = typeof body === "string" ? [enc.encode(body)] : body;
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(chunks[i++]);
      else c.close();
    },
  });
  const res = new Response(stream, { status: init.status ?? 200, headers: init.headers ?? { "content-type": "application/json" } });
  Object.defineProperty(res, "url", { value: init.url ?? `${kOrigin}/api/file/f-1` });
  return res;
}

function setup(respond: (input: unknown, init?: RequestInit) => Promise<Response>) {
  const calls: Array<[unknown, unknown]> = [];
  const win = {
    Response, ReadableStream,
    location: { origin: kOrigin, href: `${kOrigin}/chat/1` },
    fetch(input: unknown, init?: RequestInit) {
      calls.push([input, init]);
      return respond(input, init);
    },
  };
  const json: Array<[unknown, string]> = [];
  const lines: string[] = [];
  const saves: AppSaveSeen[] = [];
  const observers: FetchObservers = {
    sse: () => {},
    json: (body, url) => json.push([body, url]),
    dataStreamLine: (line) => lines.push(line),
    appSave: (save) => saves.push(save),
  };
  wrapFetch(win as unknown as typeof globalThis, observers);
  return { fetch: win.fetch, calls, json, lines, saves };
}

const fileRecord = JSON.stringify({ id: "f-1", url: "https://cdn.example/f-1.mp4", type: "video", video_generation: { prompt: "p" } });

describe("wrapFetch: polled JSON answers", () => {
  it("reads a same-origin JSON answer from a clone; the page gets the same Response, whole", async () => {
    const original = answer(fileRecord);
    const t = setup(async () => original);
    const got = await t.fetch("/api/file/f-1");
    expect(got).toBe(original);
    expect(await got.text()).toBe(fileRecord);
    await vi.waitFor(() => expect(t.json).toEqual([[JSON.parse(fileRecord), `${kOrigin}/api/file/f-1`]]));
    expect(t.calls.length).toBe(1); // never a second request
  });

  it("takes +json content types and a declared length up to 1 MiB", async () => {
    const t = setup(async () => answer(fileRecord, { headers: { "content-type": "application/vnd.api+json; charset=utf-8", "content-length": String(fileRecord.length) } }));
    await t.fetch("/api/project/p");
    await vi.waitFor(() => expect(t.json.length).toBe(1));
  });

  it.each([
    ["another origin", { url: "https://cdn.example/f.json" }],
    ["a 404", { status: 404 }],
    ["a 500", { status: 500 }],
    ["a 206 is still 2xx but another origin", { status: 206, url: "http://chat.example/api/file/f" }],
    ["HTML", { headers: { "content-type": "text/html" } }],
    ["text/plain", { headers: { "content-type": "text/plain" } }],
    ["a declared length over 1 MiB", { headers: { "content-type": "application/json", "content-length": String(kMaxPollBytes + 1) } }],
  ])("leaves %s alone and never parses it", async (_name, init) => {
    const parse = vi.spyOn(JSON, "parse");
    const original = answer(fileRecord, init);
    const t = setup(async () => original);
    const got = await t.fetch("/x");
    expect(got).toBe(original);
    expect(await got.text()).toBe(fileRecord);
    await tick(5);
    expect(t.json).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
  });

  it("gives up past 1 MiB when no length is declared, and the page still reads every byte", async () => {
    const piece = enc.encode(`[${'"x",'.repeat(64 * 1024)}`);
    const chunks = Array.from({ length: Math.ceil((kMaxPollBytes * 1.5) / piece.length) }, () => piece);
    const parse = vi.spyOn(JSON, "parse");
    const t = setup(async () => answer(chunks));
    const got = await t.fetch("/api/project/big");
    const bytes = new Uint8Array(await got.arrayBuffer());
    expect(bytes.length).toBe(piece.length * chunks.length);
    await tick(5);
    expect(t.json).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
  });

  it("leaves a body the page already uses alone", async () => {
    const original = answer(fileRecord);
    const t = setup(async () => {
      void original.body!.getReader(); // the page's own stream consumer ran first
      return original;
    });
    expect(await t.fetch("/api/file/f-1")).toBe(original);
    await tick(5);
    expect(t.json).toEqual([]);
  });
});

describe("wrapFetch: AI SDK v4 data stream", () => {
  const v4 = [
    '0:"Here is "\n0:"your video"\n',
    `9:{"toolCallId":"c1","toolName":"video","args":{}}\na:{"toolCallId":"c1","result":{"videoUrl":"https://cdn.example/v4.mp4"}}\n`,
    '2:[{"type":"progress"}]\r\ne:{"finishReason":"stop"}\nd:{"finishReason":"stop"}',
  ].join("");

  it("tees the stream: the page gets the same bytes, we get every line", async () => {
    const cut = Array.from({ length: Math.ceil(v4.length / 7) }, (_, i) => enc.encode(v4.slice(i * 7, i * 7 + 7)));
    const t = setup(async () => answer(cut, { headers: { "content-type": "text/plain; charset=utf-8", "x-vercel-ai-data-stream": "v1" }, url: `${kOrigin}/api/chat` }));
    const got = await t.fetch("/api/chat", { method: "POST", body: "{}" });
    expect(got.headers.get("x-vercel-ai-data-stream")).toBe("v1");
    expect(got.url).toBe(`${kOrigin}/api/chat`);
    expect(await got.text()).toBe(v4);
    await vi.waitFor(() => expect(t.lines.length).toBe(7));
    expect(t.lines[3]).toBe('a:{"toolCallId":"c1","result":{"videoUrl":"https://cdn.example/v4.mp4"}}');
    expect(t.lines[4]).toBe('2:[{"type":"progress"}]');
    expect(t.lines[6]).toBe('d:{"finishReason":"stop"}'); // the last line had no newline
    expect(t.json).toEqual([]);
  });
});

const saveBody = (attachments: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({
  chatId: "3f2c0a6e-1b2d-4c3e-8f4a-5b6c7d8e9f01",
  message: { id: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", role: "assistant", parts: [{ type: "text", text: "" }], attachments },
  ...extra,
});
const videoAttachment = { name: "a fox in sn...", url: "https://cdn.example/v/f.mp4", contentType: "video/mp4", thumbnailUrl: "https://cdn.example/v/f.webp" };
const saved = (phase: "started" | "finished", httpStatus?: number): AppSaveSeen => ({
  chatId: "3f2c0a6e-1b2d-4c3e-8f4a-5b6c7d8e9f01", messageId: "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d", phase,
  ...(httpStatus === undefined ? {} : { httpStatus }),
  attachments: [{ url: "https://cdn.example/v/f.mp4", contentType: "video/mp4", thumbnailUrl: "https://cdn.example/v/f.webp" }],
});
const ok = () => answer('{"ok":true}', { url: `${kOrigin}/api/save-message` });

describe("wrapFetch: the app's own save", () => {
  it("reports started, then finished with the status; the request goes out at once and unchanged", async () => {
    let release!: (r: Response) => void;
    const original = ok();
    const t = setup(() => new Promise((r) => { release = r; }));
    const init = { method: "POST", body: saveBody([videoAttachment, { url: "https://cdn.example/i.png", contentType: "image/png" }]) };
    const pending = t.fetch("/api/save-message", init);
    expect(t.calls).toEqual([["/api/save-message", init]]); // called synchronously, same arguments
    await vi.waitFor(() => expect(t.saves).toEqual([saved("started")]));
    release(original);
    expect(await pending).toBe(original);
    await vi.waitFor(() => expect(t.saves).toEqual([saved("started"), saved("finished", 200)]));
  });

  it("reads a Request's body through a clone; the native fetch still reads it whole", async () => {
    let nativeRead = "";
    const t = setup(async (input) => {
      nativeRead = await (input as Request).text();
      return answer('{"error":"x"}', { status: 500, url: `${kOrigin}/api/save-message` });
    });
    const body = saveBody([videoAttachment]);
    const res = await t.fetch(new Request(`${kOrigin}/api/save-message`, { method: "POST", body }));
    expect(res.status).toBe(500);
    expect(nativeRead).toBe(body);
    await vi.waitFor(() => expect(t.saves).toEqual([saved("started"), saved("finished", 500)]));
  });

  it("reports status 0 when the fetch rejects, and the page gets the same rejection", async () => {
    const error = new TypeError("Failed to fetch");
    const t = setup(() => Promise.reject(error));
    await expect(t.fetch(`${kOrigin}/api/save-message`, { method: "post", body: saveBody([videoAttachment]) })).rejects.toBe(error);
    await vi.waitFor(() => expect(t.saves).toEqual([saved("started"), saved("finished", 0)]));
  });

  it.each([
    ["a save without video attachments", "/api/save-message", { method: "POST", body: saveBody([{ url: "https://c/a.png", contentType: "image/png" }]) }],
    ["a save with no attachments", "/api/save-message", { method: "POST", body: saveBody([]) }],
    ["a GET", "/api/save-message", {}],
    ["another path", "/api/save-message/x", { method: "POST", body: saveBody([videoAttachment]) }],
    ["another origin", "https://evil.example/api/save-message", { method: "POST", body: saveBody([videoAttachment]) }],
    ["a Blob body", "/api/save-message", { method: "POST", body: new Blob([saveBody([videoAttachment])]) }],
    ["a body that is not JSON", "/api/save-message", { method: "POST", body: "chatId=1" }],
    ["a body without chatId", "/api/save-message", { method: "POST", body: JSON.stringify({ message: { attachments: [videoAttachment] } }) }],
  ])("ignores %s", async (_name, url, init) => {
    const original = ok();
    const t = setup(async () => original);
    expect(await t.fetch(url, init as RequestInit)).toBe(original);
    await tick(5);
    expect(t.saves).toEqual([]);
  });

  it("counts a video by its path extension when the content type is missing", async () => {
    const t = setup(async () => ok());
    await t.fetch("/api/save-message", { method: "POST", body: saveBody([{ url: "https://c/v/x.webm?sig=1" }]) });
    await vi.waitFor(() => expect(t.saves.map((s) => [s.phase, s.attachments])).toEqual([
      ["started", [{ url: "https://c/v/x.webm?sig=1" }]], ["finished", [{ url: "https://c/v/x.webm?sig=1" }]],
    ]));
  });

  it("a throwing observer changes nothing for the page", async () => {
    const original = ok();
    const errors: string[] = [];
    const win = { Response, ReadableStream, location: { origin: kOrigin }, fetch: async (_input: unknown, _init?: unknown) => original };
    wrapFetch(win as unknown as typeof globalThis, { sse: () => {}, appSave: () => { throw new Error("bug"); }, json: () => { throw new Error("bug"); } },
      (what) => errors.push(what));
    expect(await win.fetch("/api/save-message", { method: "POST", body: saveBody([videoAttachment]) })).toBe(original);
    const polled = answer(fileRecord);
    win.fetch = async () => polled;
    wrapFetch(win as unknown as typeof globalThis, { sse: () => {}, json: () => { throw new Error("bug"); } }, (what) => errors.push(what));
    expect(await win.fetch("/api/file/f-1")).toBe(polled);
    await vi.waitFor(() => expect(errors).toContain("json observer"));
  });
});
