import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Answer, Video } from "../shared/protocol";
import { FakePort } from "./fake-port";
import { MemoryStore } from "./fake-storage";
import { HostConnection, HostUnavailableError } from "./host-connection";
import { VideoQueue, kHoldMs, kQueueStorageKey, type QueueEntry } from "./video-queue";

/// The shared in-memory storage.local, plus the queue as saved.
class QueueStore extends MemoryStore {
  queued(): QueueEntry[] {
    return (this.saved(kQueueStorageKey) ?? []) as QueueEntry[];
  }
}

const timers = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

const video = (n: number, extra: Partial<Video> = {}): Video => ({
  url: `https://cdn.example/v/${n}.mp4`,
  source: "sse",
  chat_id: "chat-1",
  page_url: "https://chat.example/chat/chat-1",
  ...extra,
});

// Wire frames carry fields OkAnswer does not name (protocol.ts reads them).
const ok = (n: number, duplicate = false): Answer => ({ id: n, ok: true, video_id: `vid-${n}`, duplicate, sync: "pending" }) as Answer;
const fail = (code: string, retryable: boolean): Answer => ({ id: 1, ok: false, error: { code, message: code, retryable } });

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("VideoQueue", () => {
  it("writes the video to storage before it is sent, and removes it on ok", async () => {
    const store = new QueueStore();
    const storedAtSend: number[] = [];
    const queue = new VideoQueue({
      store,
      timers,
      send: async () => {
        storedAtSend.push(store.queued().length);
        return ok(1);
      },
    });
    queue.setOnline(true);
    const answer = await queue.submit(video(1));
    expect(storedAtSend).toEqual([1]);
    expect(answer).toEqual({ ok: true, video_id: "vid-1", duplicate: false, sync: "pending" });
    expect(store.queued()).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it("keeps a video the host could not take (retryable) and tries again later", async () => {
    const store = new QueueStore();
    const answers = [fail("unavailable", true), ok(1)];
    const send = vi.fn(async () => answers.shift()!);
    const queue = new VideoQueue({ store, timers, send });
    queue.setOnline(true);
    const first = await queue.submit(video(1));
    expect(first).toMatchObject({ ok: false, queued: true, error: { code: "unavailable" } });
    expect(store.queued()).toMatchObject([{ attempts: 1, lastError: "unavailable: unavailable" }]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(send).toHaveBeenCalledTimes(2);
    expect(store.queued()).toEqual([]);
  });

  it("keeps a video whose request timed out or lost its port", async () => {
    const store = new QueueStore();
    const queue = new VideoQueue({
      store,
      timers,
      send: async () => {
        throw new HostUnavailableError("timeout", "no answer");
      },
    });
    queue.setOnline(true);
    expect(await queue.submit(video(1))).toMatchObject({ ok: false, queued: true, error: { code: "timeout" } });
    expect(store.queued().length).toBe(1);
  });

  it("drops a video the host refuses for good, and says so", async () => {
    const store = new QueueStore();
    const dropped: string[] = [];
    const queue = new VideoQueue({
      store,
      timers,
      send: async () => fail("invalid_url", false),
      onDropped: (v, e) => dropped.push(`${v.url} ${e.code}`),
    });
    queue.setOnline(true);
    expect(await queue.submit(video(1))).toEqual({ ok: false, error: { code: "invalid_url", message: "invalid_url", retryable: false } });
    expect(store.queued()).toEqual([]);
    expect(dropped).toEqual(["https://cdn.example/v/1.mp4 invalid_url"]);
  });

  it("keeps videos refused as unauthorized (a reinstall fixes that)", async () => {
    const store = new QueueStore();
    const queue = new VideoQueue({ store, timers, send: async () => fail("unauthorized", false) });
    queue.setOnline(true);
    await queue.submit(video(1));
    expect(store.queued().length).toBe(1);
  });

  it("queues while offline and sends everything when the host comes", async () => {
    const store = new QueueStore();
    const sent: string[] = [];
    const queue = new VideoQueue({
      store,
      timers,
      send: async (v) => {
        sent.push(v.url);
        return ok(sent.length);
      },
    });
    expect(await queue.submit(video(1))).toMatchObject({ ok: false, queued: true, error: { code: "disconnected" } });
    await queue.submit(video(2));
    expect(sent).toEqual([]);
    queue.setOnline(true);
    await vi.waitFor(() => expect(store.queued()).toEqual([]));
    expect(sent).toEqual(["https://cdn.example/v/1.mp4", "https://cdn.example/v/2.mp4"]);
  });

  it("survives a service worker restart: a new queue on the same storage resends", async () => {
    const store = new QueueStore();
    const before = new VideoQueue({ store, timers, send: async () => ok(1) });
    await before.submit(video(1, { prompt: "kept across restarts" }));
    const sent: Video[] = [];
    const after = new VideoQueue({
      store,
      timers,
      send: async (v) => {
        sent.push(v);
        return ok(1);
      },
    });
    await after.load();
    expect(after.size).toBe(1);
    after.setOnline(true);
    await vi.waitFor(() => expect(store.queued()).toEqual([]));
    expect(sent.map((v) => v.prompt)).toEqual(["kept across restarts"]);
  });

  it("merges a second sighting of the same video (same chat and URL)", async () => {
    const store = new QueueStore();
    const queue = new VideoQueue({ store, timers, send: async () => ok(1) });
    await queue.submit(video(1, { source: "artifact" }));
    await queue.submit(video(1, { prompt: "the prompt", thumbnail_url: "https://cdn.example/t.webp" }));
    expect(queue.size).toBe(1);
    expect(store.queued()[0].video).toMatchObject({ prompt: "the prompt", thumbnail_url: "https://cdn.example/t.webp" });
    await queue.submit(video(1, { chat_id: "other-chat" }));
    expect(queue.size).toBe(2);
  });

  it("drops the oldest when full", async () => {
    const store = new QueueStore();
    const dropped: string[] = [];
    const queue = new VideoQueue({ store, timers, send: async () => ok(1), maxEntries: 2, onDropped: (v) => dropped.push(v.url) });
    for (const n of [1, 2, 3]) await queue.submit(video(n));
    expect(store.queued().map((e) => e.video.url)).toEqual(["https://cdn.example/v/2.mp4", "https://cdn.example/v/3.mp4"]);
    expect(dropped).toEqual(["https://cdn.example/v/1.mp4"]);
  });
});

describe("VideoQueue holding videos until their tab has a chat id", () => {
  const atRoot = (n: number, extra: Partial<Video> = {}): Video => ({
    url: `https://cdn.example/v/${n}.mp4`, source: "tool", page_url: "https://chat.example/", ...extra,
  });
  const tab = { tabId: 7, origin: "https://chat.example" };
  const chat = "3f2c9a1e-aaaa-4bbb-8ccc-000000000001";
  const found = { chatId: chat, pageUrl: `https://chat.example/chat/${chat}` };

  function recording(store = new QueueStore()) {
    const sent: Video[] = [];
    const queue = new VideoQueue({ store, timers, send: async (v) => (sent.push(v), ok(sent.length)) });
    return { store, sent, queue };
  }

  it("keeps a held video durably and unsent, and says it is held", async () => {
    const { store, sent, queue } = recording();
    queue.setOnline(true);
    expect(await queue.submit(atRoot(1), tab)).toEqual({
      ok: false, queued: true, error: { code: "unavailable", message: "held until the chat has an id", retryable: true },
    });
    await queue.flush();
    expect(sent).toEqual([]);
    expect(store.queued()).toMatchObject([{ video: { url: "https://cdn.example/v/1.mp4" }, hold: { tabId: 7, origin: "https://chat.example" } }]);
    expect(queue.heldTabs()).toEqual([{ ...tab, pageUrl: "https://chat.example/" }]);
  });

  it("sends held videos once, with the chat id and page URL the tab gained", async () => {
    const { store, sent, queue } = recording();
    queue.setOnline(true);
    await queue.submit(atRoot(1, { prompt: "a cat" }), tab);
    await queue.submit(atRoot(2), tab);
    await queue.submit(atRoot(3), { ...tab, tabId: 8 });
    expect(await queue.release(7, found)).toBe(2);
    expect(sent).toEqual([
      { ...atRoot(1, { prompt: "a cat" }), chat_id: chat, page_url: found.pageUrl },
      { ...atRoot(2), chat_id: chat, page_url: found.pageUrl },
    ]);
    expect(store.queued().map((e) => e.video.url)).toEqual(["https://cdn.example/v/3.mp4"]); // tab 8 still waits
    expect(await queue.release(7, found)).toBe(0); // nothing twice
    await queue.flush();
    expect(sent.length).toBe(2);
  });

  it("sends without a chat id when the tab closes or goes elsewhere", async () => {
    const { sent, queue } = recording();
    queue.setOnline(true);
    await queue.submit(atRoot(1), tab);
    expect(await queue.release(7, null)).toBe(1);
    expect(sent).toEqual([atRoot(1)]);
  });

  it("sends without a chat id after 15 minutes", async () => {
    const { sent, queue } = recording();
    queue.setOnline(true);
    await queue.submit(atRoot(1), tab);
    await vi.advanceTimersByTimeAsync(kHoldMs - 1000);
    // a second sighting does not push the deadline back
    await queue.submit(atRoot(1, { prompt: "later" }), tab);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual([atRoot(1, { prompt: "later" })]);
  });

  it("a worker restart keeps held videos held, and its releaseExpired sends the late ones", async () => {
    const store = new QueueStore();
    const before = recording(store);
    await before.queue.submit(atRoot(1), tab);
    const after = recording(store);
    await after.queue.load();
    after.queue.setOnline(true);
    await vi.waitFor(() => expect(after.queue.heldTabs()).toEqual([{ ...tab, pageUrl: "https://chat.example/" }]));
    expect(after.sent).toEqual([]);
    vi.setSystemTime(Date.now() + kHoldMs);
    expect(await after.queue.releaseExpired()).toBe(1);
    expect(after.sent).toEqual([atRoot(1)]);
  });

  it("merges a held video with the same video already queued for the chat it gained", async () => {
    const { store, sent, queue } = recording();
    await queue.submit(atRoot(1, { prompt: "from the stream" }), tab); // offline: held
    await queue.submit(atRoot(1, { chat_id: chat, page_url: found.pageUrl, source: "inline" })); // offline: queued
    await queue.release(7, found);
    expect(store.queued()).toEqual([expect.objectContaining({ video: { ...atRoot(1, { prompt: "from the stream", source: "inline" }), chat_id: chat, page_url: found.pageUrl } })]);
    queue.setOnline(true);
    await vi.waitFor(() => expect(store.queued()).toEqual([]));
    expect(sent.length).toBe(1);
  });

  it("a held video that the host is sending under the same key is not sent until released", async () => {
    const store = new QueueStore();
    let answer: (a: Answer) => void = () => {};
    const sent: Video[] = [];
    const queue = new VideoQueue({ store, timers, send: (v) => (sent.push(v), new Promise((r) => (answer = r))) });
    queue.setOnline(true);
    const first = queue.submit(atRoot(1)); // no tab id known: sent as is
    await vi.waitFor(() => expect(sent.length).toBe(1));
    await queue.submit(atRoot(1, { prompt: "seen again" }), tab);
    answer(ok(1));
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.length).toBe(1);
    expect(store.queued()).toMatchObject([{ hold: { tabId: 7 } }]);
  });
});

describe("VideoQueue with HostConnection and a fake port", () => {
  function wire() {
    const store = new QueueStore();
    const ports: FakePort[] = [];
    const host = new HostConnection({
      connect: () => {
        const p = new FakePort();
        ports.push(p);
        return p;
      },
      disconnectReason: (p) => (p as FakePort).reason,
      extensionVersion: "1.0.0",
      timers,
      random: () => 0.5,
      requestTimeoutMs: 1000,
    });
    const queue = new VideoQueue({ store, timers, send: (v) => host.request({ type: "video", video: v }) });
    host.onState((info) => queue.setOnline(info.state === "connected"));
    const port = () => ports[ports.length - 1];
    const videoRequests = () => port().sent.filter((m) => m["type"] === "video");
    return { store, host, queue, ports, port, videoRequests };
  }

  it("a video seen while the host is missing is sent once it is installed", async () => {
    const { store, host, queue, port, videoRequests } = wire();
    host.start();
    port().drop("Specified native messaging host not found.");
    expect(await queue.submit(video(1))).toMatchObject({ ok: false, queued: true });
    expect(store.queued().length).toBe(1);

    await vi.advanceTimersByTimeAsync(1000); // backoff: the browser tries again
    port().answer("hello", { protocol: 1, host_version: "1", db_path: "/x" });
    await vi.waitFor(() => expect(videoRequests().length).toBe(1));
    expect(videoRequests()[0]).toMatchObject({ type: "video", video: { url: "https://cdn.example/v/1.mp4", chat_id: "chat-1" } });
    port().answer("video", { video_id: "vid-1", duplicate: false, sync: "pending" });
    await vi.waitFor(() => expect(store.queued()).toEqual([]));
  });

  it("a video whose answer was lost to a disconnect is sent again on reconnect", async () => {
    const { store, host, queue, port, videoRequests } = wire();
    host.start();
    port().answer("hello", { protocol: 1 });
    const answer = queue.submit(video(7));
    await vi.waitFor(() => expect(videoRequests().length).toBe(1));
    port().drop("Native host has exited.");
    expect(await answer).toMatchObject({ ok: false, queued: true, error: { code: "disconnected" } });
    expect(store.queued().length).toBe(1);

    await vi.advanceTimersByTimeAsync(1000);
    port().answer("hello", { protocol: 1 });
    await vi.waitFor(() => expect(videoRequests().length).toBe(1)); // on the new port
    port().answer("video", { video_id: "vid-7", duplicate: true, sync: "synced" });
    await vi.waitFor(() => expect(store.queued()).toEqual([]));
  });
});
