// Crash trials for the crash-*.test.mjs files (issue 9): kill -9 at random points while a pipelined
// burst is being written and the outbox is being sent at the same time, and
// kill -9 of `vidkeep sync` in the middle of a drain. After a restart every
// acknowledged video is there exactly once, PRAGMA integrity_check is ok, the
// outbox resumes until everything is synced, and the chat app holds each
// message id once (the only resends are the requests that were in flight at
// the kill, and a resend is an update of the same id, never a second message).
//
// Builds on tests/host/crash.test.mjs (5 burst trials without sync); the seed
// of every trial is printed, and VIDKEEP_CRASH_SEED replays another series.
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { makeHome, startHost, frame, sqlite, BIN } from '../lib/host.mjs';
import { startChatApp, mixedFaults, SESSION_COOKIE } from '../lib/chat-app.mjs';
import { rng, until, pageVideo, checkDatabase, storedUrls, outboxStates, FAST_SYNC, sleep } from './lib.mjs';

export const BURST_TRIALS = 50;
export const DRAIN_TRIALS = 10;
const BURST = 600;
const PER_WRITE = 50;
const WINDOW = 150;
const MAX_IN_FLIGHT = 4;
const SEED = Number(process.env.VIDKEEP_CRASH_SEED ?? 9009);

// Request k: mostly new videos, every 10th a repeat of an earlier one with a
// fresh signature (a duplicate that updates the stored row), a few refused.
function burstRequest(origin, k) {
  const id = `k${k}`;
  if (k % 97 === 50) return { id, type: 'video', video: pageVideo(origin, k, { url: `javascript:alert(${k})` }) };
  const n = k % 10 === 9 ? k - 5 : k;
  return { id, type: 'video', video: pageVideo(origin, n, { url: `https://cdn.example/v/${n}.mp4?X-Amz-Signature=k${k}` }) };
}

/**
 * Messages the chat app got more than once that no recorded timeout explains:
 * a send whose answer timed out is retried by design (the server treats the
 * resend as an update); any other resend must come from a send in flight at
 * the kill, of which there are at most max_in_flight.
 */
async function unexplainedResends(home, app) {
  const res = await sqlite(path.join(home.home, 'vidkeep.db'),
    "SELECT DISTINCT video_id FROM sync_history WHERE http_status = 0 AND reason LIKE '%timed out%';");
  const timedOut = new Set(res.stdout.split('\n').filter(Boolean));
  return [...app.messages.entries()].filter(([id, m]) => m.writes > 1 && !timedOut.has(id)).length;
}

export const figures = { burst: 0, acked: 0, resent: 0, drain: 0, drainResent: 0 };

/** Registers burst trials `from` (inclusive) to `to` (exclusive) with `test`. */
export function burstTrials(test, from, to) {
for (let trial = from; trial < to; trial++) {
  test(`kill -9 during a burst with sync running, trial ${trial + 1}/${BURST_TRIALS}`, { timeout: 30000 }, async (t) => {
    const seed = SEED + trial;
    const random = rng(seed);
    const killAfter = 10 + Math.floor(random() * (BURST - 100));
    t.diagnostic(`seed ${seed}: kill after ${killAfter} answers`);
    const home = makeHome({ sync: { ...FAST_SYNC, max_in_flight: MAX_IN_FLIGHT } });
    // Every 8th trial the chat app also fails some requests (retries in flight at the kill).
    const app = await startChatApp({ fault: trial % 8 === 7 ? mixedFaults(0.2, seed) : null });
    t.after(async () => { await app.close(); home.cleanup(); });
    const cookie = { cookie: `${SESSION_COOKIE}=good-session` };

    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    assert.equal((await host.request({ type: 'configure', server: { origin: app.origin, auth: cookie } })).ok, true);
    const requests = Array.from({ length: BURST }, (_, k) => burstRequest(app.origin, k));
    const writing = (async () => {
      for (let off = 0; off < BURST && host.running; off += PER_WRITE) {
        while (host.running && off - (host.answers.length - 1) > WINDOW) await sleep(1);
        host.write(Buffer.concat(requests.slice(off, off + PER_WRITE).map(frame)));
      }
    })();
    await host.count(1 + killAfter, 20000);
    assert.equal((await host.kill('SIGKILL')).signal, 'SIGKILL');
    await writing;
    const sentAtKill = app.log.length;
    assert.deepEqual(host.protocolErrors, []);
    const received = host.answers.slice(1);
    if (received.length === BURST) t.diagnostic('every request was answered before the kill: the kill hit the sync drain only');

    const acked = new Map(); // video_id -> index of the last request that acknowledged it
    received.forEach((a, k) => {
      assert.equal(a.id, requests[k].id, 'answers in request order');
      if (requests[k].video.url.startsWith('javascript:')) return assert.equal(a.error?.code, 'invalid_url');
      assert.equal(a.ok, true, JSON.stringify(a));
      acked.set(a.video_id, k);
    });

    // Restart: WAL recovery, then the outbox resumes with new credentials.
    const after = startHost({ env: home.env });
    t.after(() => after.stop());
    assert.equal((await after.request({ type: 'configure', server: { origin: app.origin, auth: cookie } })).ok, true);
    const states = await until(async () => {
      const s = await outboxStates(home);
      return s && !s.pending && s;
    }, 20000, 'the outbox to drain after the restart');
    assert.deepEqual(await after.close(), { code: 0, signal: null });

    const db = await checkDatabase(home);
    const stored = await storedUrls(home);
    for (const [id, k] of acked) {
      const url = stored.get(id);
      assert.ok(url, `acknowledged video ${id} (request k${k}) is missing after the restart`);
      const sig = Number(/X-Amz-Signature=k(\d+)/.exec(url)[1]);
      assert.ok(sig >= k, `video ${id}: stored URL from k${sig} is older than the acknowledged k${k}`);
    }
    assert.deepEqual(states, { synced: db.videos }, 'every stored video synced');
    // The chat app: exactly the stored videos, each one message; resends only
    // for sends that were in flight when the host died.
    assert.deepEqual([...app.messages.keys()].sort(), [...stored.keys()].sort());
    assert.deepEqual(app.overlaps, [], 'no message id sent by two processes at once');
    const resent = await unexplainedResends(home, app);
    assert.ok(resent <= MAX_IN_FLIGHT, `${resent} messages written twice; at most the ${MAX_IN_FLIGHT} in flight at the kill may be`);
    figures.burst++;
    figures.acked += acked.size;
    figures.resent += resent;
    t.diagnostic(`acked ${acked.size}, stored ${db.videos}, server requests at kill ${sentAtKill}, resent ${resent}`);
  });
}
}

