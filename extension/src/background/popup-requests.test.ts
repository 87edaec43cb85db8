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
