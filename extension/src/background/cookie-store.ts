// Which cookie store each chat origin's session is read from (issue 13,
// finding 8). A browser has several: the default one, a private
// (incognito) window's, and in Firefox one per container. The host holds one
// credential slot per origin (`configure`), so the extension decides which
// store fills it: the store of the tab that captured (or app-saved) on that
// origin most recently. Switching stores configures the origin again from
// the new store before the capture is stamped with an account, so a video
// carries the account of the session it was made in, and the host (which
// sends a stamped video only with credentials checked to be that account)
// never syncs it with another store's session. Cookies of two stores are
// never mixed in one header, and a cookie change in a store that does not
// fill the slot changes nothing. Kept in storage.local (store ids only).

import { OriginMap } from "./origin-map";
import type { KeyValueStore } from "./video-queue";

export const kCookieStoreStorageKey = "cookieStoreOf";

/// The ids browsers give their default store: such a slot is stored as
/// "default" (undefined), so a capture from a normal tab never switches.
const kDefaultStoreIds = new Set(["0", "firefox-default"]);

export function normalStoreId(id: string | undefined): string | undefined {
  return id === undefined || kDefaultStoreIds.has(id) ? undefined : id;
}

/// The tab fields that say where its cookies live.
export interface TabLike {
  id?: number;
  incognito?: boolean;
  /// Firefox: the tab's own store (containers, private windows).
  cookieStoreId?: string;
}

export type StoreOfTab = { ok: true; storeId: string | undefined } | { ok: false };

/// The cookie store `tab` lives in: Firefox names it on the tab; Chromium
/// lists the tabs of each store. Not found for a private tab: unknown (never
/// "the default store", whose session is another one).
export async function storeOfTab(
  tab: TabLike | undefined,
  stores: () => Promise<Array<{ id: string; tabIds: number[] }>>,
): Promise<StoreOfTab> {
  if (tab === undefined) return { ok: false };
  if (typeof tab.cookieStoreId === "string" && tab.cookieStoreId !== "") return { ok: true, storeId: normalStoreId(tab.cookieStoreId) };
  if (typeof tab.id === "number") {
    try {
      const found = (await stores()).find((s) => Array.isArray(s.tabIds) && s.tabIds.includes(tab.id!));
      if (found !== undefined) return { ok: true, storeId: normalStoreId(found.id) };
    } catch {
      // no cookies API answer: below
    }
  }
  return tab.incognito === true ? { ok: false } : { ok: true, storeId: undefined };
}

/// A slot's store: its id and whether it is a private window's.
interface Slot {
  id: string;
  private: boolean;
}

export class CookieStoreSlots {
  private readonly byOrigin: OriginMap<Slot>;

  constructor(store: KeyValueStore) {
    this.byOrigin = new OriginMap(store, kCookieStoreStorageKey, (raw) => {
      const slot = raw as Partial<Slot> | null;
      return typeof slot?.id === "string" ? { id: slot.id, private: slot.private === true } : null;
    });
  }

  load(): Promise<void> {
    return this.byOrigin.load();
  }

  /// The store `origin`'s session is read from (undefined: the default one).
  get(origin: string): string | undefined {
    return this.byOrigin.get(origin)?.id;
  }

  /// Whether a cookie of store `storeId` is the one filling `origin`'s slot.
  fills(origin: string, storeId: string | undefined): boolean {
    return normalStoreId(storeId) === this.get(origin);
  }

  /// Makes `storeId` (a private window's when `isPrivate`) the store of
  /// `origin`. Returns whether it changed.
  async set(origin: string, storeId: string | undefined, isPrivate = false): Promise<boolean> {
    await this.load();
    const next = normalStoreId(storeId);
    if (this.get(origin) === next) return false;
    await this.byOrigin.set(origin, next === undefined ? undefined : { id: next, private: isPrivate });
    return true;
  }

  /// Puts every origin whose session came from a private window back on the
  /// default store (capture in private windows was switched off). Returns
  /// those origins: they are configured again.
  leavePrivate(): Promise<string[]> {
    return this.byOrigin.removeWhere((_origin, slot) => slot.private);
  }

  /// Forgets origins no longer configured.
  keepOnly(origins: readonly string[]): Promise<void> {
    return this.byOrigin.keepOnly(origins);
  }
}
