import { describe, expect, it } from "vitest";
import type { Answer, ListRequest, VideoRecord } from "../shared/protocol";
import { Gallery, checkRecord, exportJson } from "./gallery";

const rec = (n: number): VideoRecord => ({ video_id: `v${n}`, url: `https://c/${n}.mp4`, source: "sse", sync: "pending" });

/// A host with `total` videos, newest first, paged by a numeric cursor.
function fakeHost(total: number) {
  const requests: ListRequest[] = [];
  const list = async (request: ListRequest): Promise<Answer> => {
    requests.push(request);
    const start = request.cursor ? Number(request.cursor) : 0;
    const end = Math.min(total, start + (request.limit ?? 50));
    const videos = Array.from({ length: end - start }, (_, i) => rec(total - start - i));
    return { id: 1, ok: true, videos, next_cursor: end < total ? String(end) : null };
  };
  return { list, requests };
}

describe("Gallery", () => {
  it("pages through list cursors until next_cursor is null", async () => {
    const host = fakeHost(70);
    const g = new Gallery(host.list);
    await g.reset({ query: "", sync: "", chatId: undefined });
    expect(g.videos.length).toBe(30);
    expect(g.videos[0]!.video_id).toBe("v70");
    expect(await g.more()).toBe(true);
    expect(await g.more()).toBe(true);
    expect(g.videos.length).toBe(70);
    expect(g.done).toBe(true);
    expect(await g.more()).toBe(false);
    expect(host.requests.map((r) => r.cursor)).toEqual([undefined, "30", "60"]);
  });

  it("sends the filters with every page", async () => {
    const host = fakeHost(5);
    const g = new Gallery(host.list);
    await g.reset({ query: " cat ", sync: "failed", chatId: "c1" });
    expect(host.requests[0]).toEqual({ type: "list", limit: 30, query: "cat", sync: "failed", chat_id: "c1" });
  });

  it("drops answers to a search that was replaced by a newer one", async () => {
    let release: (a: Answer) => void = () => {};
    const slow = new Promise<Answer>((r) => (release = r));
    const calls: ListRequest[] = [];
    const g = new Gallery(async (request) => {
      calls.push(request);
      if (request.query === "old") return slow;
      return { id: 2, ok: true, videos: [rec(2)], next_cursor: null };
    });
    const first = g.reset({ query: "old", sync: "", chatId: undefined });
    await g.reset({ query: "new", sync: "", chatId: undefined });
    release({ id: 1, ok: true, videos: [rec(1)], next_cursor: "x" });
    await first;
    expect(g.videos.map((v) => v.video_id)).toEqual(["v2"]);
    expect(g.done).toBe(true);
  });

  it("keeps the error of a failed list", async () => {
    const g = new Gallery(async () => ({ id: null, ok: false, error: { code: "disconnected", message: "no host", retryable: true } }));
    await g.reset();
    expect(g.error).toBe("no host");
    expect(g.videos).toEqual([]);
  });

  it("applies sync_state updates, new videos, deletes and selection", async () => {
    const g = new Gallery(fakeHost(3).list);
    await g.reset();
    expect(g.updateSync("v2", "failed", "HTTP 400")).toMatchObject({ sync: "failed", last_error: "HTTP 400" });
    expect(g.updateSync("nope", "synced")).toBeUndefined();
    expect(g.prepend([rec(4), rec(3)]).map((v) => v.video_id)).toEqual(["v4"]);
    expect(g.videos[0]!.video_id).toBe("v4");
    g.toggle("v1");
    g.toggle("v4");
    expect(g.selectedVideos().map((v) => v.video_id)).toEqual(["v4", "v1"]);
    g.remove(["v4"]);
    expect([...g.selected]).toEqual(["v1"]);
  });
});

describe("Gallery media", () => {
  it("checks the media of every record it is given", async () => {
    const raw = [
      { ...rec(3), media: { video: { state: "cached", bytes: 5, total: 5, percent: 100, content_type: "video/mp4; x=1", path: "/secret" }, pinned: true } },
      { ...rec(2), media: { video: { state: "exploded" } } },
      { ...rec(1), media: "cached" },
    ];
    const g = new Gallery(async () => ({ id: 1, ok: true, videos: raw, next_cursor: null }));
    await g.reset();
    expect(g.videos[0]!.media).toEqual({
      video: { state: "cached", bytes: 5, total: 5, percent: 100, content_type: "video/mp4", sha256: null, error: null },
      thumbnail: null, info: null, pinned: true, last_viewed_at: null,
    });
    expect("media" in g.videos[1]!).toBe(false);
    expect("media" in g.videos[2]!).toBe(false);
    expect(g.prepend([{ ...rec(4), media: { video: { state: "failed", error: 5 } } } as never])[0]!.media!.video.error).toBeNull();
  });
});

describe("exportJson", () => {
  it("writes the records with a count", () => {
    const parsed = JSON.parse(exportJson([rec(1)], new Date("2026-01-01T00:00:00Z")));
    expect(parsed).toEqual({ exported_at: "2026-01-01T00:00:00.000Z", count: 1, videos: [rec(1)] });
  });
});

describe("the real chat app's records (issue 12)", () => {
  it("leaves videos the app saved itself out of resync", async () => {
    const g = new Gallery(async () => ({ id: 1, ok: true, next_cursor: null,
      videos: [{ ...rec(1), sync: "saved_by_app" }, { ...rec(2), sync: "failed" }, { ...rec(3), sync: "saved_by_app" }] }));
    await g.reset({ query: "", sync: "", chatId: undefined });
    for (const id of ["v1", "v2", "v3"]) g.toggle(id, true);
    expect(g.resyncableIds()).toEqual(["v2"]);
    g.toggle("v2", false);
    expect(g.resyncableIds()).toEqual([]);
  });

  it("checks a record's account and app message id", () => {
    const checked = checkRecord({ ...rec(1), account: { id: "u-1", label: "ann", cookie: "SECRET" } as never, app_message_id: "m-1" });
    expect(checked.account).toEqual({ id: "u-1", label: "ann" });
    expect(checked.app_message_id).toBe("m-1");
    const bad = checkRecord({ ...rec(2), account: "u-1" as never, app_message_id: { x: 1 } as never });
    expect(bad.account).toBeNull();
    expect(bad.app_message_id).toBeNull();
    expect(checkRecord(rec(3))).not.toHaveProperty("account");
  });
});
