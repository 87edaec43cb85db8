// The service worker against issue 13's extension findings, with a fake
// `chrome` namespace (cookie stores included) and a fake native port:
//  4. wildcard origins refused (options view says why, policy too); the page
//     config is null on another port of a configured host;
//  5. no host or background error text in an answer the page reads;
//  8. nothing from a private window unless allowed; cookies from the
//     capturing tab's own store, one store per origin slot.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SettingsView } from "../shared/messages";
import { event, fakeChromeBase, fakeLocalStorage, sendMessage } from "./fake-chrome";
import type { FakePort } from "./fake-port";

const kId = "dcdfhfchgbigephadgggjnlglgfffpgb";
const kBase = `chrome-extension://${kId}/`;
const kChat = "https://chat.example";
const kLocal = "http://localhost:3000";
const local = new Map<string, unknown>([
  // A person's list with wildcards in it (saved by an older version, or typed into storage).
  ["settings", { origins: [kChat, kLocal, "*", "https://*.example.com", "*://chat.example"] }],
]);
let managed: Record<string, unknown> = {};
const ports: FakePort[] = [];
const registered = new Map<string, { id: string; matches: string[] }>();
/// Chromium's stores: "0" default, "1" incognito; the tabs in each.
const stores = [{ id: "0", tabIds: [3, 4] }, { id: "1", tabIds: [7] }];
/// Cookies per store id (Firefox containers included).
const jars: Record<string, Array<Record<string, unknown>>> = {
  "0": [{ name: "authjs.session-token", value: "NORMAL", domain: "chat.example", hostOnly: true, storeId: "0" }],
  "1": [{ name: "authjs.session-token", value: "PRIVATE", domain: "chat.example", hostOnly: true, storeId: "1" }],
  "firefox-container-2": [{ name: "authjs.session-token", value: "WORK", domain: "chat.example", hostOnly: true, storeId: "firefox-container-2" }],
};
const cookieReads: Array<string | undefined> = [];

const fake = {
  ...fakeChromeBase(kId, ports, registered),
  storage: {
    local: fakeLocalStorage(local),
    managed: { get: async () => structuredClone(managed) },
    onChanged: event(),
  },
  cookies: {
    getAll: async ({ url, storeId }: { url: string; storeId?: string }) => {
      cookieReads.push(storeId);
      const jar = jars[storeId ?? "0"];
      if (jar === undefined) throw new Error(`Invalid cookie store id: ${storeId}`);
      return jar.filter((c) => new URL(url).hostname === c["domain"]);
    },
    getAllCookieStores: async () => structuredClone(stores),
    onChanged: event(),
  },
  action: { setBadgeText: async () => {}, setBadgeBackgroundColor: async () => {}, setTitle: async () => {} },
  tabs: {
    query: async () => [],
    create: async () => ({}),
    get: async (tabId: number) => ({ id: tabId, url: `${kChat}/chat/c-1` }),
    onUpdated: event(),
    onRemoved: event(),
  },
};

const send = (message: unknown, sender: Record<string, unknown>) => sendMessage(fake.runtime.onMessage, message, sender);

/// A content script's sender in tab `tabId`, as Chromium reports it.
const inTab = (tabId: number, url: string, tab: Record<string, unknown> = {}) =>
  ({ id: kId, frameId: 0, origin: new URL(url).origin, url, tab: { id: tabId, url, incognito: false, ...tab } });
const popup = { id: kId, url: `${kBase}options.html` };
const port = () => ports[ports.length - 1];
const sentOf = (type: string) => port().sent.filter((m) => m["type"] === type);
const debugErrors = () => ((local.get("debugState") as { recentErrors: Array<{ message: string }> } | undefined)?.recentErrors ?? []).map((e) => e.message);
const queuedUrls = () => ((local.get("queue") as Array<{ video: { url: string } }> | undefined) ?? []).map((e) => e.video.url);
/// The host's config error: a local path with the user name in it.
const kHostSecret = "config /home/alice/.config/vidkeep/config.json: line 3: unknown key";

/// Answers the `configure` requests a (re)connect sends, one origin after
/// the other (the worker waits for each answer), until `total` were sent.
async function answerConfigures(total: number, fields: Record<string, unknown>): Promise<void> {
  for (let n = 1; n <= total; n++) {
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(n));
    port().answer("configure", fields);
  }
}

beforeAll(async () => {
  (globalThis as Record<string, unknown>)["chrome"] = fake;
  await import("./main");
  await vi.waitFor(() => expect(ports.length).toBe(1));
  port().answer("hello", { protocol: 1, host_version: "1.0.0", db_path: "/home/alice/.local/share/vidkeep/v.db" });
  await answerConfigures(2, { account: null, account_checked: false });
});
afterAll(() => {
  delete (globalThis as Record<string, unknown>)["chrome"];
});

