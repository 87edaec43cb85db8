// Watches the chat's artifact panel for a `<video>` (or its `<source>`) that
// appears or gets a new `src` (PROTOCOL.md section 5, source "artifact").

import { httpUrl } from "../shared/urls";

export type ArtifactObserver = (url: string, posterUrl: string | undefined) => void;

export interface ArtifactWatch {
  /// Looks at every video already in the document (after a selector change).
  rescan(): void;
  stop(): void;
}

/// `getSelector` is read on every check, so a new selector from the options
/// takes effect without reinstalling. An invalid selector matches nothing.
export function watchArtifacts(
  doc: Document,
  getSelector: () => string,
  observer: ArtifactObserver,
  onError?: (what: string, err: unknown) => void,
): ArtifactWatch {
  const view = doc.defaultView;
  const MutationObserverCtor = view?.MutationObserver;

  const inPanel = (el: Element): boolean => {
    try {
      return el.closest(getSelector()) !== null;
    } catch {
      return false; // invalid selector
    }
  };

  const check = (el: Element): void => {
    const tag = el.tagName.toUpperCase();
    const video = tag === "VIDEO" ? el : tag === "SOURCE" ? el.parentElement : null;
    if (video === null || video.tagName.toUpperCase() !== "VIDEO" || !inPanel(video)) return;
    const media = video as HTMLVideoElement;
    const candidates: unknown[] = [media.currentSrc, media.src];
    for (const source of Array.from(media.getElementsByTagName("source"))) candidates.push(source.src);
    const base = doc.baseURI;
    const url = candidates.map((c) => httpUrl(c, base)).find((u) => u !== null);
    if (url === undefined || url === null) return;
    const poster = httpUrl(media.poster, base) ?? undefined;
    observer(url, poster);
  };

  const checkTree = (node: Node): void => {
    if (node.nodeType !== 1) return;
    const el = node as Element;
    const tag = el.tagName.toUpperCase();
    if (tag === "VIDEO" || tag === "SOURCE") check(el);
    if (el.firstElementChild !== null) {
      for (const child of Array.from(el.querySelectorAll("video, source"))) check(child);
    }
  };

  const onMutations = (records: MutationRecord[]): void => {
    try {
      for (const record of records) {
        if (record.type === "attributes") {
          check(record.target as Element);
        } else {
          for (const node of Array.from(record.addedNodes)) checkTree(node);
        }
      }
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
