// Watches the chat's artifact panel (PROTOCOL.md section 5, source
// "artifact") and its message list (source "inline": the TOOL version plays
// videos inside the message, REAL-APP.md section 2) for a `<video>` (or its
// `<source>`) that appears or gets a new `src`. One MutationObserver for both.

import { httpUrl } from "../shared/urls";

export type ElementSource = "artifact" | "inline";
export type ArtifactObserver = (url: string, posterUrl: string | undefined, source: ElementSource) => void;

/// One watched part of the page; `selector` is read on every check, so a new
/// selector from the options takes effect without reinstalling.
export interface WatchedArea {
  source: ElementSource;
  selector: () => string;
}

export interface ArtifactWatch {
  /// Looks at every video already in the document (after a selector change).
  rescan(): void;
  stop(): void;
}

/// `areas` (or one artifact selector) in order: a video counts for the first
/// area it is inside. An invalid selector matches nothing.
export function watchArtifacts(
  doc: Document,
  areas: readonly WatchedArea[] | (() => string),
  observer: ArtifactObserver,
  onError?: (what: string, err: unknown) => void,
): ArtifactWatch {
  const view = doc.defaultView;
  const MutationObserverCtor = view?.MutationObserver;
  const watched: readonly WatchedArea[] = typeof areas === "function" ? [{ source: "artifact", selector: areas }] : areas;

  const areaOf = (el: Element): ElementSource | undefined => {
    for (const area of watched) {
      try {
        if (el.closest(area.selector()) !== null) return area.source;
      } catch {
        // invalid selector: matches nothing
      }
    }
    return undefined;
  };

  // The <video> an element stands for: itself, or the parent of a <source>.
  const videoOf = (el: Element): HTMLVideoElement | null => {
    const tag = el.tagName.toUpperCase();
    const video = tag === "VIDEO" ? el : tag === "SOURCE" ? el.parentElement : null;
    return video !== null && video.tagName.toUpperCase() === "VIDEO" ? (video as HTMLVideoElement) : null;
  };

  const check = (media: HTMLVideoElement): void => {
    const source = areaOf(media);
    if (source === undefined) return;
    const candidates: unknown[] = [media.currentSrc, media.src, media.getAttribute("src")];
    for (const source of Array.from(media.getElementsByTagName("source"))) candidates.push(source.src);
    const base = doc.baseURI;
    const url = candidates.map((c) => httpUrl(c, base)).find((u) => u !== null);
    if (url === undefined || url === null) return;
    const poster = httpUrl(media.poster || media.getAttribute("poster"), base) ?? undefined;
    observer(url, poster, source);
  };

  // Every video under `node` (itself included), once.
  const collect = (node: Node, into: Set<HTMLVideoElement>): void => {
    if (node.nodeType !== 1) return;
    const el = node as Element;
    const own = videoOf(el);
    if (own !== null) into.add(own);
    if (el.firstElementChild !== null) {
      for (const child of Array.from(el.querySelectorAll("video, source"))) {
        const video = videoOf(child);
        if (video !== null) into.add(video);
      }
    }
  };

  const onMutations = (records: MutationRecord[]): void => {
    try {
      const videos = new Set<HTMLVideoElement>();
      for (const record of records) {
        if (record.type === "attributes") {
          const video = videoOf(record.target as Element);
          if (video !== null) videos.add(video);
        } else {
          for (const node of Array.from(record.addedNodes)) collect(node, videos);
        }
      }
      for (const video of videos) check(video);
    } catch (err) {
      onError?.("artifact watch", err);
    }
  };

  let mo: MutationObserver | undefined;
  if (MutationObserverCtor !== undefined) {
    mo = new MutationObserverCtor(onMutations);
    mo.observe(doc, { childList: true, subtree: true, attributes: true, attributeFilter: ["src", "poster"] });
  }

  return {
    rescan() {
      try {
        for (const el of Array.from(doc.querySelectorAll("video"))) check(el);
      } catch (err) {
        onError?.("artifact rescan", err);
      }
    },
    stop() {
      mo?.disconnect();
    },
  };
}
