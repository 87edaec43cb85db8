// Pin / unpin and "fetch again" for one video or the selection: the host
// requests they send and what the gallery's records say afterwards.

import type { PopupHostRequest } from "../shared/messages";
import type { Answer, VideoRecord } from "../shared/protocol";
import type { Gallery } from "./gallery";

export type HostRequestFn = (request: PopupHostRequest) => Promise<Answer>;

export type ActionResult =
  | { ok: true; count: number; changed: VideoRecord[] }
  | { ok: false; message: string };

function countOf(answer: Answer, field: string, fallback: number): number {
  const value = answer.ok ? answer[field] : undefined;
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : fallback;
}

/// `media_pin` for `ids`; on success the shown records say pinned/unpinned.
export async function pinVideos(send: HostRequestFn, gallery: Gallery, ids: string[], pinned: boolean): Promise<ActionResult> {
  if (ids.length === 0) return { ok: true, count: 0, changed: [] };
  const answer = await send({ type: "media_pin", video_ids: ids, pinned });
  if (!answer.ok) return { ok: false, message: answer.error.message };
  return { ok: true, count: countOf(answer, "changed", ids.length), changed: gallery.setPinned(ids, pinned) };
}

/// `media_fetch` for `ids`: the host fetches failed, evicted and
/// not-yet-fetched files again now; `media_state` events follow.
export async function fetchVideos(send: HostRequestFn, ids: string[]): Promise<ActionResult> {
  if (ids.length === 0) return { ok: true, count: 0, changed: [] };
  const answer = await send({ type: "media_fetch", video_ids: ids });
  if (!answer.ok) return { ok: false, message: answer.error.message };
  return { ok: true, count: countOf(answer, "queued", ids.length), changed: [] };
}
