// Polling (REAL-APP.md section 1): when the backend closes the event stream
// the page asks `GET /api/file/<id>` and `GET /api/project/<id>` for JSON.
// This module decides which answers are worth a look and reads them within
// a bound: same origin as the page, 2xx, a JSON content type, at most 1 MiB.

export const kMaxPollBytes = 1024 * 1024;

const kJsonType = /^\s*application\/(?:[\w.+-]+\+)?json\s*(;|$)/i;

export function isJsonType(contentType: string | null): boolean {
  return contentType !== null && kJsonType.test(contentType);
}

/// True when `url` (absolute, or relative to the origin) is on `pageOrigin`.
export function onOrigin(url: string, pageOrigin: string | undefined): boolean {
  if (pageOrigin === undefined || pageOrigin === "null" || url === "") return false;
  try {
    return new URL(url, pageOrigin).origin === pageOrigin;
  } catch {
    return false;
  }
}

/// A declared length too large to read (an undeclared one is read up to the bound).
export function tooLong(contentLength: string | null): boolean {
  if (contentLength === null || contentLength.trim() === "") return false;
  const n = Number(contentLength);
  return !Number.isFinite(n) || n > kMaxPollBytes;
}

/// JSON text that may hold a file record, parsed; undefined otherwise. Only
/// text with a `"url"` key reaches JSON.parse.
export function parsePollText(text: string): unknown {
  if (text.length > kMaxPollBytes || !text.includes('"url"')) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/// Reads a body (a clone's) to its end, or gives up (cancelling it) past
/// `limit` bytes. Resolves undefined when it gave up or the body failed.
export async function readBounded(body: ReadableStream<Uint8Array>, limit = kMaxPollBytes): Promise<string | undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  let text = "";
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      if (bytes > limit) {
        reader.cancel("vidkeep: answer too large").catch(() => {});
        return undefined;
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return undefined;
  }
}
