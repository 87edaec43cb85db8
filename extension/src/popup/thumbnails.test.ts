import { describe, expect, it } from "vitest";
import { mediaReader } from "../shared/media-read";
import type { Answer, MediaReadRequest } from "../shared/protocol";
import { ThumbnailCache, kMaxThumbnailBytes } from "./thumbnails";

function setup(sizes: Record<string, number>, contentType = "image/webp") {
  const reads: MediaReadRequest[] = [];
  const send = async (r: MediaReadRequest): Promise<Answer> => {
    reads.push(r);
    const size = sizes[r.video_id];
    if (size === undefined) return { id: 1, ok: false, error: { code: "not_found", message: "thumbnail not cached", retryable: false } };
    const offset = r.offset ?? 0;
    const n = Math.max(0, Math.min(r.length ?? 524288, size - offset));
    return { id: 1, ok: true, content_type: contentType, size, offset, data: Buffer.alloc(n, 1).toString("base64"), eof: offset + n >= size } as Answer;
  };
  const made: Blob[] = [];
  const revoked: string[] = [];
  const cache = new ThumbnailCache((id) => mediaReader(send, id, "thumbnail"), {
    createObjectURL: (b) => (made.push(b), `blob:${made.length}`),
    revokeObjectURL: (u) => void revoked.push(u),
  });
  return { cache, reads, made, revoked };
}

describe("ThumbnailCache", () => {
  it("reads a cached thumbnail once into an object URL of its type", async () => {
    const s = setup({ v1: 3000 });
    const [a, b] = await Promise.all([s.cache.load("v1"), s.cache.load("v1")]);
    expect(a).toBe("blob:1");
    expect(b).toBe("blob:1");
    expect(await s.cache.load("v1")).toBe("blob:1");
    expect(s.reads).toEqual([{ type: "media_read", video_id: "v1", kind: "thumbnail", offset: 0, length: 524288 }]);
    expect(s.made[0].type).toBe("image/webp");
    expect(s.cache.get("v1")).toBe("blob:1");
  });

  it("revokes the URLs of videos that left the gallery", async () => {
    const s = setup({ v1: 10, v2: 10, v3: 10 });
    await Promise.all(["v1", "v2", "v3"].map((id) => s.cache.load(id)));
    const kept = s.cache.get("v2");
    s.cache.keepOnly(["v2"]);
    expect(s.revoked.sort()).toEqual(["blob:1", "blob:2", "blob:3"].filter((u) => u !== kept));
    expect(s.cache.get("v2")).toBe(kept);
    expect(s.cache.size).toBe(1);
  });

  it("makes no URL for a read let go of meanwhile, and reads again when asked again", async () => {
    const s = setup({ v1: 10 });
    const first = s.cache.load("v1");
    s.cache.keepOnly([]);
    const second = s.cache.load("v1");
    expect(await first).toBeNull();
    expect(await second).toBe("blob:1");
    expect(s.made.length).toBe(1);
    expect(s.cache.get("v1")).toBe("blob:1");
  });

  it("gives null (the remote one stands in) for what it cannot read", async () => {
    const s = setup({ big: kMaxThumbnailBytes + 1 });
    expect(await s.cache.load("missing")).toBeNull();
    expect(await s.cache.load("big")).toBeNull();
    expect(s.made).toEqual([]);
  });

  it("reads at most four at a time", async () => {
    let running = 0;
    let most = 0;
    const cache = new ThumbnailCache((id) => async (offset) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return { content_type: "image/png", size: 1, offset, data: new Uint8Array([id.length]), eof: true };
    }, { createObjectURL: () => "blob:x", revokeObjectURL: () => {} });
    await Promise.all(Array.from({ length: 10 }, (_, i) => cache.load(`v${i}`)));
    expect(most).toBe(4);
  });
});
