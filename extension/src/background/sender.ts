// Who is talking to the background. The page world is not trusted: a
// capture's page URL, chat id and origin come from the sender tab as the
// browser reports it, never from what the page posted, and only tabs on a
// configured chat origin are heard at all.

import type { CapturedVideo } from "../shared/messages";
import { kPageSources, type Video, type VideoMeta, type VideoSource } from "../shared/protocol";
import { chatIdFromUrl } from "../shared/chat-id";
import { httpUrl, originOf } from "../shared/urls";

/// The parts of runtime.MessageSender we look at.
export interface SenderLike {
  id?: string;
  url?: string;
  origin?: string;
  frameId?: number;
  tab?: { id?: number; url?: string };
}

export interface CaptureContext {
  pageUrl: string;
  origin: string;
  chatId?: string;
  /// The sender tab's id: a capture from a tab without a chat id waits for
  /// that tab to gain one (docs/extension.md, "Holding for the chat id").
  tabId?: number;
}

export type SenderCheck = { ok: true; context: CaptureContext } | { ok: false; reason: string };

/// Accepts a content script of this extension, in the top frame of a tab
/// whose URL is on one of `origins`.
export function checkContentSender(
  sender: SenderLike,
  extensionId: string,
  origins: readonly string[],
  chatIdPattern: string,
): SenderCheck {
  if (sender.id !== extensionId) return { ok: false, reason: "another extension" };
  const pageUrl = sender.tab?.url;
  const origin = originOf(pageUrl);
  if (pageUrl === undefined || origin === null) return { ok: false, reason: "no http(s) tab URL" };
  if (!origins.includes(origin)) return { ok: false, reason: `origin ${origin} is not a configured chat origin` };
  if (sender.frameId !== undefined && sender.frameId !== 0) return { ok: false, reason: "not the top frame" };
  // The frame's own origin must be the tab's (Chromium gives sender.origin,
  // Firefox sender.url).
  const frameOrigin = sender.origin ?? originOf(sender.url);
  if (frameOrigin !== undefined && frameOrigin !== null && frameOrigin !== origin) {
    return { ok: false, reason: "frame origin differs from the tab's" };
  }
  const context: CaptureContext = { pageUrl, origin };
  const chatId = chatIdFromUrl(pageUrl, chatIdPattern);
  if (chatId !== undefined) context.chatId = chatId;
  const tabId = sender.tab?.id;
  if (typeof tabId === "number" && Number.isInteger(tabId) && tabId >= 0) context.tabId = tabId;
  return { ok: true, context };
}

/// Accepts this extension's own pages (popup, options).
export function isExtensionPage(sender: SenderLike, extensionId: string, extensionBaseUrl: string): boolean {
  return sender.id === extensionId && typeof sender.url === "string" && sender.url.startsWith(extensionBaseUrl);
}

function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value < 1e9 ? value : undefined;
}

function cleanMeta(raw: unknown): VideoMeta | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const meta: VideoMeta = {};
  const duration = finiteNumber(r["duration_s"]);
  const width = finiteNumber(r["width"]);
  const height = finiteNumber(r["height"]);
  if (duration !== undefined) meta.duration_s = duration;
  if (width !== undefined) meta.width = Math.round(width);
  if (height !== undefined) meta.height = Math.round(height);
  if (typeof r["model"] === "string" && r["model"] !== "") meta.model = r["model"].slice(0, 200);
  if (typeof r["content_type"] === "string" && /^video\/[\w.+-]+$/i.test(r["content_type"])) {
    meta.content_type = r["content_type"].toLowerCase();
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/// The Video to send to the host, from what the page posted (checked field
/// by field) and the sender's context. Null when the page sent no usable URL.
export function buildVideo(posted: unknown, context: CaptureContext, now: Date = new Date()): Video | null {
  if (typeof posted !== "object" || posted === null) return null;
  const p = posted as Partial<Record<keyof CapturedVideo, unknown>>;
  const url = httpUrl(p.url);
  if (url === null) return null;
  // `app` is the host's own word (the app's save); a page claiming it is "manual".
  const source = kPageSources.includes(p.source as VideoSource) ? (p.source as VideoSource) : "manual";
  const video: Video = { url, source, page_url: context.pageUrl };
  if (context.chatId !== undefined) video.chat_id = context.chatId;
  const thumbnail = httpUrl(p.thumbnail_url);
  if (thumbnail !== null) video.thumbnail_url = thumbnail;
  if (typeof p.prompt === "string" && p.prompt.trim() !== "") video.prompt = p.prompt.trim().slice(0, 10_000);
  const observed = typeof p.observed_at === "string" ? new Date(p.observed_at) : undefined;
  video.observed_at = (observed !== undefined && !Number.isNaN(observed.getTime()) ? observed : now).toISOString();
  const meta = cleanMeta(p.meta);
  if (meta !== undefined) video.meta = meta;
  return video;
}
