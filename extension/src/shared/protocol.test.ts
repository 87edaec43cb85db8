import { describe, expect, it } from "vitest";
import {
  appSaveMatched,
  base64Bytes,
  isSyncState,
  isVideoSource,
  kPageSources,
  parseAccount,
  parseConfigureAnswer,
  parseCountAnswer,
  parseGetAnswer,
  parseHelloAnswer,
  parseListAnswer,
  parseStatusAnswer,
  parseVideoAnswer,
  mimeType,
  parseMedia,
  parseMediaReadAnswer,
  parseMediaStateEvent,
  type HostEvent,
  type OkAnswer,
} from "./protocol";

// The example of docs/protocol-extensions.md, "Media cache (issue 7)".
const documented = {
  video: { state: "cached", bytes: 5242880, total: 5242880, percent: 100, content_type: "video/mp4", sha256: "9f86d081", error: null },
  thumbnail: { state: "downloading", bytes: 1024, total: 4096, percent: 25, content_type: null, sha256: null, error: null, generated: false },
  info: { duration_s: 5.04, width: 1280, height: 720, video_codec: "h264", audio_codec: "aac", container: "mp4" },
  pinned: false,
  last_viewed_at: "2026-11-24T10:00:00.000Z",
};

describe("parseMedia", () => {
  it("reads the documented record", () => {
    expect(parseMedia(documented)).toEqual({
      video: { state: "cached", bytes: 5242880, total: 5242880, percent: 100, content_type: "video/mp4", sha256: "9f86d081", error: null },
      thumbnail: { state: "downloading", bytes: 1024, total: 4096, percent: 25, content_type: null, sha256: null, error: null },
      info: { duration_s: 5.04, width: 1280, height: 720, video_codec: "h264", audio_codec: "aac", container: "mp4" },
      pinned: false,
      last_viewed_at: "2026-11-24T10:00:00.000Z",
    });
  });

  it("is absent for older hosts and unreadable values", () => {
    expect(parseMedia(undefined)).toBeUndefined();
    expect(parseMedia("cached")).toBeUndefined();
    expect(parseMedia({ video: { state: "exploded" } })).toBeUndefined();
    expect(parseMedia({ thumbnail: documented.thumbnail })).toBeUndefined();
  });

  it("rebuilds every field with a sane value", () => {
    const media = parseMedia({
      video: { state: "failed", bytes: -5, total: "big", percent: 250, content_type: "text/html; charset=utf-8<script>", sha256: "<b>", error: "x".repeat(5000) },
      thumbnail: { state: "cached", bytes: 10.7, total: null, percent: null, content_type: "IMAGE/WEBP; q=1", generated: "yes" },
      info: { duration_s: -1, width: 1279.6, height: Number.NaN, video_codec: 42, audio_codec: "", container: "mp4" },
      pinned: 1,
      last_viewed_at: 7,
      unknown: { anything: true },
    })!;
    expect(media.video).toEqual({ state: "failed", bytes: 0, total: null, percent: 100, content_type: "text/html", sha256: null, error: "x".repeat(1000) });
    expect(media.thumbnail).toEqual({ state: "cached", bytes: 10, total: null, percent: null, content_type: "image/webp", sha256: null, error: null });
    expect(media.info).toEqual({ duration_s: null, width: 1280, height: null, video_codec: null, audio_codec: null, container: "mp4" });
    expect(media.pinned).toBe(false);
    expect(media.last_viewed_at).toBeNull();
    expect(Object.keys(media).sort()).toEqual(["info", "last_viewed_at", "pinned", "thumbnail", "video"]);
  });

  it("keeps a generated thumbnail's mark and a missing info as null", () => {
    const media = parseMedia({ video: { state: "downloading", bytes: 1 }, thumbnail: { state: "cached", generated: true }, info: null })!;
    expect(media.thumbnail!.generated).toBe(true);
    expect(media.info).toBeNull();
  });
});

