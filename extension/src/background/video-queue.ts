// The durable queue of videos the host has not acknowledged yet. Every video
// is written to storage.local before it is sent, and removed only when the
// host answers `ok` (which the host sends after its commit), or with an
// error that sending again cannot fix. A retryable error, a timeout or a
// missing host keeps it; it is sent again on reconnect (the host dedupes).
//
// A video from a tab that has no chat id yet (the TOOL version's new chat at
// `/`, which becomes `/chat/<id>` without a reload) is *held*: kept here,
// durably, but not sent, until `release` gives it the tab's chat id, or
// sends it without one (tab closed or gone elsewhere, or `holdMs` passed).
// Holding and releasing are each one storage write, so a worker restart
// neither loses a held video nor sends it twice.

import type { CaptureAnswer } from "../shared/messages";
import { createLogger, type Logger } from "../shared/log";
import type { Answer, Video, VideoAnswer, WireError } from "../shared/protocol";
import { HostUnavailableError, kRealTimers, type Timers } from "./host-connection";

/// The storage.local key of the queue.
export const kQueueStorageKey = "queue";

/// Where a held video waits for its chat id.
export interface HoldTarget {
  tabId: number;
  /// The tab's origin when the video was seen; a tab that leaves it releases.
  origin: string;
}

export interface HeldTab extends HoldTarget {
  /// The page the held videos were seen on.
  pageUrl?: string;
}

export interface HeldInfo extends HoldTarget {
  /// When it is sent without a chat id (ms since epoch).
  until: number;
}

export interface QueueEntry {
  key: string;
  video: Video;
  attempts: number;
  queuedAt: number;
  lastError?: string;
  /// Present while the video waits for its tab's chat id: not sent.
  hold?: HeldInfo;
}

/// What a held tab turned out to be: its chat id and page URL, or nothing
/// (send without a chat id).
export type HoldRelease = { chatId: string; pageUrl: string } | null;

/// How long a video waits for its tab's chat id (docs/extension.md).
export const kHoldMs = 15 * 60_000;

/// The storage.local subset we use (a Map in the tests).
export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(items: Record<string, unknown>): Promise<void>;
}

export interface VideoQueueDeps {
  store: KeyValueStore;
  /// Sends one `video` request. Rejects with HostUnavailableError when no
  /// host answered.
  send(video: Video): Promise<Answer>;
  timers?: Timers;
  log?: Logger;
  maxEntries?: number;
  /// How long a held video waits for a chat id (default kHoldMs).
  holdMs?: number;
  /// Told about each acknowledged video.
  onStored?(answer: VideoAnswer, video: Video): void;
  /// Told about each video given up on (non-retryable error, queue full).
  onDropped?(video: Video, error: WireError): void;
}

/// Errors after which sending the same video again cannot succeed.
const kFinalCodes = new Set(["bad_request", "too_large", "invalid_url", "unsupported"]);

export function queueKey(video: Video): string {
  return `${video.chat_id ?? ""}\n${video.url}`;
}

export class VideoQueue {
  private readonly deps: VideoQueueDeps;
  private readonly timers: Timers;
  private readonly log: Logger;
  private readonly entries = new Map<string, QueueEntry>();
  private readonly inFlight = new Set<string>();
  private online = false;
  private retryTimer: unknown;
  private holdTimer: unknown;
  private saving: Promise<void> = Promise.resolve();
  private loaded: Promise<void> | undefined;

  constructor(deps: VideoQueueDeps) {
    this.deps = deps;
    this.timers = deps.timers ?? kRealTimers;
    this.log = deps.log ?? createLogger("queue");
  }

  get size(): number {
    return this.entries.size;
  }

