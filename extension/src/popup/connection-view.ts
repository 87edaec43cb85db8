// The connection pill in the header and the banner under it: what is wrong
// with the host (missing, forbidden, too old, gone) with a retry button, or
// why the gallery may stay empty (no origins, capture off, videos queued).

import * as browser from "../shared/browser-api";
import type { ConnectionInfo } from "../shared/messages";
import type { PopupContext } from "./context";

export class ConnectionView {
  private latest: ConnectionInfo | undefined;

  /// `reconnect` runs when a banner's retry button is pressed.
  constructor(private readonly ctx: PopupContext, private readonly reconnect: () => Promise<void>) {}

  /// The newer of `info` and what was shown last: a port event and an answer
  /// may arrive out of order.
  private newest(info: ConnectionInfo): ConnectionInfo {
    if (this.latest !== undefined && (info.seq ?? 0) < (this.latest.seq ?? 0)) return this.latest;
    this.latest = info;
    return info;
  }

  show(given: ConnectionInfo): void {
    const { ui, t } = this.ctx;
    const info = this.newest(given);
    if (this.ctx.overview !== undefined) this.ctx.overview.connection = info;
    const labels: Record<string, string> = {
      connected: t("connConnected"),
      connecting: t("connConnecting"),
      not_found: t("connNotFound"),
      forbidden: t("connForbidden"),
      incompatible: t("connIncompatible"),
      disconnected: t("connDisconnected"),
      idle: t("connConnecting"),
    };
    ui.conn.textContent = labels[info.state] ?? info.state;
    ui.conn.dataset["state"] = info.state;
    ui.conn.setAttribute("title", info.detail ?? labels[info.state] ?? info.state);
    this.renderBanner(info);
  }

  private renderBanner(info: ConnectionInfo): void {
    const { ui, t } = this.ctx;
    const overview = this.ctx.overview;
    const b = ui.banner;
    b.replaceChildren();
    b.className = "banner";
    const add = (tag: string, text: string, className?: string) => {
      const node = document.createElement(tag);
      node.textContent = text;
      if (className) node.className = className;
      b.append(node);
      return node;
    };
    const retry = () => {
      const button = add("button", t("retry"), "primary") as HTMLButtonElement;
      button.type = "button";
      button.addEventListener("click", () => void this.reconnect());
    };
    switch (info.state) {
      case "not_found": {
        b.classList.add("error");
        add("strong", t("hostMissingTitle"));
        const p = add("p", t("hostMissingBody"));
        p.append(" ");
        const code = document.createElement("code");
        code.textContent = "installer/install.sh";
        p.append(code);
        add("p", t("hostMissingAfter"), "small");
        retry();
        break;
      }
      case "forbidden":
        b.classList.add("error");
        add("strong", t("hostForbiddenTitle"));
        add("p", t("hostForbiddenBody", browser.api().runtime.id));
        retry();
        break;
      case "incompatible":
        b.classList.add("error");
        add("strong", t("updateTitle"));
        add("p", t("updateBody", [String(info.protocol ?? "?"), "1"]));
        retry();
        break;
      case "disconnected":
        b.classList.add("warn");
        add("strong", t("hostGoneTitle"));
        if (info.detail) add("p", info.detail, "small");
        retry();
        break;
      default:
        if (overview !== undefined && overview.originsConfigured === 0) {
          b.classList.add("info");
          add("strong", t("noOriginsTitle"));
          add("p", t("noOriginsBody"));
          const button = add("button", t("openOptions"), "primary") as HTMLButtonElement;
          button.type = "button";
          button.addEventListener("click", () => void browser.openOptionsPage());
        } else if (overview !== undefined && !overview.captureEnabled) {
          b.classList.add("info");
          add("strong", t("captureOffTitle"));
        } else if (overview !== undefined && overview.queued > 0 && info.state === "connected") {
          b.classList.add("info");
          add("p", t("queuedBody", String(overview.queued)), "small");
        } else {
          b.hidden = true;
          return;
        }
    }
    b.hidden = false;
  }
}
