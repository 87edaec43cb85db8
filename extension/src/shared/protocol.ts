// The wire contract with vidkeep-host: ../../../../shared/PROTOCOL.md section 3.
// This is the only file in the extension that spells host field names; the
// rest of the code uses these types.

/// The native messaging host name (PROTOCOL.md section 1).
export const kHostName = "org.vidkeep.host";

/// The protocol version this extension speaks. A host answering `hello` with
/// another number is shown as "update vidkeep" and never used.
export const kProtocolVersion = 1;

// How the host writes records (docs/protocol-extensions.md, "Lean records"),
// named by `record_format` in `hello`, `list` and `get` answers. 1 (or none):
// every field present, `null` when unknown. 2: a key only when there is
// something to say, and no `media` when there is no copy yet. The extension
// reads both: a missing key is null everywhere, and parseListAnswer /
// parseGetAnswer fill in the one thing that differs (`media`).

/// `saved_by_app`: the app saved a message with this video itself; vidkeep
/// sends nothing (docs/protocol-extensions.md, "New sync state saved_by_app").
export type SyncState = "pending" | "synced" | "failed" | "auth_required" | "local" | "saved_by_app";
export const kSyncStates: readonly SyncState[] = ["pending", "synced", "failed", "auth_required", "local", "saved_by_app"];

/// Where a video was seen (docs/protocol-extensions.md, "New capture sources").
/// `artifact` and `inline` are "seen" sources: never sent by themselves.
/// `app` is set by the host only (the app's own save).
export type VideoSource = "sse" | "websocket" | "poll" | "tool" | "artifact" | "inline" | "manual" | "app";
export const kVideoSources: readonly VideoSource[] = ["sse", "websocket", "poll", "tool", "artifact", "inline", "manual", "app"];
/// The sources a page may report; `app` is the host's alone.
export const kPageSources: readonly VideoSource[] = kVideoSources.filter((s) => s !== "app");

/// The person signed in on the video's origin (docs/protocol-extensions.md,
/// "video.account"): the session endpoint's user id and a label to show.
/// Never a cookie value.
export interface Account {
  id: string;
  label?: string;
}

export type ErrorCode =
  | "bad_request"
  | "too_large"
  | "invalid_url"
  | "not_found"
  | "unsupported"
  | "unauthorized"
  | "unavailable"
  | "internal"
  // Made by the extension itself, never by the host: the request never got a
  // host answer (no host, it went away, or it took too long).
  | "disconnected"
  | "timeout";

export interface WireError {
  /// A known code, or another one from a newer host (`string & {}` keeps
  /// the known ones visible to the type checker and the editor).
  code: ErrorCode | (string & {});
  message: string;
  retryable: boolean;
}

export interface VideoMeta {
  duration_s?: number;
  width?: number;
  height?: number;
  model?: string;
  /// Extension to PROTOCOL.md (optional): the `video/*` type the page named,
  /// so the host can put the real `contentType` in the attachment.
  content_type?: string;
}

/// A Video as the extension sends it (PROTOCOL.md section 3, "Video").
export interface Video {
  url: string;
  thumbnail_url?: string;
  prompt?: string;
  chat_id?: string;
  source: VideoSource;
  page_url?: string;
  observed_at?: string;
  meta?: VideoMeta;
  /// The last person the extension saw signed in on the origin (optional).
  account?: Account;
}

/// A Video record as the host answers it. Every optional field may be
/// missing (record format 2) or null (format 1): both mean "not known".
export interface VideoRecord extends Omit<Video, "account"> {
  video_id: string;
  origin?: string;
  sync: SyncState;
  sync_attempts?: number;
  last_error?: string | null;
  created_at?: string;
  /// Who was signed in when it was captured; null when nobody was known.
  account?: Account | null;
  /// The app's own message id when the app saved it (`saved_by_app`).
  app_message_id?: string | null;
  /// The host's local copy (docs/protocol-extensions.md, "Media cache").
  /// Absent on hosts without the cache; always passed through parseMedia.
  media?: Media;
}

