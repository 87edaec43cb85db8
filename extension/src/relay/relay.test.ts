// @vitest-environment happy-dom
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { kPageTag, kRelayTag, Msg } from "../shared/messages";
import { browserLikePostMessage, flush } from "../page/test-window";
import { installRelay } from "./relay";

let restore: () => void;
const sent: unknown[] = [];
const toPage: unknown[] = [];
const config = { captureEnabled: true, debugLogging: true, artifactSelector: "[data-testid=artifact]" };

// One relay per window, as in a tab (a second install is refused).
beforeAll(() => {
  restore = browserLikePostMessage(window);
  window.addEventListener("message", (e) => {
    if ((e.data as { tag?: string })?.tag === kRelayTag) toPage.push(e.data);
  });
  installRelay(globalThis, async (message) => {
    sent.push(message);
    const m = message as { type: string };
    if (m.type === Msg.getPageConfig) return config;
    return { ok: true, video_id: "vid-1", duplicate: false, sync: "pending" };
  });
});
afterAll(() => restore());

const video = { url: "https://cdn.example/v.mp4", source: "manual", observed_at: "2026-11-24T10:00:00Z" };

describe("relay", () => {
  beforeEach(async () => {
    await flush();
  });

  it("pushes the page config when it starts", async () => {
    await vi.waitFor(() => expect(toPage).toEqual([{ tag: kRelayTag, kind: "config", config }]));
    expect(sent).toEqual([{ type: Msg.getPageConfig }]);
  });

  it("answers a config request from the page", async () => {
    toPage.length = 0;
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "configRequest" }, source: window }));
    await vi.waitFor(() => expect(toPage).toEqual([{ tag: kRelayTag, kind: "config", config }]));
  });

  it("forwards tagged captures from this window and posts the answer back", async () => {
    await flush();
    window.dispatchEvent(new MessageEvent("message", {
      data: { tag: kPageTag, kind: "capture", video, requestId: "r1" },
      source: window,
    }));
    await vi.waitFor(() => expect(toPage).toContainEqual(expect.objectContaining({ kind: "answer" })));
    expect(sent).toContainEqual({ type: Msg.captureVideo, video });
    expect(toPage).toContainEqual({
      tag: kRelayTag,
      kind: "answer",
      requestId: "r1",
      answer: { ok: true, video_id: "vid-1", duplicate: false, sync: "pending" },
    });
  });

  it("forwards the app's own save to the background, without an answer to the page", async () => {
    await flush();
    toPage.length = 0;
    const save = { chatId: "c-1", messageId: "m-1", phase: "finished", httpStatus: 500,
      attachments: [{ url: "https://cdn.example/v.mp4", contentType: "video/mp4" }] };
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "appSave", save }, source: window }));
    await vi.waitFor(() => expect(sent).toContainEqual({ type: Msg.appSave, save }));
    await flush();
    expect(toPage).toEqual([]);
  });

  it("drops an app save from another window or without the tag", async () => {
    await flush();
    sent.length = 0;
    const save = { chatId: "c-1", phase: "started", attachments: [{ url: "https://cdn.example/x.mp4" }] };
    const otherWindow = { postMessage() {} } as unknown as Window;
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "appSave", save }, source: otherWindow }));
    window.dispatchEvent(new MessageEvent("message", { data: { tag: "other", kind: "appSave", save }, source: window }));
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kRelayTag, kind: "appSave", save }, source: window }));
    await flush();
    expect(sent).toEqual([]);
  });

  it("ignores messages from other windows and untagged messages", async () => {
    await flush();
    sent.length = 0;
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "capture", video }, source: null }));
    const otherWindow = { postMessage() {} } as unknown as Window; // e.g. an iframe's window
    window.dispatchEvent(new MessageEvent("message", {
      data: { tag: kPageTag, kind: "capture", video },
      source: otherWindow,
    }));
    window.dispatchEvent(new MessageEvent("message", { data: { kind: "capture", video }, source: window }));
    window.dispatchEvent(new MessageEvent("message", { data: "string", source: window }));
    await flush();
    expect(sent).toEqual([]);
  });

  // Regression: Firefox runs content scripts in a sandbox whose global is not
  // the window that `event.source` names; capture messages were all dropped.
  it("accepts this window's messages when its global is a sandbox (Firefox)", async () => {
    const forwarded: unknown[] = [];
    const sandbox = {
      window,
      location: window.location,
      addEventListener: window.addEventListener.bind(window),
      postMessage: window.postMessage.bind(window),
    };
    expect(sandbox).not.toBe(window);
    installRelay(sandbox as unknown as typeof globalThis, async (message) => {
      forwarded.push(message);
      return undefined;
    });
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "capture", video }, source: window }));
    await vi.waitFor(() => expect(forwarded).toContainEqual({ type: Msg.captureVideo, video }));
  });

  it("is harmless when injected twice", () => {
    expect(installRelay(globalThis, async () => undefined)).toBe(false);
  });
});