describe("finding 4: origins too broad", () => {
  it("regression: a stored `*` or wildcard origin is not used: no match pattern over every site", async () => {
    await vi.waitFor(() => expect(registered.size).toBe(2));
    for (const script of registered.values()) expect(script.matches).toEqual(["http://localhost/*", "https://chat.example/*"]);
    expect(sentOf("configure").map((c) => (c["server"] as { origin: string }).origin).sort()).toEqual([kLocal, kChat]);
  });

  it("the options view lists the refused entries and why", async () => {
    const view = (await send({ type: "getSettings" }, popup)) as SettingsView;
    expect(view.settings.origins).toEqual([kChat, kLocal]);
    expect(view.refusedOrigins).toEqual([
      { value: "*", problem: "wildcard", byPolicy: false },
      { value: "https://*.example.com", problem: "wildcard", byPolicy: false },
      { value: "*://chat.example", problem: "wildcard", byPolicy: false },
    ]);
    // saving a wildcard through the options changes nothing
    const after = (await send({ type: "saveSettings", patch: { origins: [kChat, kLocal, "https://*/"] } }, popup)) as SettingsView;
    expect(after.settings.origins).toEqual([kChat, kLocal]);
  });

  it("a page on another port of a configured host gets no page config, and its captures are refused", async () => {
    await expect(send({ type: "getPageConfig" }, inTab(3, "http://localhost:8080/chat/c-1"))).resolves.toBeNull();
    await expect(send({ type: "getPageConfig" }, inTab(3, `${kLocal}/chat/c-1`))).resolves.toMatchObject({ captureEnabled: true });
    const before = sentOf("video").length;
    await expect(send({ type: "captureVideo", video: { url: "https://cdn.example/p.mp4", source: "sse" } }, inTab(3, "http://localhost:8080/chat/c-1")))
      .resolves.toEqual({ ok: false, error: { code: "unauthorized", message: "vidkeep does not capture on this page", retryable: false } });
    expect(sentOf("video").length).toBe(before);
  });
});