describe("parseMediaStateEvent", () => {
  const event = (fields: Record<string, unknown>): HostEvent => ({ type: "media_state", ...fields });

  it("reads the documented event", () => {
    expect(parseMediaStateEvent(event({ video_id: "v1", kind: "video", state: "downloading", bytes: 1048576, total: 5242880, percent: 20, error: null })))
      .toEqual({ type: "media_state", video_id: "v1", kind: "video", state: "downloading", bytes: 1048576, total: 5242880, percent: 20, error: null });
  });

  it("drops events it cannot trust", () => {
    expect(parseMediaStateEvent(event({ kind: "video", state: "cached" }))).toBeNull();
    expect(parseMediaStateEvent(event({ video_id: "", kind: "video", state: "cached" }))).toBeNull();
    expect(parseMediaStateEvent(event({ video_id: "v", kind: "poster", state: "cached" }))).toBeNull();
    expect(parseMediaStateEvent(event({ video_id: "v", kind: "video", state: "done" }))).toBeNull();
    expect(parseMediaStateEvent({ type: "sync_state", video_id: "v", kind: "video", state: "cached" })).toBeNull();
  });

  it("keeps only known fields", () => {
    const parsed = parseMediaStateEvent(event({ video_id: "v", kind: "thumbnail", state: "failed", error: "refused: text/html", path: "/home/x" }))!;
    expect(parsed).toEqual({ type: "media_state", video_id: "v", kind: "thumbnail", state: "failed", bytes: 0, total: null, percent: null, error: "refused: text/html" });
  });
});

describe("parseMediaReadAnswer", () => {
  const ok = (fields: Record<string, unknown>): OkAnswer => ({ id: 1, ok: true, ...fields });
  const b64 = (text: string) => Buffer.from(text).toString("base64");

  it("decodes the bytes of a fitting answer", () => {
    const chunk = parseMediaReadAnswer(ok({ content_type: "video/mp4", size: 10, offset: 4, data: b64("hello"), eof: false }), 4, 5)!;
    expect(new TextDecoder().decode(chunk.data)).toBe("hello");
    expect(chunk).toMatchObject({ content_type: "video/mp4", size: 10, offset: 4, eof: false });
  });

  it("reads an empty piece at or past the end", () => {
    expect(parseMediaReadAnswer(ok({ size: 10, offset: 10, data: "", eof: true }), 10, 100)).toMatchObject({ size: 10, eof: true });
    expect(parseMediaReadAnswer(ok({ size: 10, offset: 50, data: "" }), 50, 100)!.eof).toBe(true);
  });

  it("refuses answers that do not fit the request", () => {
    expect(parseMediaReadAnswer(ok({ size: 10, offset: 5, data: b64("hi") }), 4, 5)).toBeNull(); // another offset
    expect(parseMediaReadAnswer(ok({ size: 100, offset: 0, data: b64("too long") }), 0, 3)).toBeNull(); // more than asked
    expect(parseMediaReadAnswer(ok({ size: 3, offset: 0, data: b64("past end") }), 0, 100)).toBeNull(); // past its size
    expect(parseMediaReadAnswer(ok({ size: 10, offset: 0, data: "not base64!" }), 0, 10)).toBeNull();
    expect(parseMediaReadAnswer(ok({ offset: 0, data: b64("x") }), 0, 10)).toBeNull(); // no size
    expect(parseMediaReadAnswer(ok({ size: 10, offset: 0, data: 5 }), 0, 10)).toBeNull();
  });

  it("helpers: strict base64, bare MIME types", () => {
    expect(base64Bytes("aGk=")).toEqual(new Uint8Array([104, 105]));
    expect(base64Bytes("aGk")).toBeNull();
    expect(base64Bytes("a\nGk=")).toBeNull();
    expect(mimeType("video/mp4; codecs=avc1")).toBe("video/mp4");
    expect(mimeType("video/mp4\r\nX-Evil: 1")).toBeNull();
    expect(mimeType("mp4")).toBeNull();
  });
});

