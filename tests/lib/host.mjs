// Drives the real vidkeep-host binary over pipes, as a browser does.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, homedir } from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';

export const BIN = process.env.VIDKEEP_BIN ?? path.resolve(import.meta.dirname, '../../build/bin');
export const DEV_CHROMIUM = 'chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/';
export const DEV_FIREFOX = 'vidkeep@vidkeep.org';

/**
 * The Wine tier (tests/windows/run.sh) runs these tests against the Windows
 * build (VIDKEEP_BIN holds wrappers that start the .exe under Wine) with
 * VIDKEEP_WINE=1. A test about something only Linux has (file modes, /proc,
 * signals other than a kill, rlimits, Linux paths) passes
 * `{ skip: linuxOnly('why') }`: skipped there with the reason printed, never
 * passed silently.
 */
export const ON_WINE = process.env.VIDKEEP_WINE === '1';
export const linuxOnly = (why) => (ON_WINE ? `Linux only: ${why}` : false);

// Under Wine, wineserver SIGKILLs a process whose Unix side is still there 1 s
// after its last Windows thread ended (server/process.c, start_sigkill_timer):
// on a loaded machine a host that exited 0 is then seen as killed. A SIGKILL
// this helper did not send counts as exit 0 only when the host's log holds one
// more "exiting" line (written just before its _Exit(0)) than the exits already
// counted for that log: a host that crashed writes none.
// Exit code 1 is treated the same way: the host never exits with it (it ends
// through _Exit(0); an uncaught exception aborts with 3), but twice in ~20
// Wine tiers on 2026-12-05 a host came back with 1, once after answering
// everything (a log showing its clean exit is what turns that into 0; the
// other time it had not answered, which still fails). The cause is not
// known (docs/windows.md, "Open findings"); after the host's own last line,
// the status is Wine's process teardown. Each such exit is printed, so they
// are counted rather than hidden.
const exitsSeen = new Map(); // log file -> clean exits counted
function wineExit(env, status, killedByUs) {
  const home = env.VIDKEEP_HOME;
  if (!ON_WINE || !home) return status;
  const log = path.join(home, 'log', 'host.log');
  const seen = exitsSeen.get(log) ?? 0;
  if ((status.signal === 'SIGKILL' && !killedByUs) || status.code === 1) {
    let logged = 0;
    try { logged = (readFileSync(log, 'utf8').match(/\] info: exiting\r?$/gm) ?? []).length; } catch {}
    if (logged <= seen) return status;
    if (status.code === 1) console.error(`wine: a host that logged its clean exit ended with code 1 (${log}); counted as 0`);
    status = { code: 0, signal: null };
  }
  if (status.code === 0) exitsSeen.set(log, seen + 1);
  return status;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

// Every host still running, so a failing test never leaves one behind.
const live = new Set();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch {} } });

