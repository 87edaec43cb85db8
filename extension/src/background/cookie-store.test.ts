import { describe, expect, it } from "vitest";
import { MemoryStore } from "./fake-storage";
import { CookieStoreSlots, kCookieStoreStorageKey, storeOfTab } from "./cookie-store";

const chromiumStores = async () => [{ id: "0", tabIds: [1, 2] }, { id: "1", tabIds: [7] }];

describe("storeOfTab", () => {
  it("Chromium: the store listing the tab; the default store is 'default'", async () => {
    expect(await storeOfTab({ id: 7, incognito: true }, chromiumStores)).toEqual({ ok: true, storeId: "1" });
    expect(await storeOfTab({ id: 2 }, chromiumStores)).toEqual({ ok: true, storeId: undefined });
  });

  it("Firefox: the tab names its store (containers, private windows)", async () => {
    const none = async () => [];
    expect(await storeOfTab({ id: 5, cookieStoreId: "firefox-container-3" }, none)).toEqual({ ok: true, storeId: "firefox-container-3" });
    expect(await storeOfTab({ id: 5, cookieStoreId: "firefox-private", incognito: true }, none)).toEqual({ ok: true, storeId: "firefox-private" });
    expect(await storeOfTab({ id: 5, cookieStoreId: "firefox-default" }, none)).toEqual({ ok: true, storeId: undefined });
  });

  it("regression (issue 13, finding 8): a private tab whose store is not found is unknown, never the default store", async () => {
    expect(await storeOfTab({ id: 99, incognito: true }, chromiumStores)).toEqual({ ok: false });
    expect(await storeOfTab({ id: 99, incognito: true }, async () => { throw new Error("no cookies API"); })).toEqual({ ok: false });
    expect(await storeOfTab(undefined, chromiumStores)).toEqual({ ok: false });
  });
});

describe("CookieStoreSlots", () => {
  it("one store per origin, the last capturing tab's; cookie changes of other stores do not fill it", async () => {
    const kv = new MemoryStore();
    const slots = new CookieStoreSlots(kv);
    expect(slots.get("https://chat.example")).toBeUndefined();
    expect(slots.fills("https://chat.example", "0")).toBe(true);
    expect(slots.fills("https://chat.example", "1")).toBe(false);
    expect(await slots.set("https://chat.example", "0")).toBe(false); // the default already
    expect(await slots.set("https://chat.example", "1", true)).toBe(true);
    expect(slots.fills("https://chat.example", "1")).toBe(true);
    expect(slots.fills("https://chat.example", "0")).toBe(false);
    expect(slots.fills("https://other.example", "0")).toBe(true);
    expect(kv.saved(kCookieStoreStorageKey)).toEqual({ "https://chat.example": { id: "1", private: true } });

    // a restarted worker knows it
    const again = new CookieStoreSlots(kv);
    await again.load();
    expect(again.get("https://chat.example")).toBe("1");
  });

  it("leaving private windows puts their origins back on the default store; containers stay", async () => {
    const slots = new CookieStoreSlots(new MemoryStore());
    await slots.set("https://a.example", "firefox-private", true);
    await slots.set("https://b.example", "firefox-container-1", false);
    expect(await slots.leavePrivate()).toEqual(["https://a.example"]);
    expect(slots.get("https://a.example")).toBeUndefined();
    expect(slots.get("https://b.example")).toBe("firefox-container-1");
    await slots.keepOnly([]);
    expect(slots.get("https://b.example")).toBeUndefined();
  });
});
