// The media cache (issue 7) through the real vidkeep-host over pipes, with a
// loopback media server (tests/lib/media-server.mjs) serving real media made
// by ffmpeg and generated big files: caching and media_read, generated
// thumbnails, expired links, a resume after kill -9 (and when the server
// ignores Range, the file changed, only a weak ETag, a cut connection),
// refusals, quota eviction and pins, cache verify beside a running host, two
// hosts on one database, and answers during a big download. Every wait is
// for an event or a state, each bounded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeHome, startHost, video, runCli } from '../lib/host.mjs';
import { makeMedia } from '../lib/media.mjs';
import { startMediaServer } from '../lib/media-server.mjs';

const MiB = 1024 * 1024;
const CHUNK = 512 * 1024; // media_read's largest answer (docs/protocol-extensions.md)
const LOOPBACK = { enabled: true, allow_http: true, allow_private_addresses: true };

const mediaDir = mkdtempSync(path.join(tmpdir(), 'vidkeep-media-test-'));
after(() => rmSync(mediaDir, { recursive: true, force: true }));
await makeMedia(mediaDir);
const MP4 = path.join(mediaDir, 'video.mp4');
const WEBP = path.join(mediaDir, 'thumb.webp');

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** A data root with the media cache on and `media` keys over LOOPBACK. */
function mediaHome(t, media = {}, rest = {}) {
  const home = makeHome({ ...rest, media: { ...LOOPBACK, ...media } });
  t.after(home.cleanup);
  return home;
}

async function server(t) {
  const s = await startMediaServer();
  t.after(() => s.close());
  return s;
}

function host(t, home) {
  const h = startHost({ env: home.env });
  t.after(() => h.stop());
  return h;
}

const isMedia = (id, kind, pred = () => true) => (m) =>
  m.type === 'media_state' && m.video_id === id && m.kind === kind && pred(m);

/**
 * Resolves with the first media_state event of `id`/`kind` in `state` that
 * arrived at index `since` of `h.events` or later (already there or to come).
 */
async function mediaEvent(h, id, kind, state, { timeoutMs = 15000, pred = () => true, since = 0 } = {}) {
  try {
    return await h.event(isMedia(id, kind, (m) => m.state === state && pred(m) && h.events.indexOf(m) >= since), timeoutMs);
  } catch (err) {
    const seen = h.events.filter((m) => m.type === 'media_state' && m.video_id === id)
      .map((m) => `${m.kind} ${m.state} ${m.bytes}${m.error ? ` (${m.error})` : ''}`);
    throw new Error(`no media_state ${kind} ${state} for ${id} within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}\n${err.message}`);
  }
}

