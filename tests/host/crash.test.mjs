// kill -9 in the middle of a pipelined burst: everything acknowledged `ok`
// before the kill is there after a restart, exactly once (PROTOCOL.md
// section 3: "acknowledged means durable against the host being killed").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { makeHome, startHost, frame, video, runCli, sqlite, shuffled, within, linuxOnly } from '../lib/host.mjs';

const TRIALS = 5;
const BURST = 3000;
const PER_WRITE = 100;
const WINDOW = 300;

/** xorshift32: reproducible kill points per trial. */
function rng(seed) {
  let s = (Math.imul(seed, 2654435761) >>> 0) || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  for (let i = 0; i < 8; i++) next();
  return next;
}

// Request k of a burst: mostly new videos, some repeats of earlier ones with a
// fresh signature (duplicates update the stored row), a few refused ones.
function burstRequest(k) {
  const id = `k${k}`;
  if (k % 97 === 50) return { id, type: 'video', video: video(k, { url: `javascript:alert(${k})` }) };
  const n = k % 10 === 9 ? k - 5 : k;
  return { id, type: 'video', video: video(n, { url: `https://cdn.example/v/${n}.mp4?X-Amz-Signature=k${k}` }) };
}

async function listAll(home) {
  const out = await runCli(['list', '--json', '--limit', '100000'], { env: home.env });
  assert.equal(out.code, 0, out.stderr);
  return JSON.parse(out.stdout);
}

async function integrity(home) {
  const res = await sqlite(path.join(home.home, 'vidkeep.db'),
    'PRAGMA integrity_check; SELECT count(*) FROM videos; SELECT count(*) FROM outbox; ' +
    "SELECT count(*) FROM videos v LEFT JOIN outbox o USING (seq) WHERE o.seq IS NULL; " +
    "INSERT INTO videos_fts(videos_fts, rank) VALUES('integrity-check', 1);", { readonly: false });
  return res;
}

for (let trial = 0; trial < TRIALS; trial++) {
  test(`kill -9 mid-burst, trial ${trial + 1}: every acknowledged video survives exactly once`, { timeout: 30000 }, async (t) => {
    const home = makeHome();
    t.after(home.cleanup);
    const random = rng(4242 + trial * 101);
    const killAfter = 20 + Math.floor(random() * (BURST - 600));

    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    assert.equal((await host.request({ type: 'hello' })).ok, true);
    const requests = Array.from({ length: BURST }, (_, k) => burstRequest(k));
    // Write the burst in chunks while answers stream back, at most
    // WINDOW requests in flight, so the kill lands near its chosen point.
    const writing = (async () => {
      for (let off = 0; off < BURST && host.running; off += PER_WRITE) {
        while (host.running && off - (host.answers.length - 1) > WINDOW) await new Promise((r) => setTimeout(r, 1));
        host.write(Buffer.concat(requests.slice(off, off + PER_WRITE).map(frame)));
      }
    })();
    await host.count(1 + killAfter, 20000); // the hello answer is first
    const { signal } = await host.kill('SIGKILL');
    await writing;
    assert.equal(signal, 'SIGKILL');
    const received = host.answers.slice(1);
    t.diagnostic(`killed after ${received.length} of ${BURST} answers (asked ${killAfter})`);
    assert.ok(received.length < BURST, 'the kill landed inside the burst');
    assert.deepEqual(host.protocolErrors, []);

    // Every message the host wrote answered the requests in order.
    const acked = new Map(); // video_id -> the request index that last acknowledged it
    received.forEach((a, k) => {
      const r = requests[k];
      assert.equal(a.id, r.id, 'answers in request order');
      if (r.video.url.startsWith('javascript:')) {
        assert.equal(a.error?.code, 'invalid_url');
        return;
      }
      assert.equal(a.ok, true, JSON.stringify(a));
      acked.set(a.video_id, k);
    });

    const db = path.join(home.home, 'vidkeep.db');
    assert.ok(existsSync(db));
    // A fresh host opens the killed one's database (WAL recovery) ...
    const after = startHost({ env: home.env });
    t.after(() => after.stop());
    const status = await after.request({ type: 'status' });
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.ok(status.videos >= acked.size, `${status.videos} stored < ${acked.size} acknowledged`);
    await after.close();

    // ... and every acknowledged video is there once, with the URL of the
    // last acknowledged request for it (or a later one that was committed).
    const listed = await listAll(home);
    const byId = new Map();
    for (const v of listed) {
      assert.equal(byId.has(v.video_id), false, `video ${v.video_id} listed twice`);
      byId.set(v.video_id, v);
    }
    for (const [id, k] of acked) {
      const v = byId.get(id);
      assert.ok(v, `acknowledged video ${id} (request k${k}) is missing after the restart`);
      const sig = Number(/X-Amz-Signature=k(\d+)/.exec(v.url)[1]);
      assert.ok(sig >= k, `video ${id}: stored URL from request k${sig} is older than the acknowledged k${k}`);
    }
    const check = await integrity(home);
    assert.equal(check.code, 0, check.stderr);
    const [ok, videos, outbox, orphans] = check.stdout.trim().split('\n');
    assert.deepEqual([ok, Number(videos), Number(outbox), Number(orphans)], ['ok', listed.length, listed.length, 0]);

    // Sending the whole burst again: the acknowledged ones are duplicates.
    const again = startHost({ env: home.env });
    t.after(() => again.stop());
    again.write(Buffer.concat(requests.map(frame)));
    const answers = await again.count(BURST, 20000);
    answers.forEach((a, k) => {
      if (requests[k].video.url.startsWith('javascript:')) return;
      assert.equal(a.ok, true);
      if (acked.has(a.video_id) && acked.get(a.video_id) <= k) assert.equal(a.duplicate, true, `k${k}`);
    });
    const distinct = new Set(requests.filter((r) => !r.video.url.startsWith('javascript:')).map((r) => r.video.url.replace(/\?.*/, '')));
    assert.equal((await again.request({ type: 'status' })).videos, distinct.size);
    assert.deepEqual(await within(3000, again.close(), 'exit'), { code: 0, signal: null });
  });
}

