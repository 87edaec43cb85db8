// The background's overview (connection, queue, recent errors, the chat in
// the active tab): asked for when the popup opens and after new videos, and
// drawn into the connection banner, the "This chat" filter and the debug
// panel.

import * as browser from "../shared/browser-api";
import { Msg, type Overview } from "../shared/messages";
import type { ConnectionView } from "./connection-view";
import type { PopupContext } from "./context";
import { renderRows } from "./render";

export class OverviewPanel {

  constructor(private readonly ctx: PopupContext, private readonly connection: ConnectionView) {}

  /// The debug panel: the connection's details and the recent errors.
  drawDebug(): void {
    const { ui, t, lang, overview } = this.ctx;
    if (overview === undefined) return;
    const c = overview.connection;
    const yesNo = c.state === "connected" ? t("yes") : `${t("no")} (${c.state})`;
    renderRows(document, ui.debugRows, [
      [t("dbgConnected"), yesNo],
      [t("dbgHostVersion"), c.hostVersion ?? "—"],
      [t("dbgProtocol"), c.protocol !== undefined ? `${c.protocol} · records ${c.recordFormat ?? 1}` : "—"],
      [t("dbgDbPath"), c.dbPath ?? "—"],
      [t("dbgExtension"), `${overview.extensionVersion} (${browser.api().runtime.id})`],
      [t("dbgQueued"), String(overview.queued)],
      [t("dbgLastVideo"), overview.lastVideoUrl ?? "—"],
      [t("dbgLastThumb"), overview.lastThumbnailUrl ?? "—"],
      [t("dbgDetail"), c.detail ?? "—"],
    ]);
    ui.debugErrors.replaceChildren();
    if (overview.recentErrors.length === 0) {
      const li = document.createElement("li");
      li.textContent = t("dbgNoErrors");
      li.className = "muted";
      ui.debugErrors.append(li);
    }
    for (const e of overview.recentErrors) {
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = e.at;
      time.textContent = new Date(e.at).toLocaleTimeString(lang);
      li.append(time, " ", e.message);
      ui.debugErrors.append(li);
    }
  }

  /// Asks the background again and draws what it says.
  async refresh(): Promise<void> {
    const { ui, t } = this.ctx;
    let overview: Overview;
    try {
      overview = await browser.sendMessage<Overview>({ type: Msg.getOverview });
    } catch {
      return;
    }
    this.ctx.overview = overview;
    this.connection.show(overview.connection);
    const chatId = overview.activeChat?.chatId;
    ui.thisChat.disabled = chatId === undefined;
    ui.thisChatLabel.setAttribute("title", chatId !== undefined ? chatId : t("thisChatUnavailable"));
    if (chatId === undefined) ui.thisChat.checked = false;
    this.drawDebug();
  }

  /// The retry buttons: the background connects again at once.
  async reconnect(): Promise<void> {
    const overview = await browser.sendMessage<Overview>({ type: Msg.reconnect });
    this.ctx.overview = overview;
    this.connection.show(overview.connection);
    this.drawDebug();
  }
}
