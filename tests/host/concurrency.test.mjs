// Several host processes on one database at once (the browser starts one per
// connection): every write acknowledged ok, no busy error reaching a caller,
// each distinct video stored exactly once with the same id everywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeHome, startHost, frame, video, runCli, sqlite, videoIdFor, shuffled, within } from '../lib/host.mjs';

const CHATS = ['3f2c0000-0000-4000-8000-000000000001', '3f2c0000-0000-4000-8000-000000000002'];

// The same video as different processes see it: the same path and kept
// parameters (in varying order), with different signing parameters of
// several providers (PROTOCOL.md section 3).
const SIGNERS = [
  (n, p) => `https://cdn.example/v/${n}.mp4?quality=hd&X-Amz-Signature=${p}sig&X-Amz-Expires=60&a=1`,
  (n, p) => `HTTPS://CDN.example:443/v/${n}.mp4?a=1&X-Goog-Signature=${p}g&GoogleAccessId=svc&quality=hd#t=3`,
  (n, p) => `https://cdn.example/v/${n}.mp4?sv=2024&se=${p}&sig=${p}az&quality=hd&a=1`,
  (n, p) => `https://cdn.example/v/${n}.mp4?Policy=${p}&Key-Pair-Id=K1&Signature=${p}cf&Expires=9&a=1&quality=hd&token=${p}`,
];
const canonical = (n) => `https://cdn.example/v/${n}.mp4?a=1&quality=hd`;

/**
 * Starts `processes` hosts on one fresh data root at the same moment; each
 * sends every one of `videos` videos (in its own order, with its own
 * signature style) pipelined `perWrite` frames per write.
 */
async function race(t, { processes, videos, perWrite }) {
  const home = makeHome();
  t.after(home.cleanup);
  const hosts = Array.from({ length: processes }, () => startHost({ env: home.env }));
  t.after(() => Promise.all(hosts.map((h) => h.stop())));

  const items = [];
  for (let n = 0; n < videos; n++) items.push({ n, chat: CHATS[n % 2] });
  const sent = hosts.map((host, p) => {
    const order = shuffled(items, 1000 + p * 7919);
    const requests = order.map(({ n, chat }, k) => ({
      id: `p${p}-${k}`, n, chat,
      msg: { id: `p${p}-${k}`, type: 'video', video: video(n, { chat_id: chat, url: SIGNERS[(n + p) % SIGNERS.length](n, `p${p}`), page_url: `https://chat.example/chat/${chat}` }) },
    }));
    return requests;
  });

  // Write all processes' bursts interleaved, yielding between writes so the
  // processes really contend for the write lock.
  const started = Date.now();
  for (let off = 0; off < videos; off += perWrite) {
    for (let p = 0; p < processes; p++)
      hosts[p].write(Buffer.concat(sent[p].slice(off, off + perWrite).map((r) => frame(r.msg))));
    await new Promise((r) => setImmediate(r));
  }
  const answers = await Promise.all(hosts.map((h) => h.count(videos, 30000)));
  const elapsed = Date.now() - started;
  for (const h of hosts) assert.deepEqual(await within(3000, h.close(), 'exit'), { code: 0, signal: null });
  for (const h of hosts) assert.deepEqual(h.protocolErrors, []);
  return { home, sent, answers, elapsed };
}

function checkAnswers({ sent, answers }, videos) {
  const firstStore = new Map(); // video key -> how many processes got duplicate:false
  const idsByKey = new Map();
  answers.forEach((list, p) => {
    assert.equal(list.length, videos);
    list.forEach((a, k) => {
      const r = sent[p][k];
      assert.equal(a.id, r.id, 'answers in request order');
      assert.equal(a.ok, true, `process ${p} request ${r.id}: ${JSON.stringify(a)}`);
      const key = `${r.chat}\n${r.n}`;
      assert.equal(a.video_id, videoIdFor(r.chat, canonical(r.n)), `video id of ${r.n} is the UUIDv5 of section 4`);
      assert.equal(a.sync, 'pending');
      if (!idsByKey.has(key)) idsByKey.set(key, new Set());
      idsByKey.get(key).add(a.video_id);
      if (a.duplicate === false) firstStore.set(key, (firstStore.get(key) ?? 0) + 1);
    });
  });
  assert.equal(idsByKey.size, videos);
  for (const [key, set] of idsByKey) assert.equal(set.size, 1, `one id for ${key} across processes`);
  // Exactly one process stored each video; every other answer was a duplicate.
  for (const [key] of idsByKey) assert.equal(firstStore.get(key), 1, `exactly one first store of ${JSON.stringify(key)}`);
  return idsByKey;
}

