import { beforeEach, describe, expect, it } from "vitest";
import { wrapEventSource } from "./event-source-wrap";
import { windowWithNative } from "./test-window";

/// A stand-in for the browser's EventSource: an EventTarget with the same
/// statics and an `onmessage` event handler attribute.
class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly url: string;
  readyState = 0;
  private handler: ((e: MessageEvent) => void) | null = null;
  private readonly invokeHandler = (e: Event) => this.handler?.call(this, e as MessageEvent);
  private handlerAttached = false;

  constructor(url: string) {
    super();
    if (url.startsWith("bad")) throw new SyntaxError("Failed to construct 'EventSource': bad URL");
    this.url = url;
  }
  get onmessage() {
    return this.handler;
  }
  set onmessage(fn) {
    this.handler = fn;
    if (!this.handlerAttached) {
      this.handlerAttached = true;
      EventTarget.prototype.addEventListener.call(this, "message", this.invokeHandler);
    }
  }
  close() {
    this.readyState = 2;
  }
  /// Test helper: the server sent an event.
  emit(type: string, data: string): MessageEvent {
    const event = new MessageEvent(type, { data });
    this.dispatchEvent(event);
    return event;
  }
}

type Win = { EventSource: typeof EventSource };

// A new Native subclass per test, so prototype patches never leak between tests.
const freshWindow = () => windowWithNative<Win, typeof FakeEventSource>("EventSource", FakeEventSource);

/// What the page's own listeners see, for one scripted session.
function pageSession(Ctor: typeof EventSource) {
  const seen: Array<[string, string, string, unknown]> = [];
  const es = new Ctor("https://chat.example/api/events/project.1") as unknown as FakeEventSource;
  es.addEventListener("message", (e) => seen.push(["listener", e.type, (e as MessageEvent).data, e]));
  es.onmessage = (e) => seen.push(["onmessage", e.type, e.data, e]);
  es.addEventListener("status", (e) => seen.push(["status", e.type, (e as MessageEvent).data, e]));
  const removed = (e: Event) => seen.push(["removed", e.type, (e as MessageEvent).data, e]);
  es.addEventListener("message", removed);
  es.removeEventListener("message", removed);
  const dispatched = [
    es.emit("message", '{"type":"file","object":{"url":"https://c/v.mp4"}}'),
    es.emit("status", "running"),
    es.emit("unheard", "nobody listens"),
    es.emit("message", "plain"),
  ];
  return { seen, dispatched, es };
}

