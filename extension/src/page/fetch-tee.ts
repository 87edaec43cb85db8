// Observes the page's `fetch`:
// - responses of type text/event-stream, and AI SDK v4 data streams
//   (`x-vercel-ai-data-stream: v1`): the body is teed: the page reads one
//   branch, byte for byte what the server sent, and we parse the other (with
//   eventsource-parser, or a line splitter). The copy is cancelled when the
//   page cancels its stream or when the stream ends, so nothing is kept;
// - JSON answers on the page's own origin (polling): read from
//   `response.clone()` within 1 MiB; the page gets the very same Response;
// - the app's own `POST /api/save-message` (app-save.ts): its body is read
//   from the request (a clone), its status from the answer.
//
// The page's branch is handed out through a thin ReadableStream of our own:
// a branch of a tee cannot tell anyone that it was cancelled, and without
// that the copy would keep the connection open after the page let go.

import type { AppSaveSeen } from "../shared/messages";
import { observeSave, saveMessageBody } from "./app-save";
import { defineGlobal } from "./define-global";
import { createLineByteParser } from "./line-parse";
import { isJsonType, kMaxPollBytes, onOrigin, parsePollText, readBounded, tooLong } from "./poll";
import { createSseByteParser, type SseByteParser, type SseEvent } from "./sse-parse";

export type SseObserver = (event: SseEvent, responseUrl: string) => void;

export interface FetchObservers {
  /// One event of a text/event-stream response.
  sse: SseObserver;
  /// One line of an AI SDK v4 data stream response.
  dataStreamLine?: (line: string, responseUrl: string) => void;
  /// A parsed JSON answer on the page's own origin that may hold a file record.
  json?: (body: unknown, responseUrl: string) => void;
  /// The app's own save: "started", then "finished" with the status.
  appSave?: (save: AppSaveSeen) => void;
}

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

/// The AI SDK v4 data stream protocol marks its responses with this header.
export function isDataStream(response: Response): boolean {
  return response.headers.get("x-vercel-ai-data-stream")?.trim().toLowerCase() === "v1";
}

/// Wraps `win.fetch` in a Proxy of the native function (same name, length,
/// `this` handling and errors). Responses that are not teed are returned
/// untouched (the very same object); the page's call reaches the native
/// fetch at once, with its own arguments.
export function wrapFetch(
  win: typeof globalThis,
  observers: FetchObservers | SseObserver,
  onError?: TeeDeps["onError"],
): boolean {
  const nativeFetch = win.fetch;
  if (typeof nativeFetch !== "function") return false;
  const obs: FetchObservers = typeof observers === "function" ? { sse: observers } : observers;
  const deps: TeeDeps = { Response: win.Response, ReadableStream: win.ReadableStream };
  if (onError !== undefined) deps.onError = onError;
  const pageOrigin = (): string | undefined => {
    const origin = win.location?.origin;
    return typeof origin === "string" && origin !== "null" ? origin : undefined;
  };
  const wrapped = new Proxy(nativeFetch, {
    apply(target, thisArg, args) {
      // Before the native call: it takes a Request's body.
      let saveBody: Promise<string> | undefined;
      if (obs.appSave !== undefined) {
        try {
          saveBody = saveMessageBody(args, pageOrigin());
        } catch (err) {
          onError?.("save-message observer", err);
        }
      }
      const result = Reflect.apply(target, thisArg, args) as Promise<Response>;
      if (saveBody !== undefined && obs.appSave !== undefined) {
        try {
          observeSave(saveBody.catch(() => ""), result, obs.appSave);
        } catch (err) {
          onError?.("save-message observer", err);
        }
      }
      return result.then((response) => {
        try {
          const teed = teeResponse(response, obs, deps);
          if (teed === response && obs.json !== undefined) readJsonCopy(response, obs.json, pageOrigin(), onError);
          return teed;
        } catch (err) {
          onError?.("fetch tee", err);
          return response;
        }
      });
    },
  });
  // A window without `fetch` gets an enumerable one, like the native global.
  defineGlobal(win, "fetch", wrapped, true);
  return true;
}

/// Polling: a 2xx JSON answer on the page's origin, declared ≤ 1 MiB, is
/// read from a clone (never a second request) and handed to `observer`.
export function readJsonCopy(
  response: Response,
  observer: (body: unknown, responseUrl: string) => void,
  pageOrigin: string | undefined,
  onError?: TeeDeps["onError"],
): boolean {
  if (response.status < 200 || response.status > 299 || response.body === null || response.bodyUsed) return false;
  if (!onOrigin(response.url, pageOrigin) || !isJsonType(response.headers.get("content-type"))) return false;
  if (tooLong(response.headers.get("content-length")) || response.body.locked) return false;
  const copy = response.clone().body;
  if (copy === null) return false;
  const url = response.url;
  void readBounded(copy, kMaxPollBytes).then((text) => {
    if (text === undefined) return;
    const body = parsePollText(text);
    if (body === undefined) return;
    try {
      observer(body, url);
    } catch (err) {
      onError?.("json observer", err);
    }
  });
  return true;
}

/// Tees an SSE or v4 data stream response (see teeEventStream); returns any
/// other response itself.
export function teeResponse(response: Response, obs: FetchObservers, deps: TeeDeps): Response {
  if (isEventStream(response)) return teeEventStream(response, obs.sse, deps);
  const onLine = obs.dataStreamLine;
  if (onLine !== undefined && isDataStream(response)) {
    const url = response.url;
    return teeBody(response, deps, (stop) => createLineByteParser((line) => {
      try {
        onLine(line, url);
      } catch (err) {
        deps.onError?.("data stream observer", err);
      }
    }, { onError: (message) => { deps.onError?.("data stream parser", message); stop("vidkeep: parser limit"); } }));
  }
  return response;
}

/// When `response` is an unread text/event-stream with a body, returns a
/// Response for the page that reads the same bytes, and parses a copy;
/// otherwise returns `response` itself.
export function teeEventStream(response: Response, observer: SseObserver, deps: TeeDeps): Response {
  if (!isEventStream(response)) return response;
  const url = response.url;
  return teeBody(response, deps, (stop) => createSseByteParser(
    (event) => {
      try {
        observer(event, url);
      } catch (err) {
        deps.onError?.("sse observer", err);
      }
    },
    { onError: (message) => { deps.onError?.("sse parser", message); stop("vidkeep: parser limit"); } },
  ));
}

/// The tee itself: the page's Response reads the server's bytes unchanged;
/// the copy goes to the parser `makeParser` builds (`stop` cancels the copy).
function teeBody(response: Response, deps: TeeDeps, makeParser: (stop: (reason?: unknown) => void) => SseByteParser): Response {
  const body = response.body;
  if (body === null || response.bodyUsed || body.locked) return response;
  if (response.status < 200 || response.status > 599) return response;

  const bytes = isByteStream(body);
  const [pageBranch, copyBranch] = body.tee();
  const pageReader = pageBranch.getReader();
  const copyReader = copyBranch.getReader();

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

  void readCopy(copyReader, makeParser(stopCopy), () => copyOpen, stopCopy);

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
  parser: SseByteParser,
  isOpen: () => boolean,
  stop: (reason?: unknown) => void,
): Promise<void> {
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
