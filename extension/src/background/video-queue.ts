// The durable queue of videos the host has not acknowledged yet. Every video
// is written to storage.local before it is sent, and removed only when the
// host answers `ok` (which the host sends after its commit), or with an
// error that sending again cannot fix. A retryable error, a timeout or a
// missing host keeps it; it is sent again on reconnect (the host dedupes).

import type { CaptureAnswer } from "../shared/messages";
import { createLogger, type Logger } from "../shared/log";
import type { Answer, Video, VideoAnswer, WireError } from "../shared/protocol";
import { HostUnavailableError, kRealTimers, type Timers } from "./host-connection";

/// The storage.local key of the queue.
export const kQueueStorageKey = "queue";

export interface QueueEntry {
  key: string;
  video: Video;
  attempts: number;
  queuedAt: number;
  lastError?: string;
}

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
    })();
    return this.loaded;
  }

  /// The host is (not) there. Coming online sends everything queued.
  setOnline(online: boolean): void {
    this.online = online;
    if (online) void this.flush();
  }

  /// Keeps `video` durably, then sends it when the host is there. Resolves
  /// with the host's answer, or with `queued: true` when it is kept for later.
  async submit(video: Video): Promise<CaptureAnswer> {
    await this.load();
    const key = queueKey(video);
    const existing = this.entries.get(key);
    // A later sighting may know more (prompt, thumbnail): keep the union.
    const merged: Video = existing === undefined ? video : { ...existing.video, ...video };
    this.entries.delete(key);
    this.entries.set(key, { key, video: merged, attempts: existing?.attempts ?? 0, queuedAt: Date.now() });
    this.trim();
    await this.save();
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
    const keys = [...this.entries.keys()].filter((k) => !this.inFlight.has(k));
    if (keys.length > 0) this.log.debug("resending", keys.length, "queued videos");
    await Promise.all(keys.map((k) => this.sendEntry(k)));
  }

  private async sendEntry(key: string): Promise<CaptureAnswer> {
    const entry = this.entries.get(key);
    if (entry === undefined) return queuedAnswer({ code: "internal", message: "not queued", retryable: false });
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

function queuedAnswer(error: WireError): CaptureAnswer {
  return { ok: false, error, queued: true };
}
