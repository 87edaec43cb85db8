import { describe, expect, it } from "vitest";
import { AccountMemory, kLastAccountStorageKey } from "./accounts";
import { MemoryStore } from "./fake-storage";

const origin = "https://chat.example";
const ann = { id: "u-ann", label: "ann@example.com" };
const bob = { id: "u-bob" };

describe("AccountMemory", () => {
  it("remembers a checked account per origin, ids and labels only, across worker restarts", async () => {
    const store = new MemoryStore();
    const memory = new AccountMemory(store);
    expect(await memory.learn(origin, { checked: true, account: ann })).toBe(true);
    expect(memory.get(origin)).toEqual(ann);
    expect(memory.get("https://other.example")).toBeUndefined();
    expect(store.saved(kLastAccountStorageKey)).toEqual({ [origin]: ann });

    const restarted = new AccountMemory(store);
    await restarted.load();
    expect(restarted.get(origin)).toEqual(ann);
  });

  it("keeps the last person when the session lapses or the lookup could not say", async () => {
    const memory = new AccountMemory(new MemoryStore());
    await memory.learn(origin, { checked: true, account: ann });
    expect(await memory.learn(origin, { checked: true, account: null })).toBe(false);
    expect(await memory.learn(origin, { checked: false, account: null })).toBe(false);
    expect(await memory.learn(origin, { checked: false, account: bob })).toBe(false);
    expect(memory.get(origin)).toEqual(ann);
  });

  it("a different person's sign-in replaces the account from then on", async () => {
    const memory = new AccountMemory(new MemoryStore());
    await memory.learn(origin, { checked: true, account: ann });
    const stampedBefore = memory.get(origin);
    expect(await memory.learn(origin, { checked: true, account: bob })).toBe(true);
    expect(stampedBefore).toEqual(ann); // a copy: earlier stamps do not change
    expect(memory.get(origin)).toEqual(bob);
  });

  it("ignores stored values that are not accounts, and forgets removed origins", async () => {
    const store = new MemoryStore();
    await store.set({ [kLastAccountStorageKey]: { [origin]: { cookie: "SECRET" }, "https://b.example": ann } });
    const memory = new AccountMemory(store);
    await memory.load();
    expect(memory.get(origin)).toBeUndefined();
    expect(memory.get("https://b.example")).toEqual(ann);
    await memory.keepOnly([origin]);
    expect(memory.get("https://b.example")).toBeUndefined();
    expect(store.saved(kLastAccountStorageKey)).toEqual({});
  });
});
