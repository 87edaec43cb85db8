// What the popup's debug panel shows beyond the connection: the last video
// seen and recent errors. Kept in storage.local so a restarted service
// worker still has it. Holds URLs and error texts only, never cookies.

import type { RecentError } from "../shared/messages";
import type { KeyValueStore } from "./video-queue";

export const kDebugStorageKey = "debugState";
const kMaxErrors = 20;

export interface DebugSnapshot {
  lastVideoUrl?: string;
  lastThumbnailUrl?: string;
  recentErrors: RecentError[];
}

export class DebugState {
  private state: DebugSnapshot = { recentErrors: [] };
  private readonly store: KeyValueStore;

  constructor(store: KeyValueStore) {
    this.store = store;
  }

  async load(): Promise<void> {
    const saved = await this.store.get<DebugSnapshot>(kDebugStorageKey);
    if (saved && Array.isArray(saved.recentErrors)) this.state = saved;
  }

  get snapshot(): DebugSnapshot {
    return { ...this.state, recentErrors: [...this.state.recentErrors] };
  }

  lastVideo(url: string, thumbnailUrl: string | undefined): void {
    this.state.lastVideoUrl = url;
    if (thumbnailUrl !== undefined) this.state.lastThumbnailUrl = thumbnailUrl;
    else delete this.state.lastThumbnailUrl;
    void this.save();
  }

  error(message: string, now: Date = new Date()): void {
    const last = this.state.recentErrors[0];
    if (last !== undefined && last.message === message) {
      last.at = now.toISOString(); // the same failure again: refresh, don't flood
    } else {
      this.state.recentErrors.unshift({ at: now.toISOString(), message: message.slice(0, 500) });
      this.state.recentErrors.length = Math.min(this.state.recentErrors.length, kMaxErrors);
    }
    void this.save();
  }

  private async save(): Promise<void> {
    try {
      await this.store.set({ [kDebugStorageKey]: this.state });
    } catch {
      // debug state is best effort
    }
  }
}