  snapshot(): QueueEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e }));
  }

  /// Reads what an earlier service worker left. Idempotent.
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const stored = await this.deps.store.get<QueueEntry[]>(kQueueStorageKey);
      if (!Array.isArray(stored)) return;
      for (const entry of stored) {
        if (entry && typeof entry.key === "string" && entry.video && typeof entry.video.url === "string") {
          this.entries.set(entry.key, entry);
        }
      }
      this.log.debug("loaded", this.entries.size, "queued videos");
      this.scheduleHoldTimer();
    })();
    return this.loaded;
  }

  /// The host is (not) there. Coming online sends everything queued.
  setOnline(online: boolean): void {
    this.online = online;
    if (online) void this.flush();
  }

  /// The tabs that have held videos, with the page they were seen on.
  heldTabs(): HeldTab[] {
    const tabs = new Map<number, HeldTab>();
    for (const e of this.entries.values()) {
      if (e.hold === undefined || tabs.has(e.hold.tabId)) continue;
      const tab: HeldTab = { tabId: e.hold.tabId, origin: e.hold.origin };
      if (e.video.page_url !== undefined) tab.pageUrl = e.video.page_url;
      tabs.set(e.hold.tabId, tab);
    }
    return [...tabs.values()];
  }

  /// Keeps `video` durably, then sends it when the host is there. Resolves
  /// with the host's answer, or with `queued: true` when it is kept for later.
  /// With `hold`, it is kept until `release` for that tab (or `holdMs`),
  /// and the answer says it is held (kHeldError).
  async submit(video: Video, hold?: HoldTarget): Promise<CaptureAnswer> {
    await this.load();
    const key = queueKey(video);
    const existing = this.entries.get(key);
    // A later sighting may know more (prompt, thumbnail): keep the union.
    const merged: Video = existing === undefined ? video : { ...existing.video, ...video };
    this.entries.delete(key);
    const entry: QueueEntry = { key, video: merged, attempts: existing?.attempts ?? 0, queuedAt: Date.now() };
    if (hold !== undefined) {
      // A second sighting in the same tab keeps the first deadline.
      const until = existing?.hold?.tabId === hold.tabId ? existing.hold.until : this.timers.now() + (this.deps.holdMs ?? kHoldMs);
      entry.hold = { tabId: hold.tabId, origin: hold.origin, until };
    }
    this.entries.set(key, entry);
    this.trim();
    await this.save();
    if (entry.hold !== undefined) {
      this.scheduleHoldTimer();
      return queuedAnswer(kHeldError);
    }
    if (!this.online) return queuedAnswer({ code: "disconnected", message: "vidkeep-host is not connected", retryable: true });
    if (this.inFlight.has(key)) {
      return queuedAnswer({ code: "unavailable", message: "already being sent; kept until the host answers", retryable: true });
    }
    return this.sendEntry(key);
  }

  /// Sends every queued video that is not on its way already.
  async flush(): Promise<void> {
    await this.load();
    if (!this.online) return;
    if (this.retryTimer !== undefined) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const keys = [...this.entries.values()].filter((e) => e.hold === undefined && !this.inFlight.has(e.key)).map((e) => e.key);
    if (keys.length > 0) this.log.debug("resending", keys.length, "queued videos");
    await Promise.all(keys.map((k) => this.sendEntry(k)));
  }

  private async sendEntry(key: string): Promise<CaptureAnswer> {
    const entry = this.entries.get(key);
    if (entry === undefined) return queuedAnswer({ code: "internal", message: "not queued", retryable: false });
    if (entry.hold !== undefined) return queuedAnswer(kHeldError);
    this.inFlight.add(key);
    const sent = entry.video;
    let resendAfter = false;
    try {
      let answer: Answer;
      try {
        answer = await this.deps.send(sent);
      } catch (err) {
        const error: WireError = err instanceof HostUnavailableError
          ? { code: err.code, message: err.message, retryable: true }
          : { code: "internal", message: String(err), retryable: true };
        await this.keep(key, error, false);
        return queuedAnswer(error);
      }
      if (answer.ok) {
        const ok = answer as VideoAnswer;
        if (this.entries.get(key)?.video === sent) {
          await this.remove(key);
        } else {
          // A sighting with more fields arrived while this one was on its
          // way: it stays queued and goes out on the next flush.
          resendAfter = true;
        }
        this.deps.onStored?.(ok, sent);
        return { ok: true, video_id: String(ok.video_id), duplicate: ok.duplicate === true, sync: ok.sync };
      }
      const error = answer.error;
      if (kFinalCodes.has(error.code) && !error.retryable) {
        await this.remove(key);
        this.deps.onDropped?.(sent, error);
        return { ok: false, error };
      }
      // retryable, unavailable, or `unauthorized` (an install that may be fixed)
      await this.keep(key, error, error.retryable);
      return queuedAnswer(error);
    } finally {
      this.inFlight.delete(key);
      if (resendAfter && this.online) void this.sendEntry(key);
    }
  }

  /// Ends the hold of every video held for `tabId`: with the chat id and
  /// page URL the tab gained, or (null) as they are, without a chat id.
  /// One storage write, then they are sent. Returns how many were released.
  async release(tabId: number, found: HoldRelease): Promise<number> {
    await this.load();
    return this.releaseWhere((hold) => hold.tabId === tabId, found);
  }

  /// Sends, without a chat id, every held video whose time is up.
  async releaseExpired(): Promise<number> {
    await this.load();
    const now = this.timers.now();
    return this.releaseWhere((hold) => hold.until <= now, null);
  }

  private async releaseWhere(match: (hold: HeldInfo) => boolean, found: HoldRelease): Promise<number> {
    const held = [...this.entries.values()].filter((e) => e.hold !== undefined && match(e.hold));
    if (held.length === 0) return 0;
    const released = new Set<string>();
    for (const entry of held) {
      delete entry.hold;
      const video: Video = { ...entry.video };
      if (found !== null) {
        video.chat_id = found.chatId;
        video.page_url = found.pageUrl;
      }
      const key = queueKey(video);
      if (key !== entry.key) {
        this.entries.delete(entry.key);
        const existing = this.entries.get(key);
        // The same video already queued for that chat (seen again after the
        // tab gained its id): one entry, the later sighting's fields first.
        this.entries.set(key, existing === undefined
          ? { ...entry, key, video }
          : { ...existing, video: { ...video, ...existing.video }, hold: existing.hold });
        if (existing?.hold !== undefined) continue;
      } else {
        entry.video = video;
      }
      released.add(key);
    }
    await this.save();
    this.scheduleHoldTimer();
    this.log.debug("released", released.size, "held videos", found === null ? "without a chat id" : `for chat ${found.chatId}`);
    if (this.online) await Promise.all([...released].filter((k) => !this.inFlight.has(k)).map((k) => this.sendEntry(k)));
    return released.size;
  }

  /// One timer for the earliest hold deadline (a worker that sleeps past it
  /// is woken by the caller's alarm, which calls releaseExpired).
  private scheduleHoldTimer(): void {
    if (this.holdTimer !== undefined) this.timers.clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    let earliest = Infinity;
    for (const e of this.entries.values()) if (e.hold !== undefined) earliest = Math.min(earliest, e.hold.until);
    if (earliest === Infinity) return;
    this.holdTimer = this.timers.setTimeout(() => {
      this.holdTimer = undefined;
      void this.releaseExpired();
    }, Math.max(0, earliest - this.timers.now()));
  }

  private async keep(key: string, error: WireError, scheduleRetry: boolean): Promise<void> {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    entry.attempts++;
    entry.lastError = `${error.code}: ${error.message}`;
    await this.save();
    if (scheduleRetry && this.online && this.retryTimer === undefined) {
      // The host is there but busy (database locked, disk full): try again
      // later, 2 s doubling up to 5 min.
      const delay = Math.min(300_000, 2_000 * 2 ** Math.min(entry.attempts - 1, 10));
      this.retryTimer = this.timers.setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, delay);
    }
  }

  private async remove(key: string): Promise<void> {
    if (this.entries.delete(key)) await this.save();
  }

  private trim(): void {
    const max = this.deps.maxEntries ?? 1000;
    while (this.entries.size > max) {
      const oldestKey = this.entries.keys().next().value as string;
      if (this.inFlight.has(oldestKey)) break;
      const oldest = this.entries.get(oldestKey)!;
      this.entries.delete(oldestKey);
      this.deps.onDropped?.(oldest.video, { code: "too_large", message: `queue full (${max} videos)`, retryable: false });
    }
  }

  /// Writes are chained so that the last one always carries the newest state.
  private save(): Promise<void> {
    this.saving = this.saving.then(
      () => this.deps.store.set({ [kQueueStorageKey]: [...this.entries.values()] }),
      () => this.deps.store.set({ [kQueueStorageKey]: [...this.entries.values()] }),
    );
    return this.saving.catch((err: unknown) => this.log.warn("could not save the queue", String(err)));
  }
}

/// The answer to a capture held for its chat id: kept (`queued`), and
/// retryable in the sense that it will be sent by itself later.
export const kHeldError: WireError = { code: "unavailable", message: "held until the chat has an id", retryable: true };

function queuedAnswer(error: WireError): CaptureAnswer {
  return { ok: false, error, queued: true };
}
