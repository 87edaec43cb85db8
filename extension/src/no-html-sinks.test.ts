// Page-supplied text must never be parsed as HTML. This guard fails the
// build if an HTML sink appears anywhere in the extension's sources.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname);
const sinks = /\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment|\beval\(|new Function\(/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

describe("no HTML sinks", () => {
  it("no source file assigns innerHTML/outerHTML or evaluates strings", () => {
    const offenders = sources(root).filter((file) => sinks.test(readFileSync(file, "utf8")));
    expect(offenders).toEqual([]);
    expect(sources(root).length).toBeGreaterThan(20); // the walk found the sources
  });
});
