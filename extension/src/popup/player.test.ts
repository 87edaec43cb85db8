// @vitest-environment happy-dom
import { beforeEach, describe, expect, it, vi } from "vitest";
import { mediaReader } from "../shared/media-read";
import type { Answer, MediaFile, MediaReadRequest, VideoRecord } from "../shared/protocol";
import { Player, localCopyOpener, type LocalCopy, type OpenLocal } from "./player";
import { enT } from "./test-t";

const cachedFile: MediaFile = { state: "cached", bytes: 10, total: 10, percent: 100, content_type: "video/mp4", sha256: null, error: null };

const record = (fields: Partial<VideoRecord> = {}, video: MediaFile | null = cachedFile): VideoRecord => ({
  video_id: "v1",
  url: "https://cdn.example/v/1.mp4",
  source: "sse",
  sync: "synced",
  ...(video !== null ? { media: { video, thumbnail: null, info: null, pinned: false, last_viewed_at: null } } : {}),
  ...fields,
});

function setup(openLocal?: OpenLocal) {
  document.body.replaceChildren();
  const video = document.createElement("video");
  const offlineMark = document.createElement("span");
  offlineMark.hidden = true;
  const message = document.createElement("p");
  message.hidden = true;
  document.body.append(video, offlineMark, message);
  const released: string[] = [];
  const opened: string[] = [];
  const sources: Array<[string, string | undefined]> = [];
  const open: OpenLocal = openLocal ?? (async (v): Promise<LocalCopy> => {
    opened.push(v.video_id);
    return { url: `chrome-extension://id/media/${v.video_id}`, kind: "stream", release: () => void released.push(v.video_id) };
  });
  const player = new Player({ video, offlineMark, message }, {
    t: enT,
    lang: "en",
    now: () => new Date("2026-11-24T12:00:00Z"),
    openLocal: open,
    onSource: (source, url) => void sources.push([source, url]),
  });
  return { player, video, offlineMark, message, released, opened, sources };
}

const remoteError = (video: HTMLVideoElement) => video.dispatchEvent(new Event("error"));

describe("Player", () => {
  beforeEach(() => vi.restoreAllMocks());

  it("plays the remote URL first, without the offline mark", () => {
    const p = setup();
    p.player.open(record());
    expect(p.video.getAttribute("src")).toBe("https://cdn.example/v/1.mp4");
    expect(p.video.dataset["source"]).toBe("remote");
    expect(p.offlineMark.hidden).toBe(true);
    expect(p.opened).toEqual([]);
  });

  it("switches to the local copy when the remote video errors, and shows the offline mark", async () => {
    const p = setup();
    p.player.open(record());
    remoteError(p.video); // e.g. 403 after the signed link expired
    await vi.waitFor(() => expect(p.video.dataset["source"]).toBe("local"));
    expect(p.video.getAttribute("src")).toBe("chrome-extension://id/media/v1");
    expect(p.offlineMark.hidden).toBe(false);
    expect(p.message.hidden).toBe(true);
    expect(p.opened).toEqual(["v1"]);
    expect(p.sources.map(([s]) => s)).toEqual(["remote", "local"]);

    // Next time this popup plays it, the local copy comes at once.
    p.player.close();
    expect(p.released).toEqual(["v1"]);
    expect(p.offlineMark.hidden).toBe(true);
    p.player.open(record());
    await vi.waitFor(() => expect(p.video.dataset["source"]).toBe("local"));
  });

  it("goes to the local copy at once when the link is known to have expired", async () => {
    const p = setup();
    p.player.open(record({ url: "https://b.s3.amazonaws.com/v.mp4?X-Amz-Date=20261124T100000Z&X-Amz-Expires=3600&X-Amz-Signature=x" }));
    await vi.waitFor(() => expect(p.video.dataset["source"]).toBe("local"));
    expect(p.offlineMark.hidden).toBe(false);
    expect(p.sources.map(([s]) => s)).toEqual(["local"]);
  });

  it("keeps a link that has not expired yet", () => {
    const p = setup();
    p.player.open(record({ url: "https://b.s3.amazonaws.com/v.mp4?X-Amz-Date=20261124T100000Z&X-Amz-Expires=86400&X-Amz-Signature=x" }));
    expect(p.video.dataset["source"]).toBe("remote");
  });

  it("says so when the remote fails and there is no local copy", async () => {
    const p = setup();
    p.player.open(record({}, { ...cachedFile, state: "downloading", bytes: 42, total: 100, percent: 42 }));
    remoteError(p.video);
    await vi.waitFor(() => expect(p.message.hidden).toBe(false));
    expect(p.message.textContent).toBe("The video link does not work, and there is no offline copy to play (downloading 42 %).");
    expect(p.opened).toEqual([]);
    expect(p.player.source).toBe("none");
  });

  it("reports a local copy that fails to play", async () => {
    const p = setup();
    p.player.open(record({ url: "javascript:alert(1)" }));
    await vi.waitFor(() => expect(p.video.dataset["source"]).toBe("local"));
    remoteError(p.video);
    expect(p.message.textContent).toMatch(/^The offline copy could not be played: /);
  });

  it("lets go of a local copy that arrives after the player closed", async () => {
    let finish: (copy: LocalCopy) => void = () => {};
    const released: string[] = [];
    const p = setup(() => new Promise<LocalCopy>((resolve) => (finish = resolve)));
    p.player.open(record({ url: "" }));
    p.player.close();
    finish({ url: "blob:x", kind: "blob", release: () => void released.push("blob:x") });
    await vi.waitFor(() => expect(released).toEqual(["blob:x"]));
    expect(p.video.getAttribute("src")).toBeNull();
  });
});

