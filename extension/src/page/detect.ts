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

/// What kind of sighting a detection was: a chat event (`file`,
/// `render_result`) keeps the hook's own source; an AI SDK tool result is
/// source "tool" whatever carried it.
export type DetectedVia = "event" | "tool";

export type Found = { ok: true; video: DetectedVideo; via: DetectedVia } | { ok: false; reason: string };

const kNotVideoFileTypes = new Set(["image", "audio"]);

/// Detection on one file object: the chat backend's file record (REAL-APP.md
/// section 1) or an AI SDK file chunk. `nested` says it came inside a chat
/// event's `object` (or is a polled record), where `video_generation` and
/// `type: "video"` count.
function detectFile(file: Obj, nested: boolean, outer?: Obj): Detection {
  // A record's own `type` names its media; images and audio are never videos,
  // whatever else they carry (an image may have a video_generation_id).
  const kind = typeof file["type"] === "string" ? file["type"].trim().toLowerCase() : undefined;
  if (nested && kind !== undefined && kNotVideoFileTypes.has(kind)) return { ok: false, reason: `file type is "${kind}"` };
  // A video still being made has `url: null` (its tasks in_progress); the
  // same id comes again with the URL.
  const url = httpUrl(file["url"]);
  if (url === null) return { ok: false, reason: "no http(s) url (not finished yet?)" };

  const typeField = [file["contentType"], file["mediaType"]].find(isVideoType);
  const generation = asObject(file["video_generation"]);
  const isVideo = hasVideoExtension(url) || typeField !== undefined ||
    (nested && ((file["video_generation"] !== undefined && file["video_generation"] !== null) || kind === "video"));
  if (!isVideo) {
    return { ok: false, reason: "file is not a video (no video path extension, video/* type or video_generation)" };
  }

  const topGeneration = asObject(outer?.["video_generation"]);
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

/// Detection on one parsed JSON payload: the chat's SSE/WS event
/// `{type:"file", object:{url, thumbnail_url, type, video_generation, …}}`
/// or an AI SDK UI-message-stream chunk `{type:"file", url, mediaType}`.
export function detectVideo(payload: unknown): Detection {
  const event = asObject(payload);
  if (event === undefined) return { ok: false, reason: "payload is not a JSON object" };
  if (event["type"] !== "file") return { ok: false, reason: `type is ${JSON.stringify(event["type"])}, not "file"` };
  const object = asObject(event["object"]);
  // The chat's own event nests the file in `object`; an AI SDK chunk is flat.
  return object !== undefined ? detectFile(object, true, event) : detectFile(event, false);
}

/// `{type:"render_result", object:{url | file_url}}`: a rendered video.
export function detectRenderResult(payload: unknown): Detection {
  const event = asObject(payload);
  const object = asObject(event?.["object"]);
  if (event?.["type"] !== "render_result" || object === undefined) return { ok: false, reason: "not a render_result" };
  const url = httpUrl(object["url"]) ?? httpUrl(object["file_url"]);
  if (url === null) return { ok: false, reason: "render_result without an http(s) url" };
  const video: DetectedVideo = { url };
  const thumbnail = httpUrl(object["thumbnail_url"]) ?? httpUrl(object["thumbnailUrl"]);
  if (thumbnail !== null) video.thumbnail_url = thumbnail;
  const meta = extractMeta([object]);
  if (meta !== undefined) video.meta = meta;
  return { ok: true, video };
}

/// `"8s"`, `"8"`, 8 -> 8.
function seconds(value: unknown): number | undefined {
  if (typeof value === "string") {
    const m = /^\s*(\d+(?:\.\d+)?)\s*s?\s*$/i.exec(value);
    return m === null ? undefined : positiveNumber(m[1]);
  }
  return positiveNumber(value);
}

/// The AI SDK video tool's `settings`: duration "8s", resolution "720p",
/// aspectRatio "16:9" (which gives the width for a "720p" height).
function toolSettingsMeta(settings: Obj | undefined): VideoMeta {
  const meta: VideoMeta = {};
  if (settings === undefined) return meta;
  const duration = seconds(settings["duration"]);
  if (duration !== undefined) meta.duration_s = duration;
  const res = typeof settings["resolution"] === "string" ? settings["resolution"].trim() : "";
  const p = /^(\d{3,4})p$/i.exec(res);
  const wxh = /^(\d+)\s*[x×]\s*(\d+)$/i.exec(res);
  if (wxh !== null) {
    meta.width = Number(wxh[1]);
    meta.height = Number(wxh[2]);
  } else if (p !== null) {
    meta.height = Number(p[1]);
    const ratio = typeof settings["aspectRatio"] === "string" ? /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(settings["aspectRatio"].trim()) : null;
    if (ratio !== null && Number(ratio[2]) > 0) meta.width = Math.round((meta.height * Number(ratio[1])) / Number(ratio[2]));
  }
  return meta;
}

/// An AI SDK tool result (v5 `tool-output-available` `output`, v4 `a:`
/// `result`) that names a finished video: `videoUrl`, or `data.url` / `url`
/// with a video content type or path extension.
export function detectToolOutput(output: unknown): Detection {
  const out = asObject(output);
  if (out === undefined) return { ok: false, reason: "tool output is not an object" };
  if (out["success"] === false) return { ok: false, reason: "tool output says success: false" };
  const data = asObject(out["data"]);
  const typeOf = (o: Obj | undefined) =>
    [o?.["contentType"], o?.["mediaType"], o?.["mimeType"], o?.["content_type"]].find(isVideoType);
  const named = (value: unknown, type: string | undefined): string | null => {
    const url = httpUrl(value);
    return url !== null && (type !== undefined || hasVideoExtension(url)) ? url : null;
  };
  const url = httpUrl(out["videoUrl"]) ?? httpUrl(out["video_url"]) ??
    named(data?.["url"], typeOf(data) ?? typeOf(out)) ?? named(out["url"], typeOf(out));
  if (url === null) return { ok: false, reason: "tool output names no video" };

  const video: DetectedVideo = { url };
  const prompt = nonEmptyString(data?.["prompt"]) ?? nonEmptyString(out["prompt"]);
  if (prompt !== undefined) video.prompt = prompt.slice(0, kMaxPromptChars);
  const thumbnail = httpUrl(out["thumbnailUrl"]) ?? httpUrl(out["thumbnail_url"]) ??
    httpUrl(data?.["thumbnailUrl"]) ?? httpUrl(data?.["thumbnail_url"]);
  if (thumbnail !== null) video.thumbnail_url = thumbnail;
  const meta: VideoMeta = toolSettingsMeta(asObject(data?.["settings"]) ?? asObject(out["settings"]));
  const model = nonEmptyString(out["model"]) ?? nonEmptyString(data?.["model"]);
  if (model !== undefined) meta.model = model.slice(0, 200);
  const type = typeOf(data) ?? typeOf(out);
  if (type !== undefined) meta.content_type = type.trim().toLowerCase().slice(0, 100);
  if (Object.keys(meta).length > 0) video.meta = meta;
  return { ok: true, video };
}

/// Any parsed stream payload: a chat event (`file`, `render_result`) or an AI
/// SDK v5 `tool-output-available` chunk.
export function detectPayload(payload: unknown): Found {
  const event = asObject(payload);
  if (event === undefined) return { ok: false, reason: "payload is not a JSON object" };
  const type = event["type"];
  const tag = (d: Detection, via: DetectedVia): Found => (d.ok ? { ...d, via } : d);
  if (type === "render_result") return tag(detectRenderResult(event), "event");
  if (type === "tool-output-available") return tag(detectToolOutput(event["output"]), "tool");
  return tag(detectVideo(event), "event");
}

/// Most stream events are text deltas: only data with one of these goes to JSON.parse.
const kMarkers = ['"file"', '"render_result"', '"tool-output-available"'];
const kMaxDataChars = 4 * 1024 * 1024;

function parseIfMarked(data: string, markers: readonly string[]): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (!markers.some((m) => data.includes(m))) return { ok: false, reason: "no video marker in data" };
  if (data.length > kMaxDataChars) return { ok: false, reason: "data larger than 4 MiB" };
  try {
    return { ok: true, value: JSON.parse(data) };
  } catch {
    return { ok: false, reason: "data is not JSON" };
  }
}

