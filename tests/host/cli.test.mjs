// The `vidkeep` command-line tool (PROTOCOL.md section 6) on a database the
// host filled over pipes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeHome, startHost, video, runCli, sqlite, videoIdFor } from '../lib/host.mjs';

const T = { timeout: 20000 };
const CHAT_A = '3f2c0000-0000-4000-8000-00000000000a';
const CHAT_B = '3f2c0000-0000-4000-8000-00000000000b';
const CYRILLIC = 'кот на сёрфе в закат';
const LONG_CYRILLIC = 'Съешь же ещё этих мягких французских булок, да выпей чаю — и снова съешь их';
const XSS = '<img src=x onerror=alert(1)>';
const FORMULA = '=HYPERLINK("http://evil.example","click")';
const MESSY = 'commas, and "quotes"\nand a second line';

// The videos, oldest first; `n` picks the URL cdn.example/v/<n>.mp4.
const VIDEOS = [
  { n: 1, chat: CHAT_A, prompt: 'a cat surfing a wave' },
  { n: 2, chat: CHAT_A, prompt: CYRILLIC },
  { n: 3, chat: CHAT_B, prompt: MESSY },
  { n: 4, chat: CHAT_B, prompt: FORMULA },
  { n: 5, chat: CHAT_A, prompt: XSS },
  { n: 6, chat: null, prompt: 'a dog skiing downhill' },
  { n: 7, chat: CHAT_B, prompt: null },
  { n: 8, chat: CHAT_A, prompt: LONG_CYRILLIC },
];
const idOf = (v) => videoIdFor(v.chat ?? '', `https://cdn.example/v/${v.n}.mp4`);

// Two more videos whose ids share their first 4 characters (found by search,
// deterministic): `show` of that prefix is ambiguous.
function ambiguousPair() {
  const seen = new Map();
  for (let n = 1000; ; n++) {
    const id = videoIdFor(CHAT_B, `https://cdn.example/v/${n}.mp4`);
    const prefix = id.slice(0, 4);
    if (seen.has(prefix)) return [{ n: seen.get(prefix), chat: CHAT_B, prompt: 'twin one' }, { n, chat: CHAT_B, prompt: 'twin two' }];
    seen.set(prefix, n);
  }
}
const TWINS = ambiguousPair();
const ALL = [...VIDEOS, ...TWINS];

let home;
const cli = (args, opts = {}) => runCli(args, { env: home.env, ...opts });
const lines = (s) => s.split('\n').filter((l) => l.length > 0);

/** Asserts a failed run: exit status `code`, nothing on stdout, one stderr line. */
function assertFails(out, code, pattern) {
  assert.equal(out.code, code, `exit ${out.code}; stderr: ${out.stderr}`);
  assert.equal(out.stdout, '');
  assert.equal(lines(out.stderr).length, 1, `one line on stderr: ${JSON.stringify(out.stderr)}`);
  assert.match(out.stderr, /^vidkeep: /);
  if (pattern) assert.match(out.stderr, pattern);
}

async function fill(h, videos) {
  const host = startHost({ env: h.env });
  try {
    for (const v of videos) {
      const extra = { chat_id: v.chat ?? undefined, prompt: v.prompt ?? undefined,
        page_url: v.chat ? `https://chat.example/chat/${v.chat}` : undefined };
      const a = await host.request({ type: 'video', video: video(v.n, extra) });
      assert.equal(a.ok, true, JSON.stringify(a));
      assert.equal(a.video_id, idOf(v));
    }
    assert.deepEqual(await host.close(), { code: 0, signal: null });
  } finally {
    await host.stop();
  }
}

before(async () => {
  home = makeHome();
  await fill(home, ALL);
});
after(() => home.cleanup());

// ---------------------------------------------------------------- list

