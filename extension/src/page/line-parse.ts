// Bytes -> lines, for the AI SDK v4 data stream (`<code>:<json>\n` per
// part). UTF-8 decoding across chunk boundaries; a line is bounded so a
// stream without newlines cannot grow memory without end.

import type { SseByteParser } from "./sse-parse";

export function createLineByteParser(
  onLine: (line: string) => void,
  options: { maxLineChars?: number; onError?: (message: string) => void } = {},
): SseByteParser {
  const max = options.maxLineChars ?? 8 * 1024 * 1024;
  const decoder = new TextDecoder("utf-8");
  let buffer = "";
  let stopped = false;

  const feed = (text: string, final: boolean): void => {
    if (stopped) return;
    buffer += text;
    let start = 0;
    for (;;) {
      const nl = buffer.indexOf("\n", start);
      if (nl < 0) break;
      const line = buffer.slice(start, buffer[nl - 1] === "\r" && nl > start ? nl - 1 : nl);
      start = nl + 1;
      if (line !== "") onLine(line);
      if (stopped) return;
    }
    buffer = buffer.slice(start);
    if (final && buffer !== "") {
      onLine(buffer);
      buffer = "";
    } else if (buffer.length > max) {
      stopped = true;
      buffer = "";
      options.onError?.(`data stream line longer than ${max} characters`);
    }
  };

  return {
    push(chunk) {
      if (!stopped) feed(decoder.decode(chunk, { stream: true }), false);
    },
    end() {
      feed(decoder.decode(), true);
      stopped = true;
    },
  };
}
