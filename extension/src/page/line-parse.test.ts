import { describe, expect, it } from "vitest";
import { createLineByteParser } from "./line-parse";

const enc = new TextEncoder();

describe("createLineByteParser", () => {
  it("splits on LF and CRLF across chunks, multi-byte characters split too, and flushes the last line", () => {
    const lines: string[] = [];
    const p = createLineByteParser((l) => lines.push(l));
    const bytes = enc.encode('0:"caf\u00e9"\r\n0:"\u{1F3A5}"\n\na:{}');
    for (let i = 0; i < bytes.length; i++) p.push(bytes.slice(i, i + 1));
    p.end();
    expect(lines).toEqual(['0:"caf\u00e9"', '0:"\u{1F3A5}"', "a:{}"]);
  });

  it("stops past the line limit instead of growing without end", () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const p = createLineByteParser((l) => lines.push(l), { maxLineChars: 10, onError: (m) => errors.push(m) });
    p.push(enc.encode("ok\n" + "x".repeat(11)));
    p.push(enc.encode("\nlater\n"));
    p.end();
    expect(lines).toEqual(["ok"]);
    expect(errors.length).toBe(1);
  });
});
