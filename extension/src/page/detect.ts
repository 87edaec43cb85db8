// Is this SSE payload a finished video? PROTOCOL.md section 5, exactly:
// `type` is "file", the URL is http(s), and the URL's path (not its query)
// ends in a video extension, or the content/media type is `video/*`, or
// `video_generation` is present. Pure functions: no DOM, no extension APIs.

import { httpUrl } from "../shared/urls";
import type { VideoMeta } from "../shared/protocol";

export const kVideoExtensions = [".mp4", ".mov", ".webm", ".m4v", ".avi", ".mkv"] as const;

/// Prompts longer than this are cut: the host stores text, not novels.
export const kMaxPromptChars = 10_000;

export interface DetectedVideo {
  url: string;
  thumbnail_url?: string;
  prompt?: string;
  meta?: VideoMeta;
}

export type Detection =
  | { ok: true; video: DetectedVideo }
  | { ok: false; reason: string };

type Obj = Record<string, unknown>;

function asObject(value: unknown): Obj | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/// True when the URL's path (never its query or fragment) ends in a video
/// extension: `https://x/a.mp4?sig=1` is a video, `https://x/a?f=b.mp4` is not.
export function hasVideoExtension(url: string): boolean {
  let path: string;
  try {
    path = new URL(url).pathname.toLowerCase();
  } catch {
    return false;
  }
  return kVideoExtensions.some((ext) => path.endsWith(ext));
}

function isVideoType(value: unknown): value is string {
  return typeof value === "string" && value.trim().toLowerCase().startsWith("video/");
}

function positiveNumber(value: unknown): number | undefined {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined;
}

/// Duration, size and model when the event carries them (first source wins).
export function extractMeta(sources: Array<Obj | undefined>, contentType?: string): VideoMeta | undefined {
  const meta: VideoMeta = {};
  for (const s of sources) {
    if (s === undefined) continue;
    meta.duration_s ??= positiveNumber(s["duration_s"]) ?? positiveNumber(s["duration"]) ??
      positiveNumber(s["durationSeconds"]);
    meta.width ??= positiveNumber(s["width"]);
    meta.height ??= positiveNumber(s["height"]);
    const resolution = typeof s["resolution"] === "string" ? /^(\d+)\s*[x×]\s*(\d+)$/i.exec(s["resolution"]) : null;
    if (resolution !== null) {
      meta.width ??= Number(resolution[1]);
      meta.height ??= Number(resolution[2]);
    }
    meta.model ??= nonEmptyString(s["model"])?.slice(0, 200);
  }
  if (contentType !== undefined) meta.content_type = contentType.trim().toLowerCase().slice(0, 100);
  for (const key of Object.keys(meta) as Array<keyof VideoMeta>) {
    if (meta[key] === undefined) delete meta[key];
  }
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/// Detection on one parsed JSON payload: the chat's SSE event
/// `{type:"file", object:{url, thumbnail_url, contentType, video_generation}}`
/// or an AI SDK UI-message-stream chunk `{type:"file", url, mediaType}`.
export function detectVideo(payload: unknown): Detection {
  const event = asObject(payload);
  if (event === undefined) return { ok: false, reason: "payload is not a JSON object" };
  if (event["type"] !== "file") return { ok: false, reason: `type is ${JSON.stringify(event["type"])}, not "file"` };

  const object = asObject(event["object"]);
  // The chat's own event nests the file in `object`; an AI SDK chunk is flat.
  const file = object ?? event;
  const url = httpUrl(file["url"]);
  if (url === null) return { ok: false, reason: "no http(s) url" };

  const typeField = [file["contentType"], file["mediaType"]].find(isVideoType);
  const generation = asObject(file["video_generation"]);
  const isVideo = hasVideoExtension(url) || typeField !== undefined ||
    (object !== undefined && object["video_generation"] !== undefined && object["video_generation"] !== null);
  if (!isVideo) {
    return { ok: false, reason: "file is not a video (no video path extension, video/* type or video_generation)" };
  }

  const topGeneration = asObject(event["video_generation"]);
  const prompt = nonEmptyString(generation?.["prompt"]) ?? nonEmptyString(file["prompt"]) ??
    nonEmptyString(topGeneration?.["prompt"]);
  const thumbnail = httpUrl(file["thumbnail_url"]) ?? httpUrl(file["thumbnailUrl"]);
  const meta = extractMeta([generation, file, topGeneration], typeField);

  const video: DetectedVideo = { url };
  if (thumbnail !== null) video.thumbnail_url = thumbnail;
  if (prompt !== undefined) video.prompt = prompt.slice(0, kMaxPromptChars);
  if (meta !== undefined) video.meta = meta;
  return { ok: true, video };
}

/// Detection on one SSE `data` string. Most chat stream events are text
/// deltas; the substring check skips JSON.parse for all of them.
export function detectInSseData(data: string): Detection {
  if (!data.includes('"file"')) return { ok: false, reason: 'no "file" in data' };
  if (data.length > 4 * 1024 * 1024) return { ok: false, reason: "data larger than 4 MiB" };
  let payload: unknown;
  try {
    payload = JSON.parse(data);
  } catch {
    return { ok: false, reason: "data is not JSON" };
  }
  return detectVideo(payload);
}
