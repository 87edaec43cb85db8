// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { parseListAnswer, type VideoRecord } from "../shared/protocol";
import { checkRecord } from "./gallery";
import { relativeTime, renderCard, setThumbnail, shortId, sourceText, truncate, type CardContext } from "./render";

const ctx: CardContext = { t: (key) => key, now: new Date("2026-11-24T10:05:00Z"), lang: "en", selected: false };

const record = (extra: Partial<VideoRecord> = {}): VideoRecord => ({
  video_id: "6f1c2d3e-0000-5000-8000-000000000001",
  url: "https://cdn.example/v/1.mp4",
  thumbnail_url: "https://cdn.example/v/1.webp",
  prompt: "a cat surfing a wave",
  chat_id: "3f2c9a1e-aaaa-4bbb-8ccc-000000000001",
  page_url: "https://chat.example/chat/3f2c9a1e-aaaa-4bbb-8ccc-000000000001",
  source: "sse",
  sync: "synced",
  created_at: "2026-11-24T10:00:00Z",
  ...extra,
});

describe("renderCard", () => {
  it("renders a hostile prompt as text, never as markup", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const card = renderCard(document, record({ prompt: hostile, last_error: "<b>boom</b>", sync: "failed" }), ctx);
    document.body.append(card);
    expect(card.querySelector("img[src='x']")).toBeNull();
    expect(card.querySelector("b")).toBeNull();
    expect(card.querySelector(".prompt")!.textContent).toBe(hostile);
    expect(card.querySelector(".prompt")!.getAttribute("title")).toBe(hostile);
    expect(card.querySelector(".error")!.textContent).toBe("<b>boom</b>");
    expect(card.innerHTML).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // the only image is the real thumbnail
    expect([...card.querySelectorAll("img")].map((i) => i.getAttribute("src"))).toEqual(["https://cdn.example/v/1.webp"]);
  });

  it("loads thumbnails from http(s) URLs only", () => {
    for (const bad of ["javascript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", "file:///etc/passwd", "x"]) {
      const card = renderCard(document, record({ thumbnail_url: bad }), ctx);
      expect(card.querySelector("img")).toBeNull();
      expect(card.querySelector(".placeholder")).not.toBeNull();
    }
  });

  it("shows a play overlay, the chat, the time and the sync state", () => {
    const card = renderCard(document, record({ meta: { duration_s: 65 } }), ctx);
    expect(card.dataset["id"]).toBe("6f1c2d3e-0000-5000-8000-000000000001");
    expect(card.tabIndex).toBe(0);
    expect(card.querySelector("button.thumb[data-action='play'] .play-overlay")).not.toBeNull();
    expect(card.querySelector(".duration")!.textContent).toBe("1:05");
    expect(card.querySelector(".chat")!.getAttribute("title")).toBe("3f2c9a1e-aaaa-4bbb-8ccc-000000000001");
    expect(card.querySelector("time")!.textContent).toBe("5 minutes ago");
    expect(card.querySelector(".badge")!.className).toBe("badge sync-synced");
    expect(card.querySelector("[data-action='open-chat']")).not.toBeNull();
    expect(card.querySelector("[data-action='copy-url']")).not.toBeNull();
  });

  it("truncates a long prompt but keeps it whole on hover", () => {
    const long = "word ".repeat(100).trim();
    const card = renderCard(document, record({ prompt: long }), ctx);
    const p = card.querySelector(".prompt")!;
    expect(p.textContent.length).toBeLessThanOrEqual(140);
    expect(p.textContent.endsWith("…")).toBe(true);
    expect(p.getAttribute("title")).toBe(long);
  });

  it("draws a lean record (format 2: absent keys) as the same record with nulls", () => {
    const lean = { video_id: "6f1c2d3e-0000-5000-8000-000000000002", url: "https://cdn.example/v/2.mp4", source: "sse",
      sync: "auth_required", sync_attempts: 0, created_at: "2026-11-24T10:00:00Z", canonical_url: "https://cdn.example/v/2.mp4" };
    const nulls = { ...lean, thumbnail_url: null, prompt: null, chat_id: null, page_url: null, observed_at: null, origin: null,
      last_error: null, account: null, app_message_id: null, meta: {},
      media: { video: { state: "not_cached", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: null },
        thumbnail: { state: "not_cached", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: null, generated: false },
        info: null, pinned: false, last_viewed_at: null } };
    const read = (fields: Record<string, unknown>) =>
      checkRecord(parseListAnswer({ id: 1, ok: true, ...fields } as never).videos[0]);
    const two = renderCard(document, read({ record_format: 2, videos: [lean] }), ctx);
    const one = renderCard(document, read({ videos: [nulls] }), ctx);
    expect(two.outerHTML).toBe(one.outerHTML);
    // absent media from a format 2 host: not cached yet, and it can be fetched
    expect(two.querySelector<HTMLElement>("[data-media-state]")!.dataset["mediaState"]).toBe("not_cached");
    expect(two.querySelector("[data-action='fetch']")).not.toBeNull();
    expect(two.querySelector(".error")).toBeNull();
    expect(two.querySelector(".account-needed")).toBeNull();
    expect(two.querySelector("[data-action='open-chat']")).toBeNull();
  });

  it("offers no 'open chat' for a page URL that is not http(s)", () => {
    const card = renderCard(document, record({ page_url: "javascript:alert(1)" }), ctx);
    expect(card.querySelector("[data-action='open-chat']")).toBeNull();
  });

  it("puts a hostile sync value into text and a neutral class", () => {
    const card = renderCard(document, record({ sync: '" onmouseover="alert(1)' as never }), ctx);
    expect(card.querySelector(".badge")!.className).toBe("badge sync-unknown");
    expect(card.querySelector("[onmouseover]")).toBeNull();
  });

  it("shows the cached thumbnail (a generated one too) instead of the remote one", () => {
    const media = (generated: boolean): VideoRecord["media"] => ({
      video: { state: "cached", bytes: 1, total: 1, percent: 100, content_type: "video/mp4", sha256: null, error: null },
      thumbnail: { state: "cached", bytes: 1, total: 1, percent: 100, content_type: "image/webp", sha256: null, error: null, ...(generated ? { generated } : {}) },
      info: null,
      pinned: false,
      last_viewed_at: null,
    });
    // not read yet: a placeholder, marked pending, and no remote request
    const pending = renderCard(document, record({ media: media(false) }), ctx);
    expect(pending.querySelector("img")).toBeNull();
    expect(pending.querySelector<HTMLElement>("button.thumb")!.dataset["thumb"]).toBe("pending");
    // read: the object URL
    const read = renderCard(document, record({ media: media(false) }), { ...ctx, cachedThumbnail: () => "blob:chrome-extension://x/1" });
    expect(read.querySelector("img")!.getAttribute("src")).toBe("blob:chrome-extension://x/1");
    expect(read.querySelector<HTMLElement>("button.thumb")!.dataset["thumb"]).toBe("cached");
    // generated, no remote thumbnail at all
    const generated = renderCard(document, record({ thumbnail_url: undefined, media: media(true) }), { ...ctx, cachedThumbnail: () => "blob:g" });
    expect(generated.querySelector("img")!.getAttribute("src")).toBe("blob:g");
    // setThumbnail fills a pending card, and takes only blob: or http(s)
    setThumbnail(pending, "javascript:alert(1)", "cached");
    expect(pending.querySelector("img")).toBeNull();
    setThumbnail(pending, "blob:chrome-extension://x/2", "cached");
    expect(pending.querySelector("img")!.getAttribute("src")).toBe("blob:chrome-extension://x/2");
  });

  it("marks selection for assistive technology", () => {
    const card = renderCard(document, record(), { ...ctx, selected: true });
    expect(card.getAttribute("aria-selected")).toBe("true");
    expect((card.querySelector("input.pick") as HTMLInputElement).checked).toBe(true);
  });
});

