// The two languages stay in step, and every string the code asks for exists.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { kSyncStates, kVideoSources } from "./shared/protocol";

type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;
const root = join(__dirname, "..");
const load = (lang: string) => JSON.parse(readFileSync(join(root, "static", "_locales", lang, "messages.json"), "utf8")) as Messages;
const en = load("en");
const ru = load("ru");

function files(dir: string, re: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, re) : re.test(name) && !name.includes(".test.") ? [path] : [];
  });
}

describe("_locales", () => {
  it("en and ru have the same keys and placeholders", () => {
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      expect(Object.keys(ru[key]!.placeholders ?? {}), key).toEqual(Object.keys(en[key]!.placeholders ?? {}));
      expect(ru[key]!.message.trim(), key).not.toBe("");
    }
  });

  it("has every key the code and pages use", () => {
    const used = new Set<string>();
    for (const file of files(join(root, "src"), /\.ts$/)) {
      for (const m of readFileSync(file, "utf8").matchAll(/\bt\(\s*"([A-Za-z_]+)"|titleKey: "([A-Za-z_]+)"/g)) used.add(m[1] ?? m[2]!);
    }
    for (const file of files(join(root, "static"), /\.html$/)) {
      for (const m of readFileSync(file, "utf8").matchAll(/data-i18n(?:-[a-z-]+)?="([A-Za-z_]+)"/g)) used.add(m[1]!);
    }
    // keys the code builds from a value (t(`sync_${state}`), t(`source_${source}`))
    for (const state of kSyncStates) used.add(`sync_${state}`).add(`syncHint_${state}`);
    for (const source of kVideoSources) used.add(`source_${source}`);
    for (const state of ["not_cached", "downloading", "cached", "failed"]) used.add(`mediaHint_${state}`);
    used.add("extName").add("extDescription");
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !(k in en))).toEqual([]);
  });
});
