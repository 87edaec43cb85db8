// Pure DOM building for the popup. Everything that came from a page (prompt,
// URLs, chat ids, error texts) goes in through textContent or setAttribute,
// never as HTML; media URLs are used only when they are http(s).

import { isVideoSource, type Account, type SyncState, type VideoRecord } from "../shared/protocol";
import { httpUrl } from "../shared/urls";
import { infoTitle, renderMediaRow } from "./media-view";
import { hasCachedThumbnail } from "./thumbnails";

export type Translate = (key: string, substitutions?: string | string[]) => string;

export const kPromptPreviewChars = 140;

export function truncate(text: string, max: number): string {
  const chars = Array.from(text); // do not cut a surrogate pair in half
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/// "3f2c…a91b" for long ids, the id itself for short ones.
export function shortId(id: string): string {
  return id.length <= 12 ? id : `${id.slice(0, 6)}…${id.slice(-4)}`;
}

export function relativeTime(iso: string | undefined, now: Date, lang: string): string {
  if (iso === undefined) return "";
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return "";
  const seconds = Math.round((then.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const rtf = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  if (abs < 60) return rtf.format(seconds, "second");
  if (abs < 3600) return rtf.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), "hour");
  if (abs < 30 * 86_400) return rtf.format(Math.round(seconds / 86_400), "day");
  return then.toLocaleDateString(lang);
}

export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) return undefined;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function el<K extends keyof HTMLElementTagNameMap>(
  doc: Document,
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function syncBadge(doc: Document, sync: SyncState | string, lastError: string | null | undefined, t: Translate): HTMLElement {
  const badge = el(doc, "span", `badge sync-${/^[a-z_]+$/.test(sync) ? sync : "unknown"}`, t(`sync_${sync}`));
  badge.dataset["sync"] = sync;
  const tip = lastError ? `${t(`syncHint_${sync}`)}\n${lastError}` : t(`syncHint_${sync}`);
  badge.setAttribute("title", tip);
  return badge;
}

export interface CardContext {
  t: Translate;
  now: Date;
  lang: string;
  selected: boolean;
  /// The object URL of a cached thumbnail already read (ThumbnailCache.get).
  cachedThumbnail?: (videoId: string) => string | undefined;
}

/// One gallery card. Buttons carry `data-action` (play, open-chat, copy-url)
/// and the card `data-id`; the caller handles clicks by delegation.
export function renderCard(doc: Document, video: VideoRecord, ctx: CardContext): HTMLLIElement {
  const { t } = ctx;
  const card = el(doc, "li", "card");
  card.tabIndex = 0;
  card.dataset["id"] = video.video_id;
  card.setAttribute("aria-selected", String(ctx.selected));
  if (ctx.selected) card.classList.add("selected");

  const pick = el(doc, "input", "pick");
  pick.type = "checkbox";
  pick.checked = ctx.selected;
  pick.dataset["action"] = "select";
  pick.setAttribute("aria-label", t("selectVideo"));
  card.append(pick);

  const thumb = el(doc, "button", "thumb");
  thumb.type = "button";
  thumb.dataset["action"] = "play";
  thumb.setAttribute("aria-label", t("playVideo"));
  // The host's copy first (a generated one too: there was no remote one);
  // until it is read the card shows the placeholder and says so in
  // data-thumb, and main.ts fills it in with setThumbnail.
  const cached = hasCachedThumbnail(video);
  const objectUrl = cached ? ctx.cachedThumbnail?.(video.video_id) : undefined;
  const thumbUrl = objectUrl ?? (cached ? null : httpUrl(video.thumbnail_url));
  thumb.append(thumbUrl !== null ? thumbImage(doc, thumbUrl) : el(doc, "span", "placeholder"));
  thumb.dataset["thumb"] = objectUrl !== undefined ? "cached" : cached ? "pending" : thumbUrl !== null ? "remote" : "none";
  thumb.append(el(doc, "span", "play-overlay"));
  const duration = formatDuration(video.media?.info?.duration_s ?? video.meta?.duration_s);
  if (duration !== undefined) thumb.append(el(doc, "span", "duration", duration));
  card.append(thumb);

  const body = el(doc, "div", "body");
  const promptText = video.prompt?.trim() ? video.prompt.trim() : t("noPrompt");
  const prompt = el(doc, "p", video.prompt?.trim() ? "prompt" : "prompt empty", truncate(promptText, kPromptPreviewChars));
  prompt.setAttribute("title", promptText);
  body.append(prompt);

  const meta = el(doc, "p", "meta");
  if (video.chat_id) {
    const chat = el(doc, "span", "chat", `${t("chatLabel")} ${shortId(video.chat_id)}`);
    chat.setAttribute("title", video.chat_id);
    meta.append(chat);
  } else {
    meta.append(el(doc, "span", "chat none", t("noChat")));
  }
  const when = video.created_at ?? video.observed_at;
  if (when !== undefined) {
    const time = el(doc, "time", "when", relativeTime(when, ctx.now, ctx.lang));
    time.dateTime = when;
    const exact = new Date(when);
    if (!Number.isNaN(exact.getTime())) time.setAttribute("title", exact.toLocaleString(ctx.lang));
    meta.append(time);
  }
  body.append(meta);

  const mediaRow = renderMediaRow(doc, video, t, ctx.lang);
  if (mediaRow !== null) {
    const info = mediaRow.querySelector(".info");
    if (info !== null) info.setAttribute("title", infoTitle(video.media?.info, duration));
    body.append(mediaRow);
  }

  const row = el(doc, "div", "row");
  row.append(syncBadge(doc, video.sync, video.last_error, t));
  const actions = el(doc, "div", "actions");
  const pageUrl = httpUrl(video.page_url);
  if (pageUrl !== null) actions.append(actionButton(doc, "open-chat", t("openChat"), t("openChatHint")));
  actions.append(actionButton(doc, "copy-url", t("copyUrl"), t("copyUrlHint")));
  row.append(actions);
  body.append(row);

  // The host sends a video only with the session of the person who made it:
  // say whose sign-in it waits for.
  const account = video.account ?? undefined;
  if (video.sync === "auth_required" && account !== undefined) {
    body.append(el(doc, "p", "account-needed", t("signInAs", accountText(account))));
  }

  if (video.last_error && video.sync !== "synced") {
    const error = el(doc, "p", "error", truncate(video.last_error, 160));
    error.setAttribute("title", video.last_error);
    body.append(error);
  }
  body.append(renderDetails(doc, video, t));
  card.append(body);
  return card;
}

/// "ann@example.com (u-1)", or the id alone.
export function accountText(account: Account): string {
  return account.label !== undefined && account.label !== account.id ? `${account.label} (${account.id})` : account.id;
}

/// The name of where a video was seen; an unknown source (another host
/// version) as its raw word.
export function sourceText(source: string, t: Translate): string {
  return isVideoSource(source) ? t(`source_${source}`) : source;
}

/// A collapsed "Details" list: where the video was seen, who was signed in,
/// and the app's own message id when the app saved it.
function renderDetails(doc: Document, video: VideoRecord, t: Translate): HTMLDetailsElement {
  const details = el(doc, "details", "more");
  details.append(el(doc, "summary", undefined, t("details")));
  const rows: Array<[string, string]> = [[t("detailSource"), sourceText(String(video.source), t)]];
  if (video.account) rows.push([t("detailAccount"), accountText(video.account)]);
  if (video.app_message_id) rows.push([t("detailAppMessage"), video.app_message_id]);
  const list = el(doc, "dl", "detail-rows");
  renderRows(doc, list, rows);
  details.append(list);
  return details;
}

function thumbImage(doc: Document, url: string): HTMLImageElement {
  const img = el(doc, "img");
  img.alt = "";
  img.loading = "lazy";
  img.decoding = "async";
  img.referrerPolicy = "no-referrer";
  img.setAttribute("src", url);
  img.addEventListener("error", () => img.replaceWith(el(doc, "span", "placeholder")));
  return img;
}

/// Shows `url` as the card's thumbnail: an object URL of the cached one
/// (`blob:`), or the remote http(s) one when the cache could not be read.
export function setThumbnail(card: HTMLElement, url: string, source: "cached" | "remote"): void {
  const thumb = card.querySelector<HTMLElement>("button.thumb");
  if (thumb === null || !(url.startsWith("blob:") || httpUrl(url) !== null)) return;
  thumb.querySelector("img, .placeholder")?.replaceWith(thumbImage(card.ownerDocument, url));
  thumb.dataset["thumb"] = source;
}

function actionButton(doc: Document, action: string, label: string, hint: string): HTMLButtonElement {
  const button = el(doc, "button", "link", label);
  button.type = "button";
  button.dataset["action"] = action;
  button.setAttribute("title", hint);
  return button;
}

/// Replaces `parent`'s children with a definition list of label/value rows.
export function renderRows(doc: Document, parent: HTMLElement, rows: Array<[string, string]>): void {
  parent.replaceChildren();
  for (const [label, value] of rows) {
    const dt = el(doc, "dt", undefined, label);
    const dd = el(doc, "dd", undefined, value);
    dd.setAttribute("title", value);
    parent.append(dt, dd);
  }
}
