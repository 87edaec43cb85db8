// Real Chromium (playwright-core over CDP) and Firefox ESR (WebDriver BiDi)
// with the vidkeep extension, behind one small interface:
//
//   const b = await launchBrowser('chromium' | 'firefox', {...});
//   const tab = await b.newTab(url);
//   await tab.click('#generate'); await tab.eval((a) => …, a); await tab.screenshot(file);
//   await b.close();          // by its own PID, bounded; never by name
//
// Every browser runs in its own process group with HOME and TMPDIR in a test
// folder, is given a bounded time to start, and is ended by its PID.
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { BiDi, fromRemote } from './bidi.mjs';

export const CHROMIUM_EXTENSION_ID = 'dcdfhfchgbigephadgggjnlglgfffpgb';
export const GECKO_ID = 'vidkeep@vidkeep.org';
/// Pinned with extensions.webextensions.uuids, so moz-extension:// URLs are known.
export const FIREFOX_EXTENSION_UUID = '5e0a1c2d-7b3f-4e6a-9c8d-0f1e2d3c4b5a';

export const CHROMIUM_BIN = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p)) ?? 'chromium';
export const FIREFOX_BIN = ['/usr/lib/firefox-esr/firefox-esr', '/usr/bin/firefox-esr'].find((p) => existsSync(p)) ?? 'firefox-esr';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
export function within(ms, promise, what) {
  let timer;
  return Promise.race([
    Promise.resolve(promise).finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); }),
  ]);
}

/**
 * Polls `check` (async, returns a truthy value when done) until it is
 * truthy; rejects after `timeoutMs` with `what` and the last value seen.
 * For conditions no event announces (a database row, a DOM state).
 */
export async function until(check, { timeoutMs = 15000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const seen = lastError ? `; last error: ${lastError.message}` : `; last value: ${JSON.stringify(last)?.slice(0, 400)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------- extension --

/**
 * The Chromium test copy of dist/chromium. The one change: `host_permissions`
 * for http://127.0.0.1/* in the manifest. Chromium shows a native dialog for
 * permissions.request of an optional host permission, which no automation can
 * answer (CDP reaches pages, not browser UI); with the permission granted at
 * install, the options page's own permissions.request resolves true at once
 * and everything else runs unchanged. The key (and so the id) stays.
 */
export function prepareChromiumExtension(dist, dest) {
  cpSync(dist, dest, { recursive: true });
  const file = path.join(dest, 'manifest.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.host_permissions = [...new Set([...(manifest.host_permissions ?? []), 'http://127.0.0.1/*'])];
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return dest;
}

/** dist/firefox as an unsigned XPI (sideloaded into each profile). */
export function prepareFirefoxXpi(dist, xpi) {
  mkdirSync(path.dirname(xpi), { recursive: true });
  execFileSync('zip', ['-qr', '-X', xpi, '.'], { cwd: dist, timeout: 30000 });
  return xpi;
}

function firefoxPrefs(extra = {}) {
  const prefs = {
    'xpinstall.signatures.required': false,
    'extensions.autoDisableScopes': 0,
    'extensions.enabledScopes': 15,
    'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: FIREFOX_EXTENSION_UUID }),
    // permissions.request of an optional permission is granted without the
    // doorhanger (no automation can click it); the click itself is real.
    'extensions.webextOptionalPermissionPrompts': false,
    'network.proxy.type': 1,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': 9,
    'network.proxy.ssl': '127.0.0.1',
    'network.proxy.ssl_port': 9,
    'network.proxy.no_proxies_on': '127.0.0.1',
    'toolkit.telemetry.enabled': false,
    'datareporting.policy.dataSubmissionEnabled': false,
    'datareporting.healthreport.uploadEnabled': false,
    'app.normandy.enabled': false,
    'dom.push.enabled': false,
    'browser.region.network.url': '',
    'browser.safebrowsing.malware.enabled': false,
    'browser.safebrowsing.phishing.enabled': false,
    'browser.safebrowsing.downloads.enabled': false,
    'app.update.enabled': false,
    'app.update.auto': false,
    'browser.shell.checkDefaultBrowser': false,
    'browser.startup.homepage_override.mstone': 'ignore',
    'browser.aboutwelcome.enabled': false,
    'extensions.getAddons.cache.enabled': false,
    'extensions.update.enabled': false,
    'media.autoplay.default': 0,
    'browser.tabs.warnOnClose': false,
    'browser.sessionstore.resume_from_crash': false,
    ...extra,
  };
  return Object.entries(prefs).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});`).join('\n') + '\n';
}

