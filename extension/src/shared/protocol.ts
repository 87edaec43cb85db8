// The wire contract with vidkeep-host: ../../../../shared/PROTOCOL.md section 3.
// This is the only file in the extension that spells host field names; the
// rest of the code uses these types.

/// The native messaging host name (PROTOCOL.md section 1).
export const kHostName = "org.vidkeep.host";

/// The protocol version this extension speaks. A host answering `hello` with
/// another number is shown as "update vidkeep" and never used.
export const kProtocolVersion = 1;

export type SyncState = "pending" | "synced" | "failed" | "auth_required" | "local";
export const kSyncStates: readonly SyncState[] = ["pending", "synced", "failed", "auth_required", "local"];

export type VideoSource = "sse" | "artifact" | "manual";

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
  code: ErrorCode | string;
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
}

/// A Video record as the host answers it.
export interface VideoRecord extends Video {
  video_id: string;
  origin?: string;
  sync: SyncState;
  sync_attempts?: number;
  last_error?: string | null;
  created_at?: string;
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
export interface ConfigureRequest {
  type: "configure";
  server: { origin: string; auth?: { cookie?: string; bearer?: string } };
}

/// A request without its id; the host connection assigns ids.
export type HostRequest =
  | HelloRequest
  | VideoRequest
  | ListRequest
  | GetRequest
  | DeleteRequest
  | ResyncRequest
  | StatusRequest
  | ConfigureRequest;

export interface OkAnswer { id: RequestId | null; ok: true; [field: string]: unknown }
export interface ErrorAnswer { id: RequestId | null; ok: false; error: WireError }
export type Answer = OkAnswer | ErrorAnswer;

export interface HelloAnswer extends OkAnswer { host_version?: string; protocol?: number; db_path?: string }
export interface VideoAnswer extends OkAnswer { video_id: string; duplicate: boolean; sync: SyncState }
export interface ListAnswer extends OkAnswer { videos: VideoRecord[]; next_cursor: string | null }
export interface StatusAnswer extends OkAnswer {
  videos?: number;
  pending?: number;
  synced?: number;
  failed?: number;
  auth_required?: number;
  local?: number;
  last_error?: string | null;
  host_version?: string;
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
