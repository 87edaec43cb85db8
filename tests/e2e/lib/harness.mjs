// One end-to-end scenario's world: a temp folder (HOME, TMPDIR, profiles,
// VIDKEEP_HOME), a fresh demo chat app, the host registered by the real
// installer into a fake root, browsers with the extension, and helpers to
// drive the extension's own pages and read what vidkeep stored. `cleanup()`
// ends everything it started, by PID, and checks nothing is left.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDemoChatApp } from '../../lib/demo-chat-app.mjs';
import { launchBrowser, processesMentioning, until } from './browsers.mjs';

/**
 * Fast sync timings for tests (docs/config.md). The grace period before a
 * new video is sent (the app's own save comes first, issue 12) is short here:
 * the demo mode's app never saves by itself; the real-app scenarios set their
 * own (`REAL_APP_GRACE`).
 */
export const FAST_SYNC = { sync: { backoff_base_ms: 50, backoff_cap_ms: 500, request_timeout_ms: 2000, lease_ms: 4000, app_save_grace_ms: 300 } };
/**
 * The grace period of the real-app scenarios (scenarios-real.mjs): long
 * enough that the page's own save (within about a second of the video
 * showing) comes first, short enough for a quick run.
 */
export const REAL_APP_GRACE_MS = 3000;
/**
 * Lets the media cache download from the tier's loopback servers (plain http
 * to 127.0.0.1): a scenario asks for it with `config: MEDIA_LOOPBACK`. Off
 * elsewhere, so the popups of the other scenarios show the remote thumbnails.
 */
export const MEDIA_LOOPBACK = { media: { allow_http: true, allow_private_addresses: true } };

/** Runs `cmd args`; resolves with {code, stdout, stderr}; killed after `timeoutMs`. */
function exec(cmd, args, { env, timeoutMs = 15000 } = {}) {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
  });
}

/**
 * Copies vidkeep-host and vidkeep from `src` into `dest` and checks the copy
 * runs: the tier then uses that snapshot throughout, so another build of
 * build/ during the run changes nothing. Waits (bounded) while a build has
 * the binaries missing or half-written.
 */
