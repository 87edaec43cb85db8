// @vitest-environment happy-dom
// The page world and the relay together in one window, with a fake
// background: what a chat tab does, minus the browser.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Msg } from "../shared/messages";
import { installRelay } from "../relay/relay";
import { installPage } from "./install";
import { browserLikePostMessage } from "./test-window";

class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  constructor(readonly url: string) {
    super();
  }
  emit(data: string) {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
}

const toBackground: Array<Record<string, unknown>> = [];
let config = { captureEnabled: true, debugLogging: false, artifactSelector: '[data-testid="artifact"]' };
let restore: () => void;
let fetchBefore: unknown;

beforeAll(() => {
  restore = browserLikePostMessage(window);
  Object.defineProperty(window, "EventSource", { value: FakeEventSource, writable: true, configurable: true });
  fetchBefore = window.fetch;
  expect(installPage(window as unknown as typeof globalThis)).toBe(true);
  installRelay(window as unknown as typeof globalThis, async (message) => {
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

  it("a second injection changes nothing", () => {
    const es = window.EventSource;
    const f = window.fetch;
    expect(installPage(window as unknown as typeof globalThis)).toBe(false);
    expect(window.EventSource).toBe(es);
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
