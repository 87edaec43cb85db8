// Message names and shapes inside the extension. Three hops:
//   page world --window.postMessage--> relay --runtime.sendMessage--> background
//   popup / options --runtime.sendMessage / runtime.connect--> background
// Nothing here is trusted by the background without checking the sender
// (see background/sender.ts).

import type { PageConfig, RefusedOrigin, Settings, SettingKey } from "./settings";
import type { Answer, HostRequest, MediaKind, MediaState, SyncState, VideoMeta, VideoSource, WireError } from "./protocol";

// ---- page world <-> relay (window.postMessage on the page's own window) ----

/// Tags on window messages. The relay only accepts `kPageTag` messages whose
/// `event.source === window`; the page only accepts `kRelayTag` ones.
export const kPageTag = "vidkeep:page";
export const kRelayTag = "vidkeep:relay";

/// A video as the page world saw it. It deliberately has no page URL or chat
/// id: the background takes those from the sender tab.
export interface CapturedVideo {
  url: string;
  thumbnail_url?: string;
  prompt?: string;
  source: VideoSource;
  observed_at: string;
  meta?: VideoMeta;
}

/// The app's own `POST /api/save-message` as the page world saw it (request
/// body and answer status). Only video attachments are listed. The background
/// checks `chatId` against the tab's before it tells the host (`app_save`).
export interface AppSaveSeen {
  chatId: string;
  messageId?: string;
  /// "started" when the request is made; "finished" with its status (0: it failed without an answer).
  phase: "started" | "finished";
  httpStatus?: number;
  attachments: Array<{ url: string; thumbnailUrl?: string; contentType?: string }>;
}

export type PageToRelay =
  | { tag: typeof kPageTag; kind: "capture"; video: CapturedVideo; requestId?: string }
  | { tag: typeof kPageTag; kind: "appSave"; save: AppSaveSeen }
  | { tag: typeof kPageTag; kind: "configRequest" };

export type RelayToPage =
  /// `config: null`: the background does not hear this page (not a
  /// configured origin, e.g. another port of its host): the page stays inert.
  | { tag: typeof kRelayTag; kind: "config"; config: PageConfig | null }
  | { tag: typeof kRelayTag; kind: "answer"; requestId: string; answer: CaptureAnswer };

/// What `addVideoToChat` settles with: the host's answer to the `video`
/// request, or an error that says the video is kept for later.
export type CaptureAnswer =
  | { ok: true; video_id: string; duplicate: boolean; sync: SyncState }
  | { ok: false; error: WireError; queued?: boolean };

// ---- content script / popup / options -> background (runtime.sendMessage) ----

export const Msg = {
  /// relay -> background: a captured video. Answer: CaptureAnswer.
  captureVideo: "captureVideo",
  /// relay -> background: the app's own save (AppSaveSeen). Answer: none that matters.
  appSave: "appSave",
  /// relay -> background: the page config. Answer: PageConfig.
  getPageConfig: "getPageConfig",
  /// popup -> background: one host request (kPopupRequestTypes). Answer: Answer.
  hostRequest: "hostRequest",
  /// popup -> background: connection, debug state, current chat. Answer: Overview.
  getOverview: "getOverview",
  /// popup -> background: reconnect to the host now. Answer: Overview.
  reconnect: "reconnect",
  /// options -> background: effective settings. Answer: SettingsView.
  getSettings: "getSettings",
  /// options -> background: save a partial settings object. Answer: SettingsView.
  saveSettings: "saveSettings",
} as const;

export type ExtensionMessage =
  | { type: typeof Msg.captureVideo; video: CapturedVideo }
  | { type: typeof Msg.appSave; save: AppSaveSeen }
  | { type: typeof Msg.getPageConfig }
  | { type: typeof Msg.hostRequest; request: PopupHostRequest }
  | { type: typeof Msg.getOverview; tabUrl?: string }
  | { type: typeof Msg.reconnect }
  | { type: typeof Msg.getSettings }
  | { type: typeof Msg.saveSettings; patch: Partial<Settings> };

/// The host requests the popup may ask for; anything else is refused.
export const kPopupRequestTypes = [
  "list", "get", "delete", "resync", "status", "media_read", "media_pin", "media_fetch",
] as const;
export type PopupHostRequest = Extract<HostRequest, { type: (typeof kPopupRequestTypes)[number] }>;

export type ConnectionState =
  | "idle"
  | "connecting"
  | "connected"
  | "not_found" // the browser found no host manifest: run the installer
  | "forbidden" // the host manifest does not allow this extension id
  | "incompatible" // the host speaks another protocol: update vidkeep
  | "disconnected"; // it went away; reconnecting with backoff

export interface ConnectionInfo {
  state: ConnectionState;
  hostVersion?: string;
  protocol?: number;
  /// The host's record format (docs/protocol-extensions.md, "Lean records").
  recordFormat?: number;
  dbPath?: string;
  /// The browser's or host's last words, for the debug panel.
  detail?: string;
  /// When the next reconnect attempt is due (ms since epoch), if one is.
  retryAt?: number;
  /// Increases with every change, so a page that hears of the state twice
  /// (a port event and an answer) keeps the newer one.
  seq?: number;
}

export interface RecentError {
  at: string;
  message: string;
}

export interface Overview {
  connection: ConnectionInfo;
  lastVideoUrl?: string;
  lastThumbnailUrl?: string;
  recentErrors: RecentError[];
  /// Videos seen but not yet acknowledged by the host (kept in storage.local).
  queued: number;
  /// The chat of the active tab when it is on a configured origin.
  activeChat?: { origin: string; chatId?: string; url: string };
  originsConfigured: number;
  captureEnabled: boolean;
  extensionVersion: string;
}

export interface SettingsView {
  settings: Settings;
  locked: SettingKey[];
  /// Configured origins whose host permission is not granted yet.
  missingPermissions: string[];
  /// Origins named in the options or by policy that are not used, and why.
  refusedOrigins: RefusedOrigin[];
}

// ---- background -> popup (runtime.connect port named kPopupPortName) ----

export const kPopupPortName = "vidkeep-popup";

export type PopupEvent =
  | { type: "syncState"; video_id: string; sync: SyncState; last_error?: string | null }
  /// A checked `media_state` host event (download progress of one file).
  | { type: "mediaState"; video_id: string; kind: MediaKind; state: MediaState; bytes: number;
      total: number | null; percent: number | null; error: string | null }
  | { type: "connection"; connection: ConnectionInfo }
  | { type: "videoStored"; video_id: string; duplicate: boolean };

export type { Answer };
