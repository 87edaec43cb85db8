// The options page. It talks only to the background (getSettings /
// saveSettings), except for permissions.request, which must run in the
// click that asked for it.

import * as browser from "../shared/browser-api";
import { applyI18n } from "../shared/i18n-dom";
import { compileChatIdPattern } from "../shared/chat-id";
import { Msg, type SettingsView } from "../shared/messages";
import type { SettingKey, Settings } from "../shared/settings";
import { matchPatternFor, normalizeOrigin } from "../shared/urls";

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const t = (key: string, subs?: string | string[]) => browser.t(key, subs);

const ui = {
  saved: $("saved"),
  origins: $<HTMLUListElement>("origins"),
  originsLock: $("origins-lock"),
  originForm: $<HTMLFormElement>("origin-form"),
  originInput: $<HTMLInputElement>("origin-input"),
  originAdd: $<HTMLButtonElement>("origin-add"),
  originError: $("origin-error"),
  captureEnabled: $<HTMLInputElement>("capture-enabled"),
  chatIdPattern: $<HTMLInputElement>("chat-id-pattern"),
  chatIdError: $("chat-id-error"),
  artifactSelector: $<HTMLInputElement>("artifact-selector"),
  inlineSelector: $<HTMLInputElement>("inline-selector"),
  selectorError: $("selector-error"),
  inlineSelectorError: $("inline-selector-error"),
  cookieNames: $<HTMLTextAreaElement>("cookie-names"),
  debugLogging: $<HTMLInputElement>("debug-logging"),
};

let view: SettingsView | undefined;

const isLocked = (key: SettingKey): boolean => view?.locked.includes(key) ?? false;

function showError(node: HTMLElement, text: string | undefined): void {
  node.textContent = text ?? "";
  node.hidden = text === undefined;
}

let savedTimer: number | undefined;
function flashSaved(): void {
  ui.saved.textContent = t("saved");
  clearTimeout(savedTimer);
  savedTimer = window.setTimeout(() => (ui.saved.textContent = ""), 2000);
}

async function save(patch: Partial<Settings>): Promise<void> {
  view = await browser.sendMessage<SettingsView>({ type: Msg.saveSettings, patch });
  draw();
  flashSaved();
}

function lockNote(input: HTMLElement, key: SettingKey): void {
  const next = input.nextElementSibling;
  if (next?.classList.contains("locked-note")) next.remove();
  if (!isLocked(key)) return;
  const note = document.createElement("span");
  note.className = "locked-note";
  note.textContent = `🔒 ${t("lockedByAdmin")}`;
  input.after(note);
}

function draw(): void {
  if (view === undefined) return;
  const { settings, missingPermissions } = view;
  const originsLocked = isLocked("origins");
  ui.originsLock.hidden = !originsLocked;
  ui.originForm.hidden = originsLocked;

  ui.origins.replaceChildren();
  if (settings.origins.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = t("noOriginsYet");
    ui.origins.append(li);
  }
  for (const origin of settings.origins) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "origin";
    name.textContent = origin;
    const state = document.createElement("span");
    const missing = missingPermissions.includes(origin);
    state.className = `state ${missing ? "missing" : "ok"}`;
    state.textContent = missing ? t("originNeedsAccess") : t("originActive");
    li.append(name, state);
    if (missing) {
      const grant = document.createElement("button");
      grant.type = "button";
      grant.className = "secondary";
      grant.textContent = t("grantAccess");
      grant.addEventListener("click", () => void grantAccess(origin));
      li.append(grant);
    }
    if (!originsLocked) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary remove";
      remove.textContent = t("removeOrigin");
      remove.setAttribute("aria-label", `${t("removeOrigin")} ${origin}`);
      remove.addEventListener("click", () => void save({ origins: settings.origins.filter((o) => o !== origin) }));
      li.append(remove);
    }
    ui.origins.append(li);
  }

  const fields: Array<[HTMLInputElement | HTMLTextAreaElement, SettingKey, () => void]> = [
    [ui.captureEnabled, "captureEnabled", () => (ui.captureEnabled.checked = settings.captureEnabled)],
    [ui.debugLogging, "debugLogging", () => (ui.debugLogging.checked = settings.debugLogging)],
    [ui.chatIdPattern, "chatIdPattern", () => (ui.chatIdPattern.value = settings.chatIdPattern)],
    [ui.artifactSelector, "artifactSelector", () => (ui.artifactSelector.value = settings.artifactSelector)],
    [ui.inlineSelector, "inlineSelector", () => (ui.inlineSelector.value = settings.inlineSelector)],
    [ui.cookieNames, "cookieNames", () => (ui.cookieNames.value = settings.cookieNames.join("\n"))],
  ];
  for (const [input, key, fill] of fields) {
    if (document.activeElement !== input) fill();
    input.disabled = isLocked(key);
    lockNote(input.type === "checkbox" ? input.parentElement!.lastElementChild as HTMLElement : input, key);
  }
}

async function grantAccess(origin: string): Promise<void> {
  // Must be the first thing in the click: browsers want a user gesture.
  const granted = await browser.requestOrigins([matchPatternFor(origin)]);
  if (!granted) return showError(ui.originError, t("permissionRefused", origin));
  view = await browser.sendMessage<SettingsView>({ type: Msg.getSettings });
  draw();
}

/// A CSS selector field: saved when the browser can parse it.
function wireSelector(input: HTMLInputElement, error: HTMLElement, key: "artifactSelector" | "inlineSelector"): void {
  input.addEventListener("change", () => {
    const value = input.value.trim();
    try {
      document.createDocumentFragment().querySelector(value);
    } catch {
      return showError(error, t("selectorInvalid"));
    }
    if (value === "") return showError(error, t("selectorInvalid"));
    showError(error, undefined);
    void save({ [key]: value });
  });
}

function wire(): void {
  ui.originForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (view === undefined) return;
    const origin = normalizeOrigin(ui.originInput.value);
    if (origin === null) return showError(ui.originError, t("originInvalid"));
    showError(ui.originError, undefined);
    const current = view.settings.origins;
    // permissions.request first, synchronously inside the submit event.
    void browser.requestOrigins([matchPatternFor(origin)]).then(async (granted) => {
      if (!granted) return showError(ui.originError, t("permissionRefused", origin));
      ui.originInput.value = "";
      await save({ origins: [...current.filter((o) => o !== origin), origin] });
    }, (err: unknown) => showError(ui.originError, String(err)));
  });

  ui.captureEnabled.addEventListener("change", () => void save({ captureEnabled: ui.captureEnabled.checked }));
  ui.debugLogging.addEventListener("change", () => void save({ debugLogging: ui.debugLogging.checked }));
  ui.chatIdPattern.addEventListener("change", () => {
    const value = ui.chatIdPattern.value.trim();
    if (compileChatIdPattern(value) === null) return showError(ui.chatIdError, t("chatIdInvalid"));
    showError(ui.chatIdError, undefined);
    void save({ chatIdPattern: value });
  });
  wireSelector(ui.artifactSelector, ui.selectorError, "artifactSelector");
  wireSelector(ui.inlineSelector, ui.inlineSelectorError, "inlineSelector");
  ui.cookieNames.addEventListener("change", () => {
    const names = ui.cookieNames.value.split(/[\s,]+/).map((n) => n.trim()).filter((n) => n !== "");
    void save({ cookieNames: names });
  });
}

async function main(): Promise<void> {
  applyI18n(document);
  wire();
  view = await browser.sendMessage<SettingsView>({ type: Msg.getSettings });
  draw();
}

void main();