describe("wrapEventSource", () => {
  let win: Win;
  let Native: typeof FakeEventSource;
  let observed: Array<[string, unknown]>;

  beforeEach(() => {
    ({ win, Native } = freshWindow());
    observed = [];
    expect(wrapEventSource(win as unknown as typeof globalThis, (type, data) => observed.push([type, data]))).toBe(true);
  });

  it("keeps statics, prototype, name, length and instanceof", () => {
    const Wrapped = win.EventSource;
    expect(Wrapped).not.toBe(Native);
    expect(Wrapped.CONNECTING).toBe(0);
    expect(Wrapped.OPEN).toBe(1);
    expect(Wrapped.CLOSED).toBe(2);
    expect(Wrapped.prototype).toBe(Native.prototype);
    expect(Wrapped.name).toBe(Native.name);
    expect(Wrapped.length).toBe(Native.length);
    const es = new Wrapped("https://chat.example/e");
    expect(es).toBeInstanceOf(Wrapped);
    expect(es).toBeInstanceOf(Native);
    expect(Object.getPrototypeOf(es)).toBe(Wrapped.prototype);
    expect(es.constructor).toBe(Wrapped);
    expect(Object.getOwnPropertyNames(es)).toEqual(Object.getOwnPropertyNames(new Native("https://chat.example/e")));
    expect(Object.getOwnPropertyDescriptor(win, "EventSource")).toMatchObject({ writable: true, enumerable: false, configurable: true });
  });

  it("page listeners see exactly what they saw without the wrapper", () => {
    const withWrapper = pageSession(win.EventSource);
    const { Native: Plain } = freshWindow();
    const without = pageSession(Plain as unknown as typeof EventSource);
    const strip = (s: typeof withWrapper) => s.seen.map(([who, type, data]) => [who, type, data]);
    expect(strip(withWrapper)).toEqual(strip(without));
    expect(strip(withWrapper)).toEqual([
      ["listener", "message", '{"type":"file","object":{"url":"https://c/v.mp4"}}'],
      ["onmessage", "message", '{"type":"file","object":{"url":"https://c/v.mp4"}}'],
      ["status", "status", "running"],
      ["listener", "message", "plain"],
      ["onmessage", "message", "plain"],
    ]);
    // The very event objects that were dispatched, not copies.
    expect(withWrapper.seen[0][3]).toBe(withWrapper.dispatched[0]);
    expect(withWrapper.seen[2][3]).toBe(withWrapper.dispatched[1]);
  });

  it("observes default messages and the named events the page listens to", () => {
    pageSession(win.EventSource);
    expect(observed).toEqual([
      ["message", '{"type":"file","object":{"url":"https://c/v.mp4"}}'],
      ["status", "running"],
      ["message", "plain"],
    ]);
  });

  it("observes default messages with no page listener at all", () => {
    const es = new win.EventSource("https://chat.example/e") as unknown as FakeEventSource;
    es.emit("message", "x");
    expect(observed).toEqual([["message", "x"]]);
  });

  it("starts observing a named event once the page adds a listener, once per type", () => {
    const es = new win.EventSource("https://chat.example/e") as unknown as FakeEventSource;
    es.emit("video", "before");
    const a = () => {};
    es.addEventListener("video", a);
    es.addEventListener("video", () => {});
    es.emit("video", "after");
    expect(observed).toEqual([["video", "after"]]);
  });

  it("does not treat open and error as messages", () => {
    const es = new win.EventSource("https://chat.example/e") as unknown as FakeEventSource;
    es.addEventListener("open", () => {});
    es.addEventListener("error", () => {});
    es.dispatchEvent(new Event("open"));
    es.dispatchEvent(new Event("error"));
    expect(observed).toEqual([]);
  });

  it("a throwing observer never reaches the page", () => {
    const fresh = freshWindow();
    wrapEventSource(fresh.win as unknown as typeof globalThis, () => {
      throw new Error("boom");
    });
    const { seen } = pageSession(fresh.win.EventSource);
    expect(seen.map((s) => s[0])).toEqual(["listener", "onmessage", "status", "listener", "onmessage"]);
  });

  it("throws what the native constructor throws", () => {
    expect(() => new win.EventSource("bad://")).toThrow(SyntaxError);
    // Called without new: the native TypeError, unchanged.
    expect(() => (win.EventSource as unknown as (u: string) => unknown)("https://x")).toThrow(TypeError);
  });

  it("observes instances of page subclasses too", () => {
    class Mine extends win.EventSource {}
    const es = new Mine("https://chat.example/e") as unknown as FakeEventSource;
    expect(es).toBeInstanceOf(Mine);
    es.emit("message", "sub");
    expect(observed).toEqual([["message", "sub"]]);
  });

  it("uses a later page patch of EventTarget.prototype.addEventListener", () => {
    const original = EventTarget.prototype.addEventListener;
    const calls: string[] = [];
    EventTarget.prototype.addEventListener = function (this: EventTarget, ...args: Parameters<typeof original>) {
      calls.push(String(args[0]));
      return original.apply(this, args);
    };
    try {
      const es = new win.EventSource("https://chat.example/e");
      es.addEventListener("status", () => {});
      expect(calls).toContain("status");
    } finally {
      EventTarget.prototype.addEventListener = original;
    }
  });

  it("does nothing without an EventSource", () => {
    expect(wrapEventSource({} as typeof globalThis, () => {})).toBe(false);
  });
});
