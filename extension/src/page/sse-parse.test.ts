import { describe, expect, it } from "vitest";
import { createSseByteParser, type SseEvent } from "./sse-parse";

const enc = new TextEncoder();

function parseChunks(chunks: Uint8Array[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createSseByteParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  parser.end();
  return events;
}

const parse = (text: string | Uint8Array) => parseChunks([typeof text === "string" ? enc.encode(text) : text]);

describe("SSE framing (WHATWG rules through eventsource-parser)", () => {
  it("reads LF, CRLF and CR line ends alike", () => {
    const expected = [{ event: "message", data: "one" }, { event: "message", data: "two" }];
    expect(parse("data: one\n\ndata: two\n\n")).toEqual(expected);
    expect(parse("data: one\r\n\r\ndata: two\r\n\r\n")).toEqual(expected);
    expect(parse("data: one\r\rdata: two\r\r")).toEqual(expected);
    expect(parse("data: one\r\n\rdata: two\n\r\n")).toEqual(expected);
  });

  it("drops a leading UTF-8 BOM", () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode("data: x\n\n")]);
    expect(parse(bom)).toEqual([{ event: "message", data: "x" }]);
  });

  it("keeps a BOM that is not at the start of the stream as data", () => {
    expect(parse("data: a\uFEFFb\n\n")).toEqual([{ event: "message", data: "a\uFEFFb" }]);
  });

  it("ignores comments", () => {
    expect(parse(": keep-alive\n\n:another\ndata: x\n: mid\n\n")).toEqual([{ event: "message", data: "x" }]);
  });

  it("joins multi-line data with LF", () => {
    expect(parse("data: {\"a\":\ndata: 1}\ndata\n\n")).toEqual([{ event: "message", data: "{\"a\":\n1}\n" }]);
  });

  it("carries the event name and id", () => {
    expect(parse("event: done\nid: 7\ndata: x\n\n")).toEqual([{ event: "done", id: "7", data: "x" }]);
  });

  it("does not dispatch an event whose blank line never came", () => {
    expect(parse("data: complete\n\ndata: cut off\n")).toEqual([{ event: "message", data: "complete" }]);
    expect(parse("data: cut off")).toEqual([]);
  });

  // Regression: eventsource-parser waits after a final CR for a possible LF;
  // at the end of the stream none comes, and the event must still go out.
  it("dispatches the last event of a stream that ends in CR", () => {
    expect(parse("data: last\r\r")).toEqual([{ event: "message", data: "last" }]);
  });

  it("stops at its buffer limit instead of growing without end", () => {
    const errors: string[] = [];
    const events: SseEvent[] = [];
    const parser = createSseByteParser((e) => events.push(e), { maxBufferChars: 64, onError: (m) => errors.push(m) });
    parser.push(enc.encode(`data: ${"x".repeat(200)}`));
    parser.push(enc.encode("\n\ndata: after\n\n"));
    parser.end();
    expect(errors.length).toBe(1);
    expect(events).toEqual([]);
  });
});

describe("an event split across chunks", () => {
  // BOM, CRLF, a CR-only line end, a comment, a named event, multi-line data
  // and multi-byte UTF-8 (2, 3 and 4 bytes) that a split can cut in half.
  const stream = new Uint8Array([
    0xef, 0xbb, 0xbf,
    ...enc.encode(
      ": hello\r\n" +
        'data: {"type":"file","object":{"url":"https://c.example/v/кот.mp4",\r\n' +
        'data: "video_generation":{"prompt":"кот на волне 🌊 €"}}}\r\n\r\n' +
        "event: status\rdata: done\r\r" +
        "id: 9\ndata: tail\n\n",
    ),
  ]);
  const whole = parse(stream);

  it("parses the whole stream as expected", () => {
    expect(whole).toEqual([
      {
        event: "message",
        data: '{"type":"file","object":{"url":"https://c.example/v/кот.mp4",\n"video_generation":{"prompt":"кот на волне 🌊 €"}}}',
      },
      { event: "status", data: "done" },
      { event: "message", id: "9", data: "tail" },
    ]);
  });

  it("gives the same events for a split at every byte offset", () => {
    for (let i = 0; i <= stream.length; i++) {
      const events = parseChunks([stream.slice(0, i), stream.slice(i)]);
      expect(events, `split at byte ${i}`).toEqual(whole);
    }
  });

  it("gives the same events for every pair of split points", () => {
    for (let i = 0; i <= stream.length; i += 3) {
      for (let j = i; j <= stream.length; j += 5) {
        const events = parseChunks([stream.slice(0, i), stream.slice(i, j), stream.slice(j)]);
        expect(events, `split at ${i} and ${j}`).toEqual(whole);
      }
    }
  });

  it("gives the same events one byte at a time", () => {
    expect(parseChunks(Array.from(stream, (b) => new Uint8Array([b])))).toEqual(whole);
  });
});