describe("localCopyOpener", () => {
  /// A host serving `size` bytes of video through media_read.
  function host(size: number) {
    const reads: number[] = [];
    const send = async (r: MediaReadRequest): Promise<Answer> => {
      const offset = r.offset ?? 0;
      const n = Math.max(0, Math.min(r.length ?? 524288, size - offset));
      reads.push(offset);
      return { id: 1, ok: true, content_type: "video/mp4", size, offset, data: Buffer.alloc(n, 7).toString("base64"), eof: offset + n >= size } as Answer;
    };
    return { reads, reader: (id: string) => mediaReader(send, id, "video") };
  }
  const urls = () => {
    const made: Blob[] = [];
    const revoked: string[] = [];
    return { made, revoked, createObjectURL: (b: Blob) => (made.push(b), `blob:${made.length}`), revokeObjectURL: (u: string) => void revoked.push(u) };
  };

  it("uses the service worker's media URL where this page is controlled by it (Chromium)", async () => {
    const h = host(10);
    const open = localCopyOpener({ streamed: () => true, mediaUrl: (id) => `chrome-extension://x/media/${id}`, reader: h.reader });
    const copy = await open(record(), () => {}, new AbortController().signal);
    expect(copy).toEqual({ url: "chrome-extension://x/media/v1", kind: "stream" });
    expect(h.reads).toEqual([]); // the player's range requests do the reading
  });

  it("reads the whole file into a Blob with progress elsewhere (Firefox)", async () => {
    const h = host(1_100_000);
    const u = urls();
    const progress: number[] = [];
    const open = localCopyOpener({ streamed: () => false, mediaUrl: () => "", reader: h.reader, objectUrls: u });
    const copy = await open(record(), (done) => void progress.push(done), new AbortController().signal);
    expect(copy.kind).toBe("blob");
    expect(copy.url).toBe("blob:1");
    expect(u.made[0].size).toBe(1_100_000);
    expect(u.made[0].type).toBe("video/mp4");
    expect(h.reads).toEqual([0, 524288, 1048576]);
    expect(progress).toEqual([524288, 1048576, 1_100_000]);
    copy.release!();
    expect(u.revoked).toEqual(["blob:1"]);
  });

  it("refuses a file over the limit after one read, with a clear message", async () => {
    const h = host(300 * 1024 * 1024);
    const p = setup(localCopyOpener({ streamed: () => false, mediaUrl: () => "", reader: h.reader, objectUrls: urls() }));
    p.player.open(record({ url: "" }));
    await vi.waitFor(() => expect(p.message.classList.contains("error")).toBe(true));
    expect(p.message.textContent).toBe(
      "This offline copy is 314.6 MB: too large to play here (this browser plays offline copies up to 268.4 MB in the popup).",
    );
    expect(h.reads).toEqual([0]);
  });

  it("stops reading when the player closes", async () => {
    const h = host(5 * 524288);
    const p = setup(localCopyOpener({ streamed: () => false, mediaUrl: () => "", reader: h.reader, objectUrls: urls() }));
    p.player.open(record({ url: "" }));
    p.player.close();
    await new Promise((r) => setTimeout(r, 20));
    expect(h.reads.length).toBeLessThanOrEqual(1);
  });
});
