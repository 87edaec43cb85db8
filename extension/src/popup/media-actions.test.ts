import { describe, expect, it } from "vitest";
import type { PopupHostRequest } from "../shared/messages";
import type { Answer, VideoRecord } from "../shared/protocol";
import { Gallery } from "./gallery";
import { fetchVideos, pinVideos } from "./media-actions";

const rec = (id: string, pinned = false): VideoRecord => ({
  video_id: id,
  url: `https://c/${id}.mp4`,
  source: "sse",
  sync: "synced",
  media: {
    video: { state: "failed", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: "HTTP 404" },
    thumbnail: null,
    info: null,
    pinned,
    last_viewed_at: null,
  },
});

async function setup(answer: (r: PopupHostRequest) => Answer) {
  const sent: PopupHostRequest[] = [];
  const send = async (request: PopupHostRequest) => {
    sent.push(request);
    return answer(request);
  };
  const gallery = new Gallery(async () => ({ id: 1, ok: true, videos: [rec("a"), rec("b"), rec("c", true)], next_cursor: null }));
  await gallery.reset();
  return { sent, send, gallery };
}

describe("media actions", () => {
  it("pin sends media_pin for the ids and marks the shown records", async () => {
    const s = await setup(() => ({ id: 1, ok: true, changed: 2 }));
    const result = await pinVideos(s.send, s.gallery, ["a", "b"], true);
    expect(s.sent).toEqual([{ type: "media_pin", video_ids: ["a", "b"], pinned: true }]);
    expect(result).toMatchObject({ ok: true, count: 2 });
    expect(s.gallery.videos.map((v) => v.media!.pinned)).toEqual([true, true, true]);
  });

  it("unpin sends pinned: false", async () => {
    const s = await setup(() => ({ id: 1, ok: true, changed: 1 }));
    await pinVideos(s.send, s.gallery, ["c"], false);
    expect(s.sent).toEqual([{ type: "media_pin", video_ids: ["c"], pinned: false }]);
    expect(s.gallery.videos.find((v) => v.video_id === "c")!.media!.pinned).toBe(false);
  });

  it("a refused pin changes nothing and says why", async () => {
    const s = await setup(() => ({ id: 1, ok: false, error: { code: "unavailable", message: "disk full", retryable: true } }));
    expect(await pinVideos(s.send, s.gallery, ["a"], true)).toEqual({ ok: false, message: "disk full" });
    expect(s.gallery.videos[0].media!.pinned).toBe(false);
  });

  it("fetch again sends media_fetch for the ids", async () => {
    const s = await setup(() => ({ id: 1, ok: true, queued: 2 }));
    expect(await fetchVideos(s.send, ["a", "c"])).toMatchObject({ ok: true, count: 2 });
    expect(s.sent).toEqual([{ type: "media_fetch", video_ids: ["a", "c"] }]);
  });

  it("sends nothing for an empty selection", async () => {
    const s = await setup(() => ({ id: 1, ok: true }));
    await pinVideos(s.send, s.gallery, [], true);
    await fetchVideos(s.send, []);
    expect(s.sent).toEqual([]);
  });
});