describe("the real chat app's wire (issue 12)", () => {
  const ok = (fields: Record<string, unknown>): OkAnswer => ({ id: 1, ok: true, ...fields });

  it("knows the saved_by_app state and the new sources, and keeps app for the host", () => {
    expect(isSyncState("saved_by_app")).toBe(true);
    expect(isSyncState("saved")).toBe(false);
    for (const s of ["sse", "websocket", "poll", "tool", "artifact", "inline", "manual", "app"]) expect(isVideoSource(s), s).toBe(true);
    expect(isVideoSource("eventsource")).toBe(false);
    expect(kPageSources).not.toContain("app");
    expect(kPageSources).toContain("tool");
  });

  it("reads an account as {id, label?} and nothing else", () => {
    expect(parseAccount({ id: "u-1", label: "ann@example.com", email: "x", cookie: "SECRET" })).toEqual({ id: "u-1", label: "ann@example.com" });
    expect(parseAccount({ id: 42 })).toEqual({ id: "42" });
    expect(parseAccount({ id: "u-1", label: "  " })).toEqual({ id: "u-1" });
    for (const bad of [null, "u-1", {}, { id: "" }, { id: "x".repeat(201) }, { id: { nested: 1 } }]) expect(parseAccount(bad)).toBeNull();
  });

  it("tells a checked account, a checked nobody and an unknown apart in configure answers", () => {
    expect(parseConfigureAnswer(ok({ account: { id: "u-1", label: "ann" }, account_checked: true })))
      .toEqual({ checked: true, account: { id: "u-1", label: "ann" } });
    expect(parseConfigureAnswer(ok({ account: null, account_checked: true }))).toEqual({ checked: true, account: null });
    // lookup off or unreadable: unknown, whatever account says
    expect(parseConfigureAnswer(ok({ account: null, account_checked: false }))).toEqual({ checked: false, account: null });
    // an older host says nothing
    expect(parseConfigureAnswer(ok({}))).toEqual({ checked: false, account: null });
    // a malformed account is not "nobody"
    expect(parseConfigureAnswer(ok({ account: { name: "x" }, account_checked: true })).checked).toBe(false);
  });

  it("reads app_save's matched count", () => {
    expect(appSaveMatched(ok({ matched: 2 }))).toBe(2);
    expect(appSaveMatched(ok({ matched: "2" }))).toBe(0);
    expect(appSaveMatched(ok({}))).toBe(0);
  });
});

