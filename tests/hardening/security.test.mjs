// Security checks as tests (issue 9), beside tests/host/lifecycle.test.mjs
// (refused callers, configure credentials kept out of the database and logs,
// file modes under VIDKEEP_HOME): the admin token never leaves its own file,
// credentials a hostile chat app echoes back are not stored, a refused caller
// changes no byte, modes hold under a permissive umask and the XDG layout,
// and no javascript:/file:/data: URL is ever stored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync, chmodSync, readFileSync, readdirSync, statSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { makeHome, startHost, frame, video, runCli, childEnv, sqlite, within, BIN, DEV_CHROMIUM } from '../lib/host.mjs';
import { startChatApp, SESSION_COOKIE } from '../lib/chat-app.mjs';
import { CHAT, FAST_SYNC, until, outboxStates, filesContaining, walk, pageVideo, checkDatabase } from './lib.mjs';

function run(args, env) {
  return new Promise((resolve) => execFile(path.join(BIN, 'vidkeep'), args, { env: childEnv(env), timeout: 30000, killSignal: 'SIGKILL' },
    (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr })));
}

test('the admin token never appears outside its own file: database, WAL, logs, config, CLI output, exports, answers', { timeout: 60000 }, async (t) => {
  const TOKEN = 'Adm1n-T0ken-9f8e7d-never-copy';
  const app = await startChatApp({ bearer: TOKEN, session: null, latencyMs: 1,
    // Every 4th request refused, so failures and retries are logged at trace level too.
    fault: (body, state) => (state.log.length % 4 === 0 ? { status: 503, retryAfter: 0 } : null) });
  const home = makeHome();
  const tokenFile = path.join(home.home, 'admin.token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  writeFileSync(path.join(home.home, 'config.json'), JSON.stringify({ log: { level: 'trace' }, sync: { ...FAST_SYNC, origins: [app.origin], token_file: tokenFile } }));
  t.after(async () => { await app.close(); home.cleanup(); });

  // The host sends to the admin's origin with the admin's token itself.
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push((await host.request({ type: 'video', video: pageVideo(app.origin, i) })).video_id);
  await until(async () => { const s = await outboxStates(home); return s && s.synced === 20; }, 20000, 'the host to sync with the admin token');
  await host.request({ type: 'resync', video_ids: ids.slice(0, 5) });
  const hostText = JSON.stringify(host.all) + host.stderr;
  await host.close();

  // vidkeep sync, reading the token from the file; then from $VIDKEEP_TOKEN.
  const outputs = [];
  outputs.push(await run(['sync', '--once'], home.env));
  outputs.push(await run(['sync', '--once'], { ...home.env, VIDKEEP_TOKEN: TOKEN }));
  for (const args of [['list', '--json'], ['stats', '--json'], ['show', ids[0].slice(0, 8), '--json'], ['export', '--format', 'json', '-o', path.join(home.home, 'e.json')],
    ['export', '--format', 'csv', '-o', path.join(home.home, 'e.csv')], ['export', '--format', 'html', '-o', path.join(home.home, 'e.html')], ['doctor']])
    outputs.push(await run(args, home.env));
  assert.ok(app.log.length >= 25, 'the token was used');

  for (const o of outputs) assert.ok(!(o.stdout + o.stderr).includes(TOKEN), `a command printed the token: ${o.stdout.slice(0, 200)}`);
  assert.ok(!hostText.includes(TOKEN), 'the host sent the token to the browser or stderr');
  const hits = filesContaining(home.home, [TOKEN]).filter((h) => !h.startsWith('admin.token:'));
  assert.deepEqual(hits, [], 'the token is only in its own file');
  assert.ok([...walk(home.home)].some((f) => f.endsWith('host.log')), 'the log was written');
});

// A chat app that echoes the request's credentials in its error answers (as
// some frameworks' debug pages do). The host stores the server's reason for
// `vidkeep show`; it must not store a credential with it.
test('regression: credentials a chat app echoes back in an error body were stored as the reason, logged and sent to the browser', { timeout: 30000 }, async (t) => {
  const COOKIE = 'Ck-echo-5a5a5a-secret';
  const app = await startChatApp({ fault: () => null, routes: null });
  app.setFault((body, state) => {
    const last = state.log[state.log.length - 1];
    return { status: 400, body: `bad request; you sent cookie ${SESSION_COOKIE}=${COOKIE}` };
  });
  const home = makeHome({ log: { level: 'trace' }, sync: FAST_SYNC });
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  assert.equal((await host.request({ type: 'configure', server: { origin: app.origin, auth: { cookie: `${SESSION_COOKIE}=${COOKIE}` } } })).ok, true);
  const a = await host.request({ type: 'video', video: pageVideo(app.origin, 1) });
  const ev = await host.event((e) => e.video_id === a.video_id && e.sync === 'failed', 10000);
  await host.close();
  const hits = filesContaining(home.home, [COOKIE]);
  assert.deepEqual({ event: ev.last_error.includes(COOKIE), files: hits }, { event: false, files: [] },
    'the echoed credential reached the browser, the database or the log');
});

test('a refused caller changes no byte of an existing database and creates no file', { timeout: 20000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const first = startHost({ env: home.env });
  for (let i = 0; i < 5; i++) assert.equal((await first.request({ type: 'video', video: video(i) })).ok, true);
  await first.close();
  const snapshot = () => Object.fromEntries([...walk(home.home)].filter((f) => !f.includes(`${path.sep}log${path.sep}`))
    .map((f) => [path.relative(home.home, f), createHash('sha256').update(readFileSync(f)).digest('hex')]));
  const before = snapshot();
  for (const caller of ['chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/', 'evil@example.org', '']) {
    const host = startHost({ env: home.env, args: caller ? [caller] : [] });
    t.after(() => host.stop());
    host.write(Buffer.concat([
      frame({ id: 1, type: 'video', video: video(99) }),
      frame({ id: 2, type: 'delete', video_ids: ['x'] }),
      frame({ id: 3, type: 'list' }),
      frame({ id: 4, type: 'configure', server: { origin: 'https://chat.example', auth: { cookie: 'c' } } }),
      frame(Buffer.from('not json')),
    ]));
    const answers = await host.count(5);
    assert.deepEqual(answers.map((x) => x.error?.code), Array(5).fill('unauthorized'), caller);
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  }
  assert.deepEqual(snapshot(), before);
});

function modeOf(p) { return (statSync(p).mode & 0o777).toString(8); }

test('files 0600 and directories 0700 under umask 000, in the XDG layout, with log rotation and exports', { timeout: 30000 }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vidkeep-xdg-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const env = {
    VIDKEEP_HOME: '', HOME: path.join(root, 'home'),
    XDG_DATA_HOME: path.join(root, 'data'), XDG_CONFIG_HOME: path.join(root, 'config'), XDG_STATE_HOME: path.join(root, 'state'),
    VIDKEEP_SYSTEM_CONFIG: path.join(root, 'system.json'),
  };
  writeFileSync(env.VIDKEEP_SYSTEM_CONFIG, JSON.stringify({ dev_ids: true }));  // the test speaks as the dev id
  const configDir = path.join(root, 'config', 'vidkeep');
  execFileSync('mkdir', ['-p', configDir]);
  writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ log: { level: 'trace', max_file_bytes: 65536, max_files: 2 } }));
  const host = startHost({ env, prefix: ['sh', '-c', 'umask 000; exec "$0" "$@"'] });
  t.after(() => host.stop());
  // Enough trace logging (refused frames log their reason) to rotate the log.
  for (let i = 0; i < 1500; i++) host.send(i % 2 ? { id: i, type: 'video', video: video(i) } : { id: i, type: 'video', video: { url: `javascript:${'x'.repeat(100)}${i}` } });
  await host.count(1500, 20000);
  const data = path.join(root, 'data', 'vidkeep');
  const state = path.join(root, 'state', 'vidkeep');
  // Every file 0600 and every directory 0700, the media cache's included.
  const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? [[p, 'dir'], ...walk(p)] : [[p, 'file']];
  });
  const dirs = walk(data).filter(([, kind]) => kind === 'dir').map(([p]) => p);
  assert.ok(dirs.some((d) => d.endsWith('/media/partial')), dirs.join(' '));
  const files = walk(data).filter(([, kind]) => kind === 'file').map(([p]) => p).concat(readdirSync(state).map((f) => path.join(state, f)));
  assert.ok(files.some((f) => f.endsWith('-wal')), files.join(' '));
  await host.close();
  const exported = path.join(root, 'out.json');
  const ex = await runCli(['export', '--format', 'json', '-o', exported], { env });
  assert.equal(ex.code, 0, ex.stderr);
  for (const f of [...files.filter((f) => existsSync(f)), ...readdirSync(state).map((f) => path.join(state, f)), exported]) assert.equal(modeOf(f), '600', f);
  if (readdirSync(state).length < 2) t.diagnostic(`the log did not rotate: ${readdirSync(state).join(' ')}`);
  for (const d of [data, state, path.join(root, 'data'), path.join(root, 'state'), ...dirs]) assert.equal(modeOf(d), '700', d);
});