test('kill -9 one of two hosts writing at once: the survivor goes on, nothing acknowledged is lost', { timeout: 30000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const a = startHost({ env: home.env });
  const b = startHost({ env: home.env });
  t.after(() => Promise.all([a.stop(), b.stop()]));
  assert.equal((await a.request({ type: 'hello' })).ok, true);
  assert.equal((await b.request({ type: 'hello' })).ok, true);
  const N = 2000;
  const reqsA = shuffled(Array.from({ length: N }, (_, k) => ({ id: `a${k}`, type: 'video', video: video(k, { url: `https://cdn.example/v/${k}.mp4?token=a` }) })), 3);
  const reqsB = Array.from({ length: N }, (_, k) => ({ id: `b${k}`, type: 'video', video: video(k, { url: `https://cdn.example/v/${k}.mp4?token=b` }) }));
  for (let off = 0; off < N; off += 200) {
    a.write(Buffer.concat(reqsA.slice(off, off + 200).map(frame)));
    b.write(Buffer.concat(reqsB.slice(off, off + 200).map(frame)));
  }
  await a.count(1 + 300, 20000);
  await a.kill('SIGKILL');
  const answersB = (await b.count(1 + N, 20000)).slice(1);
  for (const x of answersB) assert.equal(x.ok, true, JSON.stringify(x));
  const ackedA = a.answers.slice(1).filter((x) => x.ok).map((x) => x.video_id);
  assert.ok(ackedA.length >= 300 && ackedA.length < N);
  await b.close();
  const listed = await listAll(home);
  assert.equal(listed.length, N, 'B stored every video once');
  const ids = new Set(listed.map((v) => v.video_id));
  assert.equal(ids.size, N);
  for (const id of ackedA) assert.ok(ids.has(id));
  const check = await integrity(home);
  assert.equal(check.stdout.trim().split('\n')[0], 'ok', check.stdout + check.stderr);
});

// Disk full, emulated with a file-size limit on the host process (writes past
// it fail with EFBIG instead of a signal): writes are refused `unavailable`
// (retryable), nothing refused is half-stored, reads go on, and once there is
// room again the same requests succeed.
test('disk full: writes answered unavailable and retryable, reads still served, nothing acknowledged lost', { timeout: 30000, skip: linuxOnly('disk full is emulated with a file-size rlimit (ulimit -f)') }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const seed = startHost({ env: home.env });
  t.after(() => seed.stop());
  assert.equal((await seed.request({ type: 'video', video: video(0) })).ok, true);
  await seed.close();

  const limited = startHost({ env: home.env, prefix: ['sh', '-c', 'trap "" XFSZ; ulimit -f 600; exec "$0" "$@"'] });
  t.after(() => limited.stop());
  const N = 120;
  const requests = Array.from({ length: N }, (_, i) => ({ id: i, type: 'video', video: video(i + 1, { prompt: `${'big prompt '.repeat(1800)}${i}` }) }));
  // One request at a time: a group commit is all or nothing, so a burst in
  // one write could be a single batch too big for the room left.
  const sequential = async () => {
    const answers = [];
    for (const r of requests) { limited.send(r); answers.push(await limited.answer(r.id, 15000)); }
    return answers;
  };
  const result = await Promise.race([sequential().then((answers) => ({ answers })), limited.exited.then((exit) => ({ exit }))]);
  assert.equal(result.exit, undefined, `the host died: ${JSON.stringify(result.exit)}; stderr: ${limited.stderr.trim()}`);
  const acked = [];
  let refused = 0;
  result.answers.forEach((a, i) => {
    assert.equal(a.id, i);
    if (a.ok) { acked.push(a.video_id); return; }
    assert.deepEqual([a.error.code, a.error.retryable], ['unavailable', true], JSON.stringify(a));
    refused++;
  });
  assert.ok(refused > 0, 'the limit was reached');
  assert.ok(acked.length > 0, 'some fitted');
  const status = await limited.request({ type: 'status' });
  assert.deepEqual([status.ok, status.videos], [true, 1 + acked.length]);
  assert.deepEqual(await within(3000, limited.close(), 'exit'), { code: 0, signal: null });

  // Room again: the refused requests succeed when sent again.
  const again = startHost({ env: home.env });
  t.after(() => again.stop());
  again.write(Buffer.concat(requests.map(frame)));
  const retried = await again.count(N, 15000);
  retried.forEach((a, i) => {
    assert.equal(a.ok, true);
    assert.equal(a.duplicate, acked.includes(a.video_id), `request ${i}`);
  });
  await again.close();
  const check = await integrity(home);
  assert.equal(check.stdout.trim().split('\n')[0], 'ok', check.stdout + check.stderr);
  assert.equal(Number(check.stdout.trim().split('\n')[1]), 1 + N);
});