describe("helpers", () => {
  it("truncate never splits a surrogate pair", () => {
    expect(truncate("🌊".repeat(10), 5)).toBe("🌊🌊🌊🌊…");
    expect(truncate("short", 10)).toBe("short");
  });

  it("shortId", () => {
    expect(shortId("3f2c9a1e-aaaa-4bbb-8ccc-000000000001")).toBe("3f2c9a…0001");
    expect(shortId("abc")).toBe("abc");
  });

  it("relativeTime", () => {
    const now = new Date("2026-11-24T10:00:00Z");
    expect(relativeTime("2026-11-24T07:00:00Z", now, "en")).toBe("3 hours ago");
    expect(relativeTime("2026-11-22T10:00:00Z", now, "en")).toBe("2 days ago");
    expect(relativeTime("garbage", now, "en")).toBe("");
  });
});

describe("renderCard for the real chat app (issue 12)", () => {
  const t = (key: string, sub?: string | string[]) => (sub === undefined ? key : `${key}:${String(sub)}`);
  const c: CardContext = { ...ctx, t };

  it("shows a video the app saved itself as its own state", () => {
    const card = renderCard(document, record({ sync: "saved_by_app", app_message_id: "7d0e4c8a-1111" }), c);
    expect(card.querySelector(".badge")!.className).toBe("badge sync-saved_by_app");
    expect(card.querySelector(".badge")!.textContent).toBe("sync_saved_by_app");
    expect([...card.querySelectorAll(".detail-rows dd")].map((d) => d.textContent)).toEqual(["source_sse", "7d0e4c8a-1111"]);
  });

  it("names the account that must sign in for a video waiting on auth", () => {
    const card = renderCard(document, record({ sync: "auth_required", account: { id: "u-1", label: "ann@example.com" },
      last_error: "signed in as someone else: ann@example.com must sign in" }), c);
    expect(card.querySelector(".account-needed")!.textContent).toBe("signInAs:ann@example.com (u-1)");
    expect(card.querySelector(".error")!.textContent).toContain("ann@example.com must sign in");
    // not for other states
    expect(renderCard(document, record({ account: { id: "u-1" } }), c).querySelector(".account-needed")).toBeNull();
  });

  it("names the new sources in the details, an unknown one as its word", () => {
    for (const source of ["websocket", "poll", "tool", "inline", "app"] as const) {
      const card = renderCard(document, record({ source }), c);
      expect(card.querySelector(".detail-rows dd")!.textContent).toBe(`source_${source}`);
    }
    expect(sourceText("carrier-pigeon", t)).toBe("carrier-pigeon");
  });

  it("renders a hostile account label, message id and source as text", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const card = renderCard(document, record({ sync: "auth_required", source: hostile as never, account: { id: "u", label: hostile }, app_message_id: hostile }), c);
    document.body.append(card);
    expect(card.querySelector("img[src='x']")).toBeNull();
    expect(card.querySelector(".account-needed")!.textContent).toBe(`signInAs:${hostile} (u)`);
    expect([...card.querySelectorAll(".detail-rows dd")].map((d) => d.textContent)).toEqual([hostile, `${hostile} (u)`, hostile]);
  });
});