// ---- media cache (docs/protocol-extensions.md, "Media cache (issue 7)") ----

export type MediaState = "not_cached" | "downloading" | "cached" | "failed";
export const kMediaStates: readonly MediaState[] = ["not_cached", "downloading", "cached", "failed"];
export type MediaKind = "video" | "thumbnail";

/// The largest `media_read` the host serves (and so the most one answer holds).
export const kMediaReadMax = 524_288;

/// One cached file (the video or its thumbnail).
export interface MediaFile {
  state: MediaState;
  bytes: number;
  /// null while the size is unknown.
  total: number | null;
  percent: number | null;
  content_type: string | null;
  sha256: string | null;
  /// Why it failed or was evicted, in words a person can act on.
  error: string | null;
  /// Thumbnail only: the host made it from the video (the event had none).
  generated?: boolean;
}

/// What the host's probe of the cached file says; any field may be null.
export interface MediaInfo {
  duration_s: number | null;
  width: number | null;
  height: number | null;
  video_codec: string | null;
  audio_codec: string | null;
  container: string | null;
}

export interface Media {
  video: MediaFile;
  thumbnail: MediaFile | null;
  info: MediaInfo | null;
  pinned: boolean;
  last_viewed_at: string | null;
}

export type RequestId = number | string;

export interface HelloRequest { type: "hello"; extension_version?: string }
export interface VideoRequest { type: "video"; video: Video }
export interface ListRequest {
  type: "list";
  limit?: number;
  cursor?: string;
  chat_id?: string;
  query?: string;
  sync?: SyncState;
}
export interface GetRequest { type: "get"; video_id: string }
export interface DeleteRequest { type: "delete"; video_ids: string[] }
export interface ResyncRequest { type: "resync"; video_ids: string[] }
export interface StatusRequest { type: "status" }
export interface MediaReadRequest { type: "media_read"; video_id: string; kind: MediaKind; offset?: number; length?: number }
export interface MediaPinRequest { type: "media_pin"; video_ids: string[]; pinned: boolean }
export interface MediaFetchRequest { type: "media_fetch"; video_ids: string[] }
export interface ConfigureRequest {
  type: "configure";
  server: { origin: string; auth?: { cookie?: string; bearer?: string } };
}

/// The app's own `POST /api/save-message`, as the extension checked it
/// (docs/protocol-extensions.md, "New request app_save").
export interface AppSave {
  chat_id: string;
  message_id?: string;
  phase: "started" | "finished";
  /// The answer's status; 0 when it failed without one. Only with `finished`.
  http_status?: number;
  page_url: string;
  attachments: Array<{ url: string; thumbnail_url?: string; content_type?: string }>;
  account?: Account;
}
export interface AppSaveRequest { type: "app_save"; save: AppSave }

/// A request without its id; the host connection assigns ids.
export type HostRequest =
  | HelloRequest
  | VideoRequest
  | ListRequest
  | GetRequest
  | DeleteRequest
  | ResyncRequest
  | StatusRequest
  | ConfigureRequest
  | MediaReadRequest
  | MediaPinRequest
  | MediaFetchRequest
  | AppSaveRequest;

/// An `ok` answer. Its fields are read only here, through the parse*
/// functions below (no index signature: code elsewhere cannot spell a field
/// name, so a renamed field is changed in one file).
export interface OkAnswer { id: RequestId | null; ok: true }
export interface ErrorAnswer { id: RequestId | null; ok: false; error: WireError }
export type Answer = OkAnswer | ErrorAnswer;

export interface HelloAnswer extends OkAnswer { host_version?: string; protocol?: number; record_format?: number; db_path?: string }
export interface VideoAnswer extends OkAnswer { video_id: string; duplicate: boolean; sync: SyncState }
export interface ListAnswer extends OkAnswer { videos: VideoRecord[]; next_cursor: string | null }
export interface StatusAnswer extends OkAnswer {
  videos?: number;
  pending?: number;
  synced?: number;
  failed?: number;
  auth_required?: number;
  local?: number;
  saved_by_app?: number;
  last_error?: string | null;
  host_version?: string;
}

