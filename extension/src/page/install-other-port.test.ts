// @vitest-environment happy-dom
// Issue 13, finding 4: the capture scripts match `http://localhost/*` for a
// configured `http://localhost:3000` (match patterns have no port), so they
// also run on localhost:8080. There the background answers the page config
// with null, and the page world stays inert: page and relay together, with
// a fake background that hears nothing from this page.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Msg } from "../shared/messages";
import { installRelay } from "../relay/relay";
import { installPage } from "./install";
import { browserLikePostMessage, FakeEventSource, flush } from "./test-window";

const toBackground: Array<Record<string, unknown>> = [];
let restore: () => void;

beforeAll(() => {
  restore = browserLikePostMessage(window);
  Object.defineProperty(window, "EventSource", { value: FakeEventSource, writable: true, configurable: true });
  installPage(window);
  installRelay(window, async (message) => {
    const m = message as Record<string, unknown>;
    toBackground.push(m);
    // what the background answers a tab on an origin it was not configured for
    if (m["type"] === Msg.getPageConfig) return null;
    return { ok: false, error: { code: "unauthorized", message: "origin http://localhost:8080 is not a configured chat origin", retryable: false } };
  });
});
afterAll(() => restore());

describe("page world on a port that is not configured", () => {
  it("regression: forwards nothing (stream videos, addVideoToChat), and addVideoToChat says vidkeep does not capture here", async () => {
    await vi.waitFor(() => expect(toBackground.filter((m) => m["type"] === Msg.getPageConfig).length).toBeGreaterThan(0));
    await flush(20);
    const es = new (window as unknown as { EventSource: typeof FakeEventSource }).EventSource("/api/chat");
    es.emit(JSON.stringify({ type: "file", object: { url: "https://cdn.example/e.mp4", video_generation: { prompt: "waves" } } }));
    const add = (window as unknown as { addVideoToChat: (u: string) => Promise<unknown> }).addVideoToChat;
    await expect(add("https://cdn.example/m.mp4")).resolves.toEqual({
      ok: false, error: { code: "unauthorized", message: "vidkeep does not capture on this page", retryable: false },
    });
    await flush(20);
    expect(toBackground.filter((m) => m["type"] !== Msg.getPageConfig)).toEqual([]);
  });
});
