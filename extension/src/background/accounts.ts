// Who was last signed in on each chat origin (docs/protocol-extensions.md,
// "video.account"). Learned from `configure` answers the host checked; a
// capture is stamped with the last account seen on its origin, so a video
// that arrives after the session lapsed still names the person who made it,
// and a different person's sign-in counts only from the moment it is seen.
// Kept in storage.local as ids and labels only, never cookie values.

import { parseAccount, type Account, type ConfiguredAccount } from "../shared/protocol";
import type { KeyValueStore } from "./video-queue";

/// The storage.local key: `{[origin]: {id, label?}}`.
export const kLastAccountStorageKey = "lastAccount";

export class AccountMemory {
  private readonly store: KeyValueStore;
  private byOrigin: Record<string, Account> = {};
  private loaded: Promise<void> | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(store: KeyValueStore) {
    this.store = store;
  }

  /// Reads what an earlier service worker learned. Idempotent.
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const saved = await this.store.get<Record<string, unknown>>(kLastAccountStorageKey);
      if (typeof saved !== "object" || saved === null) return;
      for (const [origin, raw] of Object.entries(saved)) {
        const account = parseAccount(raw);
        if (account !== null) this.byOrigin[origin] = account;
      }
    })();
    return this.loaded;
  }

  /// The last account seen on `origin`, if any.
  get(origin: string): Account | undefined {
    const account = this.byOrigin[origin];
    return account === undefined ? undefined : { ...account };
  }

  /// Takes what a `configure` answer said. Only a checked, present account
  /// changes anything: "nobody" (a lapsed session) and "unknown" keep the
  /// last person. Returns whether the account changed.
  async learn(origin: string, configured: ConfiguredAccount): Promise<boolean> {
    await this.load();
    if (!configured.checked || configured.account === null) return false;
    const next: Account = { id: configured.account.id };
    if (configured.account.label !== undefined) next.label = configured.account.label;
    const before = this.byOrigin[origin];
    if (before !== undefined && before.id === next.id && before.label === next.label) return false;
    this.byOrigin[origin] = next;
    await this.persist();
    return true;
  }

  /// Forgets origins no longer configured.
  async keepOnly(origins: readonly string[]): Promise<void> {
    await this.load();
    const gone = Object.keys(this.byOrigin).filter((o) => !origins.includes(o));
    if (gone.length === 0) return;
    for (const origin of gone) delete this.byOrigin[origin];
    await this.persist();
  }

  /// Writes are chained so that the last one carries the newest state.
  private persist(): Promise<void> {
    const snapshot = { ...this.byOrigin };
    this.saving = this.saving.then(() => this.store.set({ [kLastAccountStorageKey]: snapshot })).catch(() => {});
    return this.saving;
  }
}
