// What a tab holding videos (seen before it had a chat id) has become, from
// the URL the browser reports for it (tabs.onUpdated, tabs.get). The browser
// gives the URL without the `tabs` permission because the extension holds
// the host permission of the chat origin; a tab on a page it cannot see has
// no URL at all, which here means "gone elsewhere".

import { chatIdFromUrl } from "../shared/chat-id";
import { originOf } from "../shared/urls";
import type { HeldTab, HoldRelease } from "./video-queue";

/// "keep": still the page the videos were seen on; otherwise release, with
/// the chat id and page URL it gained, or (null) without one.
export type HoldOutcome = "keep" | { release: HoldRelease };

export function holdOutcome(hold: HeldTab, tabUrl: string | undefined, chatIdPattern: string): HoldOutcome {
  if (tabUrl === undefined || originOf(tabUrl) !== hold.origin) return { release: null };
  const chatId = chatIdFromUrl(tabUrl, chatIdPattern);
  if (chatId !== undefined) return { release: { chatId, pageUrl: tabUrl } };
  // Same origin, no chat id: still the new chat unless it went to another
  // page (a reload of `/` or a query change keeps waiting).
  if (hold.pageUrl !== undefined && pathOf(hold.pageUrl) !== pathOf(tabUrl)) return { release: null };
  return "keep";
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
