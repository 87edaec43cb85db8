// SSE bytes -> events, by the WHATWG rules, using eventsource-parser (never a
// hand-written parser). This file adds only the byte layer: UTF-8 decoding
// across chunk boundaries (TextDecoder also drops a leading BOM, even one
// split across chunks) and the end of the stream.

import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface SseEvent {
  /// The event name; "message" when the stream named none (as EventSource does).
  event: string;
  data: string;
  id?: string;
}

export interface SseByteParser {
  /// Feeds one chunk of the body as it arrived.
  push(chunk: Uint8Array): void;
  /// The stream ended: flushes the decoder. An event without its closing
  /// blank line is dropped, as the WHATWG rules say.
  end(): void;
}

/// `maxBufferChars` bounds what an unterminated line or event may hold, so a
/// hostile stream cannot grow memory without end; past it, parsing stops.
export function createSseByteParser(
  onEvent: (event: SseEvent) => void,
  options: { maxBufferChars?: number; onError?: (message: string) => void } = {},
): SseByteParser {
  const decoder = new TextDecoder("utf-8");
  let stopped = false;
  let lastChar = "";
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      const event: SseEvent = { event: message.event ?? "message", data: message.data };
      if (message.id !== undefined) event.id = message.id;
      onEvent(event);
    },
    onError(error) {
      if (error.type === "max-buffer-size-exceeded") {
        stopped = true;
        options.onError?.(error.message);
      }
    },
    maxBufferSize: options.maxBufferChars ?? 8 * 1024 * 1024,
  });

  const feed = (text: string) => {
    if (stopped || text === "") return;
    lastChar = text[text.length - 1]!;
    parser.feed(text);
  };

  return {
    push(chunk) {
      if (stopped) return;
      feed(decoder.decode(chunk, { stream: true }));
    },
    end() {
      feed(decoder.decode());
      // eventsource-parser holds back a final CR to see whether an LF follows.
      // At the end of the stream none will: "\r" then "\n" is one line end,
      // so feeding the LF completes that line and changes nothing else.
      if (lastChar === "\r") feed("\n");
      stopped = true;
    },
  };
}
