import { describe, expect, it } from "vitest";
import { mediaReader, mediaUrl } from "../shared/media-read";
import type { Answer, MediaReadRequest } from "../shared/protocol";
import { mediaIdFromUrl, parseRange, serveMedia } from "./media-server";

const kBase = "chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/";

/// A host that serves `file` through media_read the way the protocol says,
/// and records every read.
function fakeHost(file: Uint8Array, contentType = "video/mp4") {
  const reads: Array<{ offset: number; length: number }> = [];
  const send = async (request: MediaReadRequest): Promise<Answer> => {
    const offset = request.offset ?? 0;
    const length = request.length ?? 524288;
    expect(length).toBeLessThanOrEqual(524288);
    reads.push({ offset, length });
    const data = file.subarray(Math.min(offset, file.length), Math.min(offset + length, file.length));
    return {
      id: reads.length,
      ok: true,
      content_type: contentType,
      size: file.length,
      offset,
      data: Buffer.from(data).toString("base64"),
      eof: offset + data.length >= file.length,
    } as Answer;
  };
  return { send, reads, read: mediaReader(send, "vid-1", "video") };
}

function bytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

/// Byte-for-byte equality (toEqual walks a large array element by element).
function expectBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.from(actual).equals(Buffer.from(expected))).toBe(true);
}

const get = (range?: string, signal?: AbortSignal) => ({
  method: "GET",
  headers: new Headers(range === undefined ? {} : { Range: range }),
  ...(signal ? { signal } : {}),
});

