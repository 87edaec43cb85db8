import { describe, expect, it } from "vitest";
import { sanitizePopupRequest } from "./popup-requests";

describe("sanitizePopupRequest", () => {
  it("rebuilds list requests from known fields only", () => {
    expect(sanitizePopupRequest({ type: "list", limit: 9999, cursor: "c1", query: "  cat ", sync: "failed", chat_id: "x", id: 5, extra: 1 }))
      .toEqual({ type: "list", limit: 500, cursor: "c1", query: "cat", sync: "failed", chat_id: "x" });
    expect(sanitizePopupRequest({ type: "list", sync: "bogus" })).toEqual({ type: "list" });
  });

  it("refuses what a popup may not ask for", () => {
    expect(sanitizePopupRequest({ type: "configure", server: { origin: "https://x" } })).toBeNull();
    expect(sanitizePopupRequest({ type: "video", video: {} })).toBeNull();
    expect(sanitizePopupRequest({ type: "delete", video_ids: [] })).toBeNull();
    expect(sanitizePopupRequest({ type: "delete", video_ids: [1] })).toBeNull();
    expect(sanitizePopupRequest(null)).toBeNull();
  });

  it("passes delete, resync, get and status", () => {
    expect(sanitizePopupRequest({ type: "delete", video_ids: ["a", "b"] })).toEqual({ type: "delete", video_ids: ["a", "b"] });
    expect(sanitizePopupRequest({ type: "resync", video_ids: ["a"] })).toEqual({ type: "resync", video_ids: ["a"] });
    expect(sanitizePopupRequest({ type: "get", video_id: "a" })).toEqual({ type: "get", video_id: "a" });
    expect(sanitizePopupRequest({ type: "status" })).toEqual({ type: "status" });
  });
});

describe("sanitizePopupRequest (media cache)", () => {
  it("passes media_read with a kind and a sane range, capping the length at 512 KiB", () => {
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "thumbnail", extra: 1 }))
      .toEqual({ type: "media_read", video_id: "a", kind: "thumbnail" });
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "video", offset: 1000, length: 10_000_000 }))
      .toEqual({ type: "media_read", video_id: "a", kind: "video", offset: 1000, length: 524288 });
  });

  it("refuses media_read without an id, with another kind or a bad range", () => {
    expect(sanitizePopupRequest({ type: "media_read", kind: "video" })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "file" })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "video", offset: -1 })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "video", offset: 1.5 })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "video", length: 0 })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_read", video_id: "a", kind: "video", length: "9" })).toBeNull();
  });

  it("passes media_pin with a boolean and media_fetch with ids", () => {
    expect(sanitizePopupRequest({ type: "media_pin", video_ids: ["a", "b"], pinned: true }))
      .toEqual({ type: "media_pin", video_ids: ["a", "b"], pinned: true });
    expect(sanitizePopupRequest({ type: "media_pin", video_ids: ["a"], pinned: "yes" })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_pin", video_ids: [], pinned: false })).toBeNull();
    expect(sanitizePopupRequest({ type: "media_fetch", video_ids: ["a"], pinned: true })).toEqual({ type: "media_fetch", video_ids: ["a"] });
    expect(sanitizePopupRequest({ type: "media_fetch", video_ids: "a" })).toBeNull();
  });
});