/** A fresh data root (VIDKEEP_HOME) with an optional user config. */
export function makeHome(config) {
  const home = mkdtempSync(path.join(tmpdir(), 'vidkeep-test-'));
  // The media cache is off unless a test asks for it (`media: {...}`): the
  // test URLs (cdn.example) never resolve, and the downloader's retries would
  // only add media_state events to what these tests watch. media.test.mjs
  // and the e2e tests cover the cache.
  // A new video waits sync.app_save_grace_ms (15 s) for the chat app's own
  // save before vidkeep sends it; tests about sync want it sent at once
  // unless they set the grace themselves (app-save.test.mjs does).
  config = { ...config, media: { enabled: false, ...config?.media }, sync: { app_save_grace_ms: 0, ...config?.sync } };
  writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  // The tests speak as the public development ids (DEV_CHROMIUM): a host
  // trusts them only when told (`dev_ids`, issue 13). Said in the system
  // config, so a test that rewrites config.json keeps it; a test's own
  // `dev_ids: false` overrides it.
  writeFileSync(path.join(home, 'system-config.json'), JSON.stringify({ dev_ids: true }));
  return {
    home,
    env: { VIDKEEP_HOME: home, VIDKEEP_SYSTEM_CONFIG: path.join(home, 'system-config.json') },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/**
 * The environment of a vidkeep process a test starts: ours with the test's on
 * top. Refused when it would reach the tester's own data — no VIDKEEP_HOME
 * and the real HOME / XDG_DATA_HOME — so a run beside a real vidkeep install
 * never opens its database (a `vidkeep sync` given `{env: {VIDKEEP_TOKEN}}`
 * alone once did). Tests of the default locations set HOME to a scratch dir.
 */
export function childEnv(env = {}) {
  const merged = { ...process.env, ...env };
  const realData = !merged.VIDKEEP_HOME && merged.HOME === homedir() &&
    merged.XDG_DATA_HOME === process.env.XDG_DATA_HOME;
  if (realData) throw new Error('test would run vidkeep on the real data dir: pass VIDKEEP_HOME (home.env) or a scratch HOME');
  return merged;
}

/** Encodes one frame: 32-bit native (little-endian here) length + bytes. */
export function frame(payload) {
  const body = Buffer.isBuffer(payload) ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length);
  return Buffer.concat([header, body]);
}

/**
 * Starts vidkeep-host. Messages it writes are parsed as frames; `next()`
 * resolves with the next one, `answer(id)` with the answer to that id.
 * Any stdout byte that is not a well-formed frame fails `protocolErrors`.
 */
export function startHost({ env = {}, args = [DEV_CHROMIUM], bin = 'vidkeep-host', prefix = [] } = {}) {
  // `prefix`: a command that execs the host, e.g. ['sh', '-c', 'ulimit -f 100; exec "$0" "$@"'].
  const command = prefix.length ? prefix[0] : path.join(BIN, bin);
  const argv = prefix.length ? [...prefix.slice(1), path.join(BIN, bin), ...args] : args;
  const child = spawn(command, argv, {
    env: childEnv(env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages = [];
  const all = []; // every message in arrival order, never consumed
  const answers = []; // the messages with an `id` (answers), in arrival order, never consumed
  const events = []; // the messages without one (unsolicited events)
  const waiters = [];
  const protocolErrors = [];
  let stderr = '';
  let buffered = Buffer.alloc(0);
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.on('error', () => {}); // the host may exit before we finish writing
  child.stdout.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const n = buffered.readUInt32LE(0);
      if (n >= 1024 * 1024) protocolErrors.push(`frame of ${n} bytes`);
      if (buffered.length < 4 + n) break;
      let text;
      try { text = strictUtf8.decode(buffered.subarray(4, 4 + n)); } catch {
        protocolErrors.push('a frame that is not valid UTF-8');
        text = buffered.subarray(4, 4 + n).toString('utf8');
      }
      buffered = buffered.subarray(4 + n);
      let msg;
      try { msg = JSON.parse(text); } catch { protocolErrors.push(`not JSON: ${text.slice(0, 80)}`); continue; }
      messages.push(msg);
      all.push(msg);
      if (msg && typeof msg === 'object' && 'id' in msg) answers.push(msg); else events.push(msg);
      for (const w of [...waiters]) w();
    }
  });
  let running = true;
  let killedByUs = false;
  let state = 'still running'; // for the timeout messages: a crash and a hang read differently
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running = false;
    state = `exited (code ${code}, signal ${signal})`;
    resolve(wineExit(env, { code, signal }, killedByUs));
  }));
  live.add(child);
  exited.then(() => live.delete(child));

  function waitFor(pred, what, timeoutMs = 10000) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = messages.findIndex(pred);
        if (i >= 0) {
          cleanup();
          resolve(messages.splice(i, 1)[0]);
        }
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}; host ${state}; stderr: ${stderr}`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); const k = waiters.indexOf(check); if (k >= 0) waiters.splice(k, 1); };
      waiters.push(check);
      check();
    });
  }

  let nextId = 1;
  const host = {
    child,
    exited,
    messages,
    all,
    answers,
    events,
    get running() { return running; },
    protocolErrors,
    get stderr() { return stderr; },
    write(bytes) { child.stdin.write(bytes); },
    send(msg) { child.stdin.write(frame(msg)); },
    answer(id, timeoutMs) { return waitFor((m) => 'id' in m && m.id === id, `answer ${JSON.stringify(id)}`, timeoutMs); },
    event(pred, timeoutMs) { return waitFor((m) => !('id' in m) && pred(m), 'event', timeoutMs); },
    /** Sends a request with a fresh id and resolves with its answer. */
    request(msg, timeoutMs) {
      const id = msg.id ?? `r${nextId++}`;
      host.send({ ...msg, id });
      return host.answer(id, timeoutMs);
    },
    /** Closes stdin and resolves with the exit status. */
    async close() { child.stdin.end(); return exited; },
    kill(signal = 'SIGKILL') { killedByUs = true; child.kill(signal); return exited; },
    /** Resolves with the first `n` answers (messages with an `id`, see `answers`) once they arrived. */
    count(n, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => { if (answers.length >= n) { cleanup(); resolve(answers.slice(0, n)); } };
        const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${n} answers (have ${answers.length}); host ${state}; stderr: ${stderr}`)); }, timeoutMs);
        const cleanup = () => { clearTimeout(timer); const k = waiters.indexOf(check); if (k >= 0) waiters.splice(k, 1); };
        waiters.push(check);
        check();
      });
    },
    /** Ends the process if it still runs (for t.after); resolves when it is gone. */
    async stop() { if (running) { killedByUs = true; child.kill('SIGKILL'); } return exited; },
  };
  return host;
}

