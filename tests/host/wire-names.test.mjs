// The protocol owns every wire name (issue 16, item 2): host/protocol.cpp
// builds every answer, event and `vidkeep --json` document, so the CLI prints
// a record exactly as the host answers it, and no other host file spells an
// answer's field names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { makeHome, startHost, video, runCli, sqlite } from '../lib/host.mjs';

const T = { timeout: 30000 };
const HOST_DIR = path.resolve(import.meta.dirname, '../../host');
const CHAT = '3f2c0000-0000-4000-8000-0000000000c1';

// Both sides compacted the same way: key order, strings and numbers as sent.
const compact = (value) => JSON.stringify(value);

test('vidkeep list/show/stats --json print records as the host answers list/get/status', T, async (t) => {
  // Sync off: nothing changes a record between the host's answers and the CLI.
  const home = makeHome({ sync: { enabled: false } });
  t.after(home.cleanup);
  const db = path.join(home.home, 'vidkeep.db');

  const fill = startHost({ env: home.env });
  t.after(() => fill.stop());
  const page = `https://chat.example/c/${CHAT}`;
  const sent = [
    video(1, { chat_id: CHAT, page_url: page, prompt: 'кот на сёрфе "в закат"\n\tand a tab',
      meta: { duration_s: 4.25, width: 1280, height: 720, model: 'sora', extra: { nested: [1, 2.5, null] } },
      account: { id: 'u-1', label: 'Ana <ana@example.org>' } }),
    video(2, { chat_id: CHAT, page_url: page, thumbnail_url: undefined, prompt: undefined }),
    video(3, { chat_id: undefined, page_url: undefined, source: 'manual' }),
  ];
  for (const v of sent) assert.equal((await fill.request({ type: 'video', video: v })).ok, true);
  const saved = await fill.request({ type: 'app_save', save: { chat_id: CHAT, message_id: 'm-7', phase: 'finished',
    http_status: 200, page_url: page, account: { id: 'u-1' },
    attachments: [{ url: 'https://cdn.example/v/9.mp4', content_type: 'video/mp4' }] } });
  assert.deepEqual([saved.ok, saved.matched], [true, 1], JSON.stringify(saved));
  assert.deepEqual(await fill.close(), { code: 0, signal: null });

  // A failed one with a sync history, as the sync engine leaves it.
  const first = fill.answers[0].video_id;
  const changed = await sqlite(db, `UPDATE outbox SET state='failed', attempts=2, last_error='HTTP 400: "bad"'
    WHERE seq = (SELECT seq FROM videos WHERE video_id='${first}');
    INSERT INTO sync_history (video_id, at, http_status, result, reason) VALUES
      ('${first}', '2026-11-24T10:00:00.000Z', 0, 'pending', 'connection refused'),
      ('${first}', '2026-11-24T10:00:05.000Z', 400, 'failed', 'HTTP 400: "bad"');`, { readonly: false });
  assert.equal(changed.code, 0, changed.stderr);

  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const list = await host.request({ type: 'list', limit: 500 });
  const status = await host.request({ type: 'status' });
  const gets = [];
  for (const record of list.videos) gets.push(await host.request({ type: 'get', video_id: record.video_id }));
  assert.deepEqual(await host.close(), { code: 0, signal: null });
  assert.equal(list.videos.length, 4);
  assert.ok(gets.some((g) => g.history.length === 2), 'one record has a history');
  assert.ok(list.videos.some((r) => r.source === 'app' && r.app_message_id === 'm-7'));

  const cli = async (args) => {
    const out = await runCli(args, { env: home.env });
    assert.equal(out.code, 0, out.stderr);
    return JSON.parse(out.stdout);
  };
  assert.equal(compact(await cli(['list', '--json'])), compact(list.videos));
  for (const get of gets) {
    const { history, ...record } = await cli(['show', get.video.video_id, '--json']);
    assert.equal(compact(record), compact(get.video));
    assert.equal(compact(history), compact(get.history));
  }
  // `stats` has the database where `status` has the host's version.
  const { database, database_bytes: bytes, ...counts } = await cli(['stats', '--json']);
  const { host_version: version, id, ok, ...answered } = status;
  assert.equal(database, db);
  assert.ok(bytes > 0 && version.length > 0 && id && ok);
  assert.equal(compact(counts), compact(answered));
});