/// What a `configure` answer says about who the credentials belong to.
/// `checked: false`: unknown (lookup off or unreadable), not "nobody".
export interface ConfiguredAccount {
  checked: boolean;
  /// null: the host checked and there is no session.
  account: Account | null;
}

/// An unsolicited host event: it has `type` and no `id` key at all.
export interface HostEvent { type: string; [field: string]: unknown }
export interface SyncStateEvent extends HostEvent { type: "sync_state"; video_id: string; sync: SyncState; last_error?: string | null }

export function isSyncState(value: unknown): value is SyncState {
  return typeof value === "string" && (kSyncStates as readonly string[]).includes(value);
}

/// True for a frame that answers a request (it carries an `id` key, even null).
export function isAnswer(frame: unknown): frame is Answer {
  return typeof frame === "object" && frame !== null && "id" in frame && "ok" in frame;
}

/// True for an unsolicited event: an object with a string `type` and no `id` key.
export function isHostEvent(frame: unknown): frame is HostEvent {
  return typeof frame === "object" && frame !== null && !("id" in frame) &&
    typeof (frame as { type?: unknown }).type === "string";
}

export function isSyncStateEvent(event: HostEvent): event is SyncStateEvent {
  return event.type === "sync_state" && typeof event["video_id"] === "string" && isSyncState(event["sync"]);
}

// ---- media cache: checking what the host sent ----
// Host data is untrusted at this boundary: every field is checked and
// rebuilt, so the rest of the extension can rely on the types above.

export interface MediaStateEvent extends HostEvent {
  type: "media_state";
  video_id: string;
  kind: MediaKind;
  state: MediaState;
  bytes: number;
  total: number | null;
  percent: number | null;
  error: string | null;
}

/// One `media_read` answer, checked and decoded.
export interface MediaChunk {
  content_type: string | null;
  /// The whole file's size in bytes.
  size: number;
  offset: number;
  data: Uint8Array<ArrayBuffer>;
  eof: boolean;
}

export function isMediaState(value: unknown): value is MediaState {
  return typeof value === "string" && (kMediaStates as readonly string[]).includes(value);
}

export function isMediaKind(value: unknown): value is MediaKind {
  return value === "video" || value === "thumbnail";
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? Math.floor(value) : null;
}

/// An answer's fields by name, for the parse* functions of this file only.
function fieldsOf(answer: OkAnswer): Readonly<Record<string, unknown>> {
  return answer as unknown as Record<string, unknown>;
}

function positive(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

function text(value: unknown, max: number): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.slice(0, max) : null;
}

function percentOf(value: unknown): number | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  return Math.min(100, Math.max(0, value));
}

/// `type/subtype` in lower case without parameters, or null: safe to give a
/// Blob or a Content-Type header.
export function mimeType(value: unknown): string | null {
  if (typeof value !== "string" || value.length > 200) return null;
  const bare = value.split(";")[0].trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(bare) ? bare : null;
}

/// A cached file's state, or null when `raw` is not one (unknown state).
export function parseMediaFile(raw: unknown): MediaFile | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (!isMediaState(r["state"])) return null;
  const file: MediaFile = {
    state: r["state"],
    bytes: count(r["bytes"]) ?? 0,
    total: count(r["total"]),
    percent: percentOf(r["percent"]),
    content_type: mimeType(r["content_type"]),
    sha256: typeof r["sha256"] === "string" && /^[0-9a-f]{1,128}$/i.test(r["sha256"]) ? r["sha256"] : null,
    error: text(r["error"], 1000),
  };
  if (r["generated"] === true) file.generated = true;
  return file;
}

export function parseMediaInfo(raw: unknown): MediaInfo | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  return {
    duration_s: positive(r["duration_s"]),
    width: positive(r["width"]) !== null ? Math.round(r["width"] as number) : null,
    height: positive(r["height"]) !== null ? Math.round(r["height"] as number) : null,
    video_codec: text(r["video_codec"], 40),
    audio_codec: text(r["audio_codec"], 40),
    container: text(r["container"], 40),
  };
}

