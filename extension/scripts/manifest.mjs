// One manifest template, two browsers. Chromium gets the development `key`
// (fixed id dcdfhfchgbigephadgggjnlglgfffpgb, PROTOCOL.md section 1), a
// service worker and the managed storage schema; Firefox gets the gecko id
// and a background script (its MV3 background is an event page).

/** The public development key of PROTOCOL.md section 1. */
export const kDevKey =
  "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoB532r9BZCP6vTuB9croHO23N9x4ITBo7LqOK/TzNkp17/kYRP2B/7JLb1Pehx7POoognlSzUrYnOq92V2x7EZaagiwAWDoXlM1q32IqYh3wZmYN/f4SVK9CdM8azLnCdoAbqxlJKoL63XaTu8whlYDc9YHGaNayhgSgEy30kDpn6CXIjeRKzs0oAuHLaqpeQe4TTpbPJM42K7xdqtY6S81SSalbrP/pgEWgvUR+QwsME5+cqh0GkFavJcGcTMVtEhNASS5RRb3J1URGeCMpsthpX8v8+DXsVmdz6P2FaPqKU3hAtz/laWu23WrkrB3RBHvXJ55PSm1STScPr/WNEQIDAQAB";
export const kGeckoId = "vidkeep@vidkeep.org";
export const kIconSizes = [16, 32, 48, 128];

/**
 * @param {"chromium" | "firefox"} browser
 * @param {string} version
 */
export function manifestFor(browser, version) {
  const icons = Object.fromEntries(kIconSizes.map((s) => [String(s), `icons/icon-${s}.png`]));
  const manifest = {
    manifest_version: 3,
    name: "__MSG_extName__",
    short_name: "vidkeep",
    description: "__MSG_extDescription__",
    version,
    default_locale: "en",
    icons,
    action: {
      default_title: "__MSG_actionTitle__",
      default_popup: "popup.html",
      default_icon: icons,
    },
    options_ui: { page: "options.html", open_in_tab: true },
    background: {},
    // No "tabs": the service worker follows a tab whose new chat gains its
    // id (tabs.onUpdated / tabs.get / tabs.onRemoved need no permission) and
    // reads its URL through the chat origin's host permission, which both
    // browsers accept in place of "tabs" for the url field.
    permissions: ["nativeMessaging", "storage", "cookies", "scripting", "alarms", "clipboardWrite"],
    // Chat app origins are added at runtime from the options page; https
    // anywhere, http on loopback only (the host syncs to nothing else).
    optional_host_permissions: ["https://*/*", "http://localhost/*", "http://127.0.0.1/*"],
    content_security_policy: { extension_pages: "script-src 'self'; object-src 'none'" },
  };
  if (browser === "chromium") {
    manifest.key = kDevKey;
    manifest.minimum_chrome_version = "116";
    manifest.background = { service_worker: "sw.js" };
    manifest.storage = { managed_schema: "managed_schema.json" };
  } else if (browser === "firefox") {
    manifest.background = { scripts: ["sw.js"] };
    manifest.browser_specific_settings = {
      gecko: {
        id: kGeckoId,
        strict_min_version: "128.0",
        // vidkeep sends nothing to its developers: data goes to the person's
        // own vidkeep-host and from there to their own chat app.
        data_collection_permissions: { required: ["none"] },
      },
    };
  } else {
    throw new Error(`unknown browser ${browser}`);
  }
  return manifest;
}
