// The host requests a popup may make, rebuilt field by field so nothing
// but known fields with sane values reaches the host.

import { kPopupRequestTypes, type PopupHostRequest } from "../shared/messages";
import { isMediaKind, isSyncState, kMediaReadMax, type ListRequest, type MediaReadRequest } from "../shared/protocol";

const kMaxIds = 500;

function videoId(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 && value.length <= 200 ? value : null;
}

function ids(value: unknown): string[] | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > kMaxIds) return null;
  if (!value.every((v) => typeof v === "string" && v.length > 0 && v.length <= 200)) return null;
  return value as string[];
}

/// The request to forward, or null when it is not one a popup may make.
export function sanitizePopupRequest(raw: unknown): PopupHostRequest | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const type = r["type"];
  if (!(kPopupRequestTypes as readonly unknown[]).includes(type)) return null;
  switch (type) {
    case "list": {
      const out: ListRequest = { type: "list" };
      if (typeof r["limit"] === "number" && Number.isInteger(r["limit"])) out.limit = Math.min(500, Math.max(1, r["limit"]));
      if (typeof r["cursor"] === "string" && r["cursor"].length <= 1000) out.cursor = r["cursor"];
      if (typeof r["chat_id"] === "string" && r["chat_id"] !== "") out.chat_id = r["chat_id"].slice(0, 200);
      if (typeof r["query"] === "string" && r["query"].trim() !== "") out.query = r["query"].trim().slice(0, 500);
      if (isSyncState(r["sync"])) out.sync = r["sync"];
      return out;
    }
    case "get":
      return typeof r["video_id"] === "string" && r["video_id"] !== "" ? { type: "get", video_id: r["video_id"] } : null;
    case "delete":
    case "resync": {
      const list = ids(r["video_ids"]);
      return list === null ? null : { type, video_ids: list };
    }
    case "status":
      return { type: "status" };
    case "media_read": {
      const id = videoId(r["video_id"]);
      if (id === null || !isMediaKind(r["kind"])) return null;
      const out: MediaReadRequest = { type: "media_read", video_id: id, kind: r["kind"] };
      const offset = r["offset"];
      if (offset !== undefined) {
        if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) return null;
        out.offset = offset;
      }
      const length = r["length"];
      if (length !== undefined) {
        if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 1) return null;
        out.length = Math.min(kMediaReadMax, length);
      }
      return out;
    }
    case "media_pin": {
      const list = ids(r["video_ids"]);
      return list === null || typeof r["pinned"] !== "boolean" ? null : { type: "media_pin", video_ids: list, pinned: r["pinned"] };
    }
    case "media_fetch": {
      const list = ids(r["video_ids"]);
      return list === null ? null : { type: "media_fetch", video_ids: list };
    }
    default:
      return null;
  }
}
