// A per-origin record kept in storage.local under one key (`{[origin]:
// value}`): what AccountMemory (accounts.ts) and CookieStoreSlots
// (cookie-store.ts) remember per chat origin. Loaded once per service
// worker; every change writes the whole map, writes chained so that the last
// one carries the newest state (a failed write is dropped: the next change
// writes everything again).

import type { KeyValueStore } from "./video-queue";

export class OriginMap<T> {
  private readonly store: KeyValueStore;
  private readonly key: string;
  private readonly parse: (raw: unknown) => T | null;
  private byOrigin: Record<string, T> = {};
  private loaded: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  /// `parse` turns one saved value back into a T (null: dropped).
  constructor(store: KeyValueStore, key: string, parse: (raw: unknown) => T | null) {
    this.store = store;
    this.key = key;
    this.parse = parse;
  }

  /// Reads what an earlier service worker saved. Idempotent.
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const saved = await this.store.get<Record<string, unknown>>(this.key);
      if (typeof saved !== "object" || saved === null) return;
      for (const [origin, raw] of Object.entries(saved)) {
        const value = this.parse(raw);
        if (value !== null) this.byOrigin[origin] = value;
      }
    })();
    return this.loaded;
  }

  get(origin: string): T | undefined {
    return this.byOrigin[origin];
  }

  /// Sets (undefined: removes) `origin`'s value and saves. Synchronous up to
  /// the write, so a caller that compared with get() after load() changes
  /// what it compared.
  set(origin: string, value: T | undefined): Promise<void> {
    if (value === undefined) delete this.byOrigin[origin];
    else this.byOrigin[origin] = value;
    return this.persist();
  }

  /// Removes every origin `which` selects and saves if any was; returns them.
  async removeWhere(which: (origin: string, value: T) => boolean): Promise<string[]> {
    await this.load();
    const gone = Object.keys(this.byOrigin).filter((o) => which(o, this.byOrigin[o]));
    if (gone.length === 0) return [];
    for (const origin of gone) delete this.byOrigin[origin];
    await this.persist();
    return gone;
  }

  /// Forgets origins no longer configured.
  async keepOnly(origins: readonly string[]): Promise<void> {
    await this.removeWhere((o) => !origins.includes(o));
  }

  private persist(): Promise<void> {
    const snapshot = { ...this.byOrigin };
    this.saving = this.saving.then(() => this.store.set({ [this.key]: snapshot })).catch(() => {});
    return this.saving;
  }
}
