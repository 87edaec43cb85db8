// Reading the host's cached files with `media_read` (docs/protocol-extensions.md,
// "Media cache"): at most 512 KiB per request, so one answer stays under the
// browsers' 1 MiB message limit. Used by the background's range server and
// by the popup (thumbnails, Firefox's whole-file fallback).

import {
  kMediaReadMax,
  parseMediaReadAnswer,
  type Answer,
  type MediaChunk,
  type MediaKind,
  type MediaReadRequest,
} from "./protocol";

/// Offline copies are played from `<extension base>media/<video_id>`: a path
/// not in the package, answered by the Chromium service worker
/// (background/media-server.ts).
export const kMediaPath = "media/";

export function mediaUrl(base: string, videoId: string): string {
  return `${base}${kMediaPath}${encodeURIComponent(videoId)}`;
}

/// Reads up to `length` (≤ kMediaReadMax) bytes at `offset`. Rejects with a
/// MediaReadError.
export type MediaReadFn = (offset: number, length: number) => Promise<MediaChunk>;

/// Why a read failed, as the HTTP status a range server would answer:
/// 404 not cached, 503 no host, 502 an answer that makes no sense, 413 over
/// a size limit, 499 aborted by the reader.
export class MediaReadError extends Error {
  readonly status: number;
  /// 413 only: the file's size and the limit it is over.
  readonly size: number | undefined;
  readonly limit: number | undefined;
  constructor(status: number, message: string, size?: number, limit?: number) {
    super(message);
    this.name = "MediaReadError";
    this.status = status;
    this.size = size;
    this.limit = limit;
  }
}

/// A MediaReadFn over a request function: the background's
/// `host.request` (which rejects when there is no host) or the popup's
/// `hostRequest` (which answers `ok: false` instead).
export function mediaReader(
  send: (request: MediaReadRequest) => Promise<Answer>,
  videoId: string,
  kind: MediaKind,
): MediaReadFn {
  return async (offset, length) => {
    const want = Math.max(1, Math.min(kMediaReadMax, length));
    let answer: Answer;
    try {
      answer = await send({ type: "media_read", video_id: videoId, kind, offset, length: want });
    } catch (err) {
      throw new MediaReadError(503, err instanceof Error ? err.message : String(err));
    }
    if (!answer.ok) {
      const code = answer.error?.code;
      const status = code === "not_found" ? 404 : code === "disconnected" || code === "timeout" || code === "unavailable" ? 503 : 502;
      throw new MediaReadError(status, `${String(code)}: ${String(answer.error?.message ?? "")}`);
    }
    const chunk = parseMediaReadAnswer(answer, offset, want);
    if (chunk === null) throw new MediaReadError(502, `media_read at ${offset}: the host's answer does not fit the request`);
    return chunk;
  };
}

export interface ReadWholeOptions {
  /// Refuse (413) a file larger than this, before reading more than one piece.
  maxBytes: number;
  onProgress?: (done: number, size: number) => void;
  signal?: AbortSignal;
}

/// Reads a whole file piece by piece into a Blob (each piece becomes its own
/// small Blob at once, so the pieces are not held twice).
export async function readWhole(read: MediaReadFn, options: ReadWholeOptions): Promise<Blob> {
  const parts: Blob[] = [];
  let offset = 0;
  let size = -1;
  let type = "";
  for (;;) {
    if (options.signal?.aborted) throw new MediaReadError(499, "aborted");
    const chunk = await read(offset, kMediaReadMax);
    if (options.signal?.aborted) throw new MediaReadError(499, "aborted");
    if (size === -1) {
      size = chunk.size;
      type = chunk.content_type ?? "";
      if (size > options.maxBytes) throw new MediaReadError(413, `${size} bytes, over the limit of ${options.maxBytes}`, size, options.maxBytes);
    }
    if (chunk.data.length > 0) parts.push(new Blob([chunk.data]));
    offset += chunk.data.length;
    options.onProgress?.(offset, size);
    if (offset >= size || chunk.eof) break;
    if (chunk.data.length === 0) throw new MediaReadError(502, `the file ended at ${offset} of ${size} bytes`);
  }
  if (offset < size) throw new MediaReadError(502, `the file ended at ${offset} of ${size} bytes`);
  return new Blob(parts, { type });
}