test('list: an aligned table, newest first, Cyrillic intact, long prompts clipped', T, async () => {
  const out = await cli(['list']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, '');
  const rows = lines(out.stdout);
  assert.equal(rows.length, 1 + ALL.length);
  assert.match(rows[0], /^ID +SAVED \(UTC\) +SYNC +SOURCE +CHAT +MEDIA +PROMPT$/);
  const newestFirst = [...ALL].reverse();
  rows.slice(1).forEach((row, i) => assert.ok(row.startsWith(idOf(newestFirst[i]).slice(0, 8) + ' '), `row ${i}: ${row}`));
  // Columns line up by characters (code points), whatever the script.
  const starts = ['SAVED', 'SYNC', 'SOURCE', 'CHAT', 'PROMPT'].map((h) => rows[0].indexOf(h));
  for (const row of rows.slice(1)) {
    const chars = [...row];
    for (const s of starts) {
      assert.notEqual(chars[s - 1], undefined, row);
      assert.equal(chars[s - 1], ' ', `a space before column at ${s}: ${row}`);
      if (s !== starts[3]) assert.notEqual(chars[s], ' ', `a value starts at column ${s}: ${row}`); // CHAT may be empty
    }
  }
  const promptAt = starts[4];
  const promptOf = (row) => [...row].slice(promptAt).join('');
  const byId = new Map(rows.slice(1).map((r) => [r.slice(0, 8), r]));
  assert.equal(promptOf(byId.get(idOf(VIDEOS[1]).slice(0, 8))), CYRILLIC);
  assert.equal(promptOf(byId.get(idOf(VIDEOS[0]).slice(0, 8))), 'a cat surfing a wave');
  assert.equal(promptOf(byId.get(idOf(VIDEOS[6]).slice(0, 8))), '(no prompt)');
  assert.equal(promptOf(byId.get(idOf(VIDEOS[2]).slice(0, 8))), MESSY.replace('\n', ' '), 'a newline in a prompt does not break the table');
  assert.equal(promptOf(byId.get(idOf(VIDEOS[7]).slice(0, 8))), [...LONG_CYRILLIC].slice(0, 55).join('') + '…');
  assert.ok(!out.stdout.includes('\ufffd'), 'valid UTF-8');
  const local = byId.get(idOf(VIDEOS[5]).slice(0, 8));
  // MEDIA: the links of cdn.example never download here.
  const media = '(not cached|failed|downloading [^ ]+(?: [KMG]?i?B)?)';
  assert.match(local, new RegExp(` local +sse +${media} +a dog skiing downhill$`));
  assert.match(byId.get(idOf(VIDEOS[0]).slice(0, 8)), new RegExp(` pending +sse +3f2c0000-00… +${media} +a cat`));
});

test('list --json: every record, newest first, with the protocol fields', T, async () => {
  const out = await cli(['list', '--json']);
  assert.equal(out.code, 0, out.stderr);
  const records = JSON.parse(out.stdout);
  assert.deepEqual(records.map((r) => r.video_id), [...ALL].reverse().map(idOf));
  const cat = records.find((r) => r.video_id === idOf(VIDEOS[0]));
  assert.deepEqual(
    { url: cat.url, prompt: cat.prompt, chat_id: cat.chat_id, sync: cat.sync, source: cat.source, origin: cat.origin, canonical_url: cat.canonical_url, sync_attempts: cat.sync_attempts, has_last_error: 'last_error' in cat },
    { url: 'https://cdn.example/v/1.mp4', prompt: 'a cat surfing a wave', chat_id: CHAT_A, sync: 'pending', source: 'sse', origin: 'https://chat.example', canonical_url: 'https://cdn.example/v/1.mp4', sync_attempts: 0, has_last_error: false });
  assert.equal(records.find((r) => r.video_id === idOf(VIDEOS[1])).prompt, CYRILLIC);
  assert.equal('prompt' in records.find((r) => r.video_id === idOf(VIDEOS[6])), false);
});

