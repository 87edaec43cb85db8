// Wraps the page's XMLHttpRequest for polling (REAL-APP.md section 1: the
// page polls `/api/file/<id>` and `/api/project/<id>` when its event stream
// closes). Undetectable like the other wrappers: `window.XMLHttpRequest` is a
// Proxy of the native constructor, instances are native, and our observer is
// one more `load` listener per instance. It only reads what the page's own
// request already produced: `status`, `responseURL`, two response headers,
// and `responseText` (responseType "" / "text") or `response` ("json").

import { defineConstructor } from "./define-global";
import { isJsonType, kMaxPollBytes, onOrigin, parsePollText, tooLong } from "./poll";

export type XhrJsonObserver = (body: unknown, responseUrl: string) => void;

/// Replaces `win.XMLHttpRequest`; false (nothing changed) when there is none.
export function wrapXhr(win: typeof globalThis, observer: XhrJsonObserver): boolean {
  const Native = win.XMLHttpRequest;
  if (typeof Native !== "function") return false;
  const EventTargetProto = win.EventTarget?.prototype ?? findEventTargetProto(Native.prototype);
  if (EventTargetProto === undefined) return false;

  const pageOrigin = (): string | undefined => {
    const origin = win.location?.origin;
    return typeof origin === "string" && origin !== "null" ? origin : undefined;
  };

  const onLoad = (xhr: XMLHttpRequest): void => {
    if (xhr.status < 200 || xhr.status > 299) return;
    const url = xhr.responseURL;
    if (!onOrigin(url, pageOrigin())) return;
    if (!isJsonType(xhr.getResponseHeader("content-type")) || tooLong(xhr.getResponseHeader("content-length"))) return;
    let body: unknown;
    if (xhr.responseType === "" || xhr.responseType === "text") {
      const text = xhr.responseText;
      if (text.length > kMaxPollBytes) return;
      body = parsePollText(text);
    } else if (xhr.responseType === "json") {
      body = xhr.response; // the browser parsed it already
    } else {
      return; // blob, arraybuffer, document: not ours to read
    }
    if (body !== undefined && body !== null) observer(body, url);
  };

  const wrapped: typeof XMLHttpRequest = new Proxy(Native, {
    construct(target, args, newTarget) {
      const instance = Reflect.construct(target, args, newTarget) as XMLHttpRequest;
      try {
        const listener = (): void => {
          try {
            onLoad(instance);
          } catch {
            // never break the page
          }
        };
        const add = (EventTargetProto as unknown as { addEventListener: EventTarget["addEventListener"] }).addEventListener;
        Reflect.apply(add, instance, ["load", listener]);
      } catch {
        // never break the page
      }
      return instance;
    },
  });

  // `xhr.constructor === XMLHttpRequest` must stay true.
  defineConstructor(win, "XMLHttpRequest", Native, wrapped);
  return true;
}

/// The last prototype with an `addEventListener` of its own (EventTarget's).
function findEventTargetProto(proto: object | null): EventTarget | undefined {
  let found: object | undefined;
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.prototype.hasOwnProperty.call(p, "addEventListener")) found = p;
  }
  return found as EventTarget | undefined;
}
