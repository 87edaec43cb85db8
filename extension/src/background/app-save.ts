// The app's own `POST /api/save-message`, as the page world saw it
// (AppSaveSeen), turned into the host's `app_save` request
// (docs/protocol-extensions.md, "New request app_save"). The page is not
// trusted: the sender was checked like a capture's (checkContentSender),
// the page URL is the tab's, and the chat id the body names is taken only
// when it is the tab's own (or the tab has none yet: a new chat at `/`).

import type { AppSaveSeen } from "../shared/messages";
import { isChatIdFor } from "../shared/chat-id";
import { mimeType, type Account, type AppSave } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import type { CaptureContext } from "./sender";

/// The most attachments one save forwards (a message carries a few).
export const kMaxAppSaveAttachments = 32;

export type AppSaveCheck = { ok: true; save: AppSave } | { ok: false; reason: string };

/// The `save` of an `app_save` request, or why the page's report is refused.
export function buildAppSave(
  posted: unknown,
  context: CaptureContext,
  chatIdPattern: string,
  account: Account | undefined,
): AppSaveCheck {
  if (typeof posted !== "object" || posted === null) return { ok: false, reason: "not an app save" };
  const p = posted as Partial<Record<keyof AppSaveSeen, unknown>>;
  if (p.phase !== "started" && p.phase !== "finished") return { ok: false, reason: "unknown phase" };
  if (!isChatIdFor(p.chatId, chatIdPattern)) return { ok: false, reason: "chat id does not match the chat id pattern" };
  if (context.chatId !== undefined && p.chatId !== context.chatId) {
    return { ok: false, reason: "chat id differs from the tab's" };
  }
  const save: AppSave = { chat_id: p.chatId, phase: p.phase, page_url: context.pageUrl, attachments: [] };
  if (typeof p.messageId === "string" && p.messageId !== "" && p.messageId.length <= 200) save.message_id = p.messageId;
  if (p.phase === "finished") {
    const status = p.httpStatus;
    save.http_status = typeof status === "number" && Number.isInteger(status) && status >= 0 && status <= 999 ? status : 0;
  }
  if (!Array.isArray(p.attachments)) return { ok: false, reason: "no attachments" };
  for (const raw of p.attachments.slice(0, kMaxAppSaveAttachments)) {
    if (typeof raw !== "object" || raw === null) continue;
    const a = raw as Record<string, unknown>;
    const url = httpUrl(a["url"]);
    if (url === null) continue;
    const attachment: AppSave["attachments"][number] = { url };
    const thumbnail = httpUrl(a["thumbnailUrl"]);
    if (thumbnail !== null) attachment.thumbnail_url = thumbnail;
    const type = mimeType(a["contentType"]);
    if (type !== null) attachment.content_type = type;
    save.attachments.push(attachment);
  }
  if (save.attachments.length === 0) return { ok: false, reason: "no http(s) attachment" };
  if (account !== undefined) save.account = { ...account };
  return { ok: true, save };
}
