import { beforeEach, describe, expect, it } from "vitest";
import { wrapWebSocket } from "./websocket-wrap";
import { windowWithNative } from "./test-window";

/// A stand-in for the browser's WebSocket: an EventTarget with the same
/// statics, an `onmessage` handler attribute and `binaryType`.
class FakeWebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly url: string;
  readonly protocol: string;
  binaryType: "blob" | "arraybuffer" = "blob";
  readyState = 0;
  sent: unknown[] = [];
  private handler: ((e: MessageEvent) => void) | null = null;
  private attached = false;

  constructor(url: string, protocols?: string | string[]) {
    super();
    if (!url.startsWith("ws")) throw new SyntaxError("Failed to construct 'WebSocket': The URL's scheme must be either 'ws' or 'wss'.");
    this.url = url;
    this.protocol = Array.isArray(protocols) ? (protocols[0] ?? "") : (protocols ?? "");
  }
  get onmessage() {
    return this.handler;
  }
  set onmessage(fn) {
    this.handler = fn;
    if (!this.attached) {
      this.attached = true;
      EventTarget.prototype.addEventListener.call(this, "message", (e) => this.handler?.call(this, e as MessageEvent));
    }
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  /// Test helper: the server sent a frame.
  emit(data: unknown): MessageEvent {
    const event = new MessageEvent("message", { data });
    this.dispatchEvent(event);
    return event;
  }
}

type Win = { WebSocket: typeof WebSocket };

const freshWindow = () => windowWithNative<Win, typeof FakeWebSocket>("WebSocket", FakeWebSocket);

/// A binary frame whose contents must never be read.
function untouchableBlob() {
  const reads: string[] = [];
  const blob = new Blob(["{\"type\":\"file\"}"]);
  for (const method of ["text", "arrayBuffer", "stream", "slice", "bytes"] as const) {
    Object.defineProperty(blob, method, { value: () => { reads.push(method); return Promise.resolve(""); } });
  }
  return { blob, reads };
}

function pageSession(Ctor: typeof WebSocket) {
  const seen: Array<[string, unknown, Event]> = [];
  const ws = new Ctor("wss://backend.example/api/v1/ws/project.1") as unknown as FakeWebSocket;
  ws.onmessage = (e) => seen.push(["onmessage", e.data, e]);
  ws.addEventListener("message", (e) => seen.push(["listener", (e as MessageEvent).data, e]));
  const buffer = new ArrayBuffer(4);
  const dispatched = [
    ws.emit('{"type":"file","object":{"url":"https://c/v.mp4","type":"video"}}'),
    ws.emit(buffer),
    ws.emit("ping"),
  ];
  return { seen, dispatched, ws, buffer };
}

describe("wrapWebSocket", () => {
  let win: Win;
  let Native: typeof FakeWebSocket;
  let observed: string[];

  beforeEach(() => {
    ({ win, Native } = freshWindow());
    observed = [];
    expect(wrapWebSocket(win as unknown as typeof globalThis, (data) => observed.push(data))).toBe(true);
  });

  it("keeps statics, prototype, name, length, instanceof and constructor", () => {
    const Wrapped = win.WebSocket;
    expect(Wrapped).not.toBe(Native);
    expect([Wrapped.CONNECTING, Wrapped.OPEN, Wrapped.CLOSING, Wrapped.CLOSED]).toEqual([0, 1, 2, 3]);
    expect(Wrapped.prototype).toBe(Native.prototype);
    expect(Wrapped.name).toBe(Native.name);
    expect(Wrapped.length).toBe(Native.length);
    const ws = new Wrapped("wss://backend.example/ws", ["v1"]);
    expect(ws).toBeInstanceOf(Wrapped);
    expect(ws).toBeInstanceOf(Native);
    expect(Object.getPrototypeOf(ws)).toBe(Wrapped.prototype);
    expect(ws.constructor).toBe(Wrapped);
    expect(ws.protocol).toBe("v1");
    expect(Object.getOwnPropertyNames(ws)).toEqual(Object.getOwnPropertyNames(new Native("wss://backend.example/ws")));
    expect(Object.getOwnPropertyDescriptor(win, "WebSocket")).toMatchObject({ writable: true, enumerable: false, configurable: true });
  });

  it("page listeners see exactly the events they saw without the wrapper", () => {
    const withWrapper = pageSession(win.WebSocket);
    const without = pageSession(freshWindow().Native as unknown as typeof WebSocket);
    const strip = (s: typeof withWrapper) => s.seen.map(([who, data]) => [who, data instanceof ArrayBuffer ? "buffer" : data]);
    expect(strip(withWrapper)).toEqual(strip(without));
    expect(withWrapper.seen[0][2]).toBe(withWrapper.dispatched[0]);
    expect(withWrapper.seen[2][1]).toBe(withWrapper.buffer); // the very same binary data
  });

  it("observes text frames only; binary frames are never read", () => {
    const ws = new win.WebSocket("wss://backend.example/ws") as unknown as FakeWebSocket;
    const { blob, reads } = untouchableBlob();
    ws.emit(blob);
    ws.emit(new ArrayBuffer(16));
    ws.emit('{"type":"task"}');
    expect(observed).toEqual(['{"type":"task"}']);
    expect(reads).toEqual([]);
  });

  it("observes sockets without any page listener, and page subclasses", () => {
    const ws = new win.WebSocket("wss://backend.example/ws") as unknown as FakeWebSocket;
    ws.emit("a");
    class Mine extends win.WebSocket {}
    const sub = new Mine("wss://backend.example/ws") as unknown as FakeWebSocket;
    sub.emit("b");
    expect(observed).toEqual(["a", "b"]);
  });

  it("a throwing observer never reaches the page", () => {
    const fresh = freshWindow();
    wrapWebSocket(fresh.win as unknown as typeof globalThis, () => {
      throw new Error("boom");
    });
    const { seen } = pageSession(fresh.win.WebSocket);
    expect(seen.map((s) => s[0])).toEqual(["onmessage", "listener", "onmessage", "listener", "onmessage", "listener"]);
  });

  it("throws what the native constructor throws", () => {
    expect(() => new win.WebSocket("https://backend.example/ws")).toThrow(SyntaxError);
    expect(() => (win.WebSocket as unknown as (u: string) => unknown)("wss://x")).toThrow(TypeError);
  });

  it("does nothing without a WebSocket", () => {
    expect(wrapWebSocket({} as typeof globalThis, () => {})).toBe(false);
  });
});
