// Wraps the page's EventSource so every message event is observed while the
// page sees no difference: `window.EventSource` becomes a Proxy of the native
// constructor, so its statics (CONNECTING, OPEN, CLOSED), `prototype`,
// `name`, `length` and `instanceof` are the native ones, and instances are
// real native EventSources. Our observer is one more listener on the
// instance: it reads `type` and `data`, never stops propagation, never throws.

import { defineConstructor, defineLike } from "./define-global";

/// Called for each message event of a wrapped EventSource (after or before
/// the page's own listeners; it must not depend on which).
export type EventSourceObserver = (type: string, data: unknown, source: EventSource) => void;

const kNotMessageEvents = new Set(["open", "error"]);

/// Replaces `win.EventSource`. Returns false (and changes nothing) when the
/// window has no EventSource.
///
/// Named events: a native EventSource only delivers an event named `foo` to
/// listeners for `foo`, and offers no way to listen to all names. So the
/// default `message` type is always observed, and every other type as soon
/// as the page adds a listener for it; names nobody listens to are never
/// delivered by the browser, to the page or to us.
export function wrapEventSource(win: typeof globalThis, observer: EventSourceObserver): boolean {
  const Native = win.EventSource;
  if (typeof Native !== "function") return false;
  const EventTargetProto = Object.getPrototypeOf(Native.prototype) as EventTarget;

  // Instances we created: the event types we observe on each, and the one
  // listener that reports them (bound to its instance, so it never depends
  // on `this` or `currentTarget`).
  const observed = new WeakMap<EventSource, { types: Set<string>; listener: (event: Event) => void }>();

  const track = (instance: EventSource): void => {
    const listener = (event: Event): void => {
      try {
        observer(event.type, (event as MessageEvent).data, instance);
      } catch {
        // The page must never see our failures.
      }
    };
    observed.set(instance, { types: new Set(), listener });
  };

  const observe = (instance: EventSource, type: string): void => {
    const entry = observed.get(instance);
    if (entry === undefined || entry.types.has(type) || kNotMessageEvents.has(type)) return;
    entry.types.add(type);
    // The inherited (EventTarget) method, looked up now so that a page that
    // instruments EventTarget.prototype later still sees our call as its own.
    const add = (EventTargetProto as unknown as { addEventListener: EventTarget["addEventListener"] })
      .addEventListener;
    Reflect.apply(add, instance, [type, entry.listener]);
  };

  const wrapped: typeof EventSource = new Proxy(Native, {
    construct(target, args, newTarget) {
      // Throws exactly what the native constructor throws (bad URL, …).
      const instance = Reflect.construct(target, args, newTarget) as EventSource;
      try {
        track(instance);
        observe(instance, "message");
      } catch {
        // never break the page
      }
      return instance;
    },
  });

  // Named events: observe a type once the page listens to it. Installed as
  // EventSource.prototype.addEventListener, delegating to whatever
  // EventTarget.prototype.addEventListener is at call time.
  // Only ever called through Reflect.apply, with the page's `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const inheritedAdd = EventTargetProto.addEventListener;
  const addEventListener = new Proxy(inheritedAdd, {
    apply(_target, thisArg: unknown, args: unknown[]): unknown {
      const current = (EventTargetProto as unknown as { addEventListener: typeof inheritedAdd }).addEventListener;
      const result: unknown = Reflect.apply(current === addEventListener ? inheritedAdd : current, thisArg, args);
      try {
        const type = args[0];
        if (typeof type === "string" && observed.has(thisArg as EventSource)) observe(thisArg as EventSource, type);
      } catch {
        // never break the page
      }
      return result;
    },
  });

  defineLike(Native.prototype, "addEventListener", addEventListener, { writable: true, enumerable: true, configurable: true });
  // `es.constructor === EventSource` must stay true.
  defineConstructor(win, "EventSource", Native, wrapped);
  return true;
}