const HOSTILE_URLS = [
  'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)', 'javascript://cdn.example/%0aalert(1)',
  'file:///etc/passwd', 'FILE://localhost/etc/shadow', 'file:/etc/passwd',
  'data:video/mp4;base64,AAAA', 'DATA:text/html,<script>alert(1)</script>', 'data:,x',
  'vbscript:msgbox', 'blob:https://chat.example/uuid', 'about:blank', 'ftp://cdn.example/v.mp4', 'ws://cdn.example/v', '//cdn.example/v.mp4', '/v/1.mp4',
  'https:javascript:alert(1)', 'http:/\\cdn.example', '\u0000javascript:alert(1)', 'https://cdn.example/v.mp4\njavascript:alert(1)',
];

test('javascript:, file:, data: (and every non-http) URL is never stored, in any URL field, nor through a duplicate', { timeout: 30000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  // A stored video without thumbnail or page: a duplicate could fill them in.
  const first = await host.request({ type: 'video', video: { url: 'https://cdn.example/v/keep.mp4', chat_id: CHAT } });
  assert.equal(first.ok, true);
  const requests = [];
  for (const bad of HOSTILE_URLS) {
    requests.push({ type: 'video', video: video(1, { url: bad }) });
    requests.push({ type: 'video', video: video(2, { thumbnail_url: bad }) });
    requests.push({ type: 'video', video: video(3, { page_url: bad }) });
    requests.push({ type: 'video', video: { url: 'https://cdn.example/v/keep.mp4?token=x', chat_id: CHAT, thumbnail_url: bad, page_url: bad } });
  }
  for (const r of requests) {
    const a = await host.request(r);
    assert.equal(a.ok, false, `stored: ${JSON.stringify(r.video)}`);
    assert.ok(['invalid_url', 'bad_request'].includes(a.error.code), JSON.stringify(a));
  }
  await host.close();
  const dump = await sqlite(path.join(home.home, 'vidkeep.db'), '.dump');
  assert.equal(dump.code, 0);
  for (const scheme of ['javascript:', 'file:', 'data:', 'vbscript:', 'blob:', 'about:', 'ftp:', 'ws:'])
    assert.ok(!dump.stdout.toLowerCase().includes(scheme), `${scheme} in the database`);
  assert.equal((await checkDatabase(home)).videos, 1);
});

// Issue 13, finding 7: the host holds session cookies and the admin token, so
// no core file of it may be written and no other process of the user may
// read its memory. RLIMIT_CORE 0 is visible in /proc; PR_SET_DUMPABLE 0 makes
// /proc/PID/environ and mem root's, which a non-root run can see.
test('the host runs with core dumps off (RLIMIT_CORE 0) and not dumpable', { timeout: 20000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env, prefix: ['sh', '-c', 'ulimit -c unlimited 2>/dev/null; exec "$0" "$@"'] });
  t.after(() => host.stop());
  assert.equal((await host.request({ type: 'hello' })).ok, true);
  const limits = readFileSync(`/proc/${host.child.pid}/limits`, 'utf8');
  assert.match(limits, /^Max core file size +0 +0 /m, limits);
  if (process.getuid() !== 0) assert.equal(statSync(`/proc/${host.child.pid}/environ`).uid, 0, 'environ owned by root: not dumpable');
  await host.close();
});
