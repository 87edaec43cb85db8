// The offline copy as a URL a <video> can seek in (Chromium). The background
// service worker answers `fetch` events for `<extension base>media/<video_id>`
// — a path that is not in the package — with what `media_read` gives:
// `206 Partial Content` for the `Range` requests media elements make, so a
// seek in a file of hundreds of MB reads only the pieces it plays. The body
// is a pull stream of ≤ 512 KiB pieces: at most one piece is read ahead of
// what the player consumed, and nothing more is read once the player lets go
// (stream cancelled or request aborted).
//
// Firefox's MV3 background is an event page: it gets no fetch events, and
// its extension pages cannot register a service worker, so there the popup
// falls back to reading the whole file (docs/extension.md, "Offline
// playback").

import { MediaReadError, kMediaPath, type MediaReadFn } from "../shared/media-read";
import { kMediaReadMax, type MediaChunk } from "../shared/protocol";

/// The video id of `url` when it is `<base>media/<id>`, else null.
export function mediaIdFromUrl(url: string, base: string): string | null {
  if (!url.startsWith(base + kMediaPath)) return null;
  const rest = url.slice(base.length + kMediaPath.length).replace(/[?#].*$/s, "");
  if (rest === "" || rest.includes("/")) return null;
  let id: string;
  try {
    id = decodeURIComponent(rest);
  } catch {
    return null;
  }
  return id !== "" && id.length <= 200 ? id : null;
}

/// A `Range` header (RFC 9110 section 14.1.2), one range only:
/// `bytes=a-b`, `bytes=a-` or `bytes=-n`. Anything else (no header, several
/// ranges, another unit, bad syntax) is null: the whole file is served.
export type RangeSpec = { start: number; end: number | null } | { suffix: number };

export function parseRange(header: string | null): RangeSpec | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return null;
  const [, first, last] = m;
  if (first === "" && last === "") return null;
  if (first === "") return { suffix: Number(last) };
  const start = Number(first);
  const end = last === "" ? null : Number(last);
  if (!Number.isSafeInteger(start) || (end !== null && (!Number.isSafeInteger(end) || end < start))) return null;
  return { start, end };
}

/// The request fields used; a Fetch API Request fits.
export interface MediaRequest {
  method: string;
  headers: { get(name: string): string | null };
  signal?: AbortSignal;
}

function errorResponse(status: number, message: string): Response {
  return new Response(message, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
}

/// Answers one request for a cached video. Never rejects: failures are
/// HTTP error answers (404 not cached, 503 no host, 502 a bad host answer).
export async function serveMedia(request: MediaRequest, read: MediaReadFn): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") return errorResponse(405, "method not allowed");
  const range = parseRange(request.headers.get("Range"));
  // The first read tells the size. It starts where the range starts (a
  // seek's first piece is read once); a suffix range needs the size first.
  const firstOffset = range !== null && "start" in range ? range.start : 0;
  const firstLength = range !== null && "start" in range && range.end !== null
    ? Math.min(kMediaReadMax, range.end - range.start + 1)
    : range !== null && "suffix" in range ? 1 : kMediaReadMax;
  let first: MediaChunk;
  try {
    first = await read(firstOffset, firstLength);
  } catch (err) {
    const e = err instanceof MediaReadError ? err : new MediaReadError(502, String(err));
    return errorResponse(e.status === 499 ? 503 : e.status, e.message);
  }
  const size = first.size;
  let start = 0;
  let end = size - 1;
  if (range !== null) {
    if ("suffix" in range) {
      if (range.suffix === 0 || size === 0) return unsatisfiable(size);
      start = Math.max(0, size - range.suffix);
    } else {
      if (range.start >= size) return unsatisfiable(size);
      start = range.start;
      end = range.end === null ? size - 1 : Math.min(range.end, size - 1);
    }
  }
  const headers: Record<string, string> = {
    "Content-Type": first.content_type ?? "application/octet-stream",
    "Accept-Ranges": "bytes",
    "Content-Length": String(Math.max(0, end - start + 1)),
    "Cache-Control": "no-store",
  };
  const status = range === null ? 200 : 206;
  if (status === 206) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  if (request.method === "HEAD" || end < start) return new Response(null, { status, headers });
  const reuse = first.offset === start ? first.data : null;
  return new Response(rangeStream(read, start, end, reuse, request.signal), { status, headers });
}

function unsatisfiable(size: number): Response {
  return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${size}`, "Cache-Control": "no-store" } });
}

/// Bytes start..end (inclusive) as a pull stream of ≤ 512 KiB pieces.
/// `firstPiece` (already read at `start`) is sent before reading more.
function rangeStream(
  read: MediaReadFn,
  start: number,
  end: number,
  firstPiece: Uint8Array<ArrayBuffer> | null,
  signal: AbortSignal | undefined,
): ReadableStream<Uint8Array> {
  let position = start;
  let pending = firstPiece;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (cancelled) return;
        if (signal?.aborted) {
          cancelled = true;
          controller.error(new MediaReadError(499, "aborted"));
          return;
        }
        let data = pending;
        pending = null;
        if (data === null || data.length === 0) {
          data = (await read(position, Math.min(kMediaReadMax, end - position + 1))).data;
        }
        if (cancelled) return;
        if (data.length === 0) {
          controller.error(new MediaReadError(502, `the file ended at ${position}, before ${end + 1}`));
          return;
        }
        const piece = data.length > end - position + 1 ? data.subarray(0, end - position + 1) : data;
        controller.enqueue(piece);
        position += piece.length;
        if (position > end) controller.close();
      },
      cancel() {
        cancelled = true;
      },
    },
    // One piece queued at most: memory stays bounded whatever the file size.
    { highWaterMark: 1 },
  );
}
