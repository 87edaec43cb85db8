// Test helper: makes happy-dom's window.postMessage behave like a browser's
// for our purposes (asynchronous, `event.source === window`).
export function browserLikePostMessage(win: Window): () => void {
  const original = win.postMessage;
  win.postMessage = ((data: unknown) => {
    setTimeout(() => win.dispatchEvent(new MessageEvent("message", { data, source: win, origin: win.location.origin })), 0);
  }) as Window["postMessage"];
  return () => {
    win.postMessage = original;
  };
}

export const flush = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/// The least EventSource the page-world tests need: the native statics, and
/// `emit` to deliver one `message` event as the server would.
export class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  constructor(readonly url: string) {
    super();
  }
  emit(data: string) {
    this.dispatchEvent(new MessageEvent("message", { data }));
  }
}

/// A bare window for the wrapper tests: `name` holds a new subclass of
/// `Fake` (one per call, so prototype patches never leak between tests),
/// defined as a browser defines it (writable, configurable, not enumerable);
/// `extra` are the window's other fields.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function windowWithNative<W, C extends new (...args: any[]) => object>(name: string, Fake: C, extra: object = {}): { win: W; Native: C } {
  const Native = class extends Fake {};
  const win = { ...extra };
  Object.defineProperty(win, name, { value: Native, writable: true, enumerable: false, configurable: true });
  return { win: win as W, Native };
}