/** A video request body. */
export function video(n, extra = {}) {
  return {
    url: `https://cdn.example/v/${n}.mp4`,
    thumbnail_url: `https://cdn.example/v/${n}.webp`,
    prompt: `video number ${n}`,
    chat_id: '3f2c0000-0000-4000-8000-000000000001',
    source: 'sse',
    page_url: 'https://chat.example/chat/3f2c0000-0000-4000-8000-000000000001',
    observed_at: '2026-11-24T10:00:00Z',
    ...extra,
  };
}

/** A bare 32-bit native-order (little-endian here) length header. */
export function header(n) {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(n);
  return h;
}

/** Resolves with `promise`, or rejects after `ms` naming `what`. */
export function within(ms, promise, what = 'operation') {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); }),
  ]);
}

/**
 * Runs the `vidkeep` command-line tool; resolves with {code, signal, stdout, stderr}
 * (never rejects on a non-zero exit). Killed after `timeoutMs`.
 */
export function runCli(args, { env = {}, timeoutMs = 10000 } = {}) {
  return new Promise((resolve) => {
    execFile(path.join(BIN, 'vidkeep'), args, {
      env: childEnv(env),
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, signal: error?.signal ?? null, stdout, stderr });
    });
  });
}

/** PROTOCOL.md section 4: the UUIDv5 (URL namespace) of `chat id + "\n" + canonical URL`. */
export function videoIdFor(chatId, canonicalUrl) {
  const ns = Buffer.from('6ba7b8119dad11d180b400c04fd430c8', 'hex');
  const digest = createHash('sha1').update(ns).update(Buffer.from(`${chatId ?? ''}\n${canonicalUrl}`, 'utf8')).digest();
  digest[6] = (digest[6] & 0x0f) | 0x50;
  digest[8] = (digest[8] & 0x3f) | 0x80;
  const h = digest.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Runs `sqlite3 DB SQL` (read-only unless told); resolves with {code, stdout, stderr}. */
export function sqlite(db, sql, { timeoutMs = 10000, readonly = true } = {}) {
  return new Promise((resolve) => {
    execFile('sqlite3', [...(readonly ? ['-readonly'] : []), db, sql], { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }));
  });
}

/** A Fisher–Yates shuffle with a seeded generator (reproducible failures). */
export function shuffled(items, seed = 1) {
  const out = [...items];
  let s = seed >>> 0 || 1;
  const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
