// The page world's gate (issue 13, finding 4): the capture scripts run on
// every port of a configured host (match patterns have no port), so nothing
// leaves the page before the relay's config says it is a configured origin.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kPageTag, kRelayTag, type CapturedVideo } from "../shared/messages";
import { kDefaultSettings, pageConfigOf } from "../shared/settings";
import { createPageBridge, kConfigWaitMs, kMaxWaiting } from "./bridge";

/// A window of its own per test: posts are recorded, relay messages delivered.
function fakeWindow() {
  const win = new EventTarget() as EventTarget & Record<string, unknown>;
  const posted: Array<Record<string, unknown>> = [];
  win["location"] = { origin: "http://localhost:8080" };
  win["postMessage"] = (data: Record<string, unknown>) => void posted.push(data);
  const fromRelay = (data: unknown) => {
    const event = new Event("message");
    Object.defineProperties(event, { data: { value: data }, source: { value: win } });
    win.dispatchEvent(event);
  };
  /// What went out to the relay (config requests aside).
  const forwarded = () => posted.filter((m) => m["tag"] === kPageTag && m["kind"] !== "configRequest");
  return { bridge: createPageBridge(win as unknown as typeof globalThis), fromRelay, forwarded };
}

const video = (n: number): CapturedVideo => ({ url: `https://cdn.example/${n}.mp4`, source: "sse", observed_at: "2026-11-24T10:00:00.000Z" });
const save = { chatId: "c-1", phase: "started" as const, attachments: [{ url: "https://cdn.example/s.mp4" }] };
const config = pageConfigOf(kDefaultSettings);

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe("page bridge gate", () => {
  it("regression: on a port the background does not hear (config null), no capture or app save ever leaves the page", async () => {
    const { bridge, fromRelay, forwarded } = fakeWindow();
    expect(bridge.gate).toBe("unknown");
    void bridge.post(video(1), false);
    bridge.postAppSave(save);
    const answer = bridge.post(video(2), true)!;
    expect(forwarded()).toEqual([]); // waiting for the config

    fromRelay({ tag: kRelayTag, kind: "config", config: null });
    expect(bridge.gate).toBe("off");
    await expect(answer).resolves.toEqual({ ok: false, error: { code: "unauthorized", message: "vidkeep does not capture on this page", retryable: false } });

    // later sightings, and a config that comes after (late, or forged by the page), change nothing
    void bridge.post(video(3), false);
    fromRelay({ tag: kRelayTag, kind: "config", config });
    bridge.postAppSave(save);
    await expect(bridge.post(video(4), true)).resolves.toMatchObject({ ok: false, error: { code: "unauthorized" } });
    await vi.advanceTimersByTimeAsync(kConfigWaitMs * 2);
    expect(forwarded()).toEqual([]);
    expect(bridge.gate).toBe("off");
  });

  it("sightings wait for the config and go out, in order, once it says this page is heard", () => {
    const { bridge, fromRelay, forwarded } = fakeWindow();
    void bridge.post(video(1), false);
    bridge.postAppSave(save);
    void bridge.post(video(2), true);
    expect(forwarded()).toEqual([]);
    fromRelay({ tag: kRelayTag, kind: "config", config });
    expect(bridge.gate).toBe("on");
    expect(forwarded().map((m) => m["kind"])).toEqual(["capture", "appSave", "capture"]);
    expect(forwarded()[2]).toMatchObject({ video: { url: "https://cdn.example/2.mp4" }, requestId: expect.any(String) });
    void bridge.post(video(3), false); // at once from now on
    expect(forwarded().length).toBe(4);
  });

  it("at most kMaxWaiting wait; without an answer in kConfigWaitMs they are dropped", async () => {
    const { bridge, fromRelay, forwarded } = fakeWindow();
    for (let n = 0; n < kMaxWaiting; n++) void bridge.post(video(n), false);
    await expect(bridge.post(video(999), true)).resolves.toMatchObject({ ok: false, error: { code: "unavailable" } }); // the 51st
    const late = bridge.post(video(1000), true);
    expect(late).toBeDefined();
    await vi.advanceTimersByTimeAsync(kConfigWaitMs);
    expect(forwarded()).toEqual([]);
    // a config after that finds nothing left to send
    fromRelay({ tag: kRelayTag, kind: "config", config });
    expect(forwarded()).toEqual([]);
  });

  it("a config with capture switched off drops what waited", () => {
    const { bridge, fromRelay, forwarded } = fakeWindow();
    void bridge.post(video(1), false);
    fromRelay({ tag: kRelayTag, kind: "config", config: { ...config, captureEnabled: false } });
    expect(forwarded()).toEqual([]);
  });
});
