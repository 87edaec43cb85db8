// The gallery's data: pages of `list` answers (newest first) under the
// current filters, the cursor for the next page, the selection, and live
// sync-state and media-state updates. No DOM here; main.ts draws.

import type { PopupEvent } from "../shared/messages";
import {
  parseAccount,
  parseMedia,
  type Answer,
  type ListAnswer,
  type ListRequest,
  type MediaFile,
  type SyncState,
  type VideoRecord,
} from "../shared/protocol";

/// A record from the host with its `media`, `account` and `app_message_id`
/// checked; other fields are only ever shown as text or checked where used.
export function checkRecord(video: VideoRecord): VideoRecord {
  const media = parseMedia((video as { media?: unknown }).media);
  if (media === undefined) delete video.media;
  else video.media = media;
  const raw = video as { account?: unknown; app_message_id?: unknown };
  if (raw.account !== undefined) video.account = parseAccount(raw.account);
  if (raw.app_message_id !== undefined) {
    const id = raw.app_message_id;
    video.app_message_id = typeof id === "string" && id !== "" && id.length <= 200 ? id : null;
  }
  return video;
}

type MediaStateEvent = Extract<PopupEvent, { type: "mediaState" }>;

export interface Filters {
  query: string;
  sync: SyncState | "";
  chatId: string | undefined;
}

export const kPageSize = 30;

export type ListFn = (request: ListRequest) => Promise<Answer>;

export class Gallery {
  videos: VideoRecord[] = [];
  readonly selected = new Set<string>();
  nextCursor: string | null = null;
  loading = false;
  /// The last list failure, shown instead of the gallery.
  error: string | undefined;
  filters: Filters = { query: "", sync: "", chatId: undefined };
  private generation = 0;
  private readonly list: ListFn;

  constructor(list: ListFn) {
    this.list = list;
  }

  get done(): boolean {
    return this.nextCursor === null;
  }

  /// Starts over with `filters` (first page). Answers to older requests are
  /// dropped, so fast typing never shows stale results.
  async reset(filters: Filters = this.filters): Promise<void> {
    this.filters = filters;
    this.generation++;
    this.videos = [];
    this.nextCursor = null;
    this.error = undefined;
    this.loading = false;
    await this.load(undefined);
  }

  /// Loads the next page, if there is one and none is on its way.
  async more(): Promise<boolean> {
    if (this.loading || this.nextCursor === null) return false;
    await this.load(this.nextCursor);
    return true;
  }

  private async load(cursor: string | undefined): Promise<void> {
    const generation = this.generation;
    const request: ListRequest = { type: "list", limit: kPageSize };
    if (cursor !== undefined) request.cursor = cursor;
    if (this.filters.query.trim() !== "") request.query = this.filters.query.trim();
    if (this.filters.sync !== "") request.sync = this.filters.sync;
    if (this.filters.chatId !== undefined) request.chat_id = this.filters.chatId;
    this.loading = true;
    try {
      const answer = await this.list(request);
      if (generation !== this.generation) return;
      if (!answer.ok) {
        this.error = answer.error.message;
        return;
      }
      const page = answer as ListAnswer;
      const known = new Set(this.videos.map((v) => v.video_id));
      for (const video of Array.isArray(page.videos) ? page.videos : []) {
        if (video && typeof video.video_id === "string" && !known.has(video.video_id)) this.videos.push(checkRecord(video));
      }
      this.nextCursor = typeof page.next_cursor === "string" && page.next_cursor !== "" ? page.next_cursor : null;
      this.error = undefined;
    } catch (err) {
      if (generation === this.generation) this.error = String(err);
    } finally {
      if (generation === this.generation) this.loading = false;
    }
  }

  /// A `sync_state` event. Returns the updated record, if it is shown.
  updateSync(videoId: string, sync: SyncState, lastError?: string | null): VideoRecord | undefined {
    const video = this.videos.find((v) => v.video_id === videoId);
    if (video === undefined) return undefined;
    video.sync = sync;
    if (lastError !== undefined) video.last_error = lastError;
    else if (sync === "synced") video.last_error = null;
    return video;
  }

  /// A `media_state` event: the file's new state, merged into the shown
  /// record (content type, hash and the generated mark stay as they were).
  /// Returns the updated record, if it is shown.
  updateMedia(event: MediaStateEvent): VideoRecord | undefined {
    const video = this.videos.find((v) => v.video_id === event.video_id);
    if (video === undefined) return undefined;
    const blank: MediaFile = { state: "not_cached", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: null };
    const media = video.media ?? { video: blank, thumbnail: null, info: null, pinned: false, last_viewed_at: null };
    const before = (event.kind === "video" ? media.video : media.thumbnail) ?? blank;
    const file: MediaFile = { ...before, state: event.state, bytes: event.bytes, total: event.total, percent: event.percent, error: event.error };
    if (event.kind === "video") media.video = file;
    else media.thumbnail = file;
    video.media = media;
    return video;
  }

  /// After an `ok` media_pin: the shown records of `ids` say so.
  setPinned(ids: Iterable<string>, pinned: boolean): VideoRecord[] {
    const wanted = new Set(ids);
    const changed = this.videos.filter((v) => wanted.has(v.video_id) && v.media !== undefined);
    for (const video of changed) video.media!.pinned = pinned;
    return changed;
  }

  /// A fresher copy of one record (a `get` answer); returns it when shown.
  replace(fresh: VideoRecord): VideoRecord | undefined {
    const index = this.videos.findIndex((v) => v.video_id === fresh.video_id);
    if (index === -1) return undefined;
    this.videos[index] = checkRecord(fresh);
    return this.videos[index];
  }

  /// Puts records that are new (a fresh first page) at the top.
  prepend(fresh: VideoRecord[]): VideoRecord[] {
    const known = new Set(this.videos.map((v) => v.video_id));
    const added = fresh.filter((v) => v && typeof v.video_id === "string" && !known.has(v.video_id)).map(checkRecord);
    this.videos = [...added, ...this.videos];
    return added;
  }

  remove(ids: Iterable<string>): void {
    const gone = new Set(ids);
    this.videos = this.videos.filter((v) => !gone.has(v.video_id));
    for (const id of gone) this.selected.delete(id);
  }

  toggle(id: string, on?: boolean): boolean {
    const want = on ?? !this.selected.has(id);
    if (want) this.selected.add(id);
    else this.selected.delete(id);
    return want;
  }

  selectedVideos(): VideoRecord[] {
    return this.videos.filter((v) => this.selected.has(v.video_id));
  }

  /// The selected videos `resync` may send again: not those the app saved
  /// itself (the host leaves them alone; sending would add a second message).
  resyncableIds(): string[] {
    return this.selectedVideos().filter((v) => v.sync !== "saved_by_app").map((v) => v.video_id);
  }
}

/// The export file: the selected records as the host gave them.
export function exportJson(videos: VideoRecord[], now: Date = new Date()): string {
  return `${JSON.stringify({ exported_at: now.toISOString(), count: videos.length, videos }, null, 2)}\n`;
}