/** Polls `fn` (every 50 ms, bounded) until it returns a truthy value; for states no event announces. */
async function until(fn, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function save(h, n, extra) {
  const a = await h.request({ type: 'video', video: video(n, extra) });
  assert.equal(a.ok, true, JSON.stringify(a));
  return a.video_id;
}

async function media(h, id) {
  const a = await h.request({ type: 'get', video_id: id });
  assert.equal(a.ok, true, JSON.stringify(a));
  return a.video.media;
}

/** Reads a whole cached file with media_read in 512 KiB pieces; checks each answer's shape. */
async function readAll(h, id, kind = 'video') {
  const parts = [];
  let offset = 0;
  for (let i = 0; i < 10000; i++) {
    const a = await h.request({ type: 'media_read', video_id: id, kind, offset, length: CHUNK });
    assert.equal(a.ok, true, JSON.stringify(a));
    assert.equal(a.offset, offset);
    const data = Buffer.from(a.data, 'base64');
    assert.ok(data.length <= CHUNK);
    parts.push(data);
    offset += data.length;
    assert.equal(a.eof, offset >= a.size, `eof at ${offset} of ${a.size}`);
    if (a.eof) return { data: Buffer.concat(parts), reads: i + 1, size: a.size, contentType: a.content_type };
    assert.equal(data.length, CHUNK, 'a read before the end is a full piece');
  }
  throw new Error('media_read never reached the end');
}

/** SHA-256 (hex) of a file, streamed. */
function hashFile(file) {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}

/** Every regular file under `dir` (relative paths). */
function filesUnder(dir) {
  try {
    return readdirSync(dir, { recursive: true }).filter((f) => statSync(path.join(dir, f)).isFile());
  } catch (err) {
    if (err.code === 'ENOENT') return [];
    throw err;
  }
}

/** Waits until the clock moved on, so two events never share a millisecond (eviction order). */
async function nextMillisecond() {
  const t = Date.now();
  while (Date.now() < t + 2) await new Promise((r) => setTimeout(r, 1));
}

test('a saved video and its thumbnail are cached: events, media in list/get, probe info, media_read', { timeout: 60000 }, async (t) => {
  const s = await server(t);
  const clip = s.add('/v/clip.mp4', { file: MP4 });
  const thumb = s.add('/v/clip.webp', { file: WEBP, contentType: 'image/webp' });
  const big = s.add('/v/big.mp4', { generate: { size: 3 * CHUNK + 12345, seed: 11 } });
  const gone = s.add('/v/gone.mp4', { status: 404 });
  const home = mediaHome(t);
  const h = host(t, home);

  const id = await save(h, 1, { url: clip.url, thumbnail_url: thumb.url });
  const cached = await mediaEvent(h, id, 'video', 'cached');
  const thumbCached = await mediaEvent(h, id, 'thumbnail', 'cached');
  const order = (kind) => h.events.filter(isMedia(id, kind)).map((m) => m.state);
  assert.equal(order('video')[0], 'downloading', `video states ${order('video')}`);
  assert.equal(order('thumbnail')[0], 'downloading', `thumbnail states ${order('thumbnail')}`);
  assert.deepEqual({ ...cached, sha256: undefined }, {
    type: 'media_state', video_id: id, kind: 'video', state: 'cached', bytes: clip.size, total: clip.size,
    percent: 100, content_type: 'video/mp4', sha256: undefined, error: null,
  });
  assert.equal(cached.sha256, clip.sha256, 'the cached file is the served file');
  assert.equal(thumbCached.sha256, thumb.sha256);
  assert.equal(thumbCached.content_type, 'image/webp');
  assert.equal(thumbCached.generated, false);

  // The probe runs after the file is cached: info appears on the record.
  const m = await until(async () => { const x = await media(h, id); return x.info && x; }, 'probe info on the record');
  assert.equal(m.video.state, 'cached');
  assert.equal(m.video.bytes, clip.size);
  assert.equal(m.video.sha256, clip.sha256);
  assert.equal('error' in m.video, false);
  assert.equal(m.thumbnail.state, 'cached');
  assert.equal(m.thumbnail.sha256, thumb.sha256);
  assert.ok(Math.abs(m.info.duration_s - 2) < 0.2, `duration ${m.info.duration_s}`);
  assert.equal(m.info.width, 320);
  assert.equal(m.info.height, 240);
  assert.equal(m.info.video_codec, 'h264');
  assert.equal(m.info.container, 'mp4');
  assert.equal('pinned' in m, false, 'not pinned: no key (record format 2)');
  assert.equal('last_viewed_at' in m, false, 'not viewed yet');
  const listed = (await h.request({ type: 'list' })).videos.find((v) => v.video_id === id);
  assert.deepEqual(listed.media, m, 'list carries the same media summary as get');
  // The files are where docs/media.md says: named by their SHA-256.
  assert.deepEqual(readFileSync(path.join(home.home, 'media', clip.sha256.slice(0, 2), clip.sha256)), readFileSync(MP4));

  // media_read: the whole small file, a view at offset 0, a read elsewhere is not one.
  const whole = await readAll(h, id);
  assert.equal(sha256(whole.data), clip.sha256);
  assert.equal(whole.reads, 1);
  assert.equal(whole.contentType, 'video/mp4');
  const viewed = (await media(h, id)).last_viewed_at;
  assert.match(viewed ?? '', /^\d{4}-\d\d-\d\dT/, 'a read at offset 0 counts as a view');
  await nextMillisecond();
  await h.request({ type: 'media_read', video_id: id, kind: 'video', offset: 1000, length: 10 });
  assert.equal((await media(h, id)).last_viewed_at, viewed, 'a read elsewhere is not a view');
  const th = await readAll(h, id, 'thumbnail');
  assert.equal(sha256(th.data), thumb.sha256);
  assert.equal(th.contentType, 'image/webp');

  // A file over 512 KiB: pieces, ranges, an oversized length, past the end.
  const idBig = await save(h, 2, { url: big.url, thumbnail_url: thumb.url });
  const bigCached = await mediaEvent(h, idBig, 'video', 'cached');
  assert.equal(bigCached.sha256, await big.hash());
  const all = await readAll(h, idBig);
  assert.equal(all.reads, 4, '3 full pieces and the rest');
  assert.equal(all.size, big.size);
  assert.equal(sha256(all.data), await big.hash(), 'the pieces reassemble the served file');
  const g = big.content;
  for (const [offset, length] of [[0, 1], [1, 7], [65535, 3], [65536 * 3 - 5, 10], [CHUNK - 1, 2], [1234567, 100000], [big.size - 10, 10], [big.size - 10, 1000]]) {
    const a = await h.request({ type: 'media_read', video_id: idBig, kind: 'video', offset, length });
    assert.equal(a.ok, true, JSON.stringify(a));
    const want = g.slice(offset, offset + length);
    assert.deepEqual(Buffer.from(a.data, 'base64'), want, `bytes at ${offset}+${length}`);
    assert.equal(a.eof, offset + want.length >= big.size, `eof at ${offset}+${length}`);
    assert.equal(a.size, big.size);
  }
  const over = await h.request({ type: 'media_read', video_id: idBig, kind: 'video', offset: 100, length: CHUNK + 1 });
  assert.equal(over.ok, true, `a length over 512 KiB is served as 512 KiB: ${JSON.stringify(over).slice(0, 200)}`);
  assert.deepEqual(Buffer.from(over.data, 'base64'), g.slice(100, 100 + CHUNK));
  const noLength = await h.request({ type: 'media_read', video_id: idBig, kind: 'video', offset: 0 });
  assert.equal(Buffer.from(noLength.data, 'base64').length, CHUNK, 'the default length is 512 KiB');
  for (const offset of [big.size, big.size + 1, 10 * big.size]) {
    const a = await h.request({ type: 'media_read', video_id: idBig, kind: 'video', offset, length: 100 });
    assert.equal(a.ok, true, JSON.stringify(a));
    assert.equal(a.data, '', `no data at ${offset}`);
    assert.equal(a.eof, true);
  }

  // Not found: an unknown video, and a file that is not cached.
  const unknown = await h.request({ type: 'media_read', video_id: '00000000-0000-5000-8000-000000000000', kind: 'video' });
  assert.equal(unknown.error?.code, 'not_found');
  const idGone = await save(h, 3, { url: gone.url, thumbnail_url: undefined });
  const failed = await mediaEvent(h, idGone, 'video', 'failed');
  assert.match(failed.error, /expired|404/, failed.error);
  const notCached = await h.request({ type: 'media_read', video_id: idGone, kind: 'video' });
  assert.equal(notCached.error?.code, 'not_found');
  assert.match(notCached.error.message, /not cached/);
  const noThumb = await h.request({ type: 'media_read', video_id: idGone, kind: 'thumbnail' });
  assert.equal(noThumb.error?.code, 'not_found');

  // One GET per file: nothing downloaded twice.
  for (const p of ['/v/clip.mp4', '/v/big.mp4']) assert.equal(s.requestsFor(p).length, 1, `${p} fetched once`);
  assert.deepEqual(await h.close(), { code: 0, signal: null });
  assert.deepEqual(h.protocolErrors, []);
});

test('a video without a thumbnail gets one made from its first second (JPEG, generated)', { timeout: 60000 }, async (t) => {
  const s = await server(t);
  const clip = s.add('/v/clip.mp4', { file: MP4 });
  const home = mediaHome(t);
  const h = host(t, home);
  const id = await save(h, 1, { url: clip.url, thumbnail_url: undefined });
  await mediaEvent(h, id, 'video', 'cached');
  const made = await mediaEvent(h, id, 'thumbnail', 'cached');
  assert.equal(made.generated, true);
  assert.equal(made.content_type, 'image/jpeg');
  const m = await media(h, id);
  assert.equal(m.thumbnail.state, 'cached');
  assert.equal(m.thumbnail.generated, true);
  const jpeg = await readAll(h, id, 'thumbnail');
  assert.deepEqual([...jpeg.data.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
  assert.equal(sha256(jpeg.data), made.sha256);
  assert.equal(jpeg.contentType, 'image/jpeg');
  assert.equal(s.requests.length, 1, 'only the video was fetched');
  await h.close();
});

test('after the link expires (403) the cached copy is still readable, also after a restart', { timeout: 60000 }, async (t) => {
  const s = await server(t);
  // Like a presigned URL: the first GET works, every later one is refused.
  const clip = s.add('/v/clip.mp4', { file: MP4, expireAfterRequests: 1 });
  const thumb = s.add('/v/clip.webp', { file: WEBP, contentType: 'image/webp', expireAfterRequests: 1 });
  const home = mediaHome(t);
  let h = host(t, home);
  const id = await save(h, 1, { url: clip.url, thumbnail_url: thumb.url });
  await mediaEvent(h, id, 'video', 'cached');
  await mediaEvent(h, id, 'thumbnail', 'cached');
  const res = await fetch(clip.url);
  assert.equal(res.status, 403, 'the link has expired');
  assert.match(await res.text(), /Request has expired/);

  assert.equal(sha256((await readAll(h, id)).data), clip.sha256);
  const again = await h.request({ type: 'media_fetch', video_ids: [id] });
  assert.equal(again.queued, 0, 'a cached copy is not fetched again');
  await h.close();
  h = host(t, home);
  assert.equal(sha256((await readAll(h, id)).data), clip.sha256, 'readable after a restart');
  assert.equal(sha256((await readAll(h, id, 'thumbnail')).data), thumb.sha256);
  assert.equal((await media(h, id)).video.state, 'cached');
  assert.equal(s.requestsFor('/v/clip.mp4').filter((q) => q.status === 200).length, 1);
  await h.close();
});

test('kill -9 during a 200 MB download: the next host resumes with a Range request and the file is right', { timeout: 120000 }, async (t) => {
  const s = await server(t);
  const SIZE = 200 * 1000 * 1000;
  // Throttled so the kill lands mid-way; unthrottled for the resume.
  const big = s.add('/v/big.mp4', { generate: { size: SIZE, seed: 200 }, rate: 25 * MiB });
  const thumb = s.add('/v/big.webp', { file: WEBP, contentType: 'image/webp' });
  const expected = big.hash();
  // Short leases: the killed host's lease runs out quickly.
  const home = mediaHome(t, { lease_ms: 1000, stall_timeout_ms: 10000 });
  const first = host(t, home);
  const id = await save(first, 1, { url: big.url, thumbnail_url: thumb.url });
  const progress = await mediaEvent(first, id, 'video', 'downloading', { timeoutMs: 30000, pred: (m) => m.bytes >= 30 * MiB });
  assert.equal(progress.total, SIZE);
  assert.ok(Math.abs(progress.percent - (progress.bytes * 100) / SIZE) <= 1, `percent ${progress.percent} for ${progress.bytes} bytes`);
  assert.equal((await first.kill('SIGKILL')).signal, 'SIGKILL');
  const firstGet = s.requestsFor('/v/big.mp4')[0];
  await until(() => firstGet.done, 'the first GET to end');
  assert.ok(firstGet.aborted && firstGet.sent < SIZE, `the first GET was cut (${firstGet.sent} bytes sent)`);
  const partial = path.join(home.home, 'media', 'partial', `${id}.video`);
  const kept = statSync(partial).size;
  assert.ok(kept >= progress.bytes, `the partial file keeps what was written (${kept} >= ${progress.bytes})`);

  big.setRate(null);
  const second = host(t, home);
  const t0 = Date.now();
  await second.request({ type: 'hello', extension_version: 'test' });
  assert.ok(Date.now() - t0 < 3000, `hello answered in ${Date.now() - t0} ms while resuming`);
  const done = await mediaEvent(second, id, 'video', 'cached', { timeoutMs: 90000 });
  const gets = s.requestsFor('/v/big.mp4');
  assert.equal(gets.length, 2, `two GETs: ${JSON.stringify(gets.map((q) => [q.range, q.status, q.sent]))}`);
  const resume = gets[1];
  const from = Number(/^bytes=(\d+)-$/.exec(resume.range ?? '')?.[1]);
  assert.ok(from > 0, `resumed with Range: ${resume.range}`);
  assert.ok(from >= progress.bytes && from <= firstGet.sent, `from ${from}: between ${progress.bytes} and ${firstGet.sent}`);
  assert.equal(resume.ifRange, big.etag, 'If-Range carries the ETag of the first answer');
  assert.equal(resume.status, 206);
  assert.equal(resume.sent, SIZE - from, 'only the rest was sent');
  assert.equal(done.sha256, await expected, 'the resumed file hashes as the served one');
  assert.equal(done.bytes, SIZE);
  const onDisk = path.join(home.home, 'media', done.sha256.slice(0, 2), done.sha256);
  assert.equal(statSync(onDisk).size, SIZE);
  assert.equal(await hashFile(onDisk), await expected, 'the file on disk is the served file');
  assert.deepEqual(filesUnder(path.join(home.home, 'media', 'partial')), [], 'no partial file left');
  const tail = await second.request({ type: 'media_read', video_id: id, kind: 'video', offset: from - 100, length: 200 });
  assert.deepEqual(Buffer.from(tail.data, 'base64'), big.content.slice(from - 100, from + 100), 'the bytes around the resume point');
  await second.close();
});

test('resuming: a server without ranges, a file changed on the server, a weak ETag, a cut connection', { timeout: 90000 }, async (t) => {
  const s = await server(t);
  const SIZE = 8 * MiB;
  // Kill -9 mid-way, change what the server does, start another host: the file must be the one served last.
  async function killAndRestart(t, name, options, change) {
    const r = s.add(`/v/${name}.mp4`, { generate: { size: SIZE, seed: 40 }, rate: 4 * MiB, ...options });
    const home = mediaHome(t, { lease_ms: 300 });
    const first = host(t, home);
    const id = await save(first, 1, { url: r.url, thumbnail_url: undefined });
    await mediaEvent(first, id, 'video', 'downloading', { pred: (m) => m.bytes >= 2 * MiB });
    await first.kill('SIGKILL');
    r.setRate(null);
    const served = change ? change(r) : r;
    const second = host(t, home);
    const done = await mediaEvent(second, id, 'video', 'cached', { timeoutMs: 30000 });
    assert.equal(done.sha256, await served.hash(), `${name}: the file served last`);
    assert.equal(done.bytes, SIZE);
    await second.close();
    return s.requestsFor(r.path);
  }

  await t.test('no Range support: the server answers 200, the download starts over', async (t) => {
    const gets = await killAndRestart(t, 'noranges', { ranges: false });
    assert.equal(gets.length, 2);
    assert.match(gets[1].range ?? '', /^bytes=[1-9]\d*-$/, 'a resume was asked for');
    assert.equal(gets[1].status, 200);
    assert.equal(gets[1].sent, SIZE, 'the whole file again');
  });

  await t.test('the file changed on the server: If-Range no longer matches, the new file is kept whole', async (t) => {
    const gets = await killAndRestart(t, 'changed', {}, (r) => s.add(r.path, { generate: { size: SIZE, seed: 41 } }));
    assert.equal(gets[1].ifRange, '"g40-8388608"', 'If-Range carries the old ETag');
    assert.equal(gets[1].status, 200, 'the server sent the new file whole');
  });

  await t.test('only a weak ETag: no validator to resume with, so no Range', async (t) => {
    const gets = await killAndRestart(t, 'weak', { etag: 'W/"weak"' });
    assert.equal(gets.length, 2);
    assert.equal(gets[1].range, null, 'no Range without a strong validator');
  });

  await t.test('the connection is cut mid-body while the host runs: retried after a backoff, resumed', async (t) => {
    const r = s.add('/v/cut.mp4', { generate: { size: SIZE, seed: 42 }, cut: { afterBytes: 3 * MiB } });
    const home = mediaHome(t, { backoff_base_ms: 200 });
    const h = host(t, home);
    const id = await save(h, 1, { url: r.url, thumbnail_url: undefined });
    const retry = await mediaEvent(h, id, 'video', 'not_cached');
    assert.match(retry.error, /127\.0\.0\.1/, `a transient error naming the server: ${retry.error}`);
    const done = await mediaEvent(h, id, 'video', 'cached');
    assert.equal(done.sha256, await r.hash());
    const gets = s.requestsFor(r.path);
    assert.deepEqual(gets.map((q) => [q.range, q.status, q.sent]), [[null, 200, 3 * MiB], [`bytes=${3 * MiB}-`, 206, SIZE - 3 * MiB]]);
    await h.close();
  });
});

test('refused downloads say why and leave nothing on disk', { timeout: 90000 }, async (t) => {
  const s = await server(t);
  const ok = s.add('/v/ok.mp4', { file: MP4 });
  const noFiles = (home) => assert.deepEqual(filesUnder(path.join(home.home, 'media')), [], 'nothing under <home>/media');

  await t.test('a loopback address without allow_private_addresses', async (t) => {
    const home = mediaHome(t, { allow_private_addresses: false });
    const h = host(t, home);
    const id = await save(h, 1, { url: ok.url, thumbnail_url: undefined });
    const failed = await mediaEvent(h, id, 'video', 'failed');
    assert.match(failed.error, /^refused: .*127\.0\.0\.1.*loopback/, failed.error);
    assert.equal((await media(h, id)).video.error, failed.error);
    await h.close();
    noFiles(home);
  });

  await t.test('plain http without allow_http', async (t) => {
    const home = mediaHome(t, { allow_http: false });
    const h = host(t, home);
    const id = await save(h, 1, { url: ok.url, thumbnail_url: undefined });
    const failed = await mediaEvent(h, id, 'video', 'failed');
    assert.match(failed.error, /^refused: .*plain http; only https/, failed.error);
    await h.close();
    noFiles(home);
  });
  assert.equal(s.requestsFor('/v/ok.mp4').length, 0, 'neither connected to the server');

  await t.test('with both allowed: redirects elsewhere, web pages, files over the size cap', async (t) => {
    const home = mediaHome(t, { max_file_bytes: 128 * 1024 });
    const h = host(t, home);
    const cases = [
      ['redirect to another computer over http', s.add('/r/away.mp4', { redirect: { location: 'http://10.0.0.1/v/ok.mp4' } }),
        /^refused: http:\/\/10\.0\.0\.1\/v\/ok\.mp4 is plain http to another computer/],
      ['redirect to a public name over http', s.add('/r/name.mp4', { redirect: { location: 'http://cdn.example/v/ok.mp4', status: 307 } }),
        /^refused: .*plain http to another computer/],
      ['a text/html answer', s.add('/v/page.mp4', { data: '<!doctype html><title>Sign in</title><p>Please sign in', contentType: 'text/html; charset=utf-8' }),
        /^refused: .*answered text\/html \(a web page\)/],
      ['a web page without a content type', s.add('/v/untyped.mp4', { data: `<html><body>${'x'.repeat(2000)}</body></html>`, contentType: null }),
        /^refused: .*web page or other text/],
      ['a declared size over media.max_file_bytes', s.add('/v/huge.mp4', { generate: { size: 5 * MiB, seed: 5 } }),
        /^refused: .*is 5\.0 MiB, over the limit of 128\.0 KiB \(media\.max_file_bytes\)/],
      ['a lying Content-Length over the cap', s.add('/v/lie.mp4', { generate: { size: 20000, seed: 6 }, declaredLength: 10 * MiB }),
        /^refused: .*over the limit of 128\.0 KiB \(media\.max_file_bytes\)/],
      ['a chunked body growing past the cap', s.add('/v/chunked.mp4', { generate: { size: 32 * MiB, seed: 7 }, chunked: true }),
        /^refused: .*larger than 128\.0 KiB, the limit \(media\.max_file_bytes\)/],
    ];
    const ids = [];
    for (const [i, [, r]] of cases.entries()) ids.push(await save(h, 10 + i, { url: r.url, thumbnail_url: undefined }));
    for (const [i, [what, r, reason]] of cases.entries()) {
      const failed = await mediaEvent(h, ids[i], 'video', 'failed');
      assert.match(failed.error, reason, `${what}: ${failed.error}`);
      assert.doesNotMatch(failed.error, /X-Amz-Signature/, 'no signature in errors');
      const m = await media(h, ids[i]);
      assert.equal(m.video.state, 'failed', what);
      assert.equal(m.video.error, failed.error, what);
      assert.equal('sha256' in m.video, false, what);
      assert.ok(s.requestsFor(r.path).length >= 1, `${what}: the server was asked`);
    }
    noFiles(home);
    const chunked = s.requestsFor('/v/chunked.mp4')[0];
    // (32 MiB: more than the socket buffers on both sides hold.)
    await until(() => chunked.done, 'the chunked answer to end');
    assert.ok(chunked.aborted && chunked.sent < 32 * MiB, `the growing body was not read to its end (${chunked.sent} bytes sent)`);
    // A redirect that stays on this computer is followed.
    const hop = s.add('/r/here.mp4', { redirect: { location: '/v/ok.mp4' } });
    const idOk = await save(h, 30, { url: hop.url, thumbnail_url: undefined });
    const cached = await mediaEvent(h, idOk, 'video', 'cached');
    assert.equal(cached.sha256, ok.sha256);
    await h.close();
  });
});

test('quota: the least recently viewed unpinned video is evicted; media_fetch brings it back', { timeout: 90000 }, async (t) => {
  const s = await server(t);
  const SIZE = 100000;
  const files = [1, 2, 3].map((n) => s.add(`/v/q${n}.mp4`, { generate: { size: SIZE, seed: 100 + n } }));
  const thumb = s.add('/v/q.webp', { file: WEBP, contentType: 'image/webp' });
  // Room for two videos and the (shared) thumbnail, not three.
  const home = mediaHome(t, { quota_bytes: 2 * SIZE + 50000 });
  const h = host(t, home);
  const ids = [];
  const cachedAt = async (i) => {
    const e = await mediaEvent(h, ids[i], 'video', 'cached');
    assert.equal(e.sha256, await files[i].hash());
    await nextMillisecond();
  };
  ids.push(await save(h, 1, { url: files[0].url, thumbnail_url: thumb.url }));
  await cachedAt(0);
  ids.push(await save(h, 2, { url: files[1].url, thumbnail_url: thumb.url }));
  await cachedAt(1);
  // Video 1 is viewed (a read at offset 0): video 2 is now the least recently viewed.
  const view = await h.request({ type: 'media_read', video_id: ids[0], kind: 'video', offset: 0, length: 16 });
  assert.equal(view.ok, true);
  await nextMillisecond();
  ids.push(await save(h, 3, { url: files[2].url, thumbnail_url: thumb.url }));
  await cachedAt(2);
  const evicted = await mediaEvent(h, ids[1], 'video', 'not_cached', { pred: (m) => /evicted/.test(m.error) });
  assert.match(evicted.error, /^evicted: .*quota/, evicted.error);
  const state = async () => Promise.all(ids.map(async (id) => (await media(h, id)).video.state));
  assert.deepEqual(await state(), ['cached', 'not_cached', 'cached']);
  assert.match((await media(h, ids[1])).video.error, /evicted/);
  assert.equal((await h.request({ type: 'media_read', video_id: ids[1], kind: 'video' })).error?.code, 'not_found');
  assert.equal((await media(h, ids[1])).thumbnail.state, 'cached', 'thumbnails are not evicted');
  const sha2 = await files[1].hash();
  assert.ok(!filesUnder(path.join(home.home, 'media')).some((f) => f.endsWith(sha2)), 'the evicted file is deleted');

  // Pin video 1 (now the least recently viewed), fetch video 2 again: video 3 goes.
  assert.equal((await h.request({ type: 'media_pin', video_ids: [ids[0]], pinned: true })).changed, 1);
  assert.equal((await media(h, ids[0])).pinned, true);
  const since = h.events.length;
  assert.equal((await h.request({ type: 'media_fetch', video_ids: [ids[1]] })).queued, 1);
  const back = await mediaEvent(h, ids[1], 'video', 'cached', { since });
  assert.equal(back.sha256, sha2);
  const gone = await mediaEvent(h, ids[2], 'video', 'not_cached', { since, pred: (m) => /evicted/.test(m.error) });
  assert.match(gone.error, /^evicted/);
  assert.deepEqual(await state(), ['cached', 'cached', 'not_cached'], 'the pinned one stays although it was viewed least recently');
  assert.equal(sha256((await readAll(h, ids[1])).data), sha2, 'the fetched-again copy is whole');
  assert.equal(s.requestsFor('/v/q2.mp4').length, 2);
  await h.close();
});

test('vidkeep cache verify beside a running host: damaged files are found, and the host fetches them again', { timeout: 60000 }, async (t) => {
  const s = await server(t);
  const a = s.add('/v/a.mp4', { generate: { size: 300000, seed: 21 } });
  const b = s.add('/v/b.mp4', { generate: { size: 300000, seed: 22 } });
  const thumb = s.add('/v/t.webp', { file: WEBP, contentType: 'image/webp' });
  const home = mediaHome(t);
  const h = host(t, home);
  const ids = [await save(h, 1, { url: a.url, thumbnail_url: thumb.url }), await save(h, 2, { url: b.url, thumbnail_url: thumb.url })];
  const shas = [await a.hash(), await b.hash()];
  for (const id of ids) await mediaEvent(h, id, 'video', 'cached');
  const file = (sha) => path.join(home.home, 'media', sha.slice(0, 2), sha);
  truncateSync(file(shas[0]), 1000);
  const altered = readFileSync(file(shas[1]));
  altered[5000] ^= 0xff;
  writeFileSync(file(shas[1]), altered);

  const since = h.events.length;
  const verify = await runCli(['cache', 'verify'], { env: home.env, timeoutMs: 30000 });
  assert.equal(verify.code, 1, `vidkeep cache verify exits 1 on damage: ${verify.stdout}${verify.stderr}`);
  assert.match(verify.stdout, new RegExp(`\\n {2}${ids[0]} video: the file has 1000 bytes, not 300000\\n`));
  assert.match(verify.stdout, new RegExp(`\\n {2}${ids[1]} video: the file's content changed`));
  // The running host hears of the drop (another process's commit) and fetches both again.
  for (const [i, id] of ids.entries()) {
    // Events carry the current state: when this host leased the file before
    // its notifier read the drop, the news arrives as `downloading` with the
    // same reason.
    const dropped = await h.event(isMedia(id, 'video', (m) => /damaged/.test(m.error ?? '') && h.events.indexOf(m) >= since), 10000);
    assert.ok(['not_cached', 'downloading'].includes(dropped.state), dropped.state);
    const e = await mediaEvent(h, id, 'video', 'cached', { timeoutMs: 30000, since });
    assert.equal(e.sha256, shas[i]);
    assert.equal(s.requestsFor(i ? '/v/b.mp4' : '/v/a.mp4').length, 2, 'fetched again');
    assert.equal(await hashFile(file(shas[i])), shas[i], 'the file on disk is whole again');
  }
  for (const [i, id] of ids.entries()) assert.equal(sha256((await readAll(h, id)).data), shas[i]);
  const clean = await runCli(['cache', 'verify'], { env: home.env, timeoutMs: 30000 });
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  await h.close();
});

test('two hosts on one database never download the same file at once, and both hear every state', { timeout: 90000 }, async (t) => {
  const s = await server(t);
  const N = 4;
  // Each download lasts ~3 s: both hosts look for work while it runs, and the
  // host that does not download it hears its progress too (another
  // process's commits are noticed by a once-a-second poll, and events carry
  // the current state, so a sub-second download may reach it as `cached` only).
  const vids = Array.from({ length: N }, (_, i) => s.add(`/v/two${i}.mp4`, { generate: { size: 3 * MiB, seed: 300 + i }, rate: 1 * MiB }));
  const thumbs = Array.from({ length: N }, (_, i) => s.add(`/v/two${i}.webp`, { file: WEBP, contentType: 'image/webp' }));
  const home = mediaHome(t, { lease_ms: 2000 });
  const a = host(t, home);
  const b = host(t, home);
  await Promise.all([a.request({ type: 'hello', extension_version: 'a' }), b.request({ type: 'hello', extension_version: 'b' })]);
  // Both browsers see the same videos (each with its own signature).
  const ids = [];
  for (let i = 0; i < N; i++) {
    const body = (sig) => ({ url: vids[i].url.replace(/X-Amz-Signature=\w+/, `X-Amz-Signature=${sig}`), thumbnail_url: thumbs[i].url });
    const [x, y] = await Promise.all([a.request({ type: 'video', video: video(i, body('a')) }), b.request({ type: 'video', video: video(i, body('b')) })]);
    assert.equal(x.video_id, y.video_id);
    ids.push(x.video_id);
  }
  for (const h of [a, b]) {
    for (const [i, id] of ids.entries()) {
      const e = await mediaEvent(h, id, 'video', 'cached', { timeoutMs: 60000 });
      assert.equal(e.sha256, await vids[i].hash());
      await mediaEvent(h, id, 'thumbnail', 'cached');
    }
  }
  for (let i = 0; i < N; i++) {
    assert.equal(s.requestsFor(`/v/two${i}.mp4`).length, 1, `video ${i}: one GET`);
    assert.equal(s.requestsFor(`/v/two${i}.webp`).length, 1, `thumbnail ${i}: one GET`);
  }
  // Each host downloaded some (or all) of them; both heard the progress of every one.
  for (const [name, h] of [['a', a], ['b', b]]) {
    for (const id of ids) {
      const states = h.events.filter(isMedia(id, 'video')).map((m) => `${m.state} ${m.bytes}`);
      assert.ok(h.events.some(isMedia(id, 'video', (m) => m.state === 'downloading')), `host ${name} heard ${id} downloading: ${states}`);
    }
  }
  await Promise.all([a.close(), b.close()]);
});

test('the host answers hello and list promptly while a big download runs', { timeout: 90000 }, async (t) => {
  const s = await server(t);
  const big = s.add('/v/big.mp4', { generate: { size: 200 * 1000 * 1000, seed: 9 }, rate: 80 * MiB });
  const home = mediaHome(t);
  const h = host(t, home);
  const id = await save(h, 1, { url: big.url, thumbnail_url: undefined });
  // Some more videos for `list` to page through (their links are dead).
  for (let i = 0; i < 20; i++) await save(h, 100 + i, { url: `${s.origin}/v/none${i}.mp4`, thumbnail_url: undefined });
  await mediaEvent(h, id, 'video', 'downloading', { pred: (m) => m.bytes > 0 });
  const get = s.requestsFor('/v/big.mp4')[0];
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const hello = await h.request({ type: 'hello', extension_version: 'test' }, 5000);
    const list = await h.request({ type: 'list', limit: 50 }, 5000);
    times.push(performance.now() - t0);
    assert.equal(hello.ok && list.ok, true);
  }
  assert.equal(get.done, false, `the download still ran during the requests (${get.sent} bytes sent)`);
  const worst = Math.max(...times);
  assert.ok(worst < 1000, `hello+list round trips during the download: worst ${worst.toFixed(1)} ms`);
  t.diagnostic(`hello+list during a download: median ${times.sort((x, y) => x - y)[10].toFixed(2)} ms, worst ${worst.toFixed(1)} ms`);
  await h.close();
});
