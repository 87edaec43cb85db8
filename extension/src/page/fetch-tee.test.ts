import { describe, expect, it } from "vitest";
import type { SseEvent } from "./sse-parse";
import { isEventStream, teeEventStream, wrapFetch } from "./fetch-tee";

const enc = new TextEncoder();
const deps = { Response, ReadableStream };
const tick = () => new Promise((r) => setTimeout(r, 0));

/// A server body: hands out `chunks` one per pull, then ends (or stays open
/// when `open`), and records whether it was cancelled.
function serverBody(chunks: Uint8Array[], opts: { bytes?: boolean; open?: boolean } = {}) {
  const state = { cancelled: false, reason: undefined as unknown, pulls: 0 };
  let i = 0;
  const source = {
    type: opts.bytes ? ("bytes" as const) : undefined,
    pull(controller: ReadableStreamDefaultController<Uint8Array>) {
      state.pulls++;
      if (i < chunks.length) {
        controller.enqueue(chunks[i++].slice());
      } else if (!opts.open) {
        controller.close();
        (controller as unknown as ReadableByteStreamController).byobRequest?.respond(0);
      } else {
        return new Promise<void>(() => {}); // a live stream: no more data yet
      }
      return undefined;
    },
    cancel(reason: unknown) {
      state.cancelled = true;
      state.reason = reason;
    },
  };
  const stream = new ReadableStream(source as UnderlyingDefaultSource<Uint8Array>);
  return { stream, state };
}

function sseResponse(body: ReadableStream<Uint8Array>, contentType = "text/event-stream; charset=utf-8") {
  return new Response(body, { status: 200, statusText: "OK", headers: { "content-type": contentType, "x-test": "1" } });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const payload = (n: number) =>
  `data: {"type":"file","object":{"url":"https://cdn.example/v/${n}.mp4","video_generation":{"prompt":"кот ${n}"}}}\n\n`;

describe("teeEventStream", () => {
  for (const bytes of [false, true]) {
    describe(bytes ? "byte stream body" : "default stream body", () => {
      it("gives the page identical bytes and parses the copy", async () => {
        const text = `: hi\n${payload(1)}data: {"type":"text-delta","delta":"x"}\n\n${payload(2)}`;
        const all = enc.encode(text);
        // Chunk boundaries that cut through multi-byte characters and lines.
        const chunks = [all.slice(0, 7), all.slice(7, 95), all.slice(95, 96), all.slice(96)];
        const { stream, state } = serverBody(chunks, { bytes });
        const events: SseEvent[] = [];
        const out = teeEventStream(sseResponse(stream), (e) => events.push(e), deps);
        expect(await readAll(out.body!)).toEqual(all);
        await tick();
        expect(events.map((e) => e.data)).toEqual([
          payload(1).slice(6, -2),
          '{"type":"text-delta","delta":"x"}',
          payload(2).slice(6, -2),
        ]);
        expect(state.cancelled).toBe(false); // it ended; nobody cancelled it
      });

      it("cancels the copy, and so the connection, when the page cancels", async () => {
        const { stream, state } = serverBody([enc.encode(payload(1))], { bytes, open: true });
        const events: SseEvent[] = [];
        const out = teeEventStream(sseResponse(stream), (e) => events.push(e), deps);
        const reader = out.body!.getReader();
        await reader.read();
        await tick();
        expect(events.length).toBe(1);
        expect(state.cancelled).toBe(false);
        await reader.cancel("page is done");
        await tick();
        // Both branches of the tee were cancelled: the server body is released.
        expect(state.cancelled).toBe(true);
        expect(state.reason).toEqual(["page is done", "page is done"]); // the tee joins both reasons
      });
    });
  }

  it("lets the page read with text() and keeps status, headers, url, type", async () => {
    const { stream } = serverBody([enc.encode(payload(3))]);
    const original = sseResponse(stream);
    Object.defineProperty(original, "url", { value: "https://chat.example/api/chat" });
    const out = teeEventStream(original, () => {}, deps);
    expect(out).not.toBe(original);
    expect(out.status).toBe(200);
    expect(out.statusText).toBe("OK");
    expect(out.headers.get("x-test")).toBe("1");
    expect(out.url).toBe("https://chat.example/api/chat");
    expect(out.type).toBe(original.type);
    expect(out.redirected).toBe(false);
    expect(await out.text()).toBe(payload(3));
  });

  it("allows a BYOB reader on a byte-stream body, as before", async () => {
    const { stream } = serverBody([enc.encode("data: a\n\n")], { bytes: true });
    const out = teeEventStream(sseResponse(stream), () => {}, deps);
    const reader = out.body!.getReader({ mode: "byob" });
    const { value } = await reader.read(new Uint8Array(64));
    expect(new TextDecoder().decode(value)).toBe("data: a\n\n");
  });

  it("returns other responses untouched (the same object)", () => {
    const json = new Response('{"a":1}', { headers: { "content-type": "application/json" } });
    expect(teeEventStream(json, () => {}, deps)).toBe(json);
    const empty = new Response(null, { status: 204, headers: { "content-type": "text/event-stream" } });
    expect(teeEventStream(empty, () => {}, deps)).toBe(empty);
    const { stream } = serverBody([enc.encode("data: x\n\n")]);
    const used = sseResponse(stream);
    used.body!.getReader(); // the page already locked it
    expect(teeEventStream(used, () => {}, deps)).toBe(used);
  });

  it("passes a body error on to the page", async () => {
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (n++ === 0) controller.enqueue(enc.encode("data: x\n\n"));
        else controller.error(new TypeError("network error"));
      },
    });
    const out = teeEventStream(sseResponse(failing), () => {}, deps);
    await expect(readAll(out.body!)).rejects.toThrow("network error");
  });

  it("a throwing observer changes nothing for the page", async () => {
    const { stream } = serverBody([enc.encode(payload(4))]);
    const out = teeEventStream(sseResponse(stream), () => {
      throw new Error("observer bug");
    }, deps);
    expect(await out.text()).toBe(payload(4));
  });
});