// ------------------------------------------------- no wire name elsewhere

// A string key in a JSON initializer ({"key", …}), a subscript (["key"]),
// a lookup (.value/.find/.contains/.at("key")) or a JsonWriter key
// (.Key/.StringField/.NonEmptyString/.IntField("key"), json_writer.h).
const KEY = /\{\s*"([a-z_]+)"\s*,|\[\s*"([a-z_]+)"\s*\]|\.(?:value|find|contains|at|Key|StringField|NonEmptyString|IntField)\(\s*"([a-z_]+)"/g;
const keysIn = (text) => [...text.matchAll(KEY)].map((m) => m[1] ?? m[2] ?? m[3]);

// Files that speak JSON other than vidkeep's wire, with the names they may
// share with it. Every entry must still be needed (stale ones fail below).
const OTHER_JSON = {
  'model.cpp': { why: 'enum value names, not keys', names: ['video'] },
  'save_message.cpp': { why: "the chat app's /api/save-message body", names: ['url', 'id', 'type', 'message'] },
  'media_child.cpp': { why: 'the media-probe pipe, both ends', names: ['duration_s', 'width', 'height', 'video_codec', 'audio_codec', 'container'] },
  'doctor.cpp': { why: "a browser's native messaging manifest", names: ['type'] },
  'registration-win32.cpp': { why: "a browser's native messaging manifest", names: ['type'] },
};

test('no host file but protocol.cpp spells an answer field name as a JSON key', () => {
  const wire = new Set(keysIn(readFileSync(path.join(HOST_DIR, 'protocol.cpp'), 'utf8')));
  // The scan must see the names it guards: a broken pattern would pass anything.
  for (const name of ['video_id', 'sync', 'history', 'queued', 'host_version', 'next_cursor', 'eof', 'quota_bytes', 'record_format', 'media', 'generated'])
    assert.ok(wire.has(name), `protocol.cpp's keys include ${name}`);

  const found = [];
  const used = new Map();
  const files = readdirSync(HOST_DIR).filter((f) => /\.(cpp|h)$/.test(f) && !/_test\.cpp$/.test(f) &&
    f !== 'protocol.cpp' && f !== 'protocol.h');
  for (const file of files) {
    const lines = readFileSync(path.join(HOST_DIR, file), 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*\/\//.test(line)) return;  // a comment may quote a format
      for (const name of keysIn(line)) {
        if (!wire.has(name)) continue;
        if (OTHER_JSON[file]?.names.includes(name)) used.set(`${file} ${name}`, true);
        else found.push(`host/${file}:${i + 1}: "${name}": ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(found, [], 'build these in protocol.cpp (or list a foreign JSON format in OTHER_JSON)');
  const stale = Object.entries(OTHER_JSON).flatMap(([file, { names }]) =>
    names.filter((n) => !used.has(`${file} ${n}`)).map((n) => `${file} ${n}`));
  assert.deepEqual(stale, [], 'OTHER_JSON entries no longer needed');
});

test('the key scan catches each way a key is spelled', () => {
  assert.deepEqual(keysIn('json x = {{"video_id", id}, {"sync" , s}}; out["queued"] = 1;'), ['video_id', 'sync', 'queued']);
  assert.deepEqual(keysIn('doc.value("protocol", 0); doc.find("db_path"); e.contains("code"); j.at("eof")'),
    ['protocol', 'db_path', 'code', 'eof']);
  assert.deepEqual(keysIn('w.Key("media"); w.StringField("sync", s); w.NonEmptyString("prompt", p); w.IntField("bytes", n);'),
    ['media', 'sync', 'prompt', 'bytes']);
  assert.deepEqual(keysIn('fmt::format("{}", "video_id"); Lower("sync")'), []);
});