// ------------------------------------------------------------------ process --

/** PIDs of live processes whose command line or environment mentions `marker`. */
export function processesMentioning(marker) {
  const out = [];
  let entries = [];
  try { entries = readdirSync('/proc'); } catch { return out; }
  for (const name of entries) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let text = '';
    try { text = readFileSync(`/proc/${name}/cmdline`, 'latin1'); } catch { continue; }
    try { text += '\0' + readFileSync(`/proc/${name}/environ`, 'latin1'); } catch {}
    try {
      // zombies are gone already for our purposes
      if (/^State:\s+Z/m.test(readFileSync(`/proc/${name}/status`, 'latin1'))) continue;
    } catch { continue; }
    if (text.includes(marker)) out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'latin1').replace(/\0/g, ' ').slice(0, 160) });
  }
  return out;
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Sends `signal` to the process group `pid` leads (our spawn made it a leader). */
function killGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch {}
  try { process.kill(pid, signal); } catch {}
}

/// Process groups of browsers we started that were not closed yet, so a
/// signal or an early exit can end them all.
const liveGroups = new Set();

/** Sends SIGKILL to the process group of every browser still open (synchronous). */
export function killAllBrowsers() {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
}
process.on('exit', killAllBrowsers);

/**
 * Spawns `cmd` as the leader of a new process group, its stderr+stdout into
 * `logFile`, and resolves once `ready` (a RegExp) matches the stderr text;
 * rejects (after killing it) when it exits first or `timeoutMs` passes.
 */
function spawnBrowser(cmd, args, { env, logFile, ready, timeoutMs, what }) {
  const log = createWriteStream(logFile, { flags: 'a' });
  const [file, argv] = hidingSystemHosts(cmd, args);
  const child = spawn(file, argv, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid) liveGroups.add(child.pid);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.stdout.on('data', (d) => log.write(d));
  let text = '';
  const match = new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      log.write(d);
      if (text.length < 1 << 20) text += d;
      const m = ready.exec(text);
      if (m) resolve(m);
    });
    exited.then(({ code, signal }) => reject(new Error(`${what} exited (${code ?? signal}) before it was ready; see ${logFile}`)));
  });
  child.on('error', () => {});
  return within(timeoutMs, match, `${what} start`).then(
    (m) => ({ child, exited, match: m, log }),
    (err) => { killGroup(child.pid, 'SIGKILL'); throw err; });
}

/**
 * The machine's own system-wide native messaging manifests (a vidkeep that
 * `sudo installer/install.sh` registered there) would be seen by the test
 * browsers beside the scenario's own: Chromium reads /etc/chromium/… whatever
 * its user-data-dir, so "host missing" could never be missing. As root, the
 * browser runs in a private mount namespace (`unshare --mount`, which execs:
 * the PID stays the browser's) with an empty tmpfs over each such folder, so
 * it sees only what the scenario registered and the machine's files are never
 * read or touched. Without root the folders stay visible (said in docs/e2e.md).
 */