test('list --chat, --sync, --limit', T, async () => {
  const chat = JSON.parse((await cli(['list', '--json', '--chat', CHAT_A])).stdout);
  assert.deepEqual(chat.map((r) => r.video_id), VIDEOS.filter((v) => v.chat === CHAT_A).reverse().map(idOf));
  const local = JSON.parse((await cli(['list', '--json', '--sync', 'local'])).stdout);
  assert.deepEqual(local.map((r) => r.video_id), [idOf(VIDEOS[5])]);
  const none = await cli(['list', '--sync', 'failed']);
  assert.deepEqual([none.code, none.stdout], [0, 'No videos saved yet.\n']);
  const limited = await cli(['list', '--limit', '2']);
  assert.equal(limited.code, 0);
  assert.equal(lines(limited.stdout).length, 3, 'header and two rows');
  assert.equal(limited.stderr, '(newest 2 shown; --limit N for more)\n');
  const limitedJson = JSON.parse((await cli(['list', '--json', '--limit', '3'])).stdout);
  assert.deepEqual(limitedJson.map((r) => r.video_id), [...ALL].reverse().slice(0, 3).map(idOf));
  const both = JSON.parse((await cli(['list', '--json', '--chat', CHAT_B, '--sync', 'pending', '--limit', '1'])).stdout);
  assert.deepEqual(both.map((r) => r.video_id), [idOf(TWINS[1])]);
});

// ---------------------------------------------------------------- search

test('search: by a word, by a prefix, in Cyrillic, with --json; FTS syntax is literal', T, async () => {
  const ids = async (...args) => {
    const out = await cli(['search', ...args, '--json']);
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout).map((r) => r.video_id);
  };
  assert.deepEqual(await ids('surfing'), [idOf(VIDEOS[0])]);
  assert.deepEqual(await ids('surf'), [idOf(VIDEOS[0])], 'the last word is a prefix');
  assert.deepEqual(await ids('SURFING'), [idOf(VIDEOS[0])], 'case-insensitive');
  assert.deepEqual(await ids('cat wave'), [idOf(VIDEOS[0])], 'every word must occur');
  assert.deepEqual(await ids('cat dog'), []);
  assert.deepEqual(await ids('кот'), [idOf(VIDEOS[1])]);
  assert.deepEqual(await ids('сёрф'), [idOf(VIDEOS[1])], 'Cyrillic prefix');
  assert.deepEqual(await ids('twin'), TWINS.map(idOf).reverse(), 'newest first');
  for (const hostile of ['"', 'a" OR "b', 'NEAR(cat wave)', '*', 'cat AND', '(', 'prompt:cat', '^cat']) {
    const out = await cli(['search', hostile, '--json']);
    assert.equal(out.code, 0, `${hostile}: ${out.stderr}`);
    assert.ok(Array.isArray(JSON.parse(out.stdout)));
  }
  const table = await cli(['search', 'кот']);
  assert.equal(table.code, 0);
  assert.equal(lines(table.stdout).length, 2);
  assert.ok(table.stdout.includes(CYRILLIC));
  const nothing = await cli(['search', 'zebra']);
  assert.deepEqual([nothing.code, nothing.stdout], [0, 'No videos match.\n']);
});

// ---------------------------------------------------------------- show

test('show: by an 8-character prefix, table and --json', T, async () => {
  const id = idOf(VIDEOS[1]);
  const out = await cli(['show', id.slice(0, 8)]);
  assert.equal(out.code, 0, out.stderr);
  const fields = Object.fromEntries(lines(out.stdout).filter((l) => /^\S/.test(l) && !l.endsWith(':')).map((l) => [l.slice(0, 14).trim(), l.slice(14)]));
  assert.equal(fields.Video, id);
  assert.equal(fields.Prompt, CYRILLIC);
  assert.equal(fields.URL, 'https://cdn.example/v/2.mp4');
  assert.equal(fields.Chat, CHAT_A);
  assert.equal(fields.Sync, 'pending after 0 attempts');
  assert.equal(fields['Last error'], '-');
  assert.match(out.stdout, /Sync history:\n {2}\(no attempts yet\)\n$/);
  const json = JSON.parse((await cli(['show', id.slice(0, 4), '--json'])).stdout);
  assert.equal(json.video_id, id);
  assert.deepEqual(json.history, []);
  const full = JSON.parse((await cli(['show', id, '--json'])).stdout);
  assert.equal(full.prompt, CYRILLIC);
});