describe("answers the popup and the worker read", () => {
  const answer = (fields: Record<string, unknown>): OkAnswer => ({ id: 7, ok: true, ...fields });

  it("keeps only records with a string video_id from a list, and no empty cursor", () => {
    const page = parseListAnswer(answer({ videos: [{ video_id: "a", sync: "synced" }, null, { video_id: 3 }, "b"], next_cursor: "" }));
    expect(page).toEqual({ videos: [{ video_id: "a", sync: "synced" }], next_cursor: null });
    // a host that sends no list (or not an array) gives an empty page, not a throw
    expect(parseListAnswer(answer({ videos: { video_id: "a" } }))).toEqual({ videos: [], next_cursor: null });
    expect(parseListAnswer(answer({ videos: [], next_cursor: "30" })).next_cursor).toBe("30");
  });

  it("reads lean records (format 2): a missing media is a blank one, missing fields read as null", () => {
    // A format 2 record with nothing to say: only the keys that have a value.
    const lean = { video_id: "a", url: "https://cdn.example/a.mp4", sync: "pending", source: "sse", sync_attempts: 0 };
    const [video] = parseListAnswer(answer({ record_format: 2, videos: [{ ...lean }], next_cursor: null })).videos;
    const media = parseMedia(video.media);
    const blank = { state: "not_cached", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: null };
    expect(media).toEqual({ video: blank, thumbnail: blank, info: null, pinned: false, last_viewed_at: null });
    expect(video).not.toHaveProperty("last_error");
    expect(video).not.toHaveProperty("prompt");
    // Only what is set: a pinned video with a cached thumbnail and no video row.
    const partial = { ...lean, media: { pinned: true, thumbnail: { state: "cached", bytes: 10, percent: 100, generated: true } } };
    const got = parseGetAnswer(answer({ record_format: 2, video: partial }));
    expect(parseMedia(got?.media)).toEqual({
      video: blank,
      thumbnail: { ...blank, state: "cached", bytes: 10, percent: 100, generated: true },
      info: null, pinned: true, last_viewed_at: null,
    });
    // A format 1 answer (no record_format) without media is an older host: no cache.
    const [old] = parseListAnswer(answer({ videos: [{ ...lean }] })).videos;
    expect(old).not.toHaveProperty("media");
    expect(parseMedia(parseGetAnswer(answer({ video: { ...lean } }))?.media)).toBeUndefined();
    // The same video written by both formats reads the same.
    const nulls = { ...lean, prompt: null, last_error: null, account: null, app_message_id: null, media: {
      video: { ...blank }, thumbnail: { ...blank, generated: false }, info: null, pinned: false, last_viewed_at: null } };
    const one = parseGetAnswer(answer({ video: nulls }));
    const two = parseGetAnswer(answer({ record_format: 2, video: { ...lean } }));
    expect(parseMedia(one?.media)).toEqual(parseMedia(two?.media));
    expect(one?.account ?? null).toBe(two?.account ?? null);
    expect(one?.last_error ?? null).toBe(two?.last_error ?? null);
  });

  it("reads a hello answer's record format", () => {
    expect(parseHelloAnswer(answer({ protocol: 1, record_format: 2 })).record_format).toBe(2);
    expect(parseHelloAnswer(answer({ protocol: 1 }))).not.toHaveProperty("record_format");
  });

  it("reads a get answer's record, or null when it has none", () => {
    expect(parseGetAnswer(answer({ video: { video_id: "a", sync: "pending" } }))).toEqual({ video_id: "a", sync: "pending" });
    for (const video of [undefined, null, "a", {}, { video_id: 1 }]) expect(parseGetAnswer(answer({ video }))).toBeNull();
  });

  it("reads each request's count under its own field name", () => {
    expect(parseCountAnswer("delete", answer({ deleted: 2, queued: 9 }))).toBe(2);
    expect(parseCountAnswer("resync", answer({ queued: 3, deleted: 9 }))).toBe(3);
    expect(parseCountAnswer("media_pin", answer({ changed: 1 }))).toBe(1);
    expect(parseCountAnswer("media_fetch", answer({ queued: 0 }))).toBe(0);
    // not a count (a string, a negative number): the caller's fallback applies
    for (const deleted of [undefined, "2", -1, Number.NaN, null]) expect(parseCountAnswer("delete", answer({ deleted }))).toBeNull();
  });

  it("keeps a status answer's counts that are counts, so the badge never adds a string", () => {
    const status = parseStatusAnswer(answer({ pending: "5", failed: 2, auth_required: 1, last_error: null, host_version: "1.2.0", extra: 1 }));
    expect(status).toEqual({ id: 7, ok: true, failed: 2, auth_required: 1, last_error: null, host_version: "1.2.0" });
  });

  it("reads a hello answer's protocol only when it is a number", () => {
    expect(parseHelloAnswer(answer({ protocol: 1, host_version: "1.0.0", db_path: "/tmp/v.db" })))
      .toEqual({ id: 7, ok: true, protocol: 1, host_version: "1.0.0", db_path: "/tmp/v.db" });
    expect(parseHelloAnswer(answer({ protocol: "1", db_path: 5 }))).toEqual({ id: 7, ok: true });
  });

  it("reads a video answer, an unknown sync state as pending", () => {
    expect(parseVideoAnswer(answer({ video_id: "v", duplicate: true, sync: "synced" })))
      .toEqual({ id: 7, ok: true, video_id: "v", duplicate: true, sync: "synced" });
    expect(parseVideoAnswer(answer({ video_id: "v", duplicate: "yes", sync: "teleported" })))
      .toMatchObject({ duplicate: false, sync: "pending" });
  });
});
