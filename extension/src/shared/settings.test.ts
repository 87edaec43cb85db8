import { describe, expect, it } from "vitest";
import { effectiveSettings, kDefaultSettings, pageConfigOf, sanitizeSettings } from "./settings";

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

describe("pageConfigOf", () => {
  it("carries nothing but what the page world needs", () => {
    const config = pageConfigOf({ ...kDefaultSettings, origins: ["https://a.example"], cookieNames: ["secret-name"] });
    expect(Object.keys(config).sort()).toEqual(["artifactSelector", "captureEnabled", "debugLogging", "inlineSelector"]);
  });
});