/// Detection on one SSE `data` string or WebSocket text message. The
/// substring check skips JSON.parse for text deltas and progress events.
export function detectInSseData(data: string): Found {
  const parsed = parseIfMarked(data, kMarkers);
  return parsed.ok ? detectPayload(parsed.value) : parsed;
}

/// Detection on one line of an AI SDK v4 data stream (`<code>:<json>`): an
/// `a:` tool result (`{toolCallId, result}`), or the elements of a `2:` / `8:`
/// data array read as stream payloads. Other codes (`0:` text, …) are never parsed.
export function detectInDataStreamLine(line: string): Found[] {
  const code = line.slice(0, 2);
  if (code === "a:") {
    const parsed = parseIfMarked(line.slice(2), ['"result"']);
    if (!parsed.ok) return [];
    const result = detectToolOutput(asObject(parsed.value)?.["result"]);
    return result.ok ? [{ ...result, via: "tool" }] : [result];
  }
  if (code === "2:" || code === "8:") {
    const parsed = parseIfMarked(line.slice(2), kMarkers);
    if (!parsed.ok) return [];
    if (!Array.isArray(parsed.value)) return [{ ok: false, reason: "data part is not an array" }];
    return parsed.value.slice(0, kMaxRecords).map(detectPayload);
  }
  return [];
}

/// How many records of one JSON answer are looked at, at most.
export const kMaxRecords = 200;

/// A file record as polled (`GET /api/file/<id>`): an object with an `id`
/// and a `url` key (null while in progress).
function isFileRecord(value: unknown): value is Obj {
  const o = asObject(value);
  return o !== undefined && "id" in o && "url" in o;
}

/// The finished videos in a polled JSON answer: the body as a file record,
/// or the file records in an array at the top level or one level down (a
/// project's `files`). Records that are not videos are skipped.
export function detectInJsonAnswer(body: unknown): DetectedVideo[] {
  const records: Obj[] = [];
  const take = (value: unknown): void => {
    if (records.length < kMaxRecords && isFileRecord(value)) records.push(value);
  };
  const takeArray = (list: unknown[]): void => {
    for (const item of list.slice(0, kMaxRecords)) take(item);
  };
  if (Array.isArray(body)) {
    takeArray(body);
  } else {
    const top = asObject(body);
    if (top === undefined) return [];
    take(top);
    for (const value of Object.values(top).slice(0, kMaxRecords)) {
      if (Array.isArray(value)) takeArray(value);
      else take(value);
    }
  }
  const found: DetectedVideo[] = [];
  for (const record of records) {
    const d = detectFile(record, true);
    if (d.ok) found.push(d.video);
  }
  return found;
}