test('show: ambiguous, unknown and malformed ids fail with one line', T, async () => {
  const [a, b] = TWINS.map(idOf);
  assert.equal(a.slice(0, 4), b.slice(0, 4));
  let common = 4;
  while (a[common] === b[common]) common++;
  assertFails(await cli(['show', a.slice(0, common)]), 2, /matches several videos/);
  const distinct = await cli(['show', a.slice(0, common + 1), '--json']);
  assert.equal(JSON.parse(distinct.stdout).video_id, a);
  // An id no video has (the byte after the real ids' first one).
  const used = new Set(ALL.map((v) => idOf(v).slice(0, 4)));
  let unknown = 0;
  while (used.has(unknown.toString(16).padStart(4, '0'))) unknown++;
  const out = await cli(['show', unknown.toString(16).padStart(4, '0')]);
  assert.ok(out.code === 1 || out.code === 2, `exit ${out.code}`);
  assertFails(out, out.code, /no video with id/);
  assertFails(await cli(['show', 'xyz']), 2, /not a video id/);
  assertFails(await cli(['show', 'ab']), 2, /not a video id/);
  assertFails(await cli(['show', "abcd' OR 1=1 --"]), 2, /not a video id/);
});

// ---------------------------------------------------------------- stats

test('stats: table and --json counts', T, async () => {
  const json = await cli(['stats', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const s = JSON.parse(json.stdout);
  assert.deepEqual(
    { videos: s.videos, pending: s.pending, synced: s.synced, failed: s.failed, auth_required: s.auth_required, local: s.local, last_error: s.last_error },
    { videos: ALL.length, pending: ALL.length - 1, synced: 0, failed: 0, auth_required: 0, local: 1, last_error: null });
  assert.equal(s.database, path.join(home.home, 'vidkeep.db'));
  assert.ok(Number.isInteger(s.database_bytes) && s.database_bytes > 4096);
  const table = await cli(['stats']);
  assert.equal(table.code, 0);
  assert.match(table.stdout, new RegExp(`^Videos +${ALL.length}\n`));
  assert.match(table.stdout, new RegExp(`\n {2}pending +${ALL.length - 1}\n`));
  assert.match(table.stdout, /\n {2}local +1\n/);
  assert.ok(table.stdout.includes(path.join(home.home, 'vidkeep.db')));
});

// ---------------------------------------------------------------- resync

test('resync ID and resync --failed queue videos again', T, async (t) => {
  const own = makeHome();
  t.after(own.cleanup);
  await fill(own, VIDEOS);
  const run = (args) => runCli(args, { env: own.env });
  const db = path.join(own.home, 'vidkeep.db');
  // Mark three as failed, as the sync engine would.
  const failedIds = [VIDEOS[0], VIDEOS[1], VIDEOS[2]].map(idOf);
  const upd = await sqlite(db, `UPDATE outbox SET state='failed', attempts=3, last_error='HTTP 400: bad' WHERE seq IN (SELECT seq FROM videos WHERE video_id IN (${failedIds.map((i) => `'${i}'`).join(',')}));`, { readonly: false });
  assert.equal(upd.code, 0, upd.stderr);
  assert.equal(JSON.parse((await run(['stats', '--json'])).stdout).failed, 3);
  assert.match((await run(['show', failedIds[0].slice(0, 8)])).stdout, /Sync +failed after 3 attempts\nLast error +HTTP 400: bad\n/);

  const one = await run(['resync', failedIds[0].slice(0, 8)]);
  assert.deepEqual([one.code, one.stdout], [0, 'Queued 1 video for sync.\n'], one.stderr);
  const shown = JSON.parse((await run(['show', failedIds[0], '--json'])).stdout);
  assert.deepEqual([shown.sync, shown.sync_attempts, 'last_error' in shown], ['pending', 0, false]);

  const rest = await run(['resync', '--failed']);
  assert.deepEqual([rest.code, rest.stdout], [0, 'Queued 2 videos for sync.\n'], rest.stderr);
  const stats = JSON.parse((await run(['stats', '--json'])).stdout);
  assert.deepEqual([stats.failed, stats.pending, stats.local], [0, VIDEOS.length - 1, 1]);
  const again = await run(['resync', '--failed']);
  assert.deepEqual([again.code, again.stdout], [0, 'Queued 0 videos for sync.\n']);
  const local = await run(['resync', idOf(VIDEOS[5])]);
  assert.deepEqual([local.code, local.stdout], [0, 'Queued 0 videos for sync.\n'], 'a local video is not queued');
  const several = await run(['resync', idOf(VIDEOS[3]).slice(0, 6), idOf(VIDEOS[4]).slice(0, 6)]);
  assert.deepEqual([several.code, several.stdout], [0, 'Queued 2 videos for sync.\n']);

  assertFails(await run(['resync']), 2, /ids or --failed/);
  assertFails(await run(['resync', '--failed', idOf(VIDEOS[0])]), 2, /ids or --failed/);
  // One unknown id among good ones changes nothing.
  await sqlite(db, `UPDATE outbox SET state='failed' WHERE seq = (SELECT seq FROM videos WHERE video_id='${idOf(VIDEOS[0])}');`, { readonly: false });
  const mixed = await run(['resync', idOf(VIDEOS[0]), 'ffffffff']);
  assert.ok(mixed.code === 1 || mixed.code === 2);
  assert.equal(lines(mixed.stderr).length, 1);
  assert.equal(JSON.parse((await run(['show', idOf(VIDEOS[0]), '--json'])).stdout).sync, 'failed', 'rolled back');
});

// ---------------------------------------------------------------- export

test('export --format json -o FILE: parses, holds every video', T, async (t) => {
  const file = path.join(home.home, 'out.json');
  t.after(() => { try { writeFileSync(file, ''); } catch {} });
  const out = await cli(['export', '--format', 'json', '-o', file]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, '');
  assert.equal(out.stderr, `Exported to ${file}\n`);
  assert.equal(existsSync(`${file}.partial`), false);
  const records = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(records.length, ALL.length);
  assert.deepEqual(records.map((r) => r.video_id).sort(), ALL.map(idOf).sort());
  assert.equal(records.find((r) => r.video_id === idOf(VIDEOS[2])).prompt, MESSY);
  // Default format is json, to stdout.
  const stdout = await cli(['export']);
  assert.equal(stdout.code, 0);
  assert.deepEqual(JSON.parse(stdout.stdout).map((r) => r.video_id).sort(), ALL.map(idOf).sort());
});

/** A small RFC 4180 parser: rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [], cell = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; i++; }
    else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows;
}

test('export --format csv: header, quoting of commas and newlines, formulas defused', T, async () => {
  const file = path.join(home.home, 'out.csv');
  const out = await cli(['export', '--format', 'csv', '-o', file]);
  assert.equal(out.code, 0, out.stderr);
  const text = readFileSync(file, 'utf8');
  const rows = parseCsv(text);
  assert.deepEqual(rows[0], ['video_id', 'created_at', 'sync', 'source', 'chat_id', 'prompt', 'url', 'thumbnail_url', 'page_url', 'sync_attempts', 'last_error', 'account_id', 'account_label', 'app_message_id']);
  assert.equal(rows.length, 1 + ALL.length);
  for (const r of rows) assert.equal(r.length, 14, JSON.stringify(r));
  const byId = new Map(rows.slice(1).map((r) => [r[0], r]));
  assert.equal(byId.get(idOf(VIDEOS[2]))[5], MESSY, 'commas, quotes and newline survive quoting');
  assert.ok(text.includes('"commas, and ""quotes""\nand a second line"'));
  assert.equal(byId.get(idOf(VIDEOS[3]))[5], `'${FORMULA}`, 'a formula is defused with a leading quote');
  for (const r of rows.slice(1)) for (const cell of r) assert.ok(!/^[=+\-@]/.test(cell), `cell starts a formula: ${cell}`);
  assert.equal(byId.get(idOf(VIDEOS[1]))[5], CYRILLIC);
  assert.equal(byId.get(idOf(VIDEOS[0]))[6], 'https://cdn.example/v/1.mp4');
  assert.equal(byId.get(idOf(VIDEOS[0]))[9], '0');
});

test('export --format html: self-contained, prompts escaped', T, async () => {
  const file = path.join(home.home, 'out.html');
  const out = await cli(['export', '--format', 'html', '-o', file]);
  assert.equal(out.code, 0, out.stderr);
  const html = readFileSync(file, 'utf8');
  assert.match(html, /^<!doctype html>/);
  assert.ok(!html.includes(XSS), 'the raw tag never appears');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(html.includes(CYRILLIC));
  assert.ok(html.includes('commas, and &quot;quotes&quot;'));
  assert.equal((html.match(/<div class="card">/g) ?? []).length, ALL.length);
  assert.ok(html.includes('poster="https://cdn.example/v/1.webp"'), 'thumbnails');
  assert.ok(!/<script/i.test(html), 'no script');
  assert.ok(!/(src|href)="(?!https?:)/.test(html.replace(/<meta[^>]*>/g, '')), 'only http(s) links');
  // Newest first.
  assert.ok(html.indexOf('twin two') < html.indexOf('twin one'));
});

test('export: bad format and unwritable output', T, async () => {
  assertFails(await cli(['export', '--format', 'xml']), 2);
  assertFails(await cli(['export', '-o', path.join(home.home, 'no', 'such', 'dir', 'x.json')]), 1, /cannot write/);
});

// ---------------------------------------------------------------- usage and the rest

test('usage errors exit 2 with one line on stderr', T, async () => {
  for (const args of [[], ['frobnicate'], ['list', '--bogus'], ['list', '--limit', '0'], ['list', '--limit', 'ten'],
    ['list', '--sync', 'done'], ['show'], ['search'], ['stats', 'extra'], ['export', '--format']]) {
    const out = await cli(args);
    assert.equal(out.code, 2, `${args.join(' ')}: exit ${out.code}; ${out.stderr}`);
    assert.equal(lines(out.stderr).length, 1, `${args.join(' ')}: ${JSON.stringify(out.stderr)}`);
    assert.equal(out.stdout, '', args.join(' '));
  }
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /list +Saved videos, newest first/);
});

test('sync and doctor exit non-zero with a message (no token, no browsers here)', T, async () => {
  const sync = await cli(['sync'], { env: { ...home.env, VIDKEEP_TOKEN: '' } });
  assert.notEqual(sync.code, 0);
  assert.equal(lines(sync.stderr).length, 1, JSON.stringify(sync.stderr));
  // --root: an empty fake root, so a vidkeep installed on this machine (its
  // /etc manifests and config) cannot make doctor pass.
  const root = mkdtempSync(path.join(os.tmpdir(), 'vidkeep-doctor-root-'));
  const doctor = await cli(['doctor', '--root', root], { env: { HOME: home.home, XDG_CONFIG_HOME: path.join(home.home, 'xdg') } });
  rmSync(root, { recursive: true, force: true });
  assert.notEqual(doctor.code, 0);
  assert.ok((doctor.stderr + doctor.stdout).trim().length > 0);
  if (/not part of this build/.test(doctor.stderr)) assert.equal(lines(doctor.stderr).length, 1);
});

test('an empty data root and a bad config', T, async (t) => {
  const empty = makeHome();
  t.after(empty.cleanup);
  const out = await runCli(['list'], { env: empty.env });
  assert.deepEqual([out.code, out.stdout], [0, 'No videos saved yet.\n']);
  assert.deepEqual(JSON.parse((await runCli(['list', '--json'], { env: empty.env })).stdout), []);
  const bad = makeHome({ limits: { max_url_bytes: 'huge' } });
  t.after(bad.cleanup);
  assertFails(await runCli(['list'], { env: bad.env }), 1, /'limits\.max_url_bytes' must be a whole number/);
});

test('search with only whitespace does not abort', T, async () => {
  const out = await cli(['search', '   ']);
  assert.equal(out.signal, null, `killed by ${out.signal}; stderr: ${out.stderr.trim()}`);
  assert.ok(out.code === 0 || out.code === 2, `exit ${out.code}; stderr: ${out.stderr.trim()}`);
  if (out.code === 2) assertFails(out, 2);
});
