// Observes `fetch` responses of type text/event-stream. The body is teed: the
// page reads one branch, byte for byte what the server sent, and we parse the
// other with eventsource-parser. The copy is cancelled when the page cancels
// its stream or when the stream ends, so nothing is kept.
//
// The page's branch is handed out through a thin ReadableStream of our own:
// a branch of a tee cannot tell anyone that it was cancelled, and without
// that the copy would keep the connection open after the page let go.

import { createSseByteParser, type SseEvent } from "./sse-parse";

export type SseObserver = (event: SseEvent, responseUrl: string) => void;

export interface TeeDeps {
  Response: typeof Response;
  ReadableStream: typeof ReadableStream;
  onError?: (what: string, err: unknown) => void;
}

const kEventStream = /^\s*text\/event-stream\s*(;|$)/i;

export function isEventStream(response: Response): boolean {
  const type = response.headers.get("content-type");
  return type !== null && kEventStream.test(type);
}

/// Wraps `win.fetch` in a Proxy of the native function (same name, length,
/// `this` handling and errors). Non-SSE responses are returned untouched
/// (the very same object).
export function wrapFetch(win: typeof globalThis, observer: SseObserver, onError?: TeeDeps["onError"]): boolean {
  const nativeFetch = win.fetch;
  if (typeof nativeFetch !== "function") return false;
  const deps: TeeDeps = { Response: win.Response, ReadableStream: win.ReadableStream };
  if (onError !== undefined) deps.onError = onError;
  const wrapped = new Proxy(nativeFetch, {
    apply(target, thisArg, args) {
      const result = Reflect.apply(target, thisArg, args) as Promise<Response>;
      return result.then((response) => {
        try {
          return teeEventStream(response, observer, deps);
        } catch (err) {
          onError?.("fetch tee", err);
          return response;
        }
      });
    },
  });
  const slot = Object.getOwnPropertyDescriptor(win, "fetch");
  Object.defineProperty(win, "fetch", {
    value: wrapped,
    writable: slot?.writable ?? true,
    enumerable: slot?.enumerable ?? true,
    configurable: slot?.configurable ?? true,
  });
  return true;
}

/// When `response` is an unread text/event-stream with a body, returns a
/// Response for the page that reads the same bytes, and parses a copy;
/// otherwise returns `response` itself.
export function teeEventStream(response: Response, observer: SseObserver, deps: TeeDeps): Response {
  const body = response.body;
  if (body === null || !isEventStream(response) || response.bodyUsed || body.locked) return response;
  if (response.status < 200 || response.status > 599) return response;

  const bytes = isByteStream(body);
  const [pageBranch, copyBranch] = body.tee();
  const pageReader = pageBranch.getReader();
  const copyReader = copyBranch.getReader();
  const responseUrl = response.url;

  let copyOpen = true;
  const stopCopy = (reason?: unknown): void => {
    if (!copyOpen) return;
    copyOpen = false;
    copyReader.cancel(reason).catch(() => {});
  };

  const source: Omit<UnderlyingDefaultSource<Uint8Array>, "type"> & { type?: "bytes" } = {
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await pageReader.read();
          if (done) {
            controller.close();
            // A pending BYOB read needs this to settle after close().
            (controller as unknown as ReadableByteStreamController).byobRequest?.respond(0);
            return;
          }
          // A byte stream refuses empty chunks; a default stream passes them.
          if (bytes && value.byteLength === 0) continue;
          controller.enqueue(value);
          return;
        }
      } catch (err) {
        controller.error(err);
        stopCopy(err);
      }
    },
    cancel(reason) {
      stopCopy(reason);
      return pageReader.cancel(reason);
    },
  };
  if (bytes) source.type = "bytes";
  const pageStream = new deps.ReadableStream(source as UnderlyingDefaultSource<Uint8Array>, { highWaterMark: 0 });

  void readCopy(copyReader, observer, responseUrl, () => copyOpen, stopCopy, deps.onError);

  const out = new deps.Response(pageStream, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  // A constructed Response has no url and type "default"; show the page the
  // original's.
  for (const key of ["url", "redirected", "type"] as const) {
    Object.defineProperty(out, key, { get: () => response[key], enumerable: false, configurable: true });
  }
  return out;
}

async function readCopy(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  observer: SseObserver,
  responseUrl: string,
  isOpen: () => boolean,
  stop: (reason?: unknown) => void,
  onError?: TeeDeps["onError"],
): Promise<void> {
  const parser = createSseByteParser(
    (event) => {
      try {
        observer(event, responseUrl);
      } catch (err) {
        onError?.("sse observer", err);
      }
    },
    { onError: (message) => { onError?.("sse parser", message); stop("vidkeep: parser limit"); } },
  );
  try {
    while (isOpen()) {
      const { done, value } = await reader.read();
      if (done) {
        parser.end();
        break;
      }
      parser.push(value);
    }
  } catch {
    // The stream errored (aborted, network): the page sees that on its branch.
  } finally {
    stop();
  }
}

/// True when `stream` is a byte stream (fetch bodies are, in current
/// browsers). Probing takes a BYOB reader and releases it at once.
function isByteStream(stream: ReadableStream<Uint8Array>): boolean {
  try {
    const reader = stream.getReader({ mode: "byob" });
    reader.releaseLock();
    return true;
  } catch {
    return false;
  }
}
