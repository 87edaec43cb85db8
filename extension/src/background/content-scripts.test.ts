import { describe, expect, it } from "vitest";
import { desiredScripts, kPageScriptId, kRelayScriptId, syncContentScripts, type ScriptRegistration, type ScriptingApi } from "./content-scripts";

function fakeScripting() {
  const registered = new Map<string, ScriptRegistration>();
  const calls: string[] = [];
  const api: ScriptingApi = {
    async registered(ids) {
      return ids.filter((id) => registered.has(id)).map((id) => registered.get(id)!);
    },
    async register(scripts) {
      calls.push(`register ${scripts.map((s) => s.id).join(",")}`);
      for (const s of scripts) {
        if (registered.has(s.id)) throw new Error(`Duplicate script ID '${s.id}'`);
        registered.set(s.id, s);
      }
    },
    async unregister(ids) {
      calls.push(`unregister ${ids.join(",")}`);
      for (const id of ids) registered.delete(id);
    },
  };
  return { api, registered, calls };
}

describe("content script registration", () => {
  it("registers the MAIN-world capture and the ISOLATED relay at document_start", () => {
    const [page, relay] = desiredScripts(["https://chat.example/*"]);
    expect(page).toMatchObject({ id: kPageScriptId, js: ["page.js"], world: "MAIN", runAt: "document_start", allFrames: false });
    expect(relay).toMatchObject({ id: kRelayScriptId, js: ["relay.js"], world: "ISOLATED", runAt: "document_start" });
  });

  it("adds, changes and removes registrations with the origin list", async () => {
    const { api, registered, calls } = fakeScripting();
    expect(await syncContentScripts(api, ["https://chat.example/*"])).toBe(true);
    expect(registered.get(kPageScriptId)?.matches).toEqual(["https://chat.example/*"]);
    expect(await syncContentScripts(api, ["https://chat.example/*"])).toBe(false);
    await syncContentScripts(api, ["https://chat.example/*", "http://localhost/*"]);
    expect(registered.get(kRelayScriptId)?.matches).toEqual(["http://localhost/*", "https://chat.example/*"]);
    await syncContentScripts(api, []);
    expect(registered.size).toBe(0);
    expect(calls).toEqual([
      `register ${kPageScriptId},${kRelayScriptId}`,
      `unregister ${kPageScriptId},${kRelayScriptId}`,
      `register ${kPageScriptId},${kRelayScriptId}`,
      `unregister ${kPageScriptId},${kRelayScriptId}`,
    ]);
  });
});
