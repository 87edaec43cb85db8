// How the page wrappers (event-source-wrap, websocket-wrap, xhr-wrap,
// fetch-tee) put their Proxy in place of a native global: as a data property
// with the attributes the native one had, so `Object.getOwnPropertyDescriptor`
// tells the page nothing new. One copy, so the four cannot drift.

/// Defines `target[key] = value` with the writable / enumerable / configurable
/// of `like` (a descriptor read from the native property); a missing one gets
/// writable and configurable true, and enumerable `enumerable`.
export function defineLike(
  target: object,
  key: string,
  value: unknown,
  like: PropertyDescriptor | undefined,
  enumerable = false,
): void {
  Object.defineProperty(target, key, {
    value,
    writable: like?.writable ?? true,
    enumerable: like?.enumerable ?? enumerable,
    configurable: like?.configurable ?? true,
  });
}

/// Replaces `win[name]` with `wrapped`, keeping the slot's attributes (a
/// window without the slot gets enumerable `enumerable`).
export function defineGlobal(win: typeof globalThis, name: string, wrapped: unknown, enumerable = false): void {
  defineLike(win, name, wrapped, Object.getOwnPropertyDescriptor(win, name), enumerable);
}

/// Installs `wrapped`, a Proxy of the constructor `Native`, as `win[name]`, and
/// points `Native.prototype.constructor` at it so that `x.constructor ===
/// window[name]` stays true for the page.
export function defineConstructor(win: typeof globalThis, name: string, Native: { prototype: object }, wrapped: unknown): void {
  const ctor = Object.getOwnPropertyDescriptor(Native.prototype, "constructor");
  if (ctor !== undefined && "value" in ctor) defineLike(Native.prototype, "constructor", wrapped, ctor);
  defineGlobal(win, name, wrapped);
}
