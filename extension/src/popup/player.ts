// The popup's player: the remote URL first; when it fails (the `<video>`
// `error` event: a 403/404 after a signed link expired, no network) or the
// link is known to have expired, the host's local copy, with an "offline
// copy" mark. Where the local copy comes from depends on the browser
// (localCopyOpener): Chromium streams it with range requests through the
// service worker (background/media-server.ts); Firefox reads it into a Blob.

import { MediaReadError, readWhole, type MediaReadFn } from "../shared/media-read";
import type { VideoRecord } from "../shared/protocol";
import { httpUrl, signedUrlExpiry } from "../shared/urls";
import { formatBytes, mediaLabel } from "./media-view";
import type { Translate } from "./render";
import type { ObjectUrls } from "./thumbnails";

/// A playable URL for the local copy; `release` frees what it holds.
export interface LocalCopy {
  url: string;
  /// "stream": range requests through the service worker; "blob": read whole.
  kind: "stream" | "blob";
  release?: () => void;
}

export type OpenLocal = (
  video: VideoRecord,
  onProgress: (done: number, size: number) => void,
  signal: AbortSignal,
) => Promise<LocalCopy>;

/// The largest local copy read whole into memory (the Blob fallback).
export const kBlobPlaybackMaxBytes = 256 * 1024 * 1024;

export interface LocalCopyDeps {
  /// True when this page is controlled by the extension's service worker,
  /// so `mediaUrl` is answered by background/media-server.ts.
  streamed: () => boolean;
  mediaUrl: (videoId: string) => string;
  reader: (videoId: string) => MediaReadFn;
  objectUrls?: ObjectUrls;
  maxBlobBytes?: number;
}

/// Chromium: the service worker's `media/<id>` URL (seeks read only what
/// they need). Elsewhere: the whole file read in ≤ 512 KiB pieces into a
/// Blob, up to a size limit (MediaReadError 413 beyond it).
export function localCopyOpener(deps: LocalCopyDeps): OpenLocal {
  const urls = deps.objectUrls ?? URL;
  return async (video, onProgress, signal) => {
    if (deps.streamed()) return { url: deps.mediaUrl(video.video_id), kind: "stream" };
    const blob = await readWhole(deps.reader(video.video_id), {
      maxBytes: deps.maxBlobBytes ?? kBlobPlaybackMaxBytes,
      onProgress,
      signal,
    });
    const url = urls.createObjectURL(blob);
    return { url, kind: "blob", release: () => urls.revokeObjectURL(url) };
  };
}

export interface PlayerElements {
  video: HTMLVideoElement;
  /// Shown while the local copy plays (`data-testid="offline-mark"`).
  offlineMark: HTMLElement;
  /// Progress and failures, over the video.
  message: HTMLElement;
}

export interface PlayerDeps {
  openLocal: OpenLocal;
  t: Translate;
  lang: string;
  now?: () => Date;
  /// Told whenever the source changes (the "Full size" button follows it).
  onSource?: (source: PlayerSource, url: string | undefined) => void;
}

export type PlayerSource = "remote" | "local" | "none";

interface Session {
  video: VideoRecord;
  abort: AbortController;
  source: PlayerSource;
  local?: LocalCopy;
}

export class Player {
  private readonly ui: PlayerElements;
  private readonly deps: PlayerDeps;
  private session: Session | undefined;
  /// Videos whose remote link failed while this popup was open: the next
  /// play goes to the local copy at once.
  private readonly remoteFailed = new Set<string>();

  constructor(ui: PlayerElements, deps: PlayerDeps) {
    this.ui = ui;
    this.deps = deps;
    ui.video.addEventListener("error", () => this.onError());
  }

  get source(): PlayerSource {
    return this.session?.source ?? "none";
  }

