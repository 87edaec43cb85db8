// The host's life around its requests: end of input, who may call it, a bad
// config, the files it makes, and what must never leak (PROTOCOL.md sections
// 1-3, issue 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync, rmSync, chmodSync, chownSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { makeHome, startHost, frame, video, within, runCli, linuxOnly, DEV_CHROMIUM, DEV_FIREFOX } from '../lib/host.mjs';

const T = { timeout: 20000 };
const OTHER_CHROMIUM = 'chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/';
const FIREFOX_ARGS = (id = DEV_FIREFOX) => ['/usr/lib/mozilla/native-messaging-hosts/org.vidkeep.host.json', id];

const logOf = (home) => {
  const file = path.join(home.home, 'log', 'host.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
};

/** Every file under `dir`, recursively. */
function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Starts a host, ends it for sure after the test, removes its home. */
function setup(t, { config, args, env } = {}) {
  const home = makeHome(config);
  t.after(home.cleanup);
  const host = startHost({ env: { ...home.env, ...env }, args });
  t.after(() => host.stop());
  return { home, host };
}

// ---------------------------------------------------------------- end of input

test('EOF with 2000 pipelined requests unanswered: all answered, committed, exit 0 within 2 s', T, async (t) => {
  const { home, host } = setup(t);
  const N = 2000;
  const requests = Array.from({ length: N }, (_, k) => (k % 10 === 9
    ? { id: k, type: 'status' }
    : { id: k, type: 'video', video: video(k) }));
  host.child.stdin.end(Buffer.concat(requests.map(frame)));
  const started = Date.now();
  const exit = await within(5000, host.exited, 'exit after EOF');
  const elapsed = Date.now() - started;
  assert.deepEqual(exit, { code: 0, signal: null });
  assert.ok(elapsed < 2000, `exited ${elapsed} ms after EOF (contract: under 2000)`);
  assert.deepEqual(host.answers.map((a) => a.id), requests.map((r) => r.id), 'every request answered, in order');
  for (const a of host.answers) assert.equal(a.ok, true, JSON.stringify(a));
  assert.deepEqual(host.protocolErrors, []);
  const again = startHost({ env: home.env });
  t.after(() => again.stop());
  assert.equal((await again.request({ type: 'status' })).videos, N - N / 10, 'every acknowledged video committed');
  await again.close();
  assert.match(logOf(home), /input closed; finishing/);
});

test('EOF at once after a single request: answered, exit 0 well within 2 s', T, async (t) => {
  const { host } = setup(t);
  host.child.stdin.end(frame({ id: 'only', type: 'hello' }));
  const started = Date.now();
  assert.deepEqual(await within(5000, host.exited, 'exit'), { code: 0, signal: null });
  assert.ok(Date.now() - started < 2000);
  assert.deepEqual(host.answers.map((a) => [a.id, a.ok]), [['only', true]]);
});

test('EOF with no request at all: exit 0 within 2 s, nothing on stdout', T, async (t) => {
  const { host } = setup(t);
  const started = Date.now();
  assert.deepEqual(await within(5000, host.close(), 'exit'), { code: 0, signal: null });
  assert.ok(Date.now() - started < 2000);
  assert.equal(host.all.length, 0);
  assert.deepEqual(host.protocolErrors, []);
});

// 500 videos with 2.5 KiB prompts: a `list` of all of them would pass 1 MiB.
async function fillForBigPages(home) {
  const seed = startHost({ env: home.env });
  seed.write(Buffer.concat(Array.from({ length: 500 }, (_, i) =>
    frame({ id: i, type: 'video', video: video(i, { prompt: `prompt ${i} ${'p'.repeat(2500)}` }) }))));
  const answers = await seed.count(500);
  for (const a of answers) assert.equal(a.ok, true);
  await seed.close();
}

test('list answers stay under 1 MiB: the page is cut, truncated set, the cursor continues', T, async (t) => {
  const { home, host } = setup(t);
  await fillForBigPages(home);
  const seen = new Set();
  let cursor;
  let pages = 0;
  do {
    const page = await host.request({ type: 'list', limit: 500, ...(cursor ? { cursor } : {}) });
    assert.equal(page.ok, true);
    assert.ok(Buffer.byteLength(JSON.stringify(page)) < 1024 * 1024);
    for (const v of page.videos) {
      assert.equal(seen.has(v.video_id), false, 'no record on two pages');
      seen.add(v.video_id);
    }
    if (pages === 0) {
      assert.equal(page.truncated, true, 'the first page of 500 big records is cut');
      assert.ok(page.videos.length < 500);
      assert.ok(page.next_cursor);
    }
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(cursor, null);
  assert.equal(seen.size, 500);
  assert.ok(pages >= 2);
  await host.close();
  assert.deepEqual(host.protocolErrors, []);
});

test('EOF while the browser has stopped reading answers (over 8 MiB queued): exit 0 within 2 s', T, async (t) => {
  const { home, host } = setup(t);
  await fillForBigPages(home);
  host.child.stdout.pause(); // the browser reads nothing any more
  host.write(Buffer.concat(Array.from({ length: 12 }, (_, i) => frame({ id: i, type: 'list', limit: 500 }))));
  await new Promise((r) => setTimeout(r, 300)); // the host has read and answered them into its queue
  const started = Date.now();
  host.child.stdin.end();
  const exit = await within(3000, host.exited, 'exit after EOF with the output backed up').catch((e) => e);
  const elapsed = Date.now() - started;
  assert.deepEqual(exit, { code: 0, signal: null }, `host still running ${elapsed} ms after its stdin closed`);
  assert.ok(elapsed < 2000, `exited ${elapsed} ms after EOF`);
});

test('EOF while the browser stopped reading, under the queue limit: exit 0 within 2 s', T, async (t) => {
  const { home, host } = setup(t);
  await fillForBigPages(home);
  host.child.stdout.pause();
  host.write(Buffer.concat(Array.from({ length: 3 }, (_, i) => frame({ id: i, type: 'list', limit: 500 }))));
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  host.child.stdin.end();
  assert.deepEqual(await within(6000, host.exited, 'exit'), { code: 0, signal: null });
  assert.ok(Date.now() - started < 2000);
});

test('the browser closes both pipes with writes in flight: exit 0 within 2 s, writes committed', T, async (t) => {
  const { home, host } = setup(t);
  host.write(Buffer.concat(Array.from({ length: 300 }, (_, i) => frame({ id: i, type: 'video', video: video(i) }))));
  host.child.stdout.destroy();
  const started = Date.now();
  host.child.stdin.end();
  assert.deepEqual(await within(6000, host.exited, 'exit'), { code: 0, signal: null });
  assert.ok(Date.now() - started < 2000);
  const again = startHost({ env: home.env });
  t.after(() => again.stop());
  assert.equal((await again.request({ type: 'status' })).videos, 300, 'received requests are committed at EOF');
  await again.close();
});

// ---------------------------------------------------------------- callers

for (const [name, args] of [
  ['another Chromium extension', [OTHER_CHROMIUM]],
  ['no argv at all', []],
  ['a Firefox extension that is not ours', FIREFOX_ARGS('evil@example.org')],
  ['a look-alike of the development id', ['chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgbx/']],
  ['the development id in a different scheme', ['moz-extension://dcdfhfchgbigephadgggjnlglgfffpgb/']],
]) {
  test(`unauthorized caller (${name}): every request refused, no database, one log line`, T, async (t) => {
    const { home, host } = setup(t, { args });
    const frames = [
      { id: 'h', type: 'hello' },
      { id: 'v', type: 'video', video: video(1) },
      { id: 'l', type: 'list' },
      { id: 's', type: 'status' },
      { id: 'c', type: 'configure', server: { origin: 'https://chat.example', auth: { cookie: 'x=y' } } },
      { id: 'u', type: 'no-such-type' },
      { id: 'bad', type: 'video', video: video(1, { url: 'javascript:1' }) },
    ];
    host.write(Buffer.concat([...frames.map(frame), frame(Buffer.from('[1]'))]));
    const answers = await host.count(frames.length + 1);
    assert.deepEqual(answers.map((a) => [a.id, a.ok, a.error?.code, a.error?.retryable]),
      [...frames.map((f) => [f.id, false, 'unauthorized', false]), [null, false, 'unauthorized', false]]);
    assert.match(answers[0].error.message, /allowed_callers/);
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
    assert.deepEqual(host.protocolErrors, []);
    assert.deepEqual(readdirSync(home.home).filter((f) => f.startsWith('vidkeep.db')), [], 'no database file');
    const refusals = logOf(home).split('\n').filter((l) => /refused caller/.test(l));
    assert.equal(refusals.length, 1, logOf(home));
    const caller = args[0]?.startsWith('chrome-extension://') ? args[0] : (args[1] ?? '');
    assert.ok(refusals[0].includes(`'${caller}'`), `the line names ${caller}: ${refusals[0]}`);
  });
}

test('Firefox-style argv (manifest path, extension id) is allowed', T, async (t) => {
  const { host } = setup(t, { args: FIREFOX_ARGS() });
  const hello = await host.request({ type: 'hello' });
  assert.deepEqual([hello.ok, hello.protocol], [true, 1]);
  assert.equal((await host.request({ type: 'video', video: video(1) })).ok, true);
  await host.close();
});

test('the development Chromium id without its trailing slash is allowed', T, async (t) => {
  const { host } = setup(t, { args: [DEV_CHROMIUM.replace(/\/$/, '')] });
  assert.equal((await host.request({ type: 'hello' })).ok, true);
  await host.close();
});

test('allowed_callers adds a Chromium id (bare or as origin) and a Firefox id', T, async (t) => {
  const config = { allowed_callers: ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/', 'helper@example.org'] };
  for (const args of [[OTHER_CHROMIUM], ['chrome-extension://bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/'], FIREFOX_ARGS('helper@example.org'), [DEV_CHROMIUM]]) {
    const { host } = setup(t, { config, args });
    const hello = await host.request({ type: 'hello' });
    assert.equal(hello.ok, true, `${args.join(' ')}: ${JSON.stringify(hello)}`);
    await host.close();
  }
  const { host } = setup(t, { config, args: ['chrome-extension://cccccccccccccccccccccccccccccccc/'] });
  assert.equal((await host.request({ type: 'hello' })).error?.code, 'unauthorized');
  await host.close();
});

// Issue 13, finding 1: any extension can claim the public development ids (a
// Firefox add-on chooses its own id), so without `dev_ids` they are refused.
test('by default (no dev_ids in the config) both public development ids are refused', T, async (t) => {
  for (const args of [[DEV_CHROMIUM], FIREFOX_ARGS()]) {
    const { home, host } = setup(t, { config: { dev_ids: false }, args });
    const answer = await host.request({ type: 'hello' });
    assert.deepEqual([answer.ok, answer.error?.code], [false, 'unauthorized'], args.join(' '));
    await host.close();
    assert.equal(existsSync(path.join(home.home, 'vidkeep.db')), false);
  }
});

test('an admin\'s no_dev_id: true is not undone by a user config saying dev_ids / no_dev_id: false', T, async (t) => {
  const home = makeHome({ dev_ids: true, no_dev_id: false });
  t.after(home.cleanup);
  const system = path.join(home.home, 'system.json');
  writeFileSync(system, JSON.stringify({ no_dev_id: true }));
  const host = startHost({ env: { ...home.env, VIDKEEP_SYSTEM_CONFIG: system }, args: [DEV_CHROMIUM] });
  t.after(() => host.stop());
  assert.equal((await host.request({ type: 'hello' })).error?.code, 'unauthorized');
  await host.close();
});

test('no_dev_id: true refuses both development ids; allowed_callers still work', T, async (t) => {
  const config = { no_dev_id: true, allowed_callers: ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'] };
  for (const args of [[DEV_CHROMIUM], FIREFOX_ARGS()]) {
    const { home, host } = setup(t, { config, args });
    const answer = await host.request({ type: 'hello' });
    assert.deepEqual([answer.ok, answer.error?.code], [false, 'unauthorized'], args.join(' '));
    await host.close();
    assert.equal(existsSync(path.join(home.home, 'vidkeep.db')), false);
    assert.match(logOf(home), /refused caller .*development ids are off/);
  }
  const { host } = setup(t, { config, args: [OTHER_CHROMIUM] });
  assert.equal((await host.request({ type: 'hello' })).ok, true);
  await host.close();
});

// ---------------------------------------------------------------- bad config

for (const [name, text, key] of [
  ['invalid JSON', '{"limits": {"max_frame_bytes": 1024,,}', /not valid JSON/],
  ['not an object', '[1, 2]', /must be a JSON object/],
  ['limits.max_frame_bytes a string', JSON.stringify({ limits: { max_frame_bytes: '4MiB' } }), /'limits\.max_frame_bytes' must be a whole number/],
  ['limits.max_frame_bytes out of range', JSON.stringify({ limits: { max_frame_bytes: 10 } }), /'limits\.max_frame_bytes' must be between 1024 and/],
  ['allowed_callers not a list', JSON.stringify({ allowed_callers: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }), /'allowed_callers' must be a list of strings/],
  ['no_dev_id a string', JSON.stringify({ no_dev_id: 'yes' }), /'no_dev_id' must be true or false/],
  ['log.level unknown', JSON.stringify({ log: { level: 'loud' } }), /'log\.level' must be one of/],
  ['database.synchronous unknown', JSON.stringify({ database: { synchronous: 'off' } }), /'database\.synchronous' must be/],
]) {
  test(`bad user config (${name}): requests answered unavailable naming the problem, no crash`, T, async (t) => {
    const home = makeHome();
    t.after(home.cleanup);
    const configFile = path.join(home.home, 'config.json');
    writeFileSync(configFile, text);
    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    const answers = [];
    for (const msg of [{ type: 'hello' }, { type: 'video', video: video(1) }, { type: 'status' }])
      answers.push(await host.request(msg));
    for (const a of answers) {
      assert.deepEqual([a.ok, a.error?.code, a.error?.retryable], [false, 'unavailable', true], JSON.stringify(a));
      assert.match(a.error.message, key);
      assert.ok(a.error.message.includes(configFile), `names the file: ${a.error.message}`);
    }
    // Frames that do not parse are still told so.
    host.write(frame(Buffer.from('not json')));
    const [bad] = (await host.count(4)).slice(3);
    assert.equal(bad.error.code, 'bad_request');
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
    assert.deepEqual(host.protocolErrors, []);
    const errors = logOf(home).split('\n').filter((l) => / error: /.test(l));
    assert.equal(errors.length, 1, logOf(home));
    assert.match(errors[0], key);
    assert.equal(existsSync(path.join(home.home, 'vidkeep.db')), false);
  });
}

test('bad system config: unavailable naming the system file; the user config overrides key by key', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const system = path.join(home.home, 'system.json');
  writeFileSync(system, JSON.stringify({ limits: { max_url_bytes: 'big' } }));
  const host = startHost({ env: { ...home.env, VIDKEEP_SYSTEM_CONFIG: system } });
  t.after(() => host.stop());
  const a = await host.request({ type: 'hello' });
  assert.equal(a.error?.code, 'unavailable');
  assert.ok(a.error.message.includes(system) && a.error.message.includes('limits.max_url_bytes'), a.error.message);
  await host.close();

  // A good system config with a small frame limit, the user's raises it.
  writeFileSync(system, JSON.stringify({ limits: { max_frame_bytes: 1024, max_prompt_bytes: 100 } }));
  writeFileSync(path.join(home.home, 'config.json'), JSON.stringify({ dev_ids: true, limits: { max_frame_bytes: 8192 } }));
  const merged = startHost({ env: { ...home.env, VIDKEEP_SYSTEM_CONFIG: system } });
  t.after(() => merged.stop());
  const big = await merged.request({ type: 'hello', pad: 'x'.repeat(4000) });
  assert.equal(big.ok, true, 'the user frame limit wins');
  const prompt = await merged.request({ type: 'video', video: video(1, { prompt: 'p'.repeat(101) }) });
  assert.equal(prompt.error?.code, 'too_large', 'the system prompt limit still applies');
  await merged.close();
});

test('unknown config keys are warned about, not fatal', T, async (t) => {
  const { home, host } = setup(t, { config: { limits: { max_frame_bytes: 2048, max_wibble: 1 }, colour: 'blue' } });
  assert.equal((await host.request({ type: 'hello' })).ok, true);
  await host.close();
  const log = logOf(home);
  assert.match(log, /warn.*unknown key 'limits\.max_wibble' ignored/);
  assert.match(log, /warn.*unknown key 'colour' ignored/);
});

// ---------------------------------------------------------------- files

test('file modes: data and log dirs 0700, database, WAL and log 0600', { ...T, skip: linuxOnly('POSIX file modes (Windows protects the data by the profile folder\'s ACLs)') }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vidkeep-modes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = path.join(root, 'deeper', 'vidkeep'); // the host creates it
  writeFileSync(path.join(root, 'system.json'), JSON.stringify({ dev_ids: true }));
  const host = startHost({ env: { VIDKEEP_HOME: home, VIDKEEP_SYSTEM_CONFIG: path.join(root, 'system.json') } });
  t.after(() => host.stop());
  const hello = await host.request({ type: 'hello' });
  assert.equal(hello.db_path, path.join(home, 'vidkeep.db'));
  assert.equal((await host.request({ type: 'video', video: video(1) })).ok, true);
  const mode = (p) => (statSync(p).mode & 0o777).toString(8);
  // While the host runs the WAL and shared-memory files exist too.
  const files = readdirSync(home).filter((f) => f.startsWith('vidkeep.db'));
  assert.ok(files.includes('vidkeep.db-wal'), files.join(' '));
  for (const f of files) assert.equal(mode(path.join(home, f)), '600', f);
  assert.equal(mode(home), '700');
  assert.equal(mode(path.join(root, 'deeper')), '700', 'every directory the host creates');
  assert.equal(mode(path.join(home, 'log')), '700');
  assert.equal(mode(path.join(home, 'log', 'host.log')), '600');
  await host.close();
  assert.equal(mode(path.join(home, 'vidkeep.db')), '600');
});

test('logging to stderr at trace level keeps stdout frames only', T, async (t) => {
  const { host } = setup(t, { config: { log: { level: 'trace', stderr: true } } });
  host.write(Buffer.concat([frame({ id: 1, type: 'hello' }), frame(Buffer.from('garbage')), frame({ id: 2, type: 'video', video: video(1) })]));
  const answers = await host.count(3);
  assert.deepEqual(answers.map((a) => a.ok), [true, false, true]);
  await host.close();
  assert.deepEqual(host.protocolErrors, []);
  assert.match(host.stderr, /started for chrome-extension:\/\//);
});

// ---------------------------------------------------------------- secrets

test('credentials from configure never reach the database, the WAL or the logs', T, async (t) => {
  const SECRET = 'Zq7-sEcReT-cookie-4c1d';
  const BEARER = 'Bx9-sEcReT-bearer-77aa';
  // A chat app on loopback that refuses every save, so the host sends (with
  // the credentials), retries and records failures, all at trace level.
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.push({ url: req.url, cookie: req.headers.cookie, authorization: req.headers.authorization });
      if (seen.length % 2) { res.writeHead(503, { 'Retry-After': '0' }); res.end('try later'); }
      else { res.writeHead(400, { 'Content-Type': 'application/json' }); res.end('{"error":"chatId is required"}'); }
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }));
  const port = server.address().port;
  const cookieOrigin = `http://127.0.0.1:${port}`;
  const bearerOrigin = `http://localhost:${port}`;

  const home = makeHome({ log: { level: 'trace' }, sync: { backoff_base_ms: 5, backoff_cap_ms: 20, app_save_grace_ms: 0, max_attempts: 1000 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const answers = [];
  answers.push(await host.request({ type: 'configure', server: { origin: cookieOrigin, auth: { cookie: `authjs.session-token=${SECRET}` } } }));
  answers.push(await host.request({ type: 'configure', server: { origin: bearerOrigin, auth: { bearer: BEARER } } }));
  for (let i = 0; i < 10; i++) {
    const origin = i % 2 ? bearerOrigin : cookieOrigin;
    answers.push(await host.request({ type: 'video', video: video(i, { page_url: `${origin}/chat/3f2c0000-0000-4000-8000-000000000001` }) }));
  }
  // Wait until the host used both credentials (sync may not be built yet:
  // then nothing is sent and only storage and logs are checked).
  const deadline = Date.now() + 3000;
  const saves = () => seen.filter((r) => r.url === '/api/save-message');
  while (Date.now() < deadline && !(saves().some((r) => r.cookie?.includes(SECRET)) && saves().some((r) => r.authorization === `Bearer ${BEARER}`)))
    await new Promise((r) => setTimeout(r, 20));
  t.diagnostic(`the chat app saw ${seen.length} requests`);
  for (const r of seen) {
    // The session lookup of configure (docs/protocol-extensions.md) carries
    // the credentials too; nothing else does.
    assert.ok(r.url === '/api/save-message' || r.url === '/api/auth/session', r.url);
    assert.ok(r.cookie === `authjs.session-token=${SECRET}` || r.authorization === `Bearer ${BEARER}`, JSON.stringify(r));
  }
  // Refused credentials must not be echoed either.
  const refused = [
    await host.request({ type: 'configure', server: { origin: 'https://chat.example', auth: { cookie: `a=${SECRET}\r\nX: 1` } } }),
    await host.request({ type: 'configure', server: { origin: 'https://chat.example', auth: { bearer: `${BEARER}${'x'.repeat(17 * 1024)}` } } }),
    await host.request({ type: 'configure', server: { origin: `http://example.com/${SECRET}`, auth: { cookie: SECRET } } }),
    await host.request({ type: 'configure', server: { origin: 'https://chat.example', auth: { cookie: 5, bearer: BEARER } } }),
  ];
  assert.deepEqual(answers.map((a) => a.ok), answers.map(() => true));
  assert.deepEqual(refused.map((a) => a.error?.code), ['bad_request', 'too_large', 'invalid_url', 'bad_request']);
  for (const a of [...answers, ...refused]) {
    const text = JSON.stringify(a);
    assert.ok(!text.includes(SECRET) && !text.includes(BEARER), `an answer echoes a credential: ${text.slice(0, 200)}`);
  }
  const grepHome = () => {
    const hits = [];
    for (const file of walk(home.home)) {
      const bytes = readFileSync(file);
      for (const s of [SECRET, BEARER])
        if (bytes.includes(Buffer.from(s)) || bytes.includes(Buffer.from(s, 'utf16le'))) hits.push(`${path.relative(home.home, file)}: ${s}`);
    }
    return hits;
  };
  // While the host runs (WAL not yet checkpointed) ...
  assert.ok(existsSync(path.join(home.home, 'vidkeep.db-wal')));
  assert.deepEqual(grepHome(), []);
  await host.close();
  // ... and after it is gone.
  assert.deepEqual(grepHome(), []);
  assert.ok(logOf(home).includes(`configure origin=${cookieOrigin} cookie=yes bearer=no`), 'the log says which kind arrived');
  assert.deepEqual(host.protocolErrors, []);
});

// Issue 13, finding 7: a data folder others can write to (or that another
// user owns) would let them read, replace or plant videos: refused, saying why.
test('a group/world-writable or foreign-owned data directory is refused by the host and the CLI, with the reason', { ...T, skip: linuxOnly('POSIX modes and owners (chmod, chown)') }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  chmodSync(home.home, 0o777);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const answer = await host.request({ type: 'hello' });
  assert.equal(answer.error?.code, 'unavailable', JSON.stringify(answer));
  assert.match(answer.error.message, /is writable by everyone \(mode 777\).*chmod 700/);
  await host.close();
  assert.equal(existsSync(path.join(home.home, 'vidkeep.db')), false, 'no database was opened');
  const cli = await runCli(['list'], { env: home.env });
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /is writable by everyone/);
  chmodSync(home.home, 0o770);
  assert.match((await runCli(['list'], { env: home.env })).stderr, /is writable by its group/);
  chmodSync(home.home, 0o700);
  assert.equal((await runCli(['list'], { env: home.env })).code, 0);
  if (process.getuid?.() === 0) {  // only root can give a folder away
    chownSync(home.home, 65534, 65534);
    const foreign = await runCli(['list'], { env: home.env });
    assert.match(foreign.stderr, /belongs to uid 65534, not to you/);
    chownSync(home.home, 0, 0);
  }
});
