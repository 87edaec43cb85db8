// The service worker's wiring, with a fake `chrome` namespace and a fake
// native port: sender checks, the Video it builds, configure with cookies,
// content script registration, popup requests and live events.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { event, fakeChromeBase, fakeLocalStorage, sendMessage, type Listener } from "./fake-chrome";
import type { FakePort } from "./fake-port";

const kId = "dcdfhfchgbigephadgggjnlglgfffpgb";
const kBase = `chrome-extension://${kId}/`;
const local = new Map<string, unknown>([["settings", { origins: ["https://chat.example"] }]]);
const ports: FakePort[] = [];
const registered = new Map<string, { id: string; matches: string[]; world: string; js: string[] }>();
const badge: string[] = [];
let cookieJar = [
  { name: "authjs.session-token", value: "SESSION", domain: "chat.example", hostOnly: true },
  { name: "theme", value: "dark", domain: "chat.example", hostOnly: true },
];

/// Tab id -> URL as the browser would report it now (tabs.get).
const openTabs = new Map<number, string | undefined>();

const fake = {
  ...fakeChromeBase(kId, ports, registered),
  storage: {
    local: fakeLocalStorage(local),
    managed: { get: async () => ({}) },
    onChanged: event(),
  },
  cookies: { getAll: async () => cookieJar, onChanged: event() },
  action: {
    setBadgeText: async ({ text }: { text: string }) => void badge.push(text),
    setBadgeBackgroundColor: async () => {},
    setTitle: async () => {},
  },
  tabs: {
    query: async () => [{ url: "https://chat.example/chat/c-9" }],
    create: async () => ({}),
    get: async (tabId: number) => {
      if (!openTabs.has(tabId)) throw new Error(`No tab with id: ${tabId}.`);
      return { id: tabId, url: openTabs.get(tabId) };
    },
    onUpdated: event(),
    onRemoved: event(),
  },
};

/// Sends a runtime message the way the browser does and returns the answer.
const send = (message: unknown, sender: Record<string, unknown>) => sendMessage(fake.runtime.onMessage, message, sender);

const tab = (url: string) => ({ id: kId, frameId: 0, origin: new URL(url).origin, url, tab: { id: 3, url } });
const popup = { id: kId, url: `${kBase}popup.html` };
const port = () => ports[ports.length - 1];
const sentOf = (type: string) => port().sent.filter((m) => m["type"] === type);

/// The worker scope's own events (fetch, activate), as a service worker has them.
const scopeListeners = new Map<string, Listener>();
const claims: number[] = [];

beforeAll(async () => {
  (globalThis as Record<string, unknown>)["chrome"] = fake;
  (globalThis as Record<string, unknown>)["addEventListener"] = (type: string, fn: Listener) => void scopeListeners.set(type, fn);
  (globalThis as Record<string, unknown>)["clients"] = { claim: async () => void claims.push(Date.now()) };
  await import("./main");
  await vi.waitFor(() => expect(ports.length).toBe(1));
  port().answer("hello", { protocol: 1, host_version: "1.0.0", db_path: "/tmp/v.db" });
});
afterAll(() => {
  delete (globalThis as Record<string, unknown>)["chrome"];
  delete (globalThis as Record<string, unknown>)["addEventListener"];
  delete (globalThis as Record<string, unknown>)["clients"];
});

