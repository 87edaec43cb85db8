// A fake storage.local: in memory for the background modules that take
// a KeyValueStore (VideoQueue, AccountMemory, CookieStoreSlots). Values are
// kept as JSON, so a test sees exactly what survives the real storage's
// serialization, and a module cannot keep a live reference into it.

import type { KeyValueStore } from "./video-queue";

export class MemoryStore implements KeyValueStore {
  readonly data = new Map<string, string>();
  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.data.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }
  async set(items: Record<string, unknown>): Promise<void> {
    for (const [k, v] of Object.entries(items)) this.data.set(k, JSON.stringify(v));
  }
  /// What is saved under `key`, parsed (undefined: nothing).
  saved(key: string): unknown {
    const raw = this.data.get(key);
    return raw === undefined ? undefined : JSON.parse(raw);
  }
}
