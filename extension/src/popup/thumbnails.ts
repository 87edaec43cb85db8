// Thumbnails from the host's cache: `media_read` kind thumbnail → Blob →
// object URL, one per video, kept while the video is in the gallery and
// revoked when it leaves (keepOnly). A few reads at a time, each video read
// once however often its card is drawn again.

import { readWhole, type MediaReadFn } from "../shared/media-read";
import type { VideoRecord } from "../shared/protocol";

/// A thumbnail bigger than this is not one: the remote URL is used instead.
export const kMaxThumbnailBytes = 4 * 1024 * 1024;
const kConcurrentReads = 4;

export interface ObjectUrls {
  createObjectURL(blob: Blob): string;
  revokeObjectURL(url: string): void;
}

/// True when the card should show the cached thumbnail: the host has it
/// (a generated one too: then there was no remote thumbnail at all).
export function hasCachedThumbnail(video: VideoRecord): boolean {
  return video.media?.thumbnail?.state === "cached";
}

export class ThumbnailCache {
  private readonly urls = new Map<string, string>();
  private readonly loading = new Map<string, Promise<string | null>>();
  private readonly queue: Array<() => void> = [];
  private running = 0;
  private readonly reader: (videoId: string) => MediaReadFn;
  private readonly objectUrls: ObjectUrls;

  constructor(reader: (videoId: string) => MediaReadFn, objectUrls: ObjectUrls = URL) {
    this.reader = reader;
    this.objectUrls = objectUrls;
  }

  /// The object URL already made for `videoId`, if any.
  get(videoId: string): string | undefined {
    return this.urls.get(videoId);
  }

  /// The object URL of the cached thumbnail, reading it first if needed;
  /// null when it cannot be read (not cached after all, too large, no host).
  load(videoId: string): Promise<string | null> {
    const known = this.urls.get(videoId);
    if (known !== undefined) return Promise.resolve(known);
    const inFlight = this.loading.get(videoId);
    if (inFlight !== undefined) return inFlight;
    // `promise` is assigned before the read's first answer can arrive; a
    // read whose video was let go of meanwhile (keepOnly) makes no URL.
    let promise: Promise<string | null> | undefined;
    const current = (): boolean => promise !== undefined && this.loading.get(videoId) === promise;
    promise = this.slot(async () => {
      try {
        const blob = await readWhole(this.reader(videoId), { maxBytes: kMaxThumbnailBytes });
        if (!current()) return null;
        const type = blob.type.startsWith("image/") ? blob.type : "image/webp";
        const url = this.objectUrls.createObjectURL(blob.type === type ? blob : new Blob([blob], { type }));
        this.urls.set(videoId, url);
        return url;
      } catch {
        return null;
      } finally {
        if (current()) this.loading.delete(videoId);
      }
    });
    this.loading.set(videoId, promise);
    return promise;
  }

  /// Revokes the URLs of videos no longer shown.
  keepOnly(videoIds: Iterable<string>): void {
    const keep = new Set(videoIds);
    for (const [id, url] of this.urls) {
      if (keep.has(id)) continue;
      this.objectUrls.revokeObjectURL(url);
      this.urls.delete(id);
    }
    for (const id of [...this.loading.keys()]) if (!keep.has(id)) this.loading.delete(id);
  }

  /// Forgets one video's thumbnail (a new one was cached).
  forget(videoId: string): void {
    const url = this.urls.get(videoId);
    if (url !== undefined) this.objectUrls.revokeObjectURL(url);
    this.urls.delete(videoId);
  }

  get size(): number {
    return this.urls.size;
  }

  private slot<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve) => {
      const run = (): void => {
        this.running++;
        void work().then(resolve).finally(() => {
          this.running--;
          this.queue.shift()?.();
        });
      };
      if (this.running < kConcurrentReads) run();
      else this.queue.push(run);
    });
  }
}
