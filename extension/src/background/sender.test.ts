import { describe, expect, it } from "vitest";
import { buildVideo, checkContentSender, isExtensionPage, type SenderLike } from "./sender";

const id = "dcdfhfchgbigephadgggjnlglgfffpgb";
const origins = ["https://chat.example", "http://localhost:3000"];
const pattern = "/chat/([^/?#]+)";

const tabSender = (url: string, extra: Partial<SenderLike> = {}): SenderLike => ({
  id,
  frameId: 0,
  origin: new URL(url).origin,
  url,
  tab: { id: 4, url },
  ...extra,
});

describe("checkContentSender", () => {
  it("takes page URL, origin and chat id from the sender tab", () => {
    const check = checkContentSender(tabSender("https://chat.example/chat/abc-123?x=1"), id, origins, pattern);
    expect(check).toEqual({
      ok: true,
      context: { pageUrl: "https://chat.example/chat/abc-123?x=1", origin: "https://chat.example", chatId: "abc-123", tabId: 4 },
    });
  });

  it("has no chat id off a chat page", () => {
    const check = checkContentSender(tabSender("https://chat.example/"), id, origins, pattern);
    expect(check.ok && check.context.chatId).toBeUndefined();
  });

  it("ignores tabs that are not on a configured origin", () => {
    expect(checkContentSender(tabSender("https://evil.example/chat/1"), id, origins, pattern).ok).toBe(false);
    // same host, other port
    expect(checkContentSender(tabSender("http://localhost:4000/chat/1"), id, origins, pattern).ok).toBe(false);
    expect(checkContentSender(tabSender("http://localhost:3000/chat/1"), id, origins, pattern).ok).toBe(true);
  });

  it("ignores other extensions, subframes and frames of another origin", () => {
    expect(checkContentSender({ ...tabSender("https://chat.example/chat/1"), id: "other" }, id, origins, pattern).ok).toBe(false);
    expect(checkContentSender(tabSender("https://chat.example/chat/1", { frameId: 3 }), id, origins, pattern).ok).toBe(false);
    expect(
      checkContentSender(tabSender("https://chat.example/chat/1", { origin: "https://ads.example" }), id, origins, pattern).ok,
    ).toBe(false);
    expect(checkContentSender({ id, frameId: 0 }, id, origins, pattern).ok).toBe(false);
  });
});

describe("buildVideo", () => {
  const context = { pageUrl: "https://chat.example/chat/abc", origin: "https://chat.example", chatId: "abc" };
  const now = new Date("2026-11-24T10:00:00Z");

  it("uses the sender's page URL and chat id, never the page's", () => {
    const video = buildVideo(
      {
        url: "https://cdn.example/v.mp4",
        source: "sse",
        prompt: "  a cat  ",
        observed_at: "2026-11-24T09:59:59.000Z",
        page_url: "https://evil.example/",
        chat_id: "forged",
        meta: { duration_s: 5, width: 1280.4, height: 720, model: "m", content_type: "video/mp4", evil: 1 },
      },
      context,
      now,
    );
    expect(video).toEqual({
      url: "https://cdn.example/v.mp4",
      source: "sse",
      page_url: "https://chat.example/chat/abc",
      chat_id: "abc",
      prompt: "a cat",
      observed_at: "2026-11-24T09:59:59.000Z",
      meta: { duration_s: 5, width: 1280, height: 720, model: "m", content_type: "video/mp4" },
    });
  });

  it("keeps the new page sources and refuses a page claiming the host's own `app`", () => {
    for (const source of ["sse", "websocket", "poll", "tool", "artifact", "inline", "manual"]) {
      expect(buildVideo({ url: "https://cdn.example/v.mp4", source }, context, now)!.source).toBe(source);
    }
    expect(buildVideo({ url: "https://cdn.example/v.mp4", source: "app" }, context, now)!.source).toBe("manual");
  });

  it("never takes an account from the page", () => {
    expect(buildVideo({ url: "https://cdn.example/v.mp4", source: "sse", account: { id: "forged" } }, context, now)).not.toHaveProperty("account");
  });

  it("refuses non-http(s) video URLs and drops bad fields", () => {
    expect(buildVideo({ url: "javascript:alert(1)", source: "sse" }, context, now)).toBeNull();
    expect(buildVideo("nope", context, now)).toBeNull();
    const video = buildVideo(
      { url: "https://cdn.example/v.mp4", source: "evil", thumbnail_url: "data:image/png,x", observed_at: "garbage", meta: { width: -1 } },
      context,
      now,
    );
    expect(video).toEqual({
      url: "https://cdn.example/v.mp4",
      source: "manual",
      page_url: "https://chat.example/chat/abc",
      chat_id: "abc",
      observed_at: "2026-11-24T10:00:00.000Z",
    });
  });
});

describe("isExtensionPage", () => {
  it("accepts only this extension's own pages", () => {
    const base = `chrome-extension://${id}/`;
    expect(isExtensionPage({ id, url: `${base}popup.html` }, id, base)).toBe(true);
    expect(isExtensionPage({ id, url: "https://chat.example/" }, id, base)).toBe(false);
    expect(isExtensionPage({ id: "x", url: `${base}popup.html` }, id, base)).toBe(false);
  });
});