describe("service worker", () => {
  it("says hello with the extension version", () => {
    expect(port().sent[0]).toEqual({ type: "hello", id: 1, extension_version: "9.9.9" });
  });

  it("configures the chat origin with its session cookie only", async () => {
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(1));
    expect(sentOf("configure")[0]).toMatchObject({
      server: { origin: "https://chat.example", auth: { cookie: "authjs.session-token=SESSION" } },
    });
  });

  it("registers the MAIN and ISOLATED capture scripts for the origin", async () => {
    await vi.waitFor(() => expect(registered.size).toBe(2));
    expect([...registered.values()].map((s) => [s.id, s.world, s.js, s.matches])).toEqual([
      ["vidkeep-page", "MAIN", ["page.js"], ["https://chat.example/*"]],
      ["vidkeep-relay", "ISOLATED", ["relay.js"], ["https://chat.example/*"]],
    ]);
  });

  it("sends a capture with the tab's page URL and chat id, not the page's", async () => {
    const answer = send(
      {
        type: "captureVideo",
        video: {
          url: "https://cdn.example/v/1.mp4",
          source: "sse",
          prompt: "a cat",
          observed_at: "2026-11-24T10:00:00.000Z",
          page_url: "https://evil.example/",
          chat_id: "forged",
        },
      },
      tab("https://chat.example/chat/c-1?tab=2"),
    );
    await vi.waitFor(() => expect(sentOf("video").length).toBe(1));
    expect(sentOf("video")[0]["video"]).toEqual({
      url: "https://cdn.example/v/1.mp4",
      source: "sse",
      prompt: "a cat",
      observed_at: "2026-11-24T10:00:00.000Z",
      page_url: "https://chat.example/chat/c-1?tab=2",
      chat_id: "c-1",
    });
    port().answer("video", { video_id: "vid-1", duplicate: false, sync: "pending" });
    await expect(answer).resolves.toEqual({ ok: true, video_id: "vid-1", duplicate: false, sync: "pending" });
    await vi.waitFor(() => expect((local.get("queue") as unknown[]).length).toBe(0));
  });

  it("refuses captures from other origins, other frames and other extensions", async () => {
    const video = { url: "https://cdn.example/v/2.mp4", source: "sse" };
    for (const sender of [
      tab("https://evil.example/chat/c-1"),
      { ...tab("https://chat.example/chat/c-1"), frameId: 2 },
      { ...tab("https://chat.example/chat/c-1"), id: "someone-else" },
    ]) {
      await expect(send({ type: "captureVideo", video }, sender)).resolves.toMatchObject({ ok: false, error: { code: "unauthorized" } });
    }
    expect(sentOf("video").length).toBe(1); // only the one from the test before
  });

  it("gives content scripts nothing but capture and page config", async () => {
    await expect(send({ type: "hostRequest", request: { type: "list" } }, tab("https://chat.example/chat/c-1"))).resolves.toBeUndefined();
    await expect(send({ type: "getPageConfig" }, tab("https://chat.example/chat/c-1"))).resolves.toEqual({
      captureEnabled: true, debugLogging: false, artifactSelector: '[data-testid="artifact"]',
      inlineSelector: '[data-testid="message-assistant"], [data-role="assistant"]',
    });
    await expect(send({ type: "getPageConfig" }, tab("https://evil.example/"))).resolves.toBeNull();
  });

  it("forwards popup list requests and refuses the rest", async () => {
    const list = send({ type: "hostRequest", request: { type: "list", limit: 5, query: "cat", id: 99 } }, popup);
    await vi.waitFor(() => expect(sentOf("list").length).toBe(1));
    expect(sentOf("list")[0]).toEqual({ type: "list", limit: 5, query: "cat", id: expect.any(Number) });
    port().answer("list", { videos: [], next_cursor: null });
    await expect(list).resolves.toMatchObject({ ok: true, videos: [] });
    await expect(send({ type: "hostRequest", request: { type: "configure", server: { origin: "https://x" } } }, popup))
      .resolves.toMatchObject({ ok: false, error: { code: "bad_request" } });
  });

  it("tells the popup about the connection, its chat, and live sync states", async () => {
    const overview = (await send({ type: "getOverview" }, popup)) as Record<string, unknown>;
    expect(overview["connection"]).toMatchObject({ state: "connected", hostVersion: "1.0.0", dbPath: "/tmp/v.db" });
    expect(overview["activeChat"]).toEqual({ origin: "https://chat.example", url: "https://chat.example/chat/c-9", chatId: "c-9" });

    const popupPort = { name: "vidkeep-popup", sender: popup, posted: [] as unknown[], onDisconnect: event(),
      postMessage(m: unknown) { this.posted.push(m); }, disconnect() {} };
    fake.runtime.onConnect.fire(popupPort);
    port().receive({ type: "sync_state", video_id: "vid-1", sync: "synced" });
    expect(popupPort.posted).toContainEqual({ type: "syncState", video_id: "vid-1", sync: "synced" });
  });

  it("relays the popup's media requests and forwards media_state events", async () => {
    const pin = send({ type: "hostRequest", request: { type: "media_pin", video_ids: ["vid-1"], pinned: true } }, popup);
    await vi.waitFor(() => expect(sentOf("media_pin").length).toBe(1));
    expect(sentOf("media_pin")[0]).toEqual({ type: "media_pin", video_ids: ["vid-1"], pinned: true, id: expect.any(Number) });
    port().answer("media_pin", { changed: 1 });
    await expect(pin).resolves.toMatchObject({ ok: true, changed: 1 });

    const fetchAgain = send({ type: "hostRequest", request: { type: "media_fetch", video_ids: ["vid-1", "vid-2"] } }, popup);
    await vi.waitFor(() => expect(sentOf("media_fetch").length).toBe(1));
    expect(sentOf("media_fetch")[0]).toEqual({ type: "media_fetch", video_ids: ["vid-1", "vid-2"], id: expect.any(Number) });
    port().answer("media_fetch", { queued: 2 });
    await expect(fetchAgain).resolves.toMatchObject({ ok: true, queued: 2 });

    const popupPort = { name: "vidkeep-popup", sender: popup, posted: [] as unknown[], onDisconnect: event(),
      postMessage(m: unknown) { this.posted.push(m); }, disconnect() {} };
    const claimsBefore = claims.length;
    fake.runtime.onConnect.fire(popupPort);
    // the popup's page is taken over, so its <video> reaches media/<id>
    expect(claims.length).toBe(claimsBefore + 1);
    port().receive({ type: "media_state", video_id: "vid-1", kind: "video", state: "downloading", bytes: 1048576, total: 5242880, percent: 20, error: null, extra: "x" });
    port().receive({ type: "media_state", video_id: "vid-1", kind: "sound", state: "cached" });
    expect(popupPort.posted).toEqual([
      { type: "mediaState", video_id: "vid-1", kind: "video", state: "downloading", bytes: 1048576, total: 5242880, percent: 20, error: null },
    ]);
  });

  it("serves media/<id> to the extension's own <video> from media_read", async () => {
    const onFetch = scopeListeners.get("fetch")!;
    let answered: Promise<Response> | undefined;
    const fetchEvent = (url: string, range?: string) => ({
      request: new Request(url, range === undefined ? {} : { headers: { Range: range } }),
      respondWith(r: Promise<Response>) { answered = r; },
    });
    onFetch(fetchEvent(`${kBase}popup.js`));
    expect(answered).toBeUndefined(); // package files are left to the browser

    onFetch(fetchEvent(`${kBase}media/vid-1`, "bytes=2-5"));
    expect(answered).toBeDefined();
    await vi.waitFor(() => expect(sentOf("media_read").length).toBe(1));
    expect(sentOf("media_read")[0]).toEqual({ type: "media_read", video_id: "vid-1", kind: "video", offset: 2, length: 4, id: expect.any(Number) });
    port().answer("media_read", { content_type: "video/mp4", size: 10, offset: 2, data: Buffer.from("2345").toString("base64"), eof: false });
    const response = await answered!;
    expect(response.status).toBe(206);
    expect(response.headers.get("Content-Range")).toBe("bytes 2-5/10");
    expect(await response.text()).toBe("2345");
  });

  it("configures again when the session cookie changes", async () => {
    cookieJar = [{ name: "authjs.session-token", value: "NEW", domain: "chat.example", hostOnly: true }];
    fake.cookies.onChanged.fire({ removed: false, cause: "explicit", cookie: cookieJar[0] });
    fake.cookies.onChanged.fire({ removed: false, cause: "explicit", cookie: { name: "theme", value: "x", domain: "chat.example" } });
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(2), { timeout: 3000 });
    expect(sentOf("configure")[1]).toMatchObject({ server: { auth: { cookie: "authjs.session-token=NEW" } } });
  });

  it("keeps a capture while the host is gone and sends it after reconnecting", async () => {
    port().drop("Native host has exited.");
    const answer = await send({ type: "captureVideo", video: { url: "https://cdn.example/v/3.mp4", source: "artifact" } },
      tab("https://chat.example/chat/c-3"));
    expect(answer).toMatchObject({ ok: false, queued: true });
    expect((local.get("queue") as Array<{ video: { url: string } }>).map((e) => e.video.url)).toEqual(["https://cdn.example/v/3.mp4"]);
    await vi.waitFor(() => expect(ports.length).toBe(2), { timeout: 3000 }); // backoff ~1 s
    port().answer("hello", { protocol: 1 });
    await vi.waitFor(() => expect(sentOf("video").length).toBe(1));
    expect(sentOf("video")[0]["video"]).toMatchObject({ url: "https://cdn.example/v/3.mp4", chat_id: "c-3" });
  });

  // ---- the real chat app (issue 12) ----

  const chat = "3f2c9a1e-aaaa-4bbb-8ccc-000000000001";
  const inTab = (tabId: number, url: string) => ({ ...tab(url), tab: { id: tabId, url } });
  const queued = () => (local.get("queue") as Array<{ video: Record<string, unknown>; hold?: unknown }>) ?? [];

  it("remembers who the host found signed in, and stamps later captures with it (ids and labels only)", async () => {
    port().answer("video", { video_id: "vid-3", duplicate: false, sync: "pending" }); // the test before's
    // the reconnect of the test before configured the origin again
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(1));
    port().answer("configure", { account: { id: "u-ann", label: "ann@example.com" }, account_checked: true });
    await vi.waitFor(() => expect(local.get("lastAccount")).toEqual({ "https://chat.example": { id: "u-ann", label: "ann@example.com" } }));
    expect(JSON.stringify(local.get("lastAccount"))).not.toContain("SESSION");

    void send({ type: "captureVideo", video: { url: "https://cdn.example/v/10.mp4", source: "websocket" } }, inTab(3, `https://chat.example/chat/${chat}`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(2));
    expect(sentOf("video")[1]["video"]).toMatchObject({ source: "websocket", chat_id: chat, account: { id: "u-ann", label: "ann@example.com" } });
    port().answer("video", { video_id: "vid-10", duplicate: false, sync: "pending" });
  });

  it("a lapsed session keeps stamping the last person; another person's sign-in counts from then on", async () => {
    cookieJar = [];
    fake.cookies.onChanged.fire({ removed: true, cause: "expired", cookie: { name: "authjs.session-token", value: "", domain: "chat.example", hostOnly: true } });
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(2), { timeout: 3000 });
    expect(sentOf("configure")[1]["server"]).toEqual({ origin: "https://chat.example" });
    port().answer("configure", { account: null, account_checked: true });
    void send({ type: "captureVideo", video: { url: "https://cdn.example/v/11.mp4", source: "poll" } }, inTab(3, `https://chat.example/chat/${chat}`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(3));
    expect(sentOf("video")[2]["video"]).toMatchObject({ source: "poll", account: { id: "u-ann" } });
    port().answer("video", { video_id: "vid-11", duplicate: false, sync: "auth_required" });

    cookieJar = [{ name: "next-auth.session-token", value: "BOB", domain: "chat.example", hostOnly: true }];
    fake.cookies.onChanged.fire({ removed: false, cause: "explicit", cookie: cookieJar[0] });
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(3), { timeout: 3000 });
    expect(sentOf("configure")[2]).toMatchObject({ server: { auth: { cookie: "next-auth.session-token=BOB" } } });
    port().answer("configure", { account: { id: "u-bob" }, account_checked: true });
    await vi.waitFor(() => expect(local.get("lastAccount")).toEqual({ "https://chat.example": { id: "u-bob" } }));
  });

  it("holds a video seen in a new chat at / and sends it once with the chat id the address gains", async () => {
    openTabs.set(5, "https://chat.example/");
    const answer = await send({ type: "captureVideo", video: { url: "https://cdn.example/v/12.mp4", source: "tool", prompt: "a fox" } },
      inTab(5, "https://chat.example/"));
    // the page reads this answer: a stable code and a generic message (issue 13, finding 5)
    expect(answer).toEqual({ ok: false, queued: true, error: { code: "unavailable", message: "vidkeep keeps the video and saves it later; see the vidkeep popup", retryable: true } });
    expect(queued()).toMatchObject([{ video: { url: "https://cdn.example/v/12.mp4", page_url: "https://chat.example/" }, hold: { tabId: 5 } }]);
    const videosBefore = sentOf("video").length;

    // other tabs and unrelated changes change nothing
    fake.tabs.onUpdated.fire(6, { url: `https://chat.example/chat/${chat}` }, { id: 6, url: `https://chat.example/chat/${chat}` });
    fake.tabs.onUpdated.fire(5, { title: "New chat" }, { id: 5, url: "https://chat.example/" });
    await new Promise((r) => setTimeout(r, 20));
    expect(sentOf("video").length).toBe(videosBefore);

    const url = `https://chat.example/chat/${chat}`;
    openTabs.set(5, url);
    fake.tabs.onUpdated.fire(5, { url }, { id: 5, url });
    fake.tabs.onUpdated.fire(5, { status: "complete" }, { id: 5, url });
    await vi.waitFor(() => expect(sentOf("video").length).toBe(videosBefore + 1));
    expect(sentOf("video")[videosBefore]["video"]).toMatchObject({
      url: "https://cdn.example/v/12.mp4", source: "tool", prompt: "a fox", chat_id: chat, page_url: url, account: { id: "u-bob" },
    });
    port().answer("video", { video_id: "vid-12", duplicate: false, sync: "pending" });
    await vi.waitFor(() => expect(queued()).toEqual([]));
    await new Promise((r) => setTimeout(r, 20));
    expect(sentOf("video").length).toBe(videosBefore + 1); // once
  });

  it("sends a held video without a chat id when its tab closes", async () => {
    openTabs.set(8, "https://chat.example/");
    await send({ type: "captureVideo", video: { url: "https://cdn.example/v/13.mp4", source: "sse" } }, inTab(8, "https://chat.example/"));
    const videosBefore = sentOf("video").length;
    openTabs.delete(8);
    fake.tabs.onRemoved.fire(8, { windowId: 1, isWindowClosing: false });
    await vi.waitFor(() => expect(sentOf("video").length).toBe(videosBefore + 1));
    expect(sentOf("video")[videosBefore]["video"]).not.toHaveProperty("chat_id");
    expect(sentOf("video")[videosBefore]["video"]).toMatchObject({ url: "https://cdn.example/v/13.mp4", page_url: "https://chat.example/" });
    port().answer("video", { video_id: "vid-13", duplicate: false, sync: "local" });
  });

  it("tells the host about the app's own save, with the tab's page URL and the account", async () => {
    const save = {
      chatId: chat, messageId: "7d0e4c8a-1111-4222-8333-000000000001", phase: "finished", httpStatus: 200,
      attachments: [{ url: "https://cdn.example/v/14.mp4", thumbnailUrl: "https://cdn.example/v/14.webp", contentType: "video/mp4" }],
    };
    const answer = send({ type: "appSave", save }, inTab(3, `https://chat.example/chat/${chat}`));
    await vi.waitFor(() => expect(sentOf("app_save").length).toBe(1));
    expect(sentOf("app_save")[0]).toEqual({
      type: "app_save",
      id: expect.any(Number),
      save: {
        chat_id: chat, message_id: "7d0e4c8a-1111-4222-8333-000000000001", phase: "finished", http_status: 200,
        page_url: `https://chat.example/chat/${chat}`,
        attachments: [{ url: "https://cdn.example/v/14.mp4", thumbnail_url: "https://cdn.example/v/14.webp", content_type: "video/mp4" }],
        account: { id: "u-bob" },
      },
    });
    port().answer("app_save", { matched: 1 });
    await expect(answer).resolves.toEqual({ ok: true, matched: 1 });
  });

  it("refuses app saves from other origins, frames, extensions, and for another chat than the tab's", async () => {
    const save = { chatId: chat, phase: "started", attachments: [{ url: "https://cdn.example/v/15.mp4" }] };
    for (const sender of [
      inTab(3, `https://evil.example/chat/${chat}`),
      { ...inTab(3, `https://chat.example/chat/${chat}`), frameId: 1 },
      { ...inTab(3, `https://chat.example/chat/${chat}`), origin: "https://ads.example" },
      { ...inTab(3, `https://chat.example/chat/${chat}`), id: "someone-else" },
    ]) {
      await expect(send({ type: "appSave", save }, sender)).resolves.toMatchObject({ ok: false, error: { code: "unauthorized" } });
    }
    await expect(send({ type: "appSave", save }, inTab(3, "https://chat.example/chat/11111111-aaaa-4bbb-8ccc-000000000001")))
      .resolves.toMatchObject({ ok: false, error: { code: "bad_request", message: "vidkeep could not save the video; see the vidkeep popup" } });
    await expect(send({ type: "appSave", save: { ...save, chatId: "../api/x" } }, inTab(3, "https://chat.example/")))
      .resolves.toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(sentOf("app_save").length).toBe(1); // only the one from the test before
  });

  it("does not keep an app save for later when the host is away, and says so in the debug panel", async () => {
    port().drop("Native host has exited.");
    const save = { chatId: chat, phase: "started", attachments: [{ url: "https://cdn.example/v/16.mp4" }] };
    await expect(send({ type: "appSave", save }, inTab(3, `https://chat.example/chat/${chat}`)))
      .resolves.toMatchObject({ ok: false, error: { code: "disconnected" } });
    expect(JSON.stringify(local.get("queue"))).not.toContain("v/16.mp4");
    expect((local.get("debugState") as { recentErrors: Array<{ message: string }> }).recentErrors[0].message)
      .toMatch(/the app's own save \(started\) in chat .* not told to vidkeep-host/);
  });
});
