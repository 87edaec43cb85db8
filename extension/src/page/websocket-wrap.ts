// Wraps the page's WebSocket so every text message is observed while the
// page sees no difference, the way event-source-wrap.ts does for EventSource:
// `window.WebSocket` becomes a Proxy of the native constructor (statics,
// `prototype`, `name`, `length`, `instanceof` and `ws.constructor ===
// WebSocket` are the native ones) and instances are real native sockets. Our
// observer is one more `message` listener on each instance. Binary frames
// (Blob / ArrayBuffer) are never read: the observer gets strings only. The
// real app's WS version (REAL-APP.md) sends one JSON text frame per event.

import { defineConstructor } from "./define-global";

/// Called for each text message of a wrapped WebSocket.
export type WebSocketObserver = (data: string, socket: WebSocket) => void;

/// Replaces `win.WebSocket`. Returns false (and changes nothing) when the
/// window has no WebSocket.
export function wrapWebSocket(win: typeof globalThis, observer: WebSocketObserver): boolean {
  const Native = win.WebSocket;
  if (typeof Native !== "function") return false;
  const EventTargetProto = Object.getPrototypeOf(Native.prototype) as EventTarget;

  const track = (instance: WebSocket): void => {
    const listener = (event: Event): void => {
      try {
        const data = (event as MessageEvent<unknown>).data;
        if (typeof data === "string") observer(data, instance);
      } catch {
        // The page must never see our failures.
      }
    };
    // The inherited method, looked up now, so a page that instruments
    // EventTarget.prototype later still sees our call as its own.
    const add = (EventTargetProto as unknown as { addEventListener: EventTarget["addEventListener"] }).addEventListener;
    Reflect.apply(add, instance, ["message", listener]);
  };

  const wrapped: typeof WebSocket = new Proxy(Native, {
    construct(target, args, newTarget) {
      // Throws exactly what the native constructor throws (bad URL, bad protocols, …).
      const instance = Reflect.construct(target, args, newTarget) as WebSocket;
      try {
        track(instance);
      } catch {
        // never break the page
      }
      return instance;
    },
  });

  // `ws.constructor === WebSocket` must stay true.
  defineConstructor(win, "WebSocket", Native, wrapped);
  return true;
}
