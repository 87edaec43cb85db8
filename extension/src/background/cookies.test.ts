import { describe, expect, it } from "vitest";
import { chunkIndex, cookieAppliesToOrigin, isSessionCookieName, sessionCookieHeader, type CookieLike } from "./cookies";

const names = ["authjs.session-token", "__Secure-authjs.session-token"];
const c = (name: string, value: string, extra: Partial<CookieLike> = {}): CookieLike => ({ name, value, domain: "chat.example", ...extra });

describe("session cookies", () => {
  it("recognizes the configured names and their chunks only", () => {
    expect(chunkIndex("authjs.session-token", "authjs.session-token")).toBe(-1);
    expect(chunkIndex("authjs.session-token.0", "authjs.session-token")).toBe(0);
    expect(chunkIndex("authjs.session-token.12", "authjs.session-token")).toBe(12);
    expect(chunkIndex("authjs.session-token.x", "authjs.session-token")).toBeUndefined();
    expect(chunkIndex("authjs.session-tokenX", "authjs.session-token")).toBeUndefined();
    expect(isSessionCookieName("authjs.csrf-token", names)).toBe(false);
    expect(isSessionCookieName("__Secure-authjs.session-token.1", names)).toBe(true);
  });

  it("builds a Cookie header with chunks in numeric order", () => {
    const header = sessionCookieHeader(
      [
        c("theme", "dark"),
        c("__Secure-authjs.session-token.10", "K"),
        c("__Secure-authjs.session-token.1", "B"),
        c("__Secure-authjs.session-token.0", "A"),
        c("authjs.csrf-token", "csrf"),
      ],
      names,
    );
    expect(header).toBe("__Secure-authjs.session-token.0=A; __Secure-authjs.session-token.1=B; __Secure-authjs.session-token.10=K");
  });

  it("sends the unchunked cookie and keeps the first of duplicate names", () => {
    expect(sessionCookieHeader([c("authjs.session-token", "long-path"), c("authjs.session-token", "root")], names))
      .toBe("authjs.session-token=long-path");
  });

  it("is undefined without a session cookie", () => {
    expect(sessionCookieHeader([c("theme", "dark")], names)).toBeUndefined();
    expect(sessionCookieHeader([c("authjs.session-token", "x")], [])).toBeUndefined();
  });

  it("follows custom names", () => {
    expect(sessionCookieHeader([c("next-auth.session-token", "n"), c("authjs.session-token", "a")], ["next-auth.session-token"]))
      .toBe("next-auth.session-token=n");
  });
});

describe("cookieAppliesToOrigin", () => {
  it("matches host-only cookies exactly and domain cookies by suffix", () => {
    expect(cookieAppliesToOrigin(c("a", "1", { hostOnly: true }), "https://chat.example")).toBe(true);
    expect(cookieAppliesToOrigin(c("a", "1", { hostOnly: true }), "https://sub.chat.example")).toBe(false);
    expect(cookieAppliesToOrigin(c("a", "1", { domain: ".chat.example" }), "https://sub.chat.example")).toBe(true);
    expect(cookieAppliesToOrigin(c("a", "1", { domain: ".chat.example" }), "https://evilchat.example")).toBe(false);
  });

  it("does not send secure cookies to plain http (except loopback)", () => {
    expect(cookieAppliesToOrigin(c("a", "1", { domain: "localhost", secure: true }), "http://localhost:3000")).toBe(true);
    expect(cookieAppliesToOrigin(c("a", "1", { secure: true }), "http://chat.example")).toBe(false);
  });
});
