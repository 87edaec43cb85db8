import { describe, expect, it } from "vitest";
import { chatIdFromUrl, compileChatIdPattern, isChatIdFor } from "./chat-id";

describe("chatIdFromUrl", () => {
  it("takes the id after /chat/", () => {
    expect(chatIdFromUrl("https://chat.example/chat/3f2c9a1e-0000-4000-8000-000000000001")).toBe(
      "3f2c9a1e-0000-4000-8000-000000000001",
    );
  });

  it("ignores query and fragment", () => {
    expect(chatIdFromUrl("https://chat.example/chat/abc?x=/chat/evil#/chat/evil2")).toBe("abc");
    expect(chatIdFromUrl("https://chat.example/?next=/chat/abc")).toBeUndefined();
  });

  it("has no id on other pages", () => {
    expect(chatIdFromUrl("https://chat.example/")).toBeUndefined();
    expect(chatIdFromUrl("https://chat.example/chat/")).toBeUndefined();
    expect(chatIdFromUrl("not a url")).toBeUndefined();
  });

  it("uses a configured pattern", () => {
    expect(chatIdFromUrl("https://app.example/c/xyz/settings", "^/c/([a-z]+)")).toBe("xyz");
    expect(chatIdFromUrl("https://app.example/chat/xyz", "^/c/([a-z]+)")).toBeUndefined();
  });

  it("decodes percent-escapes", () => {
    expect(chatIdFromUrl("https://chat.example/chat/a%20b")).toBe("a b");
  });
});

describe("compileChatIdPattern", () => {
  it("refuses patterns that do not compile or have no group", () => {
    expect(compileChatIdPattern("/chat/(")).toBeNull();
    expect(compileChatIdPattern("/chat/[^/]+")).toBeNull();
    expect(compileChatIdPattern("/chat/([^/]+)")).not.toBeNull();
  });
});

describe("isChatIdFor", () => {
  it("accepts what the pattern would read from a URL", () => {
    expect(isChatIdFor("3f2c9a1e-aaaa-4bbb-8ccc-000000000001")).toBe(true);
    expect(isChatIdFor("c-1", "^/c/([a-z0-9-]+)$")).toBe(true);
  });

  it("refuses ids the pattern would not yield, or that are not one path segment", () => {
    expect(isChatIdFor("C_1", "^/c/([a-z0-9-]+)$")).toBe(false);
    for (const bad of ["", "a/b", "a?b", "a#b", "a b", "..%2f", "x".repeat(201), 5, null]) expect(isChatIdFor(bad), String(bad)).toBe(false);
  });

  it("falls back to the one-segment rule for a pattern without a literal path", () => {
    expect(isChatIdFor("abc", "(?:/chat|/c)/([^/]+)")).toBe(true);
    expect(isChatIdFor("a/b", "(?:/chat|/c)/([^/]+)")).toBe(false);
  });
});
