// Who was last signed in on each chat origin (docs/protocol-extensions.md,
// "video.account"). Learned from `configure` answers the host checked; a
// capture is stamped with the last account seen on its origin, so a video
// that arrives after the session lapsed still names the person who made it,
// and a different person's sign-in counts only from the moment it is seen.
// Kept in storage.local as ids and labels only, never cookie values.

import { parseAccount, type Account, type ConfiguredAccount } from "../shared/protocol";
import { OriginMap } from "./origin-map";
import type { KeyValueStore } from "./video-queue";

/// The storage.local key: `{[origin]: {id, label?}}`.
export const kLastAccountStorageKey = "lastAccount";

export class AccountMemory {
  private readonly byOrigin: OriginMap<Account>;

  constructor(store: KeyValueStore) {
    this.byOrigin = new OriginMap(store, kLastAccountStorageKey, parseAccount);
  }

  /// Reads what an earlier service worker learned. Idempotent.
  load(): Promise<void> {
    return this.byOrigin.load();
  }

  /// The last account seen on `origin`, if any.
  get(origin: string): Account | undefined {
    const account = this.byOrigin.get(origin);
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
    const before = this.byOrigin.get(origin);
    if (before !== undefined && before.id === next.id && before.label === next.label) return false;
    await this.byOrigin.set(origin, next);
    return true;
  }

  /// Forgets the last person on `origin` (its session now comes from
  /// another cookie store: cookie-store.ts), so the next `configure` answer
  /// names who is signed in there, and nobody else is stamped meanwhile.
  async forget(origin: string): Promise<void> {
    await this.byOrigin.removeWhere((o) => o === origin);
  }

  /// Forgets origins no longer configured.
  keepOnly(origins: readonly string[]): Promise<void> {
    return this.byOrigin.keepOnly(origins);
  }
}
