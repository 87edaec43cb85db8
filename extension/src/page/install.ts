// Puts every page-world hook in place. Runs at document_start in the MAIN
// world, before the page's scripts. No extension APIs here: everything goes
// out through the bridge to the relay.

import { createLogger } from "../shared/log";
import { kDefaultSettings, type PageConfig } from "../shared/settings";
import { watchArtifacts } from "./artifact-watch";
import { createPageBridge } from "./bridge";
import { createCapturer } from "./capture";
import { wrapEventSource } from "./event-source-wrap";
import { wrapFetch } from "./fetch-tee";
import { installAddVideoToChat, mirrorLastVideo } from "./manual";
import { wrapWebSocket } from "./websocket-wrap";
import { wrapXhr } from "./xhr-wrap";

const kInstalled = Symbol.for("vidkeep.page.installed");

/// Installs once per window; a second call (a second injection) does nothing
/// and returns false.
export function installPage(win: typeof globalThis): boolean {
  const w = win as unknown as Record<symbol, unknown>;
  if (w[kInstalled] === true) return false;
  Object.defineProperty(w, kInstalled, { value: true });

  const log = createLogger("page");
  const config: PageConfig = {
    captureEnabled: kDefaultSettings.captureEnabled,
    debugLogging: kDefaultSettings.debugLogging,
    artifactSelector: kDefaultSettings.artifactSelector,
    inlineSelector: kDefaultSettings.inlineSelector,
  };
  const onError = (what: string, err: unknown) => log.debug(`${what} failed:`, String(err));

  const bridge = createPageBridge(win);
  const capturer = createCapturer({
    post: (video, wantAnswer) => bridge.post(video, wantAnswer),
    mirror: (url, thumb) => mirrorLastVideo(win, url, thumb),
    captureEnabled: () => config.captureEnabled,
    log,
  });

  const attempt = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.warn(`could not install ${what}:`, String(err));
    }
  };

  attempt("EventSource hook", () => {
    wrapEventSource(win, (type, data, source) => {
      // Called for every event: nothing is built unless a line is printed.
      if (log.enabled) log.debug("EventSource event", type, source.url);
      capturer.fromData(data, "sse", () => `EventSource ${source.url} (${type})`);
    });
  });
  attempt("WebSocket hook", () => {
    wrapWebSocket(win, (data, socket) => capturer.fromData(data, "websocket", () => `WebSocket ${socket.url}`));
  });
  attempt("fetch hook", () => {
    wrapFetch(
      win,
      {
        sse: (event, url) => {
          if (log.enabled) log.debug("fetch SSE event", event.event, url);
          capturer.fromData(event.data, "sse", () => `fetch ${url} (${event.event})`);
        },
        dataStreamLine: (line, url) => capturer.fromDataStreamLine(line, () => `fetch ${url} (data stream)`),
        json: (body, url) => capturer.fromPoll(body, `fetch ${url}`),
        appSave: (save) => {
          log.debug("the app's own save", save.phase, save.httpStatus ?? "", save.chatId);
          if (config.captureEnabled) bridge.postAppSave(save);
        },
      },
      onError,
    );
  });
  attempt("XMLHttpRequest hook", () => {
    wrapXhr(win, (body, url) => capturer.fromPoll(body, `XMLHttpRequest ${url}`));
  });
  let artifacts: ReturnType<typeof watchArtifacts> | undefined;
  attempt("artifact watcher", () => {
    if (win.document === undefined) return;
    artifacts = watchArtifacts(win.document, [
      { source: "artifact", selector: () => config.artifactSelector },
      { source: "inline", selector: () => config.inlineSelector },
    ], (url, poster, source) => capturer.fromElement(url, poster, source), onError);
  });
  attempt("addVideoToChat", () => {
    installAddVideoToChat(win, (videoUrl, thumbnailUrl) => capturer.manual(videoUrl, thumbnailUrl));
  });

  bridge.onConfig((next) => {
    try {
      const selectorChanged = next.artifactSelector !== config.artifactSelector ||
        next.inlineSelector !== config.inlineSelector;
      Object.assign(config, next);
      log.setEnabled(config.debugLogging);
      log.debug("config", config);
      if (selectorChanged) artifacts?.rescan();
    } catch {
      // never break the page
    }
  });
  return true;
}
