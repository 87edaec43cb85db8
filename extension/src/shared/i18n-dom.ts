// Fills an extension page's static strings from _locales: `data-i18n` sets
// textContent, `data-i18n-title` / `-placeholder` / `-aria-label` set those
// attributes. Always as text, never as HTML.

import { t, uiLanguage } from "./browser-api";

export function applyI18n(root: Document): void {
  root.documentElement.lang = uiLanguage().split("-")[0] ?? "en";
  for (const node of Array.from(root.querySelectorAll<HTMLElement>("[data-i18n]"))) {
    node.textContent = t(node.dataset["i18n"]!, undefined, node.textContent ?? undefined);
  }
  const attrs: Array<[string, string]> = [
    ["data-i18n-title", "title"],
    ["data-i18n-placeholder", "placeholder"],
    ["data-i18n-aria-label", "aria-label"],
  ];
  for (const [data, attr] of attrs) {
    for (const node of Array.from(root.querySelectorAll<HTMLElement>(`[${data}]`))) {
      node.setAttribute(attr, t(node.getAttribute(data)!, undefined, node.getAttribute(attr) ?? undefined));
    }
  }
}