/// A record's `media`, or undefined when absent (older host) or unreadable.
export function parseMedia(raw: unknown): Media | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const video = parseMediaFile(r["video"]);
  if (video === null) return undefined;
  return {
    video,
    thumbnail: parseMediaFile(r["thumbnail"]),
    info: parseMediaInfo(r["info"]),
    pinned: r["pinned"] === true,
    last_viewed_at: text(r["last_viewed_at"], 40),
  };
}

/// A `media_state` event rebuilt from known fields, or null.
export function parseMediaStateEvent(event: HostEvent): MediaStateEvent | null {
  if (event.type !== "media_state") return null;
  const videoId = event["video_id"];
  if (typeof videoId !== "string" || videoId === "" || videoId.length > 200) return null;
  if (!isMediaKind(event["kind"])) return null;
  const file = parseMediaFile(event);
  if (file === null) return null;
  return {
    type: "media_state",
    video_id: videoId,
    kind: event["kind"],
    state: file.state,
    bytes: file.bytes,
    total: file.total,
    percent: file.percent,
    error: file.error,
  };
}

/// Decodes base64 strictly; null when it is not base64.
export function base64Bytes(data: string): Uint8Array<ArrayBuffer> | null {
  if (data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(data)) return null;
  let binary: string;
  try {
    binary = atob(data);
  } catch {
    return null;
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/// The bytes of an `ok` answer to `{media_read, offset, length}`, or null
/// when the answer does not fit the request (wrong offset, more bytes than
/// asked for, past the size it names, not base64).
export function parseMediaReadAnswer(answer: OkAnswer, offset: number, length: number): MediaChunk | null {
  const a = fieldsOf(answer);
  const size = count(a["size"]);
  if (size === null) return null;
  if (a["offset"] !== undefined && a["offset"] !== offset) return null;
  const data = typeof a["data"] === "string" ? base64Bytes(a["data"]) : a["data"] === undefined ? new Uint8Array(0) : null;
  if (data === null || data.length > length || data.length > kMediaReadMax) return null;
  if (data.length > 0 && offset + data.length > size) return null;
  return {
    content_type: mimeType(a["content_type"]),
    size,
    offset,
    data,
    eof: typeof a["eof"] === "boolean" ? a["eof"] : offset + data.length >= size,
  };
}

// ---- the real chat app (issue 12): checking what the host sent ----

/// An account rebuilt from `{id, label?}`, or null when `raw` is not one.
export function parseAccount(raw: unknown): Account | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  const id = r["id"];
  if (typeof id !== "string" && typeof id !== "number") return null;
  const idText = String(id).trim();
  if (idText === "" || idText.length > 200) return null;
  const account: Account = { id: idText };
  const label = text(r["label"], 200);
  if (label !== null) account.label = label;
  return account;
}

/// The account part of an `ok` `configure` answer. A host without the
/// lookup (older) says nothing: unchecked.
export function parseConfigureAnswer(answer: OkAnswer): ConfiguredAccount {
  const a = fieldsOf(answer);
  const account = parseAccount(a["account"]);
  return { checked: a["account_checked"] === true && (account !== null || a["account"] === null), account };
}

/// The `matched` count of an `app_save` answer (0 when absent or unreadable).
export function appSaveMatched(answer: OkAnswer): number {
  return count(fieldsOf(answer)["matched"]) ?? 0;
}

/// A record's source when it is a known one (an older or newer host may send
/// others; the popup then shows the raw word).
export function isVideoSource(value: unknown): value is VideoSource {
  return typeof value === "string" && (kVideoSources as readonly string[]).includes(value);
}

// ---- answers to the other requests: checking what the host sent ----
// PROTOCOL.md section 3's answer fields. A field that is missing or of the
// wrong type reads as absent; nothing here throws.

/// A `hello` answer: the numbers and names the connection shows.
export function parseHelloAnswer(answer: OkAnswer): HelloAnswer {
  const a = fieldsOf(answer);
  const out: HelloAnswer = { id: answer.id, ok: true };
  if (typeof a["protocol"] === "number") out.protocol = a["protocol"];
  if (typeof a["record_format"] === "number") out.record_format = a["record_format"];
  if (typeof a["host_version"] === "string") out.host_version = a["host_version"];
  if (typeof a["db_path"] === "string") out.db_path = a["db_path"];
  return out;
}

/// A `video` answer. An unknown sync state reads as `pending` (as the page
/// is told, page-answer.ts).
export function parseVideoAnswer(answer: OkAnswer): VideoAnswer {
  const a = fieldsOf(answer);
  return {
    id: answer.id,
    ok: true,
    video_id: String(a["video_id"]),
    duplicate: a["duplicate"] === true,
    sync: isSyncState(a["sync"]) ? a["sync"] : "pending",
  };
}

/// One page of a `list` answer: the records that have a string `video_id`
/// (the popup checks the rest of each record where it shows it, gallery.ts
/// checkRecord) and the next page's cursor (null at the end).
export interface ListPage {
  videos: VideoRecord[];
  next_cursor: string | null;
}

export function parseListAnswer(answer: OkAnswer): ListPage {
  const a = fieldsOf(answer);
  const format = recordFormatOf(a);
  const videos = Array.isArray(a["videos"]) ? (a["videos"] as unknown[]).filter(isRecord) : [];
  for (const video of videos) fillLeanMedia(video, format);
  const cursor = a["next_cursor"];
  return { videos, next_cursor: typeof cursor === "string" && cursor !== "" ? cursor : null };
}

/// The record of a `get` answer, or null when it has none.
export function parseGetAnswer(answer: OkAnswer): VideoRecord | null {
  const a = fieldsOf(answer);
  const video = a["video"];
  if (!isRecord(video)) return null;
  fillLeanMedia(video, recordFormatOf(a));
  return video;
}

/// The record format a `list` or `get` answer names; 1 when it names none.
function recordFormatOf(a: Readonly<Record<string, unknown>>): number {
  const format = a["record_format"];
  return typeof format === "number" && Number.isInteger(format) && format >= 1 ? format : 1;
}

/// From format 2 on, a missing `media` (or a missing file in it) means "no
/// copy yet": the blank state a format 1 host spelled out with nulls. A
/// format 1 record without `media` comes from a host without the cache and
/// stays without. parseMediaFile / parseMedia read missing fields as null.
function fillLeanMedia(video: VideoRecord, format: number): void {
  if (format < 2) return;
  const raw = (video as { media?: unknown }).media;
  const media = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
  const blank = { state: "not_cached", bytes: 0 };
  (video as { media?: unknown }).media = { ...media, video: media["video"] ?? blank, thumbnail: media["thumbnail"] ?? blank };
}

function isRecord(value: unknown): value is VideoRecord {
  return typeof value === "object" && value !== null && typeof (value as { video_id?: unknown }).video_id === "string";
}

const kStatusCounts = ["videos", "pending", "synced", "failed", "auth_required", "local", "saved_by_app"] as const;

/// A `status` answer: the counts per sync state that are counts.
export function parseStatusAnswer(answer: OkAnswer): StatusAnswer {
  const a = fieldsOf(answer);
  const out: StatusAnswer = { id: answer.id, ok: true };
  for (const key of kStatusCounts) {
    const n = count(a[key]);
    if (n !== null) out[key] = n;
  }
  const lastError = a["last_error"];
  if (typeof lastError === "string" || lastError === null) out.last_error = lastError;
  if (typeof a["host_version"] === "string") out.host_version = a["host_version"];
  return out;
}

/// The requests whose answer is one count, and its field.
const kCountField = {
  delete: "deleted",
  resync: "queued",
  media_pin: "changed",
  media_fetch: "queued",
} as const;

/// The count an `ok` answer to a `type` request carries (videos deleted,
/// queued, changed), or null when it has none.
export function parseCountAnswer(type: keyof typeof kCountField, answer: OkAnswer): number | null {
  return count(fieldsOf(answer)[kCountField[type]]);
}
