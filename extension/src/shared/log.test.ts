import { describe, expect, it } from "vitest";
import { createLogger, redact } from "./log";

describe("logger", () => {
  it("prints nothing until debug logging is on, then with the [vidkeep] prefix", () => {
    const lines: unknown[][] = [];
    const sink = { log: (...a: unknown[]) => lines.push(a), warn: (...a: unknown[]) => lines.push(a) };
    const log = createLogger("page", sink);
    log.debug("hidden");
    expect(lines).toEqual([]);
    log.setEnabled(true);
    log.debug("seen", 1);
    expect(lines).toEqual([["[vidkeep] page:", "seen", 1]]);
  });

  it("never prints cookies or tokens", () => {
    const lines: unknown[][] = [];
    const log = createLogger("bg", { log: (...a: unknown[]) => lines.push(a), warn: () => {} });
    log.setEnabled(true);
    log.debug({ type: "configure", server: { origin: "https://a", auth: { cookie: "authjs.session-token=SECRET" } } });
    expect(JSON.stringify(lines)).not.toContain("SECRET");
    expect(redact({ Cookie: "x", nested: [{ bearer: "y" }] })).toEqual({ Cookie: "<redacted>", nested: [{ bearer: "<redacted>" }] });
  });
});