describe("range server", () => {
  it("answers bytes=1000-2999 with 206 and exactly those bytes", async () => {
    const file = bytes(10_000);
    const host = fakeHost(file);
    const res = await serveMedia(get("bytes=1000-2999"), host.read);
    expect(res.status).toBe(206);
    expect(res.headers.get("Content-Range")).toBe("bytes 1000-2999/10000");
    expect(res.headers.get("Content-Length")).toBe("2000");
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    expect(res.headers.get("Content-Type")).toBe("video/mp4");
    expectBytes(new Uint8Array(await res.arrayBuffer()), file.subarray(1000, 3000));
    expect(host.reads).toEqual([{ offset: 1000, length: 2000 }]);
  });

  it("reads a large range in pieces of at most 512 KiB, in order", async () => {
    const file = bytes(4 * 524288);
    const host = fakeHost(file);
    const res = await serveMedia(get("bytes=100-1600000"), host.read);
    expect(res.status).toBe(206);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.length).toBe(1_600_000 - 100 + 1);
    expectBytes(body, file.subarray(100, 1_600_001));
    expect(host.reads.every((r) => r.length <= 524288)).toBe(true);
    expect(host.reads.map((r) => r.offset)).toEqual([100, 100 + 524288, 100 + 2 * 524288, 100 + 3 * 524288]);
  });

  it("serves an open-ended range to the end of the file", async () => {
    const file = bytes(600_000);
    const host = fakeHost(file);
    const res = await serveMedia(get("bytes=599000-"), host.read);
    expect(res.status).toBe(206);
    expect(res.headers.get("Content-Range")).toBe("bytes 599000-599999/600000");
    expectBytes(new Uint8Array(await res.arrayBuffer()), file.subarray(599_000));

    const whole = await serveMedia(get("bytes=0-"), fakeHost(file).read);
    expect(whole.status).toBe(206);
    expect(whole.headers.get("Content-Range")).toBe("bytes 0-599999/600000");
    expectBytes(new Uint8Array(await whole.arrayBuffer()), file);
  });

  it("serves a suffix range and clamps an end past the file", async () => {
    const file = bytes(5000);
    const res = await serveMedia(get("bytes=-100"), fakeHost(file).read);
    expect(res.headers.get("Content-Range")).toBe("bytes 4900-4999/5000");
    expectBytes(new Uint8Array(await res.arrayBuffer()), file.subarray(4900));
    const clamped = await serveMedia(get("bytes=4000-9999999"), fakeHost(file).read);
    expect(clamped.headers.get("Content-Range")).toBe("bytes 4000-4999/5000");
    expect((await clamped.arrayBuffer()).byteLength).toBe(1000);
  });

  it("answers 416 for a range past the end", async () => {
    const res = await serveMedia(get("bytes=5000-"), fakeHost(bytes(5000)).read);
    expect(res.status).toBe(416);
    expect(res.headers.get("Content-Range")).toBe("bytes */5000");
    expect((await serveMedia(get("bytes=-0"), fakeHost(bytes(5000)).read)).status).toBe(416);
  });

  it("streams the whole file with 200 when there is no Range", async () => {
    const file = bytes(1_200_000);
    const host = fakeHost(file);
    const res = await serveMedia(get(), host.read);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Range")).toBeNull();
    expect(res.headers.get("Content-Length")).toBe("1200000");
    expectBytes(new Uint8Array(await res.arrayBuffer()), file);
    expect(host.reads.map((r) => r.offset)).toEqual([0, 524288, 1048576]);
  });

  it("ignores what it cannot serve as one range (several ranges, other units, bad syntax)", async () => {
    for (const header of ["bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=x"]) {
      const res = await serveMedia(get(header), fakeHost(bytes(10)).read);
      expect(res.status, header).toBe(200);
    }
  });

  it("reads nothing more once the player lets go of the stream", async () => {
    const file = bytes(10 * 524288);
    const host = fakeHost(file);
    const res = await serveMedia(get("bytes=0-"), host.read);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 10));
    // the first piece and at most one read ahead
    expect(host.reads.length).toBeLessThanOrEqual(2);
  });

  it("stops reading when the request is aborted", async () => {
    const host = fakeHost(bytes(10 * 524288));
    const abort = new AbortController();
    const res = await serveMedia(get("bytes=0-", abort.signal), host.read);
    const reader = res.body!.getReader();
    await reader.read();
    abort.abort();
    await expect(async () => {
      for (;;) if ((await reader.read()).done) break;
    }).rejects.toThrow(/aborted/);
    expect(host.reads.length).toBeLessThanOrEqual(3);
  });

  it("maps host failures to HTTP errors", async () => {
    const notCached = mediaReader(async () => ({ id: 1, ok: false, error: { code: "not_found", message: "video not cached", retryable: false } }), "v", "video");
    expect((await serveMedia(get(), notCached)).status).toBe(404);
    const gone = mediaReader(async () => { throw new Error("vidkeep-host is not connected"); }, "v", "video");
    expect((await serveMedia(get(), gone)).status).toBe(503);
    const garbage = mediaReader(async () => ({ id: 1, ok: true, size: 10, offset: 0, data: "!!!" }), "v", "video");
    expect((await serveMedia(get(), garbage)).status).toBe(502);
    const tooMuch = mediaReader(async () => ({ id: 1, ok: true, size: 2, offset: 0, data: Buffer.from("hello").toString("base64") }), "v", "video");
    expect((await serveMedia(get(), tooMuch)).status).toBe(502);
  });

  it("errors the stream when the file ends early", async () => {
    const file = bytes(1_000_000);
    let calls = 0;
    const read = mediaReader(async (request) => {
      calls++;
      const offset = request.offset ?? 0;
      // The second read finds nothing: the file shrank under us.
      const data = calls === 1 ? file.subarray(0, 524288) : new Uint8Array(0);
      return { id: calls, ok: true, size: file.length, offset, data: Buffer.from(data).toString("base64"), eof: calls > 1 };
    }, "v", "video");
    const res = await serveMedia(get(), read);
    await expect(res.arrayBuffer()).rejects.toThrow();
  });
});

describe("media URLs", () => {
  it("maps <base>media/<id> to the id and nothing else", () => {
    expect(mediaIdFromUrl(`${kBase}media/6f1c-0001`, kBase)).toBe("6f1c-0001");
    expect(mediaIdFromUrl(mediaUrl(kBase, "a b/c"), kBase)).toBe("a b/c");
    expect(mediaIdFromUrl(`${kBase}media/v1?t=3#x`, kBase)).toBe("v1");
    expect(mediaIdFromUrl(`${kBase}popup.html`, kBase)).toBeNull();
    expect(mediaIdFromUrl(`${kBase}media/`, kBase)).toBeNull();
    expect(mediaIdFromUrl(`${kBase}media/a/b`, kBase)).toBeNull();
    expect(mediaIdFromUrl(`${kBase}media/%E0%A4%A`, kBase)).toBeNull();
    expect(mediaIdFromUrl("chrome-extension://other/media/v1", kBase)).toBeNull();
  });

  it("parses one byte range", () => {
    expect(parseRange(null)).toBeNull();
    expect(parseRange("bytes=0-")).toEqual({ start: 0, end: null });
    expect(parseRange("bytes=10-20")).toEqual({ start: 10, end: 20 });
    expect(parseRange("bytes=-500")).toEqual({ suffix: 500 });
    expect(parseRange("bytes=-")).toBeNull();
    expect(parseRange("bytes=20-10")).toBeNull();
  });
});
