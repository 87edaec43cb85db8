// `vidkeep cache …`, the media column of `list`/`show` and `export
// --with-media` (issue 7) on real files: a loopback HTTP server serves real
// mp4 and webp files made with ffmpeg; hosts save the videos (downloads off),
// then the CLI fetches, verifies, prunes and exports them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync, readdirSync, truncateSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeHome, startHost, video, runCli, within } from '../lib/host.mjs';
import { makeMedia } from '../lib/media.mjs';

const T = { timeout: 60000 };
const XSS = '<img src=x onerror=alert(1)>';
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const lines = (s) => s.split('\n').filter((l) => l.length > 0);

let work; // a temporary folder for the media, exports and the data root
let home;
let server;
let base; // http://127.0.0.1:PORT
const served = new Map(); // URL path -> {body, type}
const ids = new Map(); // n -> video id

const cli = (args, opts = {}) => runCli(args, { env: home.env, timeoutMs: 30000, ...opts });
const cachePath = (sha) => path.join(home.home, 'media', sha.slice(0, 2), sha);
const show = async (n) => {
  const out = await cli(['show', ids.get(n), '--json']);
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
};
const stats = async () => JSON.parse((await cli(['cache', 'stats', '--json'])).stdout);

function run(cmd, args, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, _stdout, stderr) =>
      (err ? reject(new Error(`${cmd}: ${err.message}\n${stderr}`)) : resolve()));
  });
}

/** The config of the data root: downloads allowed from this loopback server, on or off. */
function setMedia(enabled) {
  writeFileSync(path.join(home.home, 'config.json'),
    JSON.stringify({ media: { enabled, allow_http: true, allow_private_addresses: true } }));
}

/** Saves videos through a host whose downloader is off; the CLI does the fetching. */
async function save(videos) {
  setMedia(false);
  const host = startHost({ env: home.env });
  try {
    for (const [n, extra] of videos) {
      const a = await host.request({ type: 'video', video: video(n, { url: `${base}/v/${n}.mp4`, thumbnail_url: `${base}/v/${n}.webp`, ...extra }) });
      assert.equal(a.ok, true, JSON.stringify(a));
      ids.set(n, a.video_id);
    }
    assert.deepEqual(await within(10000, host.close(), 'host exit'), { code: 0, signal: null });
  } finally {
    await host.stop();
    setMedia(true);
  }
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vidkeep-cli-cache-'));
  const media = await makeMedia(path.join(work, 'media'));
  const webp = readFileSync(path.join(media, 'thumb.webp'));
  // Distinct files per video (same pictures, another comment), so evicting
  // one frees its bytes.
  for (const n of [1, 2, 3, 4]) {
    const file = path.join(media, `video-${n}.mp4`);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', path.join(media, 'video.mp4'),
      '-map', '0', '-c', 'copy', '-metadata', `comment=vidkeep test ${n}`, '-movflags', '+faststart', file]);
    served.set(`/v/${n}.mp4`, { body: readFileSync(file), type: 'video/mp4' });
    served.set(`/v/${n}.webp`, { body: Buffer.concat([webp]), type: 'image/webp' });
  }
  served.set('/broken/5.mp4', { body: Buffer.from('<!doctype html><p>sign in to see this video</p>'), type: 'text/html' });
  server = http.createServer((req, res) => {
    const file = served.get(req.url);
    if (!file) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length }).end(file.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  home = makeHome();
  await save([
    [1, { prompt: XSS }],
    [2, { prompt: 'a cat surfing a wave' }],
    [3, { prompt: 'a dog skiing downhill' }],
    [4, { prompt: 'no thumbnail given', thumbnail_url: undefined }],
  ]);
});

after(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
  home?.cleanup();
  rmSync(work, { recursive: true, force: true });
});

// ---------------------------------------------------------------- fetch

