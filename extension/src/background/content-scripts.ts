// Registers the capture scripts for the configured chat origins
// (scripting.registerContentScripts): page.js in the MAIN world and relay.js
// in the ISOLATED world, both at document_start, top frame only. One pair of
// registrations covers all origins; it is replaced when the list changes and
// removed when it is empty.

export const kPageScriptId = "vidkeep-page";
export const kRelayScriptId = "vidkeep-relay";

export interface ScriptRegistration {
  id: string;
  js: string[];
  matches: string[];
  runAt: "document_start";
  world: "MAIN" | "ISOLATED";
  allFrames: false;
  persistAcrossSessions: true;
}

export interface ScriptingApi {
  registered(ids: string[]): Promise<Array<{ id: string; matches?: string[] }>>;
  register(scripts: ScriptRegistration[]): Promise<void>;
  unregister(ids: string[]): Promise<void>;
}

export function desiredScripts(patterns: readonly string[]): ScriptRegistration[] {
  if (patterns.length === 0) return [];
  const matches = [...new Set(patterns)].sort();
  const common = { matches, runAt: "document_start", allFrames: false, persistAcrossSessions: true } as const;
  return [
    { id: kPageScriptId, js: ["page.js"], world: "MAIN", ...common },
    { id: kRelayScriptId, js: ["relay.js"], world: "ISOLATED", ...common },
  ];
}

/// Makes the registrations match `patterns` (origins whose permission is
/// granted). Returns true when it changed anything.
export async function syncContentScripts(api: ScriptingApi, patterns: readonly string[]): Promise<boolean> {
  const ids = [kPageScriptId, kRelayScriptId];
  const want = desiredScripts(patterns);
  const have = await api.registered(ids);
  const same = want.length === have.length && want.every((w) => {
    const h = have.find((x) => x.id === w.id);
    return h !== undefined && JSON.stringify([...(h.matches ?? [])].sort()) === JSON.stringify(w.matches);
  });
  if (same) return false;
  if (have.length > 0) await api.unregister(have.map((h) => h.id));
  if (want.length > 0) await api.register(want);
  return true;
}