export async function snapshotBinaries(src, dest, { timeoutMs = 180000 } = {}) {
  mkdirSync(dest, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let why = '';
  for (;;) {
    try {
      for (const name of ['vidkeep-host', 'vidkeep']) {
        if (statSync(path.join(src, name)).size === 0) throw new Error(`${name} is empty`);
        copyFileSync(path.join(src, name), path.join(dest, name));
        chmodSync(path.join(dest, name), 0o755);
      }
      const r = await exec(path.join(dest, 'vidkeep'), ['--version'], { timeoutMs: 10000 });
      if (r.code === 0) return dest;
      why = `vidkeep --version exited ${r.code}: ${r.stderr}`;
    } catch (err) {
      why = err.message;
    }
    if (Date.now() >= deadline) throw new Error(`no usable binaries in ${src}: ${why}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The URL without its query and fragment (the demo's signatures live in the query). */
export const stripQuery = (url) => String(url ?? '').replace(/[?#].*$/, '');

export class Scenario {
  /**
   * run: {repo, bin, workDir, artifactsDir, mediaDir, chromiumExtension, firefoxXpi, headless, debug}
   * kind: 'chromium' | 'firefox'; id: '1'…'9'; slug: short name for files
   * config: more keys for the host's config.json (the scenario's `config`)
   */
  constructor(run, kind, id, slug, config = {}) {
    Object.assign(this, { run, kind, id, slug });
    this.dir = mkdtempSync(path.join(run.workDir, `${kind}-${id}-`));
    this.tmp = path.join(this.dir, 'tmp');
    this.vidkeepHome = path.join(this.dir, 'vidkeep');
    mkdirSync(this.tmp, { recursive: true });
    mkdirSync(this.vidkeepHome, { recursive: true, mode: 0o700 });
    // A scenario's `config` is merged section by section (its `sync` keys over FAST_SYNC's).
    const merged = { ...FAST_SYNC, log: { level: 'debug' } };
    for (const [k, v] of Object.entries(config)) merged[k] = v && typeof v === 'object' && !Array.isArray(v) ? { ...merged[k], ...v } : v;
    writeFileSync(path.join(this.vidkeepHome, 'config.json'), JSON.stringify(merged));
    writeFileSync(path.join(this.dir, 'system-config.json'), JSON.stringify({ dev_ids: true }));
    this.env = {
      VIDKEEP_HOME: this.vidkeepHome,
      // The test extension carries the public development ids, trusted only
      // when a config says so (issue 13): the stand-in system config does.
      VIDKEEP_SYSTEM_CONFIG: path.join(this.dir, 'system-config.json'),
      TMPDIR: this.tmp,
    };
    this.browsers = [];
    this.screenshots = [];
    this.notes = [];
    this.app = null;
  }

  log(...parts) { if (this.run.debug) console.log(`      [${this.kind} ${this.id}]`, ...parts); }
  note(text) { this.notes.push(text); }

  async startApp(options = {}) {
    this.app = await startDemoChatApp({ mediaDir: this.run.mediaDir, ...options });
    return this.app;
  }

  /** The fake root `name` (its home is the browser's HOME). */
  root(name = 'a') {
    const root = path.join(this.dir, `root-${name}`);
    mkdirSync(path.join(root, 'home'), { recursive: true });
    return root;
  }

  /** Registers the host for `root` with the real installer (per user, --root). */
  install(root) {
    return new Promise((resolve, reject) => {
      execFile(path.join(this.run.repo, 'installer/install.sh'),
        ['--user', '--root', root, '--binaries', this.run.bin, '--skip-extension', '--dev', '--browsers', 'chromium,firefox'],
        { timeout: 60000, killSignal: 'SIGKILL', encoding: 'utf8', env: { ...process.env, TMPDIR: this.tmp } },
        (err, stdout, stderr) => (err ? reject(new Error(`install.sh failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
    });
  }

  /** Launches a browser with the extension in fake root `name` (installing the host first unless told not to). */
  async launch({ name = 'a', install = true } = {}) {
    const root = this.root(name);
    if (install) await this.install(root);
    const home = path.join(root, 'home');
    // Chromium: the user-data-dir is ~/.config/chromium, so the per-user
    // manifest the installer wrote is the one it reads.
    const profile = this.kind === 'chromium' ? path.join(home, '.config', 'chromium') : path.join(root, 'firefox-profile');
    const browser = await launchBrowser(this.kind, {
      home, profile,
      extension: this.kind === 'chromium' ? this.run.chromiumExtension : this.run.firefoxXpi,
      env: this.env,
      headless: this.run.headless,
      logFile: path.join(this.dir, `browser-${name}.log`),
      consoleLog: this.run.debug,
    });
    browser.root = root;
    this.browsers.push(browser);
    this.log('launched', this.kind, 'pid', browser.pid);
    return browser;
  }

  /** Adds the chat app's origin on the extension's options page (a real click). */
  async configureExtension(browser, { debugLogging = this.run.debug } = {}) {
    const tab = await browser.newTab(browser.optionsUrl);
    await tab.waitFor(() => document.getElementById('origins')?.children.length > 0, [], { what: 'the options page', timeoutMs: 20000 });
    await tab.type('#origin-input', this.app.origin);
    await tab.click('#origin-add');
    await tab.waitFor((origin) => [...document.querySelectorAll('#origins li')].some((li) =>
      li.querySelector('.origin')?.textContent === origin && li.querySelector('.state.ok') !== null), [this.app.origin],
    { what: `${this.app.origin} listed as capturing on the options page`, timeoutMs: 15000 });
    if (debugLogging) {
      await tab.click('#debug-logging');
      await tab.waitFor(() => document.getElementById('debug-logging').checked, [], { what: 'debug logging on' });
    }
    await tab.close();
  }

  /**
   * Signs in on the chat app's sign-in page (as demo@example.com, or
   * other@example.com with `{other: true}`); leaves `tab` on `next`.
   */
  async signIn(tab, next = '/', { other = false } = {}) {
    await tab.goto(`${this.app.origin}/signin?next=${encodeURIComponent(next)}`);
    await tab.click(other ? '#signin-other' : '#signin');
    await tab.waitFor((n) => location.pathname === n.replace(/\?.*/, '') && document.readyState === 'complete', [next], { what: 'the page after sign-in' });
  }

  async signOut(tab, next = '/') {
    await tab.goto(`${this.app.origin}/signout?next=${encodeURIComponent(next)}`);
    await tab.click('#signout');
    await tab.waitFor((n) => location.pathname === n.replace(/\?.*/, '') && document.readyState === 'complete', [next], { what: 'the page after sign-out' });
  }

  /**
   * Launch, sign in, configure the origin, open a new chat (at `path`: the
   * TOOL version's new chat is `/`, its id only in the page). Returns {browser, tab, chatId}.
   */
  async ready({ name = 'a', install = true, chatId = crypto.randomUUID(), path: page = `/chat/${chatId}` } = {}) {
    const browser = await this.launch({ name, install });
    const tab = await browser.newTab();
    await this.signIn(tab, page);
    await this.configureExtension(browser);
    // Load the chat again: the capture scripts are registered now.
    await tab.goto(`${this.app.origin}${page}`);
    await tab.waitFor(() => Boolean(window.demo), [], { what: 'the chat page script' });
    return { browser, tab, chatId: (await tab.eval(() => window.demo.chatId ?? null)) ?? chatId };
  }

  /** Clicks "Generate video" with `prompt` (typed) and waits for the page's result. */
  async generate(tab, prompt, { transport } = {}) {
    const before = await tab.eval(() => window.demo.results.length);
    await tab.type('#prompt', prompt);
    if (transport) await tab.eval((t) => { document.getElementById('transport').value = t; }, transport);
    await tab.click('#generate');
    const result = await tab.waitFor((n) => window.demo.results.length > n && window.demo.results[n], [before],
      { what: 'the generation to finish on the page', timeoutMs: 20000 });
    if (result.error) throw new Error(`the page's generation failed: ${result.error}`);
    return { ...result, project: this.app.demo.projects.get(result.projectId) };
  }

  // ---- what vidkeep stored ----

  /** Every video record (vidkeep list --json), newest first. */
  async videos() {
    if (!existsSync(path.join(this.vidkeepHome, 'vidkeep.db'))) return [];
    const r = await this.cli(['list', '--json', '--limit', '500']);
    if (r.code !== 0) throw new Error(`vidkeep list failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Runs the `vidkeep` tool on this scenario's data root. */
  cli(args) { return exec(path.join(this.run.bin, 'vidkeep'), args, { env: this.env }); }

  /** Waits until `pred(videos)` is truthy; resolves with the videos. */
  async waitVideos(pred, what, timeoutMs = 20000) {
    let last = [];
    try {
      await until(async () => { last = await this.videos(); return pred(last); }, { timeoutMs, intervalMs: 150, what });
    } catch (err) {
      err.message += `\n      videos now: ${JSON.stringify(last.map((v) => ({ id: v.video_id, url: stripQuery(v.url), sync: v.sync, source: v.source, err: v.last_error })))}`;
      throw err;
    }
    return last;
  }

  /** Successful save-message writes of `id` seen by the chat app. */
  okWrites(id) { return this.app.log.filter((e) => e.id === id && e.status >= 200 && e.status < 300).length; }

  // ---- the popup ----

  /** The popup page opened as a 400x600 tab, once its first list answer is drawn. */
  async openPopup(browser, { state } = {}) {
    const tab = await browser.newTab();
    await tab.setViewport(400, 600);
    await tab.goto(browser.popupUrl);
    await tab.waitFor((want) => {
      const conn = document.getElementById('conn')?.dataset.state;
      const status = document.getElementById('list-status')?.textContent ?? '';
      if (!conn || (want && conn !== want)) return false;
      return conn !== 'connected' || (status !== 'Loading…' && (status !== '' || document.querySelector('li.card') !== null));
    }, [state], { what: `the popup drawn${state ? ` (${state})` : ''}`, timeoutMs: 20000 });
    return tab;
  }

  /** The popup's cards as plain data. */
  popupCards(tab) {
    return tab.eval(() => [...document.querySelectorAll('#gallery li.card')].map((li) => {
      const img = li.querySelector('.thumb img');
      const overlay = li.querySelector('.thumb .play-overlay');
      const badge = li.querySelector('.badge');
      return {
        id: li.dataset.id,
        prompt: li.querySelector('.prompt')?.textContent ?? null,
        sync: badge?.dataset.sync ?? null,
        badgeText: badge?.textContent ?? null,
        badgeTitle: badge?.getAttribute('title') ?? null,
        thumb: img?.getAttribute('src') ?? null,
        thumbLoaded: Boolean(img && img.complete && img.naturalWidth > 0),
        overlay: Boolean(overlay && getComputedStyle(overlay).display !== 'none' && overlay.getBoundingClientRect().width > 0),
        error: li.querySelector('.error')?.textContent ?? null,
      };
    }));
  }

  /**
   * The toolbar badge {text, color: [r,g,b,a], title}, read through the
   * action API from an extension page (`tab` shows the popup or options).
   */
  badge(tab) {
    return tab.eval(async () => {
      const action = (globalThis.browser ?? globalThis.chrome).action;
      return { text: await action.getBadgeText({}), color: await action.getBadgeBackgroundColor({}), title: await action.getTitle({}) };
    });
  }

  /** Waits until the badge text is `text`; resolves with the badge. */
  async waitBadge(tab, text, what) {
    let last;
    return until(async () => { last = await this.badge(tab); return last.text === text && last; },
      { what: `the toolbar badge "${text}" (${what})`, timeoutMs: 15000 });
  }

  /** Saves a screenshot of `tab` as an artifact; returns its path. */
  async shot(tab, name) {
    const file = path.join(this.run.artifactsDir, this.kind, `${this.id}-${this.slug}-${name}.png`);
    await tab.screenshot(file);
    this.screenshots.push(file);
    return file;
  }

  /** PIDs of vidkeep-host processes of this scenario. */
  hosts() { return processesMentioning(this.dir).filter((p) => /vidkeep-host/.test(p.cmd)); }

  /** Ends browsers and servers; waits for hosts to exit; keeps logs when `failed`. */
  async cleanup(failed) {
    for (const b of this.browsers) await b.close();
    if (this.app) await this.app.close();
    // Hosts see EOF when their browser dies and exit within 2 s (PROTOCOL.md §2).
    let left = [];
    try {
      await until(() => { left = processesMentioning(this.dir); return left.length === 0; }, { timeoutMs: 8000, intervalMs: 100, what: 'processes to exit' });
    } catch {
      for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch {} }
    }
    if (failed || this.run.keepLogs) {
      const dest = path.join(this.run.artifactsDir, this.kind, 'logs', `${this.id}-${this.slug}`);
      mkdirSync(dest, { recursive: true });
      for (const [from, to] of [
        ...this.browsers.map((_, i) => [path.join(this.dir, `browser-${String.fromCharCode(97 + i)}.log`), `browser-${String.fromCharCode(97 + i)}.log`]),
        [path.join(this.vidkeepHome, 'log', 'host.log'), 'host.log'],
      ]) {
        try { copyFileSync(from, path.join(dest, to)); } catch {}
      }
      if (this.app) writeFileSync(path.join(dest, 'save-message-log.json'), JSON.stringify(this.app.log, null, 1));
      this.logDir = dest;
    }
    if (!this.run.keep) rmSync(this.dir, { recursive: true, force: true });
    return left;
  }
}