test('cache fetch: downloads every file, a line per file, thumbnail made where none was given', T, async () => {
  const before = await cli(['list']);
  assert.equal(before.code, 0, before.stderr);
  assert.match(lines(before.stdout)[0], /^ID +SAVED \(UTC\) +SYNC +SOURCE +CHAT +MEDIA +PROMPT$/);
  assert.equal(lines(before.stdout).slice(1).filter((l) => / not cached +/.test(l)).length, 4);

  const out = await cli(['cache', 'fetch']);
  assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
  assert.equal(out.stderr, '');
  const done = lines(out.stdout);
  for (const n of [1, 2, 3, 4]) {
    const short = ids.get(n).slice(0, 8);
    assert.ok(done.some((l) => new RegExp(`^cached +${short} video +\\d`).test(l)), `video ${n}: ${out.stdout}`);
    assert.ok(done.some((l) => new RegExp(`^cached +${short} thumbnail +\\d`).test(l)), `thumbnail ${n}: ${out.stdout}`);
  }
  assert.ok(done.some((l) => l.startsWith(`cached ${ids.get(4).slice(0, 8)} thumbnail`) && l.endsWith('made from the video')));
  assert.match(done.at(-1), /^Cached 8 files \(.+\) in \d+\.\d s; 0 failed, 0 to be tried again later\.$/);

  for (const n of [1, 2, 3, 4]) {
    const { media } = await show(n);
    assert.equal(media.video.state, 'cached');
    assert.equal(media.video.sha256, sha256(served.get(`/v/${n}.mp4`).body), 'the bytes served');
    assert.equal(sha256(readFileSync(cachePath(media.video.sha256))), media.video.sha256);
    assert.equal(media.thumbnail.state, 'cached');
    assert.equal(media.info.width, 320);
  }
  const again = await cli(['cache', 'fetch']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Cached 0 files \(0 B\) in \d+\.\d s; 0 failed, 0 to be tried again later\.\n$/, 'nothing left to do');
});

test('list and show: the local copy; --json carries the media object as the protocol does', T, async () => {
  const list = await cli(['list']);
  assert.equal(list.code, 0, list.stderr);
  const rows = lines(list.stdout).slice(1);
  assert.equal(rows.length, 4);
  for (const row of rows) assert.match(row, / cached \d+\.\d (KiB|MiB) +/);
  const records = JSON.parse((await cli(['list', '--json'])).stdout);
  const one = await show(1);
  assert.deepEqual(records.find((r) => r.video_id === ids.get(1)).media, one.media);
  // Record format 2: not pinned and never viewed leave no key.
  assert.deepEqual(Object.keys(one.media).sort(), ['info', 'thumbnail', 'video']);

  const out = await cli(['show', ids.get(4).slice(0, 8)]);
  assert.equal(out.code, 0, out.stderr);
  const section = out.stdout.slice(out.stdout.indexOf('\nLocal copy:\n'), out.stdout.indexOf('\nSync history:'));
  const field = (key) => lines(section).filter((l) => l.startsWith(`  ${key} `)).map((l) => l.slice(14));
  const video4 = (await show(4)).media;
  assert.match(field('Video')[0], /^cached, \d+\.\d KiB, video\/mp4$/);
  assert.match(field('Thumbnail')[0], /^cached, .+, image\/jpeg, made from the video$/);
  assert.deepEqual(field('SHA-256'), [video4.video.sha256, video4.thumbnail.sha256]);
  assert.deepEqual(field('File'), [cachePath(video4.video.sha256), cachePath(video4.thumbnail.sha256)]);
  for (const f of field('File')) assert.ok(existsSync(f), f);
  assert.deepEqual(field('Info'), ['2.0 s, 320x240, h264 + aac, mp4']);
  assert.deepEqual(field('Pinned'), ['no']);
  assert.deepEqual(field('Last viewed'), ['never']);
  assert.match(out.stdout, /Sync history:\n/);
});

test('cache stats: files, bytes, quota, counts by state, directory', T, async () => {
  const s = await stats();
  const bytes = [1, 2, 3, 4].reduce((sum, n) => sum + served.get(`/v/${n}.mp4`).body.length, 0);
  const thumbs = [1, 2, 3, 4].map((n) => (n === 4 ? null : served.get(`/v/${n}.webp`).body));
  // Thumbnails 1-3 are one file (identical bytes are kept once); 4's was made.
  const made = statSync(cachePath((await show(4)).media.thumbnail.sha256)).size;
  assert.equal(s.files, 4 + 1 + 1);
  assert.equal(s.bytes, bytes + thumbs[0].length + made);
  assert.equal(s.quota_bytes, 5 * 2 ** 30);
  assert.deepEqual(s.videos, { not_cached: 0, downloading: 0, cached: 4, failed: 0, evicted: 0 });
  assert.deepEqual(s.thumbnails, { not_cached: 0, downloading: 0, cached: 4, failed: 0, evicted: 0 });
  assert.equal(s.pinned, 0);
  assert.equal(s.directory, path.join(home.home, 'media'));
  const table = await cli(['cache', 'stats']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^Cached +6 files, .+ of 5\.00 GiB \(0%\)\nVideos\n {2}not_cached +0\n {2}downloading +0\n {2}cached +4\n/);
  assert.match(table.stdout, /\nPinned +0 videos\n/);
  assert.ok(table.stdout.includes(`Directory      ${path.join(home.home, 'media')}\n`));
});

