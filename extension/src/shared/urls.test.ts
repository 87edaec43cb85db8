import { describe, expect, it } from "vitest";
import { httpUrl, matchPatternFor, normalizeOrigin, originOf } from "./urls";

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
});

describe("matchPatternFor / originOf", () => {
  it("drops the port (match patterns carry none in Firefox)", () => {
    expect(matchPatternFor("http://localhost:3000")).toBe("http://localhost/*");
    expect(matchPatternFor("https://chat.example.com")).toBe("https://chat.example.com/*");
  });

  it("gives the origin of http(s) URLs only", () => {
    expect(originOf("https://chat.example.com:8443/chat/1")).toBe("https://chat.example.com:8443");
    expect(originOf("chrome-extension://abc/popup.html")).toBeNull();
  });
});
