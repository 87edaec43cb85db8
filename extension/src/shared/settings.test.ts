import { describe, expect, it } from "vitest";
import { effectiveSettings, kDefaultSettings, pageConfigOf, sanitizeSettings } from "./settings";
import { matchPatternFor } from "./urls";

describe("effectiveSettings", () => {
  it("is the defaults with nothing stored", () => {
    const { settings, locked } = effectiveSettings(undefined, undefined);
    expect(settings).toEqual(kDefaultSettings);
    expect(settings.origins).toEqual([]);
    expect(settings.debugLogging).toBe(false);
    expect(locked).toEqual([]);
  });

  it("lets managed values win and locks them", () => {
    const { settings, locked } = effectiveSettings(
      { origins: ["https://mine.example"], debugLogging: true, captureEnabled: false },
      { origins: ["https://corp.example"], captureEnabled: true },
    );
    expect(settings.origins).toEqual(["https://corp.example"]);
    expect(settings.captureEnabled).toBe(true);
    expect(settings.debugLogging).toBe(true);
    expect(locked.sort()).toEqual(["captureEnabled", "origins"]);
  });

  it("ignores invalid values layer by layer", () => {
    const { settings, locked } = effectiveSettings(
      { chatIdPattern: "/c/([a-z]+)" },
      { chatIdPattern: "(unclosed", captureEnabled: "yes", cookieNames: ["ok-name", "bad name;"] },
    );
    expect(settings.chatIdPattern).toBe("/c/([a-z]+)");
    expect(settings.captureEnabled).toBe(true);
    expect(settings.cookieNames).toEqual(["ok-name"]);
    expect(locked).toEqual(["cookieNames"]);
  });
});

describe("sanitizeSettings", () => {
  it("normalizes and dedupes origins", () => {
    expect(sanitizeSettings({ origins: ["chat.example", "https://chat.example/x", "http://evil.example", 5] }))
      .toEqual({ origins: ["https://chat.example"] });
  });
});

describe("issue 13", () => {
  it("regression (finding 4): wildcard origins are dropped from stored and policy values, and listed with the reason", () => {
    const stored = { origins: ["https://chat.example", "*", "https://*.example.com", "*://x.example", "http://localhost:3000"] };
    const mine = effectiveSettings(stored, undefined);
    expect(mine.settings.origins).toEqual(["https://chat.example", "http://localhost:3000"]);
    expect(mine.settings.origins.map(matchPatternFor)).not.toContain("https://*/*");
    expect(mine.refusedOrigins).toEqual([
      { value: "*", problem: "wildcard", byPolicy: false },
      { value: "https://*.example.com", problem: "wildcard", byPolicy: false },
      { value: "*://x.example", problem: "wildcard", byPolicy: false },
    ]);

    // A policy of wildcards only: no origin at all (locked), never the person's list instead.
    const policy = effectiveSettings(stored, { origins: ["*"] });
    expect(policy.settings.origins).toEqual([]);
    expect(policy.locked).toContain("origins");
    expect(policy.refusedOrigins).toEqual([{ value: "*", problem: "wildcard", byPolicy: true }]);
  });

  it("finding 8: capture in private windows is off unless set (locally or by policy)", () => {
    expect(kDefaultSettings.capturePrivateWindows).toBe(false);
    expect(sanitizeSettings({ capturePrivateWindows: "yes" })).toEqual({});
    expect(effectiveSettings({ capturePrivateWindows: true }, undefined).settings.capturePrivateWindows).toBe(true);
    const locked = effectiveSettings({ capturePrivateWindows: true }, { capturePrivateWindows: false });
    expect(locked.settings.capturePrivateWindows).toBe(false);
    expect(locked.locked).toEqual(["capturePrivateWindows"]);
  });
});

describe("pageConfigOf", () => {
  it("carries nothing but what the page world needs", () => {
    const config = pageConfigOf({ ...kDefaultSettings, origins: ["https://a.example"], cookieNames: ["secret-name"] });
    expect(Object.keys(config).sort()).toEqual(["artifactSelector", "captureEnabled", "debugLogging", "inlineSelector"]);
  });
});