// ---------------------------------------------------------------- export

test('export --with-media: the exact files, a relative offline page, hostile prompt escaped', T, async () => {
  const dir = path.join(work, 'export');
  const out = await cli(['export', '--with-media', '-o', dir]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, '');
  assert.match(out.stderr, new RegExp(`^Exported 4 videos to ${dir}: 4 with a local copy \\(6 files, .+: 6 linked, 0 copied\\), 0 without\\.\\n$`));
  const files = readdirSync(path.join(dir, 'media')).sort();
  assert.equal(files.length, 6);
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  for (const n of [1, 2, 3, 4]) {
    const sha = sha256(served.get(`/v/${n}.mp4`).body);
    const file = path.join(dir, 'media', `${sha}.mp4`);
    assert.equal(sha256(readFileSync(file)), sha, `video ${n}: the bytes served`);
    assert.equal(statSync(file).ino, statSync(cachePath(sha)).ino, 'a hard link on the same file system');
    assert.ok(html.includes(`src="media/${sha}.mp4"`), `the page plays video ${n} from the folder`);
  }
  const webp = sha256(served.get('/v/1.webp').body);
  assert.equal(sha256(readFileSync(path.join(dir, 'media', `${webp}.webp`))), webp);
  assert.ok(html.includes(`poster="media/${webp}.webp"`));
  const made = (await show(4)).media.thumbnail.sha256;
  assert.ok(files.includes(`${made}.jpg`), 'the made thumbnail, as jpg');
  assert.ok(!html.includes(XSS), 'the raw tag never appears');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(!/<script/i.test(html), 'no script');
  const loads = [...html.matchAll(/\s(?:src|poster)="([^"]*)"/g)].map((m) => m[1]);
  assert.equal(loads.length, 4 + 4, loads.join("\n"));
  for (const l of loads) assert.match(l, /^media\/[0-9a-f]{64}\.(mp4|webp|jpg)$/, 'only files of the folder are loaded');
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  const records = JSON.parse(readFileSync(path.join(dir, 'videos.json'), 'utf8'));
  assert.deepEqual(records.map((r) => r.video_id).sort(), [...ids.values()].sort());
  assert.equal(records.find((r) => r.video_id === ids.get(1)).prompt, XSS);

  // A folder that holds something is refused unless --force.
  const refused = await cli(['export', '--with-media', '-o', dir]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^vidkeep: .* is not empty; pass --force/);
  const forced = await cli(['export', '--with-media', '--force', '-o', dir]);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(readdirSync(path.join(dir, 'media')).length, 6);
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.partial')));
});

