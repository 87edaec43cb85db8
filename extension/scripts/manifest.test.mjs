import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { kDevKey, kGeckoId, manifestFor } from "./manifest.mjs";

/// Chromium's extension id: sha256 of the DER key, first 32 hex digits, 0-f -> a-p.
function chromiumId(base64Key) {
  const hex = createHash("sha256").update(Buffer.from(base64Key, "base64")).digest("hex").slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
}

describe("manifests", () => {
  it("Chromium carries the development key of PROTOCOL.md (id dcdfhfch…)", () => {
    const m = manifestFor("chromium", "1.0.0");
    expect(chromiumId(m.key)).toBe("dcdfhfchgbigephadgggjnlglgfffpgb");
    expect(m.background).toEqual({ service_worker: "sw.js" });
    expect(m.storage).toEqual({ managed_schema: "managed_schema.json" });
    expect(m.browser_specific_settings).toBeUndefined();
  });

  it("Firefox carries the gecko id and a background script", () => {
    const m = manifestFor("firefox", "1.0.0");
    expect(m.browser_specific_settings.gecko).toMatchObject({ id: kGeckoId, strict_min_version: "128.0" });
    expect(m.background).toEqual({ scripts: ["sw.js"] });
    expect(m.key).toBeUndefined();
  });

  it("both are MV3 with a strict CSP, native messaging and runtime host permissions", () => {
    for (const browser of ["chromium", "firefox"]) {
      const m = manifestFor(browser, "2.3.4");
      expect(m.manifest_version).toBe(3);
      expect(m.version).toBe("2.3.4");
      expect(m.content_security_policy).toEqual({ extension_pages: "script-src 'self'; object-src 'none'" });
      expect(m.permissions).toEqual(expect.arrayContaining(["nativeMessaging", "storage", "cookies", "scripting"]));
      expect(m.host_permissions).toBeUndefined(); // nothing until a chat origin is added
      // held videos follow their tab's URL through the host permission alone
      expect(m.permissions).not.toContain("tabs");
      expect(m.content_scripts).toBeUndefined(); // registered at runtime per origin
      expect(m.default_locale).toBe("en");
    }
    expect(kDevKey.startsWith("MIIBIjAN")).toBe(true);
  });
});