describe("isEventStream", () => {
  it("matches text/event-stream with parameters, case-insensitively", () => {
    const r = (t: string) => new Response("", { headers: { "content-type": t } });
    expect(isEventStream(r("text/event-stream"))).toBe(true);
    expect(isEventStream(r("Text/Event-Stream; charset=utf-8"))).toBe(true);
    expect(isEventStream(r("text/event-streamx"))).toBe(false);
    expect(isEventStream(r("application/json"))).toBe(false);
  });
});

describe("wrapFetch", () => {
  function fakeWindow(response: () => Response) {
    const calls: unknown[][] = [];
    const win = {
      Response,
      ReadableStream,
      fetch: function fetch(this: unknown, input: unknown, init?: unknown) {
        calls.push([this, input, init]);
        return Promise.resolve(response());
      },
    };
    return { win, calls };
  }

  it("keeps name and length and passes arguments and this through", async () => {
    const json = new Response("{}", { headers: { "content-type": "application/json" } });
    const { win, calls } = fakeWindow(() => json);
    const original = win.fetch;
    wrapFetch(win as unknown as typeof globalThis, () => {});
    expect(win.fetch).not.toBe(original);
    expect(win.fetch.name).toBe("fetch");
    expect(win.fetch.length).toBe(original.length);
    const init = { method: "POST" };
    const got = await win.fetch.call(win, "/api/chat", init);
    expect(got).toBe(json);
    expect(calls).toEqual([[win, "/api/chat", init]]);
  });

  it("observes events of SSE responses", async () => {
    const { win } = fakeWindow(() => sseResponse(serverBody([enc.encode(payload(5))]).stream));
    const seen: Array<[string, string]> = [];
    wrapFetch(win as unknown as typeof globalThis, (event, url) => seen.push([event.data, url]));
    const res = await win.fetch("/api/chat");
    expect(await res.text()).toBe(payload(5));
    await tick();
    expect(seen.length).toBe(1);
  });

  it("passes rejections through unchanged", async () => {
    const error = new TypeError("Failed to fetch");
    const win = { Response, ReadableStream, fetch: () => Promise.reject(error) };
    wrapFetch(win as unknown as typeof globalThis, () => {});
    await expect(win.fetch()).rejects.toBe(error);
  });
});
