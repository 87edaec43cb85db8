// @vitest-environment happy-dom
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { kPageTag, kRelayTag, Msg } from "../shared/messages";
import { browserLikePostMessage, flush } from "../page/test-window";
import { installRelay } from "./relay";

let restore: () => void;
const sent: unknown[] = [];
const toPage: unknown[] = [];
const config = { captureEnabled: true, debugLogging: true, artifactSelector: "[data-testid=artifact]" };
/// What the fake background answers next (a function: it may throw, as sendMessage rejects).
let pageConfig: unknown = config;
let captureAnswer: () => unknown = () => ({ ok: true, video_id: "vid-1", duplicate: false, sync: "pending" });

// One relay per window, as in a tab (a second install is refused).
beforeAll(() => {
  restore = browserLikePostMessage(window);
  window.addEventListener("message", (e) => {
    if ((e.data as { tag?: string })?.tag === kRelayTag) toPage.push(e.data);
  });
  installRelay(globalThis, async (message) => {
    sent.push(message);
    const m = message as { type: string };
    if (m.type === Msg.getPageConfig) return pageConfig;
    return captureAnswer();
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

  // ---- issue 13 ----

  it("regression (finding 4): tells the page when the background does not hear it (config null)", async () => {
    await flush();
    toPage.length = 0;
    pageConfig = null;
    window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "configRequest" }, source: window }));
    await vi.waitFor(() => expect(toPage).toEqual([{ tag: kRelayTag, kind: "config", config: null }]));
    pageConfig = config;
  });

  it("regression (finding 5): no host or browser error text in an answer posted into the page", async () => {
    const secret = "config /home/alice/.config/vidkeep/config.json: unknown key";
    const ask = async (requestId: string) => {
      toPage.length = 0;
      window.dispatchEvent(new MessageEvent("message", { data: { tag: kPageTag, kind: "capture", video, requestId }, source: window }));
      await vi.waitFor(() => expect(toPage.length).toBe(1));
      return toPage[0] as { answer: unknown };
    };
    await flush();
    captureAnswer = () => ({ ok: false, error: { code: "internal", message: secret, retryable: false } });
    expect((await ask("r2")).answer).toEqual({ ok: false, error: { code: "unavailable", message: "vidkeep could not save the video; see the vidkeep popup", retryable: false } });
    captureAnswer = () => { throw new Error(`Extension context invalidated. ${secret}`); };
    const thrown = await ask("r3");
    expect(thrown.answer).toMatchObject({ ok: false, error: { code: "unavailable", retryable: true } });
    expect(JSON.stringify(thrown)).not.toMatch(/alice|invalidated/);
    captureAnswer = () => ({ ok: true, video_id: "vid-1", duplicate: false, sync: "pending" });
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