async function checkStored(home, idsByKey, videos) {
  const out = await runCli(['list', '--json', '--limit', '100000'], { env: home.env });
  assert.equal(out.code, 0, out.stderr);
  const listed = JSON.parse(out.stdout);
  assert.equal(listed.length, videos, 'each distinct video exactly once');
  const ids = listed.map((v) => v.video_id);
  assert.equal(new Set(ids).size, videos, 'no duplicate rows');
  const expected = [...idsByKey.values()].map((s) => [...s][0]).sort();
  assert.deepEqual([...ids].sort(), expected);
  for (const v of listed) assert.equal(v.canonical_url, canonical(/\/v\/(\d+)\.mp4/.exec(v.url)[1]));

  const db = path.join(home.home, 'vidkeep.db');
  const check = await sqlite(db, 'PRAGMA integrity_check; SELECT count(*) FROM videos; SELECT count(*) FROM outbox; SELECT count(DISTINCT canonical_url || chat_id) FROM videos;');
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(check.stdout.trim().split('\n'), ['ok', String(videos), String(videos), String(videos)]);
}

for (const [processes, videos, perWrite] of [[2, 400, 40], [4, 400, 25], [4, 200, 1]]) {
  test(`${processes} hosts on one fresh database, ${videos} overlapping videos each, ${perWrite} per write`, { timeout: 60000 }, async (t) => {
    const run = await race(t, { processes, videos, perWrite });
    const idsByKey = checkAnswers(run, videos);
    await checkStored(run.home, idsByKey, videos);
    t.diagnostic(`${processes * videos} writes in ${run.elapsed} ms`);
  });
}

test('a host started while others write sees their videos and dedupes against them', { timeout: 30000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const a = startHost({ env: home.env });
  const b = startHost({ env: home.env });
  t.after(() => Promise.all([a.stop(), b.stop()]));
  const first = await a.request({ type: 'video', video: video(7, { url: 'https://cdn.example/v/7.mp4?X-Amz-Signature=one' }) });
  assert.deepEqual([first.ok, first.duplicate], [true, false]);
  const second = await b.request({ type: 'video', video: video(7, { url: 'https://cdn.example/v/7.mp4?X-Amz-Signature=two', thumbnail_url: undefined }) });
  assert.deepEqual([second.ok, second.duplicate, second.video_id], [true, true, first.video_id]);
  // A's read sees B's fresher URL: no stale snapshot held between requests.
  const got = await a.request({ type: 'get', video_id: first.video_id });
  assert.equal(got.video.url, 'https://cdn.example/v/7.mp4?X-Amz-Signature=two');
  assert.equal(got.video.thumbnail_url, 'https://cdn.example/v/7.webp', 'the first record keeps what it had');
  const del = await b.request({ type: 'delete', video_ids: [first.video_id] });
  assert.equal(del.deleted, 1);
  assert.equal((await a.request({ type: 'status' })).videos, 0);
  await Promise.all([a.close(), b.close()]);
});

// What the race above hits now and then (one host of four answering every
// request `unavailable`), made deterministic: another process holds the write
// lock of a new, still empty database (as a host in its first migration
// does). The host must wait for it (busy timeout, 10 s by default), not give up.
test('a host opening a new database while another process holds its write lock waits for it', { timeout: 30000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const db = path.join(home.home, 'vidkeep.db');
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => { if (holder.exitCode === null) holder.kill('SIGKILL'); });
  const holding = new Promise((resolve) => holder.stdout.on('data', (d) => { if (String(d).includes('held')) resolve(); }));
  holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'held';\n");
  await within(5000, holding, 'sqlite3 taking the lock');

  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const started = Date.now();
  setTimeout(() => holder.stdin.end('COMMIT;\n'), 400);
  const answer = await host.request({ type: 'video', video: video(1) }, 15000);
  const waited = Date.now() - started;
  assert.equal(answer.ok, true, `after ${waited} ms: ${JSON.stringify(answer)}`);
  assert.ok(waited >= 300, `answered after ${waited} ms, while the lock was held`);
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
});

