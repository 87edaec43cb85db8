import { beforeEach, describe, expect, it, vi } from "vitest";
import { wrapXhr } from "./xhr-wrap";
import { windowWithNative } from "./test-window";

const kOrigin = "https://chat.example";

/// A stand-in for the browser's XMLHttpRequest: what the page set up, and a
/// helper that "receives" an answer and fires load like the browser does.
class FakeXhr extends EventTarget {
  static readonly UNSENT = 0;
  static readonly DONE = 4;
  responseType: XMLHttpRequestResponseType = "";
  status = 0;
  responseURL = "";
  responseText = "";
  response: unknown = "";
  onload: ((e: Event) => void) | null = null;
  private headers: Record<string, string> = {};
  textReads = 0;
  getResponseHeader(name: string): string | null {
    return this.headers[name.toLowerCase()] ?? null;
  }
  /// Test helper.
  receive(status: number, url: string, headers: Record<string, string>, body: unknown): Event {
    this.status = status;
    this.responseURL = url;
    this.headers = headers;
    if (this.responseType === "" || this.responseType === "text") {
      const text = String(body);
      Object.defineProperty(this, "responseText", { get: () => { this.textReads++; return text; }, configurable: true });
      this.response = text;
    } else {
      this.response = body;
    }
    const event = new Event("load");
    this.dispatchEvent(event);
    this.onload?.call(this, event);
    return event;
  }
}

type Win = { XMLHttpRequest: typeof XMLHttpRequest; EventTarget: typeof EventTarget; location: { origin: string } };

const freshWindow = () => windowWithNative<Win, typeof FakeXhr>("XMLHttpRequest", FakeXhr, { EventTarget, location: { origin: kOrigin } });

const record = { id: "f-1", url: "https://cdn.example/f-1.mp4", type: "video", video_generation: { prompt: "p" } };
const json = { "content-type": "application/json; charset=utf-8" };

describe("wrapXhr", () => {
  let win: Win;
  let Native: typeof FakeXhr;
  let seen: Array<[unknown, string]>;

  beforeEach(() => {
    ({ win, Native } = freshWindow());
    seen = [];
    expect(wrapXhr(win as unknown as typeof globalThis, (body, url) => seen.push([body, url]))).toBe(true);
  });

  const make = () => new win.XMLHttpRequest() as unknown as FakeXhr;

  it("keeps the constructor native-looking", () => {
    const Wrapped = win.XMLHttpRequest;
    expect(Wrapped).not.toBe(Native);
    expect(Wrapped.prototype).toBe(Native.prototype);
    expect(Wrapped.name).toBe(Native.name);
    expect(Wrapped.DONE).toBe(4);
    const xhr = new Wrapped();
    expect(xhr).toBeInstanceOf(Native);
    expect(xhr.constructor).toBe(Wrapped);
    expect(Object.getOwnPropertyNames(xhr)).toEqual(Object.getOwnPropertyNames(new Native()));
  });

  it("reads a same-origin JSON answer from responseText, and the page's handlers run as before", () => {
    const xhr = make();
    const page: string[] = [];
    xhr.onload = () => page.push(xhr.responseText);
    xhr.receive(200, `${kOrigin}/api/file/f-1`, json, JSON.stringify(record));
    expect(seen).toEqual([[record, `${kOrigin}/api/file/f-1`]]);
    expect(page).toEqual([JSON.stringify(record)]);
  });

  it("takes responseType json as the browser parsed it", () => {
    const xhr = make();
    xhr.responseType = "json";
    xhr.receive(200, `${kOrigin}/api/project/p`, json, { files: [record] });
    expect(seen).toEqual([[{ files: [record] }, `${kOrigin}/api/project/p`]]);
  });

  it.each([
    ["another origin", 200, "https://api.example/file/1", json, "text"],
    ["an error status", 500, `${kOrigin}/api/file/1`, json, "text"],
    ["HTML", 200, `${kOrigin}/api/file/1`, { "content-type": "text/html" }, "text"],
    ["a declared length over 1 MiB", 200, `${kOrigin}/api/file/1`, { ...json, "content-length": String(2 * 1024 * 1024) }, "text"],
    ["responseType blob", 200, `${kOrigin}/api/file/1`, json, "blob"],
    ["responseType arraybuffer", 200, `${kOrigin}/api/file/1`, json, "arraybuffer"],
  ] as const)("ignores %s", (_name, status, url, headers, type) => {
    const parse = vi.spyOn(JSON, "parse");
    const xhr = make();
    xhr.responseType = type;
    xhr.receive(status, url, headers, type === "text" ? JSON.stringify(record) : new Blob([JSON.stringify(record)]));
    expect(seen).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
    expect(xhr.textReads).toBe(0);
  });

  it("never parses JSON text without a url key", () => {
    const parse = vi.spyOn(JSON, "parse");
    make().receive(200, `${kOrigin}/api/history`, json, '{"chats":[]}');
    expect(parse).not.toHaveBeenCalled();
  });

  it("a throwing observer never reaches the page", () => {
    const fresh = freshWindow();
    wrapXhr(fresh.win as unknown as typeof globalThis, () => { throw new Error("bug"); });
    const xhr = new fresh.win.XMLHttpRequest() as unknown as FakeXhr;
    let loaded = false;
    xhr.addEventListener("load", () => { loaded = true; });
    expect(() => xhr.receive(200, `${kOrigin}/api/file/f`, json, JSON.stringify(record))).not.toThrow();
    expect(loaded).toBe(true);
  });

  it("does nothing without an XMLHttpRequest", () => {
    expect(wrapXhr({} as typeof globalThis, () => {})).toBe(false);
  });
});