describe("finding 5: host error text never reaches the page", () => {
  it("regression: a host error holding a local path and the user name: the page gets a code and a generic message, the popup the details", async () => {
    const answer = send({ type: "captureVideo", video: { url: "https://cdn.example/v/1.mp4", source: "sse" } }, inTab(3, `${kChat}/chat/c-1`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(1));
    port().answer("video", { code: "unavailable", message: kHostSecret, retryable: false }, false);
    const got = await answer;
    expect(got).toEqual({ ok: false, queued: true, error: { code: "unavailable", message: "vidkeep keeps the video and saves it later; see the vidkeep popup", retryable: false } });
    expect(JSON.stringify(got)).not.toContain("alice");
    await vi.waitFor(() => expect(debugErrors().some((m) => m.includes(kHostSecret))).toBe(true));
  });

  it("regression: a final host error (not kept) and an unknown code: generic too", async () => {
    const answer = send({ type: "captureVideo", video: { url: "https://cdn.example/v/2.mp4", source: "sse" } }, inTab(3, `${kChat}/chat/c-1`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(2));
    port().answer("video", { code: "bad_request", message: `${kHostSecret} (bad_request)`, retryable: false }, false);
    await expect(answer).resolves.toEqual({ ok: false, error: { code: "bad_request", message: "vidkeep could not save the video; see the vidkeep popup", retryable: false } });
    expect(queuedUrls()).not.toContain("https://cdn.example/v/2.mp4");

    const internal = send({ type: "captureVideo", video: { url: "https://cdn.example/v/3.mp4", source: "sse" } }, inTab(3, `${kChat}/chat/c-1`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(3));
    port().answer("video", { code: "internal", message: `sqlite: /home/alice/db: ${kHostSecret}`, retryable: true }, false);
    const got = await internal;
    expect(got).toMatchObject({ ok: false, queued: true, error: { code: "unavailable", retryable: true } });
    expect(JSON.stringify(got)).not.toContain("alice");
  });

  it("regression: the app's own save answered with host error text: generic for the page", async () => {
    const save = { chatId: "c-1", phase: "started", attachments: [{ url: "https://cdn.example/v/4.mp4" }] };
    const answer = send({ type: "appSave", save }, inTab(3, `${kChat}/chat/c-1`));
    await vi.waitFor(() => expect(sentOf("app_save").length).toBe(1));
    port().answer("app_save", { code: "unavailable", message: kHostSecret, retryable: true }, false);
    const got = await answer;
    expect(got).toEqual({ ok: false, error: { code: "unavailable", message: "vidkeep could not save the video; see the vidkeep popup", retryable: true } });
    expect(debugErrors().some((m) => m.includes(kHostSecret))).toBe(true);
  });

  it("regression: the host's going away mid-request (the browser's words) is not told to the page", async () => {
    const capture = send({ type: "captureVideo", video: { url: "https://cdn.example/v/5.mp4", source: "sse" } }, inTab(3, `${kChat}/chat/c-1`));
    const save = send({ type: "appSave", save: { chatId: "c-1", phase: "started", attachments: [{ url: "https://cdn.example/v/6.mp4" }] } },
      inTab(3, `${kChat}/chat/c-1`));
    await vi.waitFor(() => expect(sentOf("video").length).toBe(4));
    await vi.waitFor(() => expect(sentOf("app_save").length).toBe(2));
    port().drop("Native host has exited: /home/alice/bin/vidkeep-host: error while loading shared libraries");
    for (const got of [await capture, await save]) {
      expect(got).toMatchObject({ ok: false, error: { code: "disconnected" } });
      expect(JSON.stringify(got)).not.toMatch(/alice|shared libraries|exited/);
    }
    // back for the tests below
    await vi.waitFor(() => expect(ports.length).toBe(2), { timeout: 3000 });
    port().answer("hello", { protocol: 1 });
    await answerConfigures(2, { account: { id: "u-normal" }, account_checked: true });
    await vi.waitFor(() => expect(sentOf("video").length).toBe(3)); // the kept ones, sent again
    for (const v of sentOf("video")) port().receive({ id: v["id"], ok: true, video_id: "x", duplicate: true, sync: "synced" });
  });
});

describe("finding 8: private windows", () => {
  const privateTab = (url: string) => inTab(7, url, { incognito: true });

  it("regression: by default a capture or app save from a private window is refused: nothing stored, nothing sent", async () => {
    const videos = sentOf("video").length;
    const capture = await send({ type: "captureVideo", video: { url: "https://cdn.example/p/1.mp4", source: "sse" } }, privateTab(`${kChat}/chat/c-7`));
    expect(capture).toEqual({ ok: false, error: { code: "unavailable", message: "vidkeep could not save the video; see the vidkeep popup", retryable: false } });
    const save = await send({ type: "appSave", save: { chatId: "c-7", phase: "started", attachments: [{ url: "https://cdn.example/p/2.mp4" }] } },
      privateTab(`${kChat}/chat/c-7`));
    expect(save).toMatchObject({ ok: false, error: { code: "unavailable" } });
    // a new chat's video is not held either
    await send({ type: "captureVideo", video: { url: "https://cdn.example/p/3.mp4", source: "tool" } }, privateTab(`${kChat}/`));
    await new Promise((r) => setTimeout(r, 20));
    expect(sentOf("video").length).toBe(videos);
    expect(sentOf("app_save").length).toBe(0);
    expect(JSON.stringify([...local.values()])).not.toContain("cdn.example/p/");
    // and its page need not watch at all
    await expect(send({ type: "getPageConfig" }, privateTab(`${kChat}/chat/c-7`))).resolves.toMatchObject({ captureEnabled: false });
  });

  it("with the setting on: the origin's session is read from the private window's store before its capture is stamped", async () => {
    await send({ type: "saveSettings", patch: { capturePrivateWindows: true } }, popup);
    const configures = sentOf("configure").length;
    const capture = send({ type: "captureVideo", video: { url: "https://cdn.example/p/4.mp4", source: "sse" } }, privateTab(`${kChat}/chat/c-7`));
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(configures + 1));
    expect(sentOf("configure")[configures]).toMatchObject({ server: { origin: kChat, auth: { cookie: "authjs.session-token=PRIVATE" } } });
    expect(cookieReads[cookieReads.length - 1]).toBe("1");
    expect(sentOf("video").filter((v) => (v["video"] as { url: string }).url.includes("/p/4"))).toEqual([]); // not before the configure
    port().answer("configure", { account: { id: "u-private" }, account_checked: true });
    await vi.waitFor(() => expect(sentOf("video").some((v) => (v["video"] as { url: string }).url.includes("/p/4"))).toBe(true));
    const video = sentOf("video").find((v) => (v["video"] as { url: string }).url.includes("/p/4"))!;
    expect(video["video"]).toMatchObject({ chat_id: "c-7", account: { id: "u-private" } });
    port().answer("video", { video_id: "p4", duplicate: false, sync: "pending" });
    await expect(capture).resolves.toMatchObject({ ok: true, video_id: "p4" });
  });

  it("a cookie change in the default store does not replace the private session in the slot; one in the private store does", async () => {
    const configures = sentOf("configure").length;
    fake.cookies.onChanged.fire({ removed: false, cause: "explicit", cookie: { ...jars["0"][0], value: "NORMAL2" } });
    await new Promise((r) => setTimeout(r, 700)); // past the 500 ms burst wait
    expect(sentOf("configure").length).toBe(configures);
    fake.cookies.onChanged.fire({ removed: false, cause: "explicit", cookie: jars["1"][0] });
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(configures + 1), { timeout: 3000 });
    expect(sentOf("configure")[configures]).toMatchObject({ server: { auth: { cookie: "authjs.session-token=PRIVATE" } } });
    port().answer("configure", { account: { id: "u-private" }, account_checked: true });
  });

  it("a capture from a normal window takes the slot back to the default store, with its own account", async () => {
    const configures = sentOf("configure").length;
    const capture = send({ type: "captureVideo", video: { url: "https://cdn.example/n/1.mp4", source: "sse" } }, inTab(4, `${kChat}/chat/c-4`));
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(configures + 1));
    expect(sentOf("configure")[configures]).toMatchObject({ server: { auth: { cookie: "authjs.session-token=NORMAL" } } });
    port().answer("configure", { account: { id: "u-normal" }, account_checked: true });
    await vi.waitFor(() => expect(sentOf("video").some((v) => (v["video"] as { url: string }).url.includes("/n/1"))).toBe(true));
    expect(sentOf("video").find((v) => (v["video"] as { url: string }).url.includes("/n/1"))!["video"]).toMatchObject({ account: { id: "u-normal" } });
    port().answer("video", { video_id: "n1", duplicate: false, sync: "pending" });
    await capture;
  });

  it("a Firefox container tab names its own store: its cookies fill the slot", async () => {
    const configures = sentOf("configure").length;
    const capture = send({ type: "captureVideo", video: { url: "https://cdn.example/w/1.mp4", source: "sse" } },
      inTab(9, `${kChat}/chat/c-9`, { cookieStoreId: "firefox-container-2" }));
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(configures + 1));
    expect(cookieReads[cookieReads.length - 1]).toBe("firefox-container-2");
    expect(sentOf("configure")[configures]).toMatchObject({ server: { auth: { cookie: "authjs.session-token=WORK" } } });
    port().answer("configure", { account: { id: "u-work" }, account_checked: true });
    await vi.waitFor(() => expect(sentOf("video").some((v) => (v["video"] as { url: string }).url.includes("/w/1"))).toBe(true));
    port().answer("video", { video_id: "w1", duplicate: false, sync: "pending" });
    await capture;
    expect(local.get("cookieStoreOf")).toEqual({ [kChat]: { id: "firefox-container-2", private: false } });
  });

  it("a private tab whose store cannot be found is refused rather than synced with another session", async () => {
    const videos = sentOf("video").length;
    await expect(send({ type: "captureVideo", video: { url: "https://cdn.example/p/9.mp4", source: "sse" } }, inTab(99, `${kChat}/chat/c-99`, { incognito: true })))
      .resolves.toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect(sentOf("video").length).toBe(videos);
  });

  it("switching the setting off takes a private session out of the host", async () => {
    const capture = send({ type: "captureVideo", video: { url: "https://cdn.example/p/5.mp4", source: "sse" } }, privateTab(`${kChat}/chat/c-7`));
    await vi.waitFor(() => expect(cookieReads[cookieReads.length - 1]).toBe("1"));
    port().answer("configure", { account: { id: "u-private" }, account_checked: true });
    await vi.waitFor(() => expect(sentOf("video").some((v) => (v["video"] as { url: string }).url.includes("/p/5"))).toBe(true));
    port().answer("video", { video_id: "p5", duplicate: false, sync: "pending" });
    await capture;
    const configures = sentOf("configure").length;
    const saved = send({ type: "saveSettings", patch: { capturePrivateWindows: false } }, popup);
    await vi.waitFor(() => expect(sentOf("configure").length).toBe(configures + 1));
    expect(sentOf("configure")[configures]).toMatchObject({ server: { origin: kChat, auth: { cookie: "authjs.session-token=NORMAL" } } });
    port().answer("configure", { account: { id: "u-normal" }, account_checked: true });
    await saved;
    expect(local.get("cookieStoreOf")).toEqual({});
  });
});

describe("finding 4: policy values", () => {
  it("regression: a policy naming `*` is refused and shown as the administrator's; nothing is captured", async () => {
    managed = { origins: ["*", "https://*.corp.example"] };
    fake.storage.onChanged.fire({}, "managed");
    await vi.waitFor(() => expect(registered.size).toBe(0));
    const view = (await send({ type: "getSettings" }, popup)) as SettingsView;
    expect(view.settings.origins).toEqual([]);
    expect(view.locked).toContain("origins");
    expect(view.refusedOrigins).toEqual([
      { value: "*", problem: "wildcard", byPolicy: true },
      { value: "https://*.corp.example", problem: "wildcard", byPolicy: true },
    ]);
    await expect(send({ type: "getPageConfig" }, inTab(3, `${kChat}/chat/c-1`))).resolves.toBeNull();
  });
});
