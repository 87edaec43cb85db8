import { describe, expect, it } from "vitest";
import { buildAppSave, kMaxAppSaveAttachments } from "./app-save";

const pattern = "/chat/([^/?#]+)";
const chat = "3f2c9a1e-aaaa-4bbb-8ccc-000000000001";
const inChat = { pageUrl: `https://chat.example/chat/${chat}`, origin: "https://chat.example", chatId: chat, tabId: 3 };
const newChat = { pageUrl: "https://chat.example/", origin: "https://chat.example", tabId: 3 };
const seen = (extra: Record<string, unknown> = {}) => ({
  chatId: chat,
  messageId: "9b1d-uuid",
  phase: "finished",
  httpStatus: 200,
  attachments: [{ url: "https://cdn.example/v/1.mp4", thumbnailUrl: "https://cdn.example/v/1.webp", contentType: "Video/MP4" }],
  ...extra,
});

describe("buildAppSave", () => {
  it("builds the host's app_save with the tab's page URL and the account", () => {
    expect(buildAppSave({ ...seen(), page_url: "https://evil.example/" }, inChat, pattern, { id: "u-1", label: "ann" })).toEqual({
      ok: true,
      save: {
        chat_id: chat,
        message_id: "9b1d-uuid",
        phase: "finished",
        http_status: 200,
        page_url: `https://chat.example/chat/${chat}`,
        attachments: [{ url: "https://cdn.example/v/1.mp4", thumbnail_url: "https://cdn.example/v/1.webp", content_type: "video/mp4" }],
        account: { id: "u-1", label: "ann" },
      },
    });
  });

  it("takes the body's chat id in a new chat whose tab has none yet", () => {
    const check = buildAppSave(seen({ phase: "started", httpStatus: undefined }), newChat, pattern, undefined);
    expect(check).toMatchObject({ ok: true, save: { chat_id: chat, phase: "started", page_url: "https://chat.example/" } });
    expect(check.ok && check.save).not.toHaveProperty("http_status");
    expect(check.ok && check.save).not.toHaveProperty("account");
  });

  it("refuses a chat id other than the tab's (a page writing into another chat)", () => {
    expect(buildAppSave(seen({ chatId: "11111111-aaaa-4bbb-8ccc-000000000001" }), inChat, pattern, undefined))
      .toEqual({ ok: false, reason: "chat id differs from the tab's" });
  });

  it("refuses chat ids the pattern would never read from a URL", () => {
    for (const chatId of ["../../api", "a/b", "", 7, undefined, "x".repeat(201)]) {
      expect(buildAppSave(seen({ chatId }), newChat, pattern, undefined).ok, String(chatId)).toBe(false);
    }
  });

  it("refuses unknown phases, non-objects, and saves without an http(s) attachment", () => {
    expect(buildAppSave(seen({ phase: "done" }), inChat, pattern, undefined).ok).toBe(false);
    expect(buildAppSave("save", inChat, pattern, undefined).ok).toBe(false);
    expect(buildAppSave(seen({ attachments: "x" }), inChat, pattern, undefined).ok).toBe(false);
    expect(buildAppSave(seen({ attachments: [{ url: "javascript:alert(1)" }, { url: "blob:https://chat.example/1" }, null] }), inChat, pattern, undefined))
      .toEqual({ ok: false, reason: "no http(s) attachment" });
  });

  it("drops bad attachment fields and keeps at most 32 attachments", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ url: `https://cdn.example/v/${i}.mp4`, thumbnailUrl: "data:image/png,x", contentType: "<b>" }));
    const check = buildAppSave(seen({ attachments: many }), inChat, pattern, undefined);
    expect(check.ok && check.save.attachments.length).toBe(kMaxAppSaveAttachments);
    expect(check.ok && check.save.attachments[0]).toEqual({ url: "https://cdn.example/v/0.mp4" });
  });

  it("reads an unreadable status as 0 (no answer) and drops an over-long message id", () => {
    const check = buildAppSave(seen({ httpStatus: "500", messageId: "m".repeat(201) }), inChat, pattern, undefined);
    expect(check.ok && check.save.http_status).toBe(0);
    expect(check.ok && check.save).not.toHaveProperty("message_id");
  });
});
