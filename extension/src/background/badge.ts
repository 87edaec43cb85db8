// The toolbar badge: how many videos are not synced yet, or "!" when the
// host is missing or the chat app wants a new login.

import type { ConnectionState } from "../shared/messages";
import type { StatusAnswer } from "../shared/protocol";

export interface Badge {
  text: string;
  color: string;
  /// _locales key of the tooltip.
  titleKey: string;
}

export const kBadgeRed = "#c62828";
export const kBadgeAmber = "#b26a00";
export const kBadgeBlue = "#1f5fbf";

export function badgeFor(state: ConnectionState, status: StatusAnswer | undefined, queued: number): Badge {
  switch (state) {
    case "not_found":
      return { text: "!", color: kBadgeRed, titleKey: "badgeHostMissing" };
    case "forbidden":
      return { text: "!", color: kBadgeRed, titleKey: "badgeHostForbidden" };
    case "incompatible":
      return { text: "!", color: kBadgeRed, titleKey: "badgeUpdate" };
    default:
      break;
  }
  if (status !== undefined && (status.auth_required ?? 0) > 0) {
    return { text: "!", color: kBadgeAmber, titleKey: "badgeAuthRequired" };
  }
  // `synced`, `saved_by_app` (the app kept it itself) and `local` are done;
  // `queued` includes videos held for their new chat's id.
  const unsynced = (status?.pending ?? 0) + (status?.failed ?? 0) + queued;
  if (unsynced > 0) {
    return { text: unsynced > 999 ? "999+" : String(unsynced), color: kBadgeBlue, titleKey: "badgeUnsynced" };
  }
  return { text: "", color: kBadgeBlue, titleKey: "actionTitle" };
}
