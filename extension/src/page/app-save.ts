// The app's own `POST /api/save-message` (REAL-APP.md sections 3 and 4): the
// SSE version saves every finished video itself, so vidkeep must know, or the
// chat gets the video twice. This module reads the request the page makes
// without disturbing it and keeps what the host needs: chat id, message id
// and the video attachments. Pure apart from `Request.clone()`.

import type { AppSaveSeen } from "../shared/messages";
import { httpUrl } from "../shared/urls";
import { hasVideoExtension } from "./detect";

export const kSaveMessagePath = "/api/save-message";
const kMaxBodyChars = 4 * 1024 * 1024;
const kMaxAttachments = 50;

/// A save without its phase: what the request body said.
export type SaveBody = Omit<AppSaveSeen, "phase" | "httpStatus">;

interface RequestLike {
  url: string;
  method: string;
  bodyUsed: boolean;
  clone(): { text(): Promise<string> };
}

function isRequestLike(value: unknown): value is RequestLike {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r["url"] === "string" && typeof r["method"] === "string" && typeof r["clone"] === "function";
}

/// When fetch's arguments are a POST to `<pageOrigin>/api/save-message`,
/// starts reading the request body and returns the promise of its text;
/// otherwise undefined. Must run before the native fetch (which takes a
/// Request's body): a Request is read through `clone()`, a string body from
/// `init` as it is; other body kinds (Blob, FormData, streams) are ignored.
export function saveMessageBody(args: readonly unknown[], pageOrigin: string | undefined): Promise<string> | undefined {
  if (pageOrigin === undefined || pageOrigin === "null") return undefined;
  const [input, init] = args;
  const request = isRequestLike(input) ? input : undefined;
  const options = typeof init === "object" && init !== null ? (init as Record<string, unknown>) : undefined;
  const method = typeof options?.["method"] === "string" ? options["method"] : request?.method ?? "GET";
  if (method.toUpperCase() !== "POST") return undefined;
  let url: URL;
  try {
    url = new URL(request !== undefined ? request.url : String(input), pageOrigin);
  } catch {
    return undefined;
  }
  if (url.origin !== pageOrigin || url.pathname !== kSaveMessagePath) return undefined;
  const body = options?.["body"];
  if (body !== undefined && body !== null) return typeof body === "string" ? Promise.resolve(body) : undefined;
  if (request === undefined || request.bodyUsed) return undefined;
  return request.clone().text();
}

function isVideoAttachment(url: string, contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.trim().toLowerCase().startsWith("video/") ? true : hasVideoExtension(url);
}

/// `{chatId, message: {id, attachments: [{url, contentType, thumbnailUrl, name}], parts}}`
/// -> the video attachments, or null when the body is not such a save or
/// holds no video.
export function parseSaveBody(text: string): SaveBody | null {
  if (text.length > kMaxBodyChars) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof body !== "object" || body === null) return null;
  const chatId = (body as Record<string, unknown>)["chatId"];
  const message = (body as Record<string, unknown>)["message"];
  if (typeof chatId !== "string" || chatId === "" || chatId.length > 200) return null;
  if (typeof message !== "object" || message === null) return null;
  const m = message as Record<string, unknown>;
  const list = Array.isArray(m["attachments"]) ? m["attachments"].slice(0, kMaxAttachments) : [];
  const attachments: SaveBody["attachments"] = [];
  for (const item of list) {
    if (typeof item !== "object" || item === null) continue;
    const a = item as Record<string, unknown>;
    const url = httpUrl(a["url"]);
    const contentType = typeof a["contentType"] === "string" ? a["contentType"].slice(0, 100) : undefined;
    if (url === null || !isVideoAttachment(url, contentType)) continue;
    const out: SaveBody["attachments"][number] = { url };
    const thumbnailUrl = httpUrl(a["thumbnailUrl"]);
    if (thumbnailUrl !== null) out.thumbnailUrl = thumbnailUrl;
    if (contentType !== undefined) out.contentType = contentType;
    attachments.push(out);
  }
  if (attachments.length === 0) return null;
  const save: SaveBody = { chatId, attachments };
  if (typeof m["id"] === "string" && m["id"] !== "" && m["id"].length <= 200) save.messageId = m["id"];
  return save;
}

/// Reports one save: "started" once the body is read, then "finished" with
/// the answer's status (0 when the fetch rejected). Never throws, never
/// touches the page's promise beyond observing it.
export function observeSave(
  body: Promise<string>,
  response: Promise<{ status: number }>,
  report: (save: AppSaveSeen) => void,
): void {
  const parsed = body.then(parseSaveBody, () => null);
  const send = (save: AppSaveSeen) => {
    try {
      report(save);
    } catch {
      // never break the page
    }
  };
  void parsed.then((save) => {
    if (save !== null) send({ ...save, phase: "started" });
  });
  void response
    .then((r) => r.status, () => 0)
    .then((status) => parsed.then((save) => {
      if (save !== null) send({ ...save, phase: "finished", httpStatus: status });
    }));
}
