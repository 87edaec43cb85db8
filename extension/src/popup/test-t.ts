// For tests: the English strings of _locales with their placeholders filled
// in, as chrome.i18n.getMessage would give them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Translate } from "./render";

type Messages = Record<string, { message: string; placeholders?: Record<string, { content: string }> }>;
const en = JSON.parse(readFileSync(join(__dirname, "..", "..", "static", "_locales", "en", "messages.json"), "utf8")) as Messages;

export const enT: Translate = (key, substitutions) => {
  const entry = en[key];
  if (entry === undefined) return key;
  const subs = substitutions === undefined ? [] : Array.isArray(substitutions) ? substitutions : [substitutions];
  return entry.message.replace(/\$([A-Za-z0-9_]+)\$/g, (_, name: string) => {
    const content = entry.placeholders?.[name.toLowerCase()]?.content ?? "";
    return content.replace(/\$(\d)/g, (__, n: string) => subs[Number(n) - 1] ?? "");
  });
};
