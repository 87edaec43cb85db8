import { describe, expect, it } from "vitest";
import { checkOrigin, httpUrl, matchPatternFor, normalizeOrigin, originOf, signedUrlExpiry } from "./urls";

describe("httpUrl", () => {
  it("accepts http and https only", () => {
    expect(httpUrl("https://a.example/x")).toBe("https://a.example/x");
    expect(httpUrl("http://a.example/x")).toBe("http://a.example/x");
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "blob:https://a/1", "file:///etc/passwd", "x", "", null, 1]) {
      expect(httpUrl(bad)).toBeNull();
    }
  });

  it("resolves against a base when given one", () => {
    expect(httpUrl("/v.mp4", "https://a.example/chat/1")).toBe("https://a.example/v.mp4");
  });
});

describe("normalizeOrigin", () => {
  it("turns what people type into an origin", () => {
    expect(normalizeOrigin("chat.example.com")).toBe("https://chat.example.com");
    expect(normalizeOrigin(" https://Chat.Example.com/chat/1?x ")).toBe("https://chat.example.com");
    expect(normalizeOrigin("http://localhost:3000")).toBe("http://localhost:3000");
    expect(normalizeOrigin("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080");
  });

  it("refuses plain http off loopback, credentials and junk", () => {
    expect(normalizeOrigin("http://chat.example.com")).toBeNull();
    expect(normalizeOrigin("https://user:pw@chat.example.com")).toBeNull();
    expect(normalizeOrigin("ftp://chat.example.com")).toBeNull();
    expect(normalizeOrigin("")).toBeNull();
  });

  it("regression (issue 13, finding 4): `*` and wildcard origins are refused, and say so", () => {
    // Before, "*" became https://* and then the match pattern https://*/*.
    for (const wild of ["*", "https://*", "https://*.example.com", "*.example.com", "*://chat.example", "http://*:3000", "https://chat.*"]) {
      expect(checkOrigin(wild), wild).toEqual({ ok: false, problem: "wildcard" });
      expect(normalizeOrigin(wild), wild).toBeNull();
    }
    expect(checkOrigin("http://chat.example.com")).toEqual({ ok: false, problem: "plain_http" });
    expect(checkOrigin("https://user:pw@chat.example.com")).toEqual({ ok: false, problem: "invalid" });
    expect(checkOrigin("http://localhost:3000/chat/1")).toEqual({ ok: true, origin: "http://localhost:3000" });
  });
});

describe("matchPatternFor / originOf", () => {
  it("drops the port (match patterns carry none in Firefox)", () => {
    expect(matchPatternFor("http://localhost:3000")).toBe("http://localhost/*");
    expect(matchPatternFor("https://chat.example.com")).toBe("https://chat.example.com/*");
  });

  it("regression (issue 13, finding 4): never a pattern over many sites", () => {
    expect(() => matchPatternFor("https://*")).toThrow(/wildcard/);
    expect(() => matchPatternFor("https://*.example.com")).toThrow(/wildcard/);
  });

  it("gives the origin of http(s) URLs only", () => {
    expect(originOf("https://chat.example.com:8443/chat/1")).toBe("https://chat.example.com:8443");
    expect(originOf("chrome-extension://abc/popup.html")).toBeNull();
  });
});

describe("signedUrlExpiry", () => {
  it("reads the usual signers' expiry", () => {
    expect(signedUrlExpiry("https://b.s3.amazonaws.com/v.mp4?X-Amz-Date=20261124T100000Z&X-Amz-Expires=3600&X-Amz-Signature=ab")!.toISOString())
      .toBe("2026-11-24T11:00:00.000Z");
    expect(signedUrlExpiry("https://storage.googleapis.com/b/v.mp4?x-goog-date=20261124T100000Z&x-goog-expires=60")!.toISOString())
      .toBe("2026-11-24T10:01:00.000Z");
    expect(signedUrlExpiry("https://d.cloudfront.net/v.mp4?Expires=1795000000&Signature=x&Key-Pair-Id=k")!.getTime()).toBe(1795000000 * 1000);
    expect(signedUrlExpiry("https://a.blob.core.windows.net/c/v.mp4?sv=2022&se=2026-11-24T10%3A00%3A00Z&sig=abc")!.toISOString())
      .toBe("2026-11-24T10:00:00.000Z");
  });

  it("says nothing for plain or unreadable URLs", () => {
    expect(signedUrlExpiry("https://cdn.example/v.mp4")).toBeNull();
    expect(signedUrlExpiry("https://cdn.example/v.mp4?X-Amz-Date=yesterday&X-Amz-Expires=60")).toBeNull();
    expect(signedUrlExpiry("https://cdn.example/v.mp4?se=2026-01-01")).toBeNull(); // `se` without a SAS signature
    expect(signedUrlExpiry("not a url")).toBeNull();
  });
});
