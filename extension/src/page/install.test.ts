// @vitest-environment happy-dom
// The page world and the relay together in one window, with a fake
// background: what a chat tab does, minus the browser.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Msg } from "../shared/messages";
import { installRelay } from "../relay/relay";
import { installPage } from "./install";
import { browserLikePostMessage, FakeEventSource } from "./test-window";

class FakeWebSocket extends EventTarget {
  static readonly OPEN = 1;
  constructor(readonly url: string) {
    super();
  }
  emit(data: unknown) {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
}

/// The chat app's server, as the page's fetch sees it.
async function appServer(input: unknown, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input), window.location.origin);
  const respond = (body: string, status = 200) => {
    const res = new Response(body, { status, headers: { "content-type": "application/json" } });
    Object.defineProperty(res, "url", { value: url.href });
    return res;
  };
  if (url.pathname === "/api/save-message") return respond(init?.body === undefined ? "{}" : '{"ok":true}');
  if (url.pathname.startsWith("/api/file/")) {
    return respond(JSON.stringify({ id: "f-9", url: "https://cdn.example/polled.mp4", type: "video", video_generation: { prompt: "polled" } }));
  }
  return respond("{}", 404);
}

const toBackground: Array<Record<string, unknown>> = [];
let config = { captureEnabled: true, debugLogging: false, artifactSelector: '[data-testid="artifact"]', inlineSelector: '[data-testid="message-assistant"]' };
let restore: () => void;
let fetchBefore: unknown;

beforeAll(() => {
  restore = browserLikePostMessage(window);
  Object.defineProperty(window, "EventSource", { value: FakeEventSource, writable: true, configurable: true });
  Object.defineProperty(window, "WebSocket", { value: FakeWebSocket, writable: true, configurable: true });
  Object.defineProperty(window, "fetch", { value: appServer, writable: true, configurable: true });
  fetchBefore = window.fetch;
  expect(installPage(window as unknown as typeof globalThis)).toBe(true);
  installRelay(window, async (message) => {
    const m = message as Record<string, unknown>;
    toBackground.push(m);
    if (m["type"] === Msg.getPageConfig) return config;
    return { ok: true, video_id: "vid-1", duplicate: false, sync: "pending" };
  });
});
afterAll(() => restore());

