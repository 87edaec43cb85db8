// What goes back to the chat page. The relay posts the background's answer
// to a capture (and to the app's own save) into the page with
// window.postMessage, where every script on the page can read it. Host error
// messages hold local paths and the user name (a config error names the
// config file), background reasons name settings: none of that belongs
// there (issue 13, finding 5). The page gets a stable code and one of a few
// generic messages; the details stay in the popup's debug errors and the log.

import type { CaptureAnswer } from "./messages";
import type { SyncState } from "./protocol";

/// The codes a page may see. Anything else (internal, not_found, timeout, a
/// code a newer host invents) becomes "unavailable".
export const kPageErrorCodes: ReadonlySet<string> = new Set([
  "unavailable", "unauthorized", "disconnected", "bad_request", "invalid_url", "too_large", "unsupported",
]);

export const kPageMessages = {
  /// Kept in the extension (host away, busy, or waiting for the chat id).
  kept: "vidkeep keeps the video and saves it later; see the vidkeep popup",
  /// Refused or given up.
  failed: "vidkeep could not save the video; see the vidkeep popup",
  /// Not a page vidkeep captures on (origin, frame, private window, switched off).
  refused: "vidkeep does not capture on this page",
} as const;

/// The answer to the app's own save, as the page may see it.
export type PageAppSaveAnswer = { ok: true; matched: number } | { ok: false; error: CaptureError };
type CaptureError = Extract<CaptureAnswer, { ok: false }>["error"];

function pageError(raw: unknown, queued: boolean): CaptureError {
  const e = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const code = typeof e["code"] === "string" && kPageErrorCodes.has(e["code"]) ? e["code"] : "unavailable";
  const message = queued ? kPageMessages.kept : code === "unauthorized" ? kPageMessages.refused : kPageMessages.failed;
  return { code, message, retryable: e["retryable"] === true };
}

/// A capture answer stripped to what the page may read: on success the
/// video's id, duplicate flag and sync state; on failure code, generic
/// message, retryable and queued.
export function pageCaptureAnswer(answer: unknown): CaptureAnswer {
  const a = (typeof answer === "object" && answer !== null ? answer : {}) as Record<string, unknown>;
  if (a["ok"] === true) {
    return {
      ok: true,
      video_id: String(a["video_id"]),
      duplicate: a["duplicate"] === true,
      sync: (typeof a["sync"] === "string" ? a["sync"] : "pending") as SyncState,
    };
  }
  const queued = a["queued"] === true;
  const out: CaptureAnswer = { ok: false, error: pageError(a["error"], queued) };
  if (queued) out.queued = true;
  return out;
}

/// The answer to the app's own save, stripped likewise.
export function pageAppSaveAnswer(answer: unknown): PageAppSaveAnswer {
  const a = (typeof answer === "object" && answer !== null ? answer : {}) as Record<string, unknown>;
  if (a["ok"] === true) {
    const matched = a["matched"];
    return { ok: true, matched: typeof matched === "number" && Number.isInteger(matched) && matched >= 0 ? matched : 0 };
  }
  return { ok: false, error: pageError(a["error"], false) };
}
