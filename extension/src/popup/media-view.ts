// The local copy on a gallery card: its state label ("not cached",
// "downloading 42 %", "cached · 5.2 MB", "failed: <why>"), what the host's
// probe says (WxH · codec), and the pin / fetch-again buttons. Built apart
// from the rest of the card so a `media_state` event replaces only this row
// (patchMedia), at up to 4 updates a second per file, without touching the
// thumbnail or the rest of the list. Host texts go in as text only.

import type { MediaFile, MediaInfo, VideoRecord } from "../shared/protocol";
import type { Translate } from "./render";

/// "5.2 MB" in the person's language (decimal units, as file managers
/// show; kB the smallest: these are video files).
export function formatBytes(bytes: number, lang: string): string {
  const units = ["kilobyte", "megabyte", "gigabyte", "terabyte"] as const;
  let value = Math.max(0, bytes) / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  try {
    return new Intl.NumberFormat(lang, {
      style: "unit",
      unit: units[unit],
      unitDisplay: "short",
      maximumFractionDigits: 1,
    }).format(value);
  } catch {
    return `${value.toFixed(1)} ${["kB", "MB", "GB", "TB"][unit]}`;
  }
}

/// The whole percent done, never 100 before the end; null when unknown.
export function percentDone(file: MediaFile): number | null {
  let percent = file.percent;
  if (percent === null && file.total !== null && file.total > 0) percent = (file.bytes / file.total) * 100;
  if (percent === null) return null;
  return Math.min(file.state === "cached" ? 100 : 99, Math.floor(percent));
}

/// The state label of a video's local copy.
export function mediaLabel(file: MediaFile | null | undefined, t: Translate, lang: string): string {
  if (file === null || file === undefined) return t("mediaNotCached");
  switch (file.state) {
    case "downloading": {
      const percent = percentDone(file);
      if (percent !== null) return t("mediaDownloading", String(percent));
      return file.bytes > 0 ? t("mediaDownloadingBytes", formatBytes(file.bytes, lang)) : t("mediaDownloadingStart");
    }
    case "cached": {
      const size = file.total ?? file.bytes;
      return size > 0 ? t("mediaCached", formatBytes(size, lang)) : t("mediaCachedNoSize");
    }
    case "failed":
      return file.error !== null ? t("mediaFailed", file.error) : t("mediaFailedNoReason");
    default:
      return t("mediaNotCached");
  }
}

/// "1280×720 · h264" from the host's probe (duration goes on the thumbnail).
export function infoText(info: MediaInfo | null | undefined): string {
  if (info === null || info === undefined) return "";
  const parts: string[] = [];
  if (info.width !== null && info.height !== null) parts.push(`${info.width}×${info.height}`);
  if (info.video_codec !== null) parts.push(info.video_codec);
  return parts.join(" · ");
}

/// The longer form for the tooltip: every field the probe gave.
export function infoTitle(info: MediaInfo | null | undefined, duration: string | undefined): string {
  if (info === null || info === undefined) return "";
  const codecs = [info.video_codec, info.audio_codec].filter((c): c is string => c !== null).join(" / ");
  return [duration, info.width !== null && info.height !== null ? `${info.width}×${info.height}` : undefined, codecs || undefined, info.container ?? undefined]
    .filter((part): part is string => part !== undefined && part !== "")
    .join(" · ");
}

/// True when "fetch again" makes sense: failed, evicted, or not fetched yet.
export function canFetchAgain(video: VideoRecord): boolean {
  const state = video.media?.video.state;
  return state === "failed" || state === "not_cached";
}

function button(doc: Document, action: string, label: string, hint: string): HTMLButtonElement {
  const b = doc.createElement("button");
  b.type = "button";
  b.className = `link ${action}`;
  b.dataset["action"] = action;
  b.textContent = label;
  b.setAttribute("title", hint);
  return b;
}

/// The card's media row, or null for records without `media` (older hosts).
/// Hooks (docs/extension.md): `[data-media-state]` on the label,
/// `data-action="pin"` (aria-pressed) and `data-action="fetch"`.
export function renderMediaRow(doc: Document, video: VideoRecord, t: Translate, lang: string): HTMLElement | null {
  const media = video.media;
  if (media === undefined) return null;
  const row = doc.createElement("div");
  row.className = "media";

  const file = media.video;
  const label = doc.createElement("span");
  label.className = `cache cache-${file.state}`;
  label.dataset["mediaState"] = file.state;
  const percent = percentDone(file);
  if (file.state === "downloading" && percent !== null) label.dataset["percent"] = String(percent);
  label.textContent = mediaLabel(file, t, lang);
  label.setAttribute("title", file.error ?? t(`mediaHint_${file.state}`));
  row.append(label);

  const info = infoText(media.info);
  if (info !== "") {
    const span = doc.createElement("span");
    span.className = "info";
    span.textContent = info;
    row.append(span);
  }

  const actions = doc.createElement("span");
  actions.className = "media-actions";
  const pin = button(doc, "pin", media.pinned ? t("mediaPinned") : t("mediaPin"), media.pinned ? t("mediaUnpinHint") : t("mediaPinHint"));
  pin.setAttribute("aria-pressed", String(media.pinned));
  actions.append(pin);
  if (canFetchAgain(video)) actions.append(button(doc, "fetch", t("mediaFetch"), t("mediaFetchHint")));
  row.append(actions);
  return row;
}

/// Replaces the media row of a card in place (nothing else on the card
/// changes); keeps keyboard focus on the same button.
export function patchMedia(card: HTMLElement, video: VideoRecord, t: Translate, lang: string): void {
  const doc = card.ownerDocument;
  const old = card.querySelector<HTMLElement>(".media");
  const fresh = renderMediaRow(doc, video, t, lang);
  const focused = old !== null && old.contains(doc.activeElement) ? (doc.activeElement as HTMLElement).dataset["action"] : undefined;
  if (old !== null && fresh !== null) old.replaceWith(fresh);
  else if (old !== null) old.remove();
  else if (fresh !== null) card.querySelector(".body .meta")?.after(fresh);
  if (focused !== undefined) fresh?.querySelector<HTMLElement>(`[data-action="${focused}"]`)?.focus();
}