describe("page world + relay", () => {
  it("addVideoToChat settles with the background's answer", async () => {
    const add = (window as unknown as { addVideoToChat: (u: string, t?: string) => Promise<unknown> }).addVideoToChat;
    await expect(add("https://cdn.example/m.mp4", "https://cdn.example/m.webp")).resolves.toEqual({
      ok: true, video_id: "vid-1", duplicate: false, sync: "pending",
    });
    expect(toBackground).toContainEqual({
      type: Msg.captureVideo,
      video: expect.objectContaining({ url: "https://cdn.example/m.mp4", thumbnail_url: "https://cdn.example/m.webp", source: "manual" }),
    });
    expect((window as unknown as { chatSSEInstance: unknown }).chatSSEInstance).toEqual({
      lastVideoUrl: "https://cdn.example/m.mp4",
      lastThumbnailUrl: "https://cdn.example/m.webp",
    });
  });

  it("forwards a video from an EventSource message", async () => {
    const es = new window.EventSource("https://chat.example/api/events/project.1") as unknown as FakeEventSource;
    expect(es).toBeInstanceOf(FakeEventSource);
    es.emit(JSON.stringify({ type: "file", object: { url: "https://cdn.example/e.mp4", video_generation: { prompt: "waves" } } }));
    await vi.waitFor(() => expect(toBackground).toContainEqual({
      type: Msg.captureVideo,
      video: expect.objectContaining({ url: "https://cdn.example/e.mp4", prompt: "waves", source: "sse" }),
    }));
  });

  it("forwards a video from a WebSocket text frame as source websocket", async () => {
    const ws = new window.WebSocket("wss://backend.example/api/v1/ws/project.1") as unknown as FakeWebSocket;
    expect(ws).toBeInstanceOf(FakeWebSocket);
    ws.emit(new ArrayBuffer(8));
    ws.emit(JSON.stringify({ type: "file", object: { id: "f-1", url: "https://cdn.example/ws.mp4", type: "video", video_generation: { prompt: "ws" } } }));
    await vi.waitFor(() => expect(toBackground).toContainEqual({
      type: Msg.captureVideo,
      video: expect.objectContaining({ url: "https://cdn.example/ws.mp4", prompt: "ws", source: "websocket" }),
    }));
  });

  it("forwards a polled file record as source poll", async () => {
    const res = await window.fetch("/api/file/f-9");
    expect(await res.json()).toMatchObject({ id: "f-9" });
    await vi.waitFor(() => expect(toBackground).toContainEqual({
      type: Msg.captureVideo,
      video: expect.objectContaining({ url: "https://cdn.example/polled.mp4", prompt: "polled", source: "poll" }),
    }));
  });

  it("tells the background about the app's own save, started then finished", async () => {
    const body = JSON.stringify({ chatId: "c-1", message: { id: "m-1", attachments: [{ url: "https://cdn.example/saved.mp4", contentType: "video/mp4" }] } });
    const res = await window.fetch("/api/save-message", { method: "POST", body });
    expect(res.status).toBe(200);
    const saves = () => toBackground.filter((m) => m["type"] === Msg.appSave).map((m) => m["save"]);
    await vi.waitFor(() => expect(saves()).toEqual([
      { chatId: "c-1", messageId: "m-1", phase: "started", attachments: [{ url: "https://cdn.example/saved.mp4", contentType: "video/mp4" }] },
      { chatId: "c-1", messageId: "m-1", phase: "finished", httpStatus: 200, attachments: [{ url: "https://cdn.example/saved.mp4", contentType: "video/mp4" }] },
    ]));
  });

  it("forwards a <video> in an assistant message as source inline", async () => {
    document.body.innerHTML = '<div data-testid="message-assistant"><video src="https://cdn.example/inline.mp4"></video></div>';
    await vi.waitFor(() => expect(toBackground).toContainEqual({
      type: Msg.captureVideo,
      video: expect.objectContaining({ url: "https://cdn.example/inline.mp4", source: "inline" }),
    }));
    document.body.replaceChildren();
  });

  it("a second injection changes nothing", () => {
    const es = window.EventSource;
    const ws = window.WebSocket;
    const xhr = window.XMLHttpRequest;
    const f = window.fetch;
    expect(installPage(window as unknown as typeof globalThis)).toBe(false);
    expect(window.EventSource).toBe(es);
    expect(window.WebSocket).toBe(ws);
    expect(window.XMLHttpRequest).toBe(xhr);
    expect(window.fetch).toBe(f);
    expect(window.fetch).not.toBe(fetchBefore); // the first injection did wrap it
  });

  it("prints [vidkeep] debug lines only when debug logging is on", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    const es = new window.EventSource("https://chat.example/api/events/project.2") as unknown as FakeEventSource;
    es.emit('{"type":"file","object":{"url":"https://cdn.example/quiet.png"}}');
    expect(log).not.toHaveBeenCalled();

    config = { ...config, debugLogging: true };
    window.dispatchEvent(new MessageEvent("message", { data: { tag: "vidkeep:page", kind: "configRequest" }, source: window }));
    const lines = () => log.mock.calls.map((c) => c.map(String).join(" "));
    await vi.waitFor(() => expect(lines().some((l) => l.startsWith("[vidkeep] page: config"))).toBe(true));
    es.emit('{"type":"file","object":{"url":"https://cdn.example/loud.png"}}');
    expect(lines().some((l) => l.startsWith("[vidkeep] page:") && l.includes("not a video"))).toBe(true);
  });
});