test('a host started while another holds the write lock of an existing database waits for it', { timeout: 30000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const first = startHost({ env: home.env });
  assert.equal((await first.request({ type: 'hello' })).ok, true);
  await first.close();
  const db = path.join(home.home, 'vidkeep.db');
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => { if (holder.exitCode === null) holder.kill('SIGKILL'); });
  const holding = new Promise((resolve) => holder.stdout.on('data', (d) => { if (String(d).includes('held')) resolve(); }));
  holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'held';\n");
  await within(5000, holding, 'sqlite3 taking the lock');
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const started = Date.now();
  setTimeout(() => holder.stdin.end('COMMIT;\n'), 400);
  const answer = await host.request({ type: 'video', video: video(1) }, 15000);
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.ok(Date.now() - started >= 300);
  await host.close();
});

test('a write lock held past a short busy_timeout: unavailable, retryable, and the host recovers', { timeout: 30000 }, async (t) => {
  const home = makeHome({ database: { busy_timeout_ms: 200 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  assert.equal((await host.request({ type: 'hello' })).ok, true);
  const db = path.join(home.home, 'vidkeep.db');
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => { if (holder.exitCode === null) holder.kill('SIGKILL'); });
  const holding = new Promise((resolve) => holder.stdout.on('data', (d) => { if (String(d).includes('held')) resolve(); }));
  holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'held';\n");
  await within(5000, holding, 'sqlite3 taking the lock');
  const busy = await host.request({ type: 'video', video: video(1) });
  assert.deepEqual([busy.ok, busy.error?.code, busy.error?.retryable], [false, 'unavailable', true], JSON.stringify(busy));
  // Reads are not blocked by a writer (WAL).
  const status = await host.request({ type: 'status' });
  assert.deepEqual([status.ok, status.videos], [true, 0]);
  holder.stdin.end('COMMIT;\n');
  await new Promise((r) => holder.on('exit', r));
  const retried = await host.request({ type: 'video', video: video(1) });
  assert.deepEqual([retried.ok, retried.duplicate], [true, false]);
  await host.close();
});

// Group commit (PROTOCOL.md section 3): requests of one burst share a
// transaction, each in its own savepoint, so one failing write undoes only
// itself. A trigger (added with sqlite3) makes exactly one insert fail.
test('group commit: one failing write in a burst undoes only itself; later requests see earlier writes', { timeout: 20000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const first = startHost({ env: home.env });
  t.after(() => first.stop());
  assert.equal((await first.request({ type: 'hello' })).ok, true);
  await first.close();
  const db = path.join(home.home, 'vidkeep.db');
  const trig = await sqlite(db, "CREATE TRIGGER boom BEFORE INSERT ON videos WHEN new.prompt = 'boom' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;", { readonly: false });
  assert.equal(trig.code, 0, trig.stderr);

  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const burst = [
    { id: 1, type: 'video', video: video(1) },
    { id: 2, type: 'video', video: video(2, { prompt: 'boom' }) },
    { id: 3, type: 'video', video: video(3) },
    { id: 4, type: 'video', video: video(1, { url: 'https://cdn.example/v/1.mp4?X-Amz-Signature=later' }) },
    { id: 5, type: 'get', video_id: videoIdFor(video(3).chat_id, 'https://cdn.example/v/3.mp4') },
    { id: 6, type: 'status' },
  ];
  host.write(Buffer.concat(burst.map(frame)));
  const result = await Promise.race([host.count(burst.length, 5000).then((answers) => ({ answers })), host.exited.then((exit) => ({ exit }))]);
  assert.equal(result.exit, undefined, `the host died: ${JSON.stringify(result.exit)}; stderr: ${host.stderr.trim()}`);
  const a = result.answers;
  assert.deepEqual(a.map((x) => x.id), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([a[0].ok, a[0].duplicate], [true, false]);
  assert.equal(a[1].ok, false);
  assert.notEqual(a[1].error.code, 'unavailable', 'not a retryable condition');
  assert.deepEqual([a[2].ok, a[2].duplicate], [true, false]);
  assert.deepEqual([a[3].ok, a[3].duplicate, a[3].video_id], [true, true, a[0].video_id], 'sees the write of request 1');
  assert.equal(a[4].ok, true, 'a read sees the uncommitted writes before it');
  assert.equal(a[5].videos, 2);
  await host.close();
  const list = JSON.parse((await runCli(['list', '--json'], { env: home.env })).stdout);
  assert.deepEqual(list.map((v) => v.url).sort(), ['https://cdn.example/v/1.mp4?X-Amz-Signature=later', 'https://cdn.example/v/3.mp4']);
});