const kSystemHostDirs = [
  '/etc/chromium/native-messaging-hosts', '/etc/opt/chrome/native-messaging-hosts',
  '/usr/lib/mozilla/native-messaging-hosts', '/usr/lib64/mozilla/native-messaging-hosts',
];
function hidingSystemHosts(cmd, args) {
  const hide = kSystemHostDirs.filter((d) => existsSync(d));
  if (hide.length === 0 || process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare')) return [cmd, args];
  const script = 'for d in $VIDKEEP_E2E_HIDE; do mount -t tmpfs -o mode=0755,size=1m tmpfs "$d" || exit 1; done; exec "$@"';
  return ['/usr/bin/unshare', ['--mount', '--propagation', 'private', '--', '/usr/bin/env', `VIDKEEP_E2E_HIDE=${hide.join(' ')}`,
    '/bin/sh', '-c', script, 'sh', cmd, ...args]];
}

// ------------------------------------------------------------------ drivers --

/**
 * Launches a browser with the extension.
 *   kind        'chromium' | 'firefox'
 *   home        HOME for the browser (and the native host it starts)
 *   profile     Chromium user-data-dir / Firefox profile folder
 *   extension   Chromium: the unpacked folder; Firefox: the XPI
 *   env         extra environment (VIDKEEP_HOME, VIDKEEP_SYSTEM_CONFIG, TMPDIR…)
 *   headless    default true
 *   logFile     browser output
 *   consoleLog  also write console lines (pages, extension) into logFile
 */
export async function launchBrowser(kind, opts) {
  return kind === 'chromium' ? launchChromium(opts) : launchFirefox(opts);
}

function baseEnv(home, extra) {
  const env = { ...process.env };
  for (const k of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME', 'XDG_RUNTIME_DIR', 'VIDKEEP_HOME', 'VIDKEEP_SYSTEM_CONFIG', 'VIDKEEP_TOKEN']) delete env[k];
  return { ...env, HOME: home, ...extra };
}

async function launchChromium({ home, profile, extension, env = {}, headless = true, logFile, consoleLog = false, startTimeoutMs = 30000 }) {
  mkdirSync(profile, { recursive: true });
  const args = [
    ...(headless ? ['--headless=new'] : []),
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--no-default-browser-check',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps',
    '--password-store=basic', '--disable-features=Translate,MediaRouter,OptimizationHints',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    '--window-size=1280,900', '--remote-debugging-port=0',
    // Page and service worker console lines (the extension's debug log) into logFile.
    ...(consoleLog ? ['--enable-logging=stderr', '--v=0'] : []),
    `--user-data-dir=${profile}`, `--load-extension=${extension}`, `--disable-extensions-except=${extension}`,
    'about:blank',
  ];
  const started = await spawnBrowser(CHROMIUM_BIN, args, {
    env: baseEnv(home, env), logFile, ready: /DevTools listening on (ws:\/\/\S+)/, timeoutMs: startTimeoutMs, what: 'Chromium',
  });
  const browser = new Browser('chromium', started, `chrome-extension://${CHROMIUM_EXTENSION_ID}/`);
  try {
    browser.pw = await within(startTimeoutMs, chromium.connectOverCDP(started.match[1], { timeout: startTimeoutMs }), 'CDP connect');
    browser.context = browser.pw.contexts()[0];
    browser.context.setDefaultTimeout(20000);
    browser.context.on('page', (page) => watchDialogs(browser, page));
    for (const page of browser.context.pages()) watchDialogs(browser, page);
  } catch (err) {
    await browser.close();
    throw err;
  }
  return browser;
}

function watchDialogs(browser, page) {
  page.on('dialog', (dialog) => {
    browser.dialogs.push({ url: page.url(), type: dialog.type(), message: dialog.message() });
    dialog.dismiss().catch(() => {});
  });
}

async function launchFirefox({ home, profile, extension, env = {}, headless = true, logFile, consoleLog = false, startTimeoutMs = 45000 }) {
  mkdirSync(path.join(profile, 'extensions'), { recursive: true });
  cpSync(extension, path.join(profile, 'extensions', `${GECKO_ID}.xpi`));
  writeFileSync(path.join(profile, 'user.js'), firefoxPrefs(consoleLog
    ? { 'devtools.console.stdout.content': true, 'devtools.console.stdout.chrome': true } : {}));
  const args = [
    ...(headless ? ['--headless'] : []),
    '--no-remote', '--new-instance', '--profile', profile,
    // BiDi; system access lets it open moz-extension:// pages (options, popup).
    '--remote-debugging-port=0', '--remote-allow-system-access',
    '--width=1280', '--height=900', 'about:blank',
  ];
  const started = await spawnBrowser(FIREFOX_BIN, args, {
    env: baseEnv(home, { MOZ_REMOTE_SETTINGS_DEVTOOLS: '1', MOZ_CRASHREPORTER_DISABLE: '1', ...env }),
    logFile, ready: /WebDriver BiDi listening on (ws:\/\/\S+)/, timeoutMs: startTimeoutMs, what: 'Firefox',
  });
  const browser = new Browser('firefox', started, `moz-extension://${FIREFOX_EXTENSION_UUID}/`);
  try {
    browser.bidi = await BiDi.connect(`${started.match[1]}/session`);
    await browser.bidi.send('session.new', { capabilities: { alwaysMatch: { unhandledPromptBehavior: { default: 'ignore' } } } });
    await browser.bidi.send('session.subscribe', { events: ['browsingContext.userPromptOpened'] });
    browser.bidi.on('browsingContext.userPromptOpened', (p) => {
      browser.dialogs.push({ context: p.context, type: p.type, message: p.message });
      browser.bidi.send('browsingContext.handleUserPrompt', { context: p.context, accept: false }).catch(() => {});
    });
  } catch (err) {
    await browser.close();
    throw err;
  }
  return browser;
}

export class Browser {
  constructor(kind, started, extensionBase) {
    this.kind = kind;
    this.child = started.child;
    this.pid = started.child.pid;
    this.exited = started.exited;
    this.logStream = started.log;
    this.extensionBase = extensionBase;
    this.dialogs = [];
    this.tabs = new Set();
  }

  get popupUrl() { return `${this.extensionBase}popup.html`; }
  get optionsUrl() { return `${this.extensionBase}options.html`; }
  get running() { return alive(this.pid) && this.child.exitCode === null && this.child.signalCode === null; }

  /** Opens a new tab (at `url` when given). */
  async newTab(url) {
    let tab;
    if (this.kind === 'chromium') {
      tab = new PlaywrightTab(this, await this.context.newPage());
    } else {
      const { context } = await this.bidi.send('browsingContext.create', { type: 'tab' });
      tab = new BidiTab(this, context);
    }
    this.tabs.add(tab);
    if (url) await tab.goto(url);
    return tab;
  }

  /** Ends the browser: politely, then SIGKILL to its process group; bounded. */
  async close({ graceMs = 5000 } = {}) {
    // Once only: a PID is not ours to signal after we let it go.
    if (this.closed) return;
    this.closed = true;
    if (this.running) {
      // A normal shutdown (profile state such as cookies written to disk):
      // BiDi browser.close / CDP Browser.close, then SIGTERM.
      if (this.kind === 'firefox' && this.bidi) {
        this.bidi.send('browser.close', {}, 3000).catch(() => {});
      } else if (this.pw) {
        try {
          const cdp = await within(3000, this.pw.newBrowserCDPSession(), 'CDP session');
          cdp.send('Browser.close').catch(() => {});
        } catch {
          killGroup(this.pid, 'SIGTERM');
        }
      } else {
        killGroup(this.pid, 'SIGTERM');
      }
      await Promise.race([this.exited, sleep(graceMs)]);
      if (this.running) {
        killGroup(this.pid, 'SIGTERM');
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    killGroup(this.pid, 'SIGKILL');
    await Promise.race([this.exited, sleep(3000)]);
    liveGroups.delete(this.pid);
    try { this.bidi?.close(); } catch {}
    try { await this.pw?.close(); } catch {}
    this.logStream.end();
  }
}

function evalSource(fn, args) {
  const body = typeof fn === 'function' ? fn.toString() : `() => (${fn})`;
  return `(async () => { const __v = await (${body})(...${JSON.stringify(args)}); return __v === undefined ? '__undefined__' : JSON.stringify(__v); })()`;
}

function evalResult(text) {
  return text === '__undefined__' || text === undefined ? undefined : JSON.parse(text);
}

class PlaywrightTab {
  constructor(browser, page) { this.browser = browser; this.page = page; }
  url() { return this.page.url(); }
  async goto(url) { await this.page.goto(url, { waitUntil: 'load', timeout: 20000 }); }
  async reload() { await this.page.reload({ waitUntil: 'load', timeout: 20000 }); }
  /** Runs `fn(...args)` in the page's own (main) world; returns its JSON value. */
  async eval(fn, ...args) { return evalResult(await this.page.evaluate(evalSource(fn, args))); }
  async waitFor(fn, args = [], opts = {}) { return until(() => this.eval(fn, ...args), opts); }
  async click(selector, { timeoutMs = 15000 } = {}) { await this.page.click(selector, { timeout: timeoutMs }); }
  /** Types `text` into the field with real key events (after clearing it). */
  async type(selector, text) {
    await this.page.fill(selector, '');
    await this.page.locator(selector).pressSequentially(text, { delay: 5 });
  }
  async press(selector, key) { await this.page.press(selector, key); }
  async setViewport(width, height) { await this.page.setViewportSize({ width, height }); }
  async screenshot(file) { mkdirSync(path.dirname(file), { recursive: true }); await this.page.screenshot({ path: file }); return file; }
  async close() { this.browser.tabs.delete(this); await this.page.close().catch(() => {}); }
}

class BidiTab {
  constructor(browser, context) { this.browser = browser; this.context = context; this.bidi = browser.bidi; }
  async url() { return this.eval(() => location.href); }
  async goto(url) { await this.bidi.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' }, 30000); }
  async reload() { await this.bidi.send('browsingContext.reload', { context: this.context, wait: 'complete' }, 30000); }
  async eval(fn, ...args) {
    const r = await this.bidi.send('script.evaluate', {
      expression: evalSource(fn, args), target: { context: this.context }, awaitPromise: true, resultOwnership: 'none',
    });
    if (r.type === 'exception') throw new Error(`page exception: ${r.exceptionDetails?.text ?? 'unknown'}`);
    return evalResult(fromRemote(r.result));
  }
  async waitFor(fn, args = [], opts = {}) { return until(() => this.eval(fn, ...args), opts); }
  async element(selector, timeoutMs) {
    await until(() => this.eval((s) => {
      const el = document.querySelector(s);
      if (!el) return false;
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && !el.disabled;
    }, selector), { timeoutMs, what: `a visible ${selector}` });
    const r = await this.bidi.send('script.evaluate', {
      expression: `document.querySelector(${JSON.stringify(selector)})`, target: { context: this.context }, awaitPromise: false, resultOwnership: 'root',
    });
    if (r.type === 'exception' || r.result?.type !== 'node') throw new Error(`no element ${selector}`);
    return r.result.sharedId;
  }
  /** A real (trusted) click in the middle of the element. */
  async click(selector, { timeoutMs = 15000 } = {}) {
    const sharedId = await this.element(selector, timeoutMs);
    await this.bidi.send('input.performActions', {
      context: this.context,
      actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions: [
        { type: 'pointerMove', x: 0, y: 0, origin: { type: 'element', element: { sharedId } } },
        { type: 'pointerDown', button: 0 }, { type: 'pointerUp', button: 0 }] }],
    });
    await this.bidi.send('input.releaseActions', { context: this.context }).catch(() => {});
  }
  async type(selector, text) {
    await this.click(selector);
    await this.eval((s) => { const el = document.querySelector(s); el.focus(); el.select?.(); }, selector);
    const keys = [{ type: 'keyDown', value: '\uE017' }, { type: 'keyUp', value: '\uE017' }]; // Delete the selection
    for (const ch of text) keys.push({ type: 'keyDown', value: ch }, { type: 'keyUp', value: ch });
    await this.bidi.send('input.performActions', { context: this.context, actions: [{ type: 'key', id: 'keyboard', actions: keys }] });
    await this.bidi.send('input.releaseActions', { context: this.context }).catch(() => {});
  }
  async press(selector, key) {
    const value = { Enter: '\uE007', Escape: '\uE00C', Space: ' ' }[key] ?? key;
    await this.eval((s) => document.querySelector(s).focus(), selector);
    await this.bidi.send('input.performActions', { context: this.context, actions: [{ type: 'key', id: 'keyboard', actions: [{ type: 'keyDown', value }, { type: 'keyUp', value }] }] });
  }
  async setViewport(width, height) { await this.bidi.send('browsingContext.setViewport', { context: this.context, viewport: { width, height } }); }
  async screenshot(file) {
    const { data } = await this.bidi.send('browsingContext.captureScreenshot', { context: this.context, origin: 'viewport' });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(data, 'base64'));
    return file;
  }
  async close() { this.browser.tabs.delete(this); await this.bidi.send('browsingContext.close', { context: this.context }).catch(() => {}); }
}
