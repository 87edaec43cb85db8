// Routes runtime messages to their handlers. Pages on the chat origins
// (through the relay) may only capture, report the app's own save and read
// their configuration; everything else is for the extension's own pages.
// Every handler waits for the worker's state (`ready`).

import { Msg } from "../shared/messages";
import { pageAppSaveAnswer, pageCaptureAnswer } from "../shared/page-answer";
import type { HostConnection } from "./host-connection";
import type { PageHandlers } from "./page-handlers";
import type { PopupHandlers } from "./popup-handlers";
import { isExtensionPage } from "./sender";
import type { SettingsSync } from "./settings-sync";

export interface MessageRouterDeps {
  extensionId: string;
  extensionBase: string;
  /// Settles when the worker's state is loaded.
  ready(): Promise<void>;
  host: Pick<HostConnection, "reconnectNow">;
  page: PageHandlers;
  popup: PopupHandlers;
  settings: Pick<SettingsSync, "view" | "save">;
}

/// The runtime.onMessage handler (browser.onMessage): a promise for the
/// answer, or undefined for a message this sender may not send.
export function messageRouter(deps: MessageRouterDeps) {
  const { page, popup, settings } = deps;
  return (message: unknown, sender: chrome.runtime.MessageSender): Promise<unknown> | undefined => {
    if (typeof message !== "object" || message === null) return undefined;
    const m = message as { type?: unknown } & Record<string, unknown>;
    const fromExtensionPage = isExtensionPage(sender, deps.extensionId, deps.extensionBase);
    const ready = deps.ready();
    switch (m.type) {
      // Both answers are posted into the page: stable codes and generic
      // messages only (page-answer.ts); the details went to the log and the
      // popup's debug errors.
      case Msg.captureVideo:
        return ready.then(() => page.capture(m["video"], sender)).then(pageCaptureAnswer);
      case Msg.appSave:
        return ready.then(() => page.appSave(m["save"], sender)).then(pageAppSaveAnswer);
      case Msg.getPageConfig:
        return ready.then(() => page.pageConfig(sender, fromExtensionPage));
      default:
        break;
    }
    if (!fromExtensionPage) return undefined; // content scripts get nothing else
    switch (m.type) {
      case Msg.hostRequest:
        return ready.then(() => popup.hostRequest(m["request"]));
      case Msg.getOverview:
        return ready.then(() => popup.overview());
      case Msg.reconnect:
        return ready.then(() => {
          deps.host.reconnectNow();
          return popup.overview();
        });
      case Msg.getSettings:
        return ready.then(() => settings.view());
      case Msg.saveSettings:
        return ready.then(() => settings.save(m["patch"]));
      default:
        return undefined;
    }
  };
}