/** `vidkeep sync` killed mid-drain: the next drain finishes the job. */
export function drainTrials(test) {
for (let trial = 0; trial < DRAIN_TRIALS; trial++) {
  test(`kill -9 of vidkeep sync mid-drain, trial ${trial + 1}/${DRAIN_TRIALS}`, { timeout: 30000 }, async (t) => {
    const seed = SEED + 1000 + trial;
    const random = rng(seed);
    const N = 300;
    const killAt = 5 + Math.floor(random() * (N - 60)); // server requests seen before the kill
    t.diagnostic(`seed ${seed}: kill after ${killAt} requests reached the chat app`);
    const home = makeHome({ sync: { ...FAST_SYNC, max_in_flight: MAX_IN_FLIGHT } });
    const app = await startChatApp({ bearer: 'admin-drain-token', session: null, latencyMs: 1, fault: trial % 3 === 2 ? mixedFaults(0.15, seed) : null });
    t.after(async () => { await app.close(); home.cleanup(); });
    // Videos saved while no credentials were known: all pending.
    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    host.write(Buffer.concat(Array.from({ length: N }, (_, i) => frame({ id: i, type: 'video', video: pageVideo(app.origin, i) }))));
    const answers = await host.count(N, 20000);
    assert.ok(answers.every((a) => a.ok && a.sync === 'pending'));
    await host.close();

    const env = { ...process.env, ...home.env, VIDKEEP_TOKEN: 'admin-drain-token' };
    const drain = spawn(path.join(BIN, 'vidkeep'), ['sync', '--origin', app.origin], { env, stdio: 'ignore' });
    t.after(() => { if (drain.exitCode === null && drain.signalCode === null) drain.kill('SIGKILL'); });
    const exited = new Promise((r) => drain.on('exit', (code, signal) => r({ code, signal })));
    await until(() => app.log.length >= killAt || drain.exitCode !== null, 20000, 'the drain to start');
    drain.kill('SIGKILL');
    const first = await exited;
    assert.equal(first.signal, 'SIGKILL', `vidkeep sync ended before the kill: ${JSON.stringify(first)}`);
    const before = await checkDatabase(home);
    assert.equal(before.videos, N);

    // The leases of the killed process run out; a second drain finishes.
    const second = spawn(path.join(BIN, 'vidkeep'), ['sync', '--origin', app.origin], { env, stdio: 'ignore' });
    t.after(() => { if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL'); });
    const done = await Promise.race([new Promise((r) => second.on('exit', (code) => r(code))), sleep(25000).then(() => 'timeout')]);
    assert.equal(done, 0, 'the second drain succeeds');
    const db = await checkDatabase(home);
    assert.deepEqual(db.states, { synced: N });
    assert.equal(app.messages.size, N);
    assert.deepEqual(app.overlaps, []);
    const resent = await unexplainedResends(home, app);
    assert.ok(resent <= MAX_IN_FLIGHT, `${resent} messages written twice`);
    figures.drain++;
    figures.drainResent += resent;
  });
}
}