  /// Plays `video`: the remote URL unless it is known not to work.
  open(video: VideoRecord): void {
    this.close();
    const session: Session = { video, abort: new AbortController(), source: "none" };
    this.session = session;
    const remote = httpUrl(video.url);
    const expiry = remote === null ? null : signedUrlExpiry(remote);
    const expired = expiry !== null && expiry.getTime() <= (this.deps.now?.() ?? new Date()).getTime();
    if (remote !== null && !expired && !this.remoteFailed.has(video.video_id)) {
      this.setSource(session, "remote", remote);
      return;
    }
    void this.useLocal(session, 0);
  }

  /// Stops playing and lets go of the local copy.
  close(): void {
    const session = this.session;
    this.session = undefined;
    session?.abort.abort();
    const v = this.ui.video;
    try {
      v.pause();
    } catch {
      // not playing
    }
    v.removeAttribute("src");
    delete v.dataset["source"];
    try {
      v.load();
    } catch {
      // nothing loaded
    }
    session?.local?.release?.();
    this.ui.offlineMark.hidden = true;
    this.showMessage(undefined);
  }

  private onError(): void {
    const session = this.session;
    if (session === undefined) return;
    if (session.source === "remote") {
      this.remoteFailed.add(session.video.video_id);
      void this.useLocal(session, this.ui.video.currentTime || 0);
    } else if (session.source === "local") {
      const why = this.ui.video.error?.message || `error ${this.ui.video.error?.code ?? "?"}`;
      this.showMessage(this.deps.t("offlineFailed", why), "error");
    }
  }

  private async useLocal(session: Session, resumeAt: number): Promise<void> {
    const { t, lang } = this.deps;
    const file = session.video.media?.video;
    if (file?.state !== "cached") {
      session.source = "none";
      this.ui.video.removeAttribute("src");
      this.deps.onSource?.("none", undefined);
      this.showMessage(t("remoteFailedNoCopy", mediaLabel(file, t, lang)), "error");
      return;
    }
    this.ui.offlineMark.hidden = false;
    this.showMessage(t("offlineLoadingStart"));
    let local: LocalCopy;
    try {
      local = await this.deps.openLocal(session.video, (done, size) => {
        if (this.session !== session || size <= 0) return;
        const percent = Math.min(99, Math.floor((done / size) * 100));
        this.showMessage(t("offlineLoading", String(percent)));
        this.ui.message.dataset["progress"] = String(percent);
      }, session.abort.signal);
    } catch (err) {
      if (this.session !== session) return;
      session.source = "none";
      this.deps.onSource?.("none", undefined);
      if (err instanceof MediaReadError && err.status === 413 && err.size !== undefined && err.limit !== undefined) {
        this.showMessage(t("offlineTooLarge", [formatBytes(err.size, lang), formatBytes(err.limit, lang)]), "error");
      } else {
        this.showMessage(t("offlineFailed", err instanceof Error ? err.message : String(err)), "error");
      }
      return;
    }
    if (this.session !== session) {
      local.release?.();
      return;
    }
    session.local = local;
    this.showMessage(undefined);
    if (resumeAt > 0) {
      this.ui.video.addEventListener("loadedmetadata", () => {
        if (this.session === session) this.ui.video.currentTime = resumeAt;
      }, { once: true });
    }
    this.setSource(session, "local", local.url);
  }

  private setSource(session: Session, source: "remote" | "local", url: string): void {
    session.source = source;
    const v = this.ui.video;
    v.dataset["source"] = source;
    v.setAttribute("src", url);
    this.deps.onSource?.(source, url);
    try {
      void Promise.resolve(v.play()).catch(() => {});
    } catch {
      // autoplay refused: the controls are there
    }
  }

  private showMessage(text: string | undefined, kind?: "error"): void {
    const m = this.ui.message;
    m.textContent = text ?? "";
    m.hidden = text === undefined;
    m.classList.toggle("error", kind === "error");
    if (text === undefined) delete m.dataset["progress"];
  }
}
