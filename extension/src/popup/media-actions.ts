// Pin / unpin and "fetch again" for one video or the selection: the host
// requests they send and what the gallery's records say afterwards.

import type { PopupHostRequest } from "../shared/messages";
import { parseCountAnswer, type Answer, type VideoRecord } from "../shared/protocol";
import type { Gallery } from "./gallery";

export type HostRequestFn = (request: PopupHostRequest) => Promise<Answer>;

export type ActionResult =
  | { ok: true; count: number; changed: VideoRecord[] }
  | { ok: false; message: string };

/// `media_pin` for `ids`; on success the shown records say pinned/unpinned.
export async function pinVideos(send: HostRequestFn, gallery: Gallery, ids: string[], pinned: boolean): Promise<ActionResult> {
  if (ids.length === 0) return { ok: true, count: 0, changed: [] };
  const answer = await send({ type: "media_pin", video_ids: ids, pinned });
  if (!answer.ok) return { ok: false, message: answer.error.message };
  return { ok: true, count: parseCountAnswer("media_pin", answer) ?? ids.length, changed: gallery.setPinned(ids, pinned) };
}

/// `media_fetch` for `ids`: the host fetches failed, evicted and
/// not-yet-fetched files again now; `media_state` events follow.
export async function fetchVideos(send: HostRequestFn, ids: string[]): Promise<ActionResult> {
  if (ids.length === 0) return { ok: true, count: 0, changed: [] };
  const answer = await send({ type: "media_fetch", video_ids: ids });
  if (!answer.ok) return { ok: false, message: answer.error.message };
  return { ok: true, count: parseCountAnswer("media_fetch", answer) ?? ids.length, changed: [] };
}
