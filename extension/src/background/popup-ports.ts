// The popups (and full tabs) connected to the worker by port: live
// `sync_state`, `media_state`, connection and stored-video events go to
// each. Only the extension's own pages may connect.

import type { PopupEvent } from "../shared/messages";
import { kPopupPortName } from "../shared/messages";
import { isExtensionPage } from "./sender";

export class PopupPorts {
  private readonly ports = new Set<chrome.runtime.Port>();
  private readonly extensionId: string;
  private readonly extensionBase: string;

  constructor(extensionId: string, extensionBase: string) {
    this.extensionId = extensionId;
    this.extensionBase = extensionBase;
  }

  /// Keeps `port` until it disconnects when it is the popup's port from an
  /// extension page; disconnects anything else. True when kept.
  accept(port: chrome.runtime.Port): boolean {
    if (port.name !== kPopupPortName || !isExtensionPage(port.sender ?? {}, this.extensionId, this.extensionBase)) {
      port.disconnect();
      return false;
    }
    this.ports.add(port);
    port.onDisconnect.addListener(() => this.ports.delete(port));
    return true;
  }

  /// Posts `event` to every popup; a port that throws (closed) is dropped.
  broadcast(event: PopupEvent): void {
    for (const port of this.ports) {
      try {
        port.postMessage(event);
      } catch {
        this.ports.delete(port);
      }
    }
  }
}