test('export --with-media to another file system: copies, the exact bytes', T, async (t) => {
  const shm = '/dev/shm';
  if (!existsSync(shm) || statSync(shm).dev === statSync(home.home).dev) {
    t.skip('no second file system at /dev/shm');
    return;
  }
  const dir = mkdtempSync(path.join(shm, 'vidkeep-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = await cli(['export', '--with-media', '-o', dir]);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /\(6 files, .+: 0 linked, 6 copied\)/);
  for (const n of [1, 2, 3, 4]) {
    const sha = sha256(served.get(`/v/${n}.mp4`).body);
    assert.equal(sha256(readFileSync(path.join(dir, 'media', `${sha}.mp4`))), sha);
  }
});

test('export --with-media: usage errors; without it nothing changed', T, async () => {
  for (const args of [['export', '--with-media'], ['export', '--force', '-o', path.join(work, 'x.json')],
    ['export', '--with-media', '--format', 'html', '-o', path.join(work, 'x')], ['cache'], ['cache', 'pin'],
    ['cache', 'unpin'], ['cache', 'prune', '--quota', 'lots'], ['cache', 'prune', '--quota', '-5M'], ['cache', 'frob']]) {
    const out = await cli(args);
    assert.equal(out.code, 2, `${args.join(' ')}: exit ${out.code}; ${out.stderr}`);
    assert.equal(lines(out.stderr).length, 1, `${args.join(' ')}: ${out.stderr}`);
    assert.equal(out.stdout, '');
  }
  const file = path.join(work, 'plain.html');
  const plain = await cli(['export', '--format', 'html', '-o', file]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(readFileSync(file, 'utf8').includes(`src="${base}/v/2.mp4"`), 'the plain page still plays the links');
});

// ---------------------------------------------------------------- verify

test('cache verify: a truncated and an altered file are found, dropped and queued; cache fetch restores them', T, async () => {
  const good = await cli(['cache', 'verify']);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /^Checked 6 files \(.+ read\) in .+\n$/);
  const truncated = (await show(2)).media.video.sha256;
  const altered = (await show(3)).media.video.sha256;
  truncateSync(cachePath(truncated), 1000);
  const bytes = readFileSync(cachePath(altered));
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(cachePath(altered), bytes);

  // An export meanwhile leaves them out rather than copy damaged bytes.
  const exported = await cli(['export', '--with-media', '-o', path.join(work, 'export-damaged')]);
  assert.equal(exported.code, 0, exported.stderr);
  const warnings = lines(exported.stderr).filter((l) => l.startsWith('vidkeep: warning: left out a damaged cached file: '));
  assert.deepEqual(warnings.map((l) => l.split(': ')[3].split(' ')[0]).sort(), [ids.get(2), ids.get(3)].sort());
  assert.match(exported.stderr, /: 2 with a local copy .*, 2 without\.\n$/);
  assert.ok(!existsSync(path.join(work, 'export-damaged', 'media', `${truncated}.mp4`)));
  assert.ok(readFileSync(path.join(work, 'export-damaged', 'index.html'), 'utf8').includes('No local copy (the cached file is damaged)'));

  const out = await cli(['cache', 'verify']);
  assert.equal(out.code, 1, out.stderr);
  assert.match(out.stdout, /^Checked 6 files/);
  assert.match(out.stdout, new RegExp(`\\n {2}${ids.get(2)} video: the file has 1000 bytes, not \\d+\\n`));
  assert.match(out.stdout, new RegExp(`\\n {2}${ids.get(3)} video: the file's content changed`));
  assert.equal(lines(out.stderr).length, 1);
  assert.match(out.stderr, /^vidkeep: 2 cached files damaged: dropped and queued/);
  for (const n of [2, 3]) {
    const { media } = await show(n);
    assert.equal(media.video.state, 'not_cached', 'queued again');
    assert.match(media.video.error, /damaged/);
  }
  assert.equal(existsSync(cachePath(truncated)), false, 'the damaged file is gone');
  const json = JSON.parse((await cli(['cache', 'verify', '--json'])).stdout);
  assert.deepEqual(json.damaged, [], 'dropped files are not checked again');
  assert.equal(json.checked, 4);

  const fetch = await cli(['cache', 'fetch']);
  assert.equal(fetch.code, 0, fetch.stdout + fetch.stderr);
  assert.match(fetch.stdout, /^cached /, 'damaged files were due already: nothing to queue');
  assert.match(fetch.stdout, /\nCached 2 files /);
  for (const [n, sha] of [[2, truncated], [3, altered]]) {
    assert.equal((await show(n)).media.video.sha256, sha);
    assert.equal(sha256(readFileSync(cachePath(sha))), sha256(served.get(`/v/${n}.mp4`).body), 'restored');
  }

  // --fetch repairs at once; --json says what it found.
  truncateSync(cachePath(truncated), 10);
  const repaired = await cli(['cache', 'verify', '--fetch', '--json']);
  assert.equal(repaired.code, 0, repaired.stderr);
  const report = JSON.parse(repaired.stdout);
  assert.deepEqual(report.damaged, [{ video_id: ids.get(2), kind: 'video', why: 'the file has 10 bytes, not ' + served.get('/v/2.mp4').body.length }]);
  assert.deepEqual(report.fetched, { cached: 1, failed: 0, later: 0 });
  assert.match(repaired.stderr, new RegExp(`^cached +${ids.get(2).slice(0, 8)} video `), 'progress on stderr with --json');
  assert.equal(sha256(readFileSync(cachePath(truncated))), truncated);
});

// ---------------------------------------------------------------- pin, prune

test('cache pin / unpin', T, async () => {
  const short = ids.get(4).slice(0, 8);
  assert.deepEqual(await cli(['cache', 'pin', short]).then((o) => [o.code, o.stdout]), [0, 'Pinned 1 video.\n']);
  assert.deepEqual(await cli(['cache', 'pin', ids.get(4)]).then((o) => [o.code, o.stdout]), [0, 'Pinned 0 videos.\n']);
  assert.equal((await show(4)).media.pinned, true);
  assert.equal((await stats()).pinned, 1);
  assert.deepEqual(await cli(['cache', 'unpin', short, ids.get(3).slice(0, 6)]).then((o) => [o.code, o.stdout]), [0, 'Unpinned 1 video.\n']);
  assert.equal('pinned' in (await show(4)).media, false, 'unpinned: no key (record format 2)');
  const unknown = await cli(['cache', 'pin', 'ffffffff']);
  assert.ok(unknown.code === 1 || unknown.code === 2);
  assert.equal(lines(unknown.stderr).length, 1);
  assert.equal(unknown.stdout, '');
});

test('cache prune --quota: evicts the least recently viewed first, never a pinned one', T, async () => {
  // Views through the host, as the player's reads count them: 3, then 1, then 2.
  const host = startHost({ env: home.env });
  try {
    for (const n of [3, 1, 2]) {
      const a = await host.request({ type: 'media_read', video_id: ids.get(n), kind: 'video', offset: 0, length: 16 });
      assert.equal(a.ok, true, JSON.stringify(a));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await within(10000, host.close(), 'host exit');
  } finally {
    await host.stop();
  }
  // 4 was never viewed (it is the first candidate), but it is pinned.
  assert.equal((await cli(['cache', 'pin', ids.get(4)])).code, 0);
  const before = await stats();
  const one = await cli(['cache', 'prune', '--quota', String(before.bytes - 1)]);
  assert.equal(one.code, 0, one.stderr);
  const size3 = served.get('/v/3.mp4').body.length;
  assert.match(one.stdout, /^Evicted 1 video, deleted 0 orphaned files and 0 partial downloads; freed .+\.\nThe cache holds .+\.\n$/);
  assert.equal((await show(3)).media.video.state, 'not_cached', 'the least recently viewed unpinned video');
  assert.match((await show(3)).media.video.error, /^evicted: /);
  for (const n of [1, 2, 4]) assert.equal((await show(n)).media.video.state, 'cached', `video ${n} kept`);
  assert.equal((await stats()).bytes, before.bytes - size3);
  const row = lines((await cli(['list'])).stdout).find((l) => l.startsWith(ids.get(3).slice(0, 8)));
  assert.match(row, / not cached +a dog skiing downhill$/);
  const shown = await cli(['show', ids.get(3)]);
  assert.match(shown.stdout, /\n {2}Video +evicted\n {2}Error +evicted: the cache was over its quota/);

  const all = await cli(['cache', 'prune', '--quota', '1K', '--json']);
  assert.equal(all.code, 0, all.stderr);
  const report = JSON.parse(all.stdout);
  assert.equal(report.evicted, 2);
  assert.equal(report.quota_bytes, 1024);
  assert.ok(report.bytes > 1024, 'still over: the pinned video and the thumbnails stay');
  assert.equal((await show(4)).media.video.state, 'cached', 'never the pinned one');
  assert.deepEqual((await stats()).videos, { not_cached: 0, downloading: 0, cached: 1, failed: 0, evicted: 3 });
  const text = await cli(['cache', 'prune', '--quota', '0.5k']);
  assert.match(text.stdout, /\nStill over the quota: pinned videos and thumbnails are never evicted\.\n$/);

  // Fetching one evicted video by its short id brings back only that one.
  const back = await cli(['cache', 'fetch', ids.get(1).slice(0, 6)]);
  assert.equal(back.code, 0, back.stdout + back.stderr);
  assert.match(back.stdout, /^Queued 1 file again\.\ncached +\S+ video +.+\nCached 1 file /);
  assert.equal((await show(1)).media.video.state, 'cached');
  assert.equal((await show(2)).media.video.state, 'not_cached');
  assert.equal((await cli(['cache', 'unpin', ids.get(4)])).code, 0);
});

// ---------------------------------------------------------------- failures

test('cache fetch: a refused download says why and exits 1; export lists the video without a local copy', T, async () => {
  await save([[5, { url: `${base}/broken/5.mp4`, thumbnail_url: undefined, prompt: 'behind a sign-in' }]]);
  const out = await cli(['cache', 'fetch', ids.get(5)]);
  assert.equal(out.code, 1, out.stdout + out.stderr);
  assert.match(out.stdout, new RegExp(`\\n?(failed|retry) +${ids.get(5).slice(0, 8)} video +.*text/html`));
  assert.match(out.stdout, /\nCached \d+ files? .*; (1 failed, 0|0 failed, 1) to be tried again later\.\n$/);
  const row = lines((await cli(['list'])).stdout).find((l) => l.startsWith(ids.get(5).slice(0, 8)));
  assert.match(row, / (failed|not cached) +behind a sign-in$/);

  const dir = path.join(work, 'export-2');
  mkdirSync(dir);
  const exported = await cli(['export', '--with-media', '-o', dir]);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /: (\d) with a local copy .*, (\d) without\.\n$/);
  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  const card = html.slice(html.indexOf('behind a sign-in'));
  assert.match(card.slice(0, 2000), /No local copy \(.*text\/html.*\)\. The original link, which may have expired: <a href="http:\/\/127\.0\.0\.1:\d+\/broken\/5\.mp4">/);
  assert.ok(html.includes('<span>no local copy</span>'));
});
