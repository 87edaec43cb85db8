import { describe, expect, it } from "vitest";
import { badgeFor } from "./badge";

describe("badgeFor", () => {
  it("shows ! when the host is missing, refuses, or is too old/new", () => {
    for (const state of ["not_found", "forbidden", "incompatible"] as const) {
      expect(badgeFor(state, undefined, 3).text).toBe("!");
    }
    expect(badgeFor("not_found", undefined, 0).titleKey).toBe("badgeHostMissing");
  });

  it("shows ! when the chat app wants a new login", () => {
    expect(badgeFor("connected", { id: 1, ok: true, auth_required: 2, pending: 5 }, 0)).toMatchObject({ text: "!", titleKey: "badgeAuthRequired" });
  });

  it("counts videos not synced yet, including those still queued", () => {
    expect(badgeFor("connected", { id: 1, ok: true, pending: 2, failed: 1, synced: 10 }, 1).text).toBe("4");
    expect(badgeFor("disconnected", undefined, 2).text).toBe("2");
    expect(badgeFor("connected", { id: 1, ok: true, synced: 10 }, 0).text).toBe("");
  });

  it("counts videos the app saved itself as done, not as a problem", () => {
    expect(badgeFor("connected", { id: 1, ok: true, synced: 3, saved_by_app: 2 }, 0)).toMatchObject({ text: "", titleKey: "actionTitle" });
    expect(badgeFor("connected", { id: 1, ok: true, saved_by_app: 2, pending: 1 }, 0).text).toBe("1");
  });
});
