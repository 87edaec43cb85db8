// The host requests a popup may make, rebuilt field by field so nothing
// but known fields with sane values reaches the host.

import { kPopupRequestTypes, type PopupHostRequest } from "../shared/messages";
import { isSyncState, type ListRequest } from "../shared/protocol";

const kMaxIds = 500;

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
    default:
      return null;
  }
}
