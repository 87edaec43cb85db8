// Helpers shared by the hardening tier (issue 9). The host-driving helpers
// are in ../lib/host.mjs and the fake chat app in ../lib/chat-app.mjs.
import assert from 'node:assert/strict';
import path from 'node:path';
import { readdirSync, statSync, readFileSync } from 'node:fs';
import { sqlite, video } from '../lib/host.mjs';

export const CHAT = '3f2c0000-0000-4000-8000-000000000001';
/** Sync settings that keep retries and lease expiry within a test's time. */
export const FAST_SYNC = { app_save_grace_ms: 0, backoff_base_ms: 5, backoff_cap_ms: 100, request_timeout_ms: 1500, connect_timeout_ms: 1000, lease_ms: 800 };

/** xorshift32 with a seed: reproducible random points. */
export function rng(seed) {
  let s = (Math.imul(seed, 2654435761) >>> 0) || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
  for (let i = 0; i < 8; i++) next();
  return next;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` (async) until it returns a truthy value or `ms` pass. */
export async function until(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A video whose page is on the chat app at `origin` (so it is synced there). */
export function pageVideo(origin, n, extra = {}) {
  return video(n, { page_url: `${origin}/chat/${CHAT}`, chat_id: CHAT, ...extra });
}

/**
 * PRAGMA integrity_check plus vidkeep's own invariants: one outbox row per
 * video and none without one, the full-text index consistent.
 * Resolves with {videos, states: {state: count}}.
 */
export async function checkDatabase(home) {
  const db = path.join(home.home, 'vidkeep.db');
  const res = await sqlite(db,
    'PRAGMA integrity_check; SELECT count(*) FROM videos; SELECT count(*) FROM outbox; ' +
    'SELECT count(*) FROM videos v LEFT JOIN outbox o USING (seq) WHERE o.seq IS NULL; ' +
    'SELECT count(*) FROM outbox o LEFT JOIN videos v USING (seq) WHERE v.seq IS NULL; ' +
    'SELECT count(*) - count(DISTINCT video_id) FROM videos; ' +
    // rank 0: the full-text index is consistent in itself. Rows without a
    // prompt are deliberately never indexed (schema.cpp), so the check
    // against the content table (rank 1) only applies when every row has one.
    "INSERT INTO videos_fts(videos_fts, rank) VALUES('integrity-check', 0); " +
    "SELECT group_concat(state || '=' || n, ',') FROM (SELECT state, count(*) AS n FROM outbox GROUP BY state);",
    { readonly: false });
  assert.equal(res.code, 0, `sqlite3: ${res.stderr}`);
  const [ok, videos, outbox, orphanVideos, orphanOutbox, dupIds, states = ''] = res.stdout.trim().split('\n');
  assert.equal(ok, 'ok', `integrity_check: ${res.stdout}`);
  assert.equal(Number(videos), Number(outbox), 'one outbox row per video');
  assert.deepEqual([Number(orphanVideos), Number(orphanOutbox), Number(dupIds)], [0, 0, 0], 'no orphans, no duplicate ids');
  const everyPrompt = await sqlite(db, 'SELECT count(*) FROM videos WHERE prompt IS NULL;');
  if (everyPrompt.stdout.trim() === '0') {
    const fts = await sqlite(db, "INSERT INTO videos_fts(videos_fts, rank) VALUES('integrity-check', 1);", { readonly: false });
    assert.equal(fts.code, 0, `the full-text index does not match the prompts: ${fts.stderr}`);
  }
  return { videos: Number(videos), states: Object.fromEntries(states.split(',').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k, Number(v)]; })) };
}

/** video_id -> url of every stored video. */
export async function storedUrls(home) {
  const res = await sqlite(path.join(home.home, 'vidkeep.db'), "SELECT video_id || ' ' || url FROM videos;");
  assert.equal(res.code, 0, res.stderr);
  const out = new Map();
  for (const line of res.stdout.split('\n').filter(Boolean)) {
    const i = line.indexOf(' ');
    assert.equal(out.has(line.slice(0, i)), false, `video ${line.slice(0, i)} stored twice`);
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

/** Outbox state counts straight from the file. */
export async function outboxStates(home) {
  const res = await sqlite(path.join(home.home, 'vidkeep.db'), "SELECT state || '=' || count(*) FROM outbox GROUP BY state;");
  if (res.code !== 0) return null;
  return Object.fromEntries(res.stdout.split('\n').filter(Boolean).map((kv) => { const [k, v] = kv.split('='); return [k, Number(v)]; }));
}

/** Every regular file under `dir`. */
export function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* walk(p); else if (st.isFile()) yield p;
  }
}

/** Files under `dir` whose bytes contain any of `secrets` (UTF-8 or UTF-16). */
export function filesContaining(dir, secrets) {
  const hits = [];
  for (const file of walk(dir)) {
    const bytes = readFileSync(file);
    for (const s of secrets)
      if (bytes.includes(Buffer.from(s)) || bytes.includes(Buffer.from(s, 'utf16le'))) hits.push(`${path.relative(dir, file)}: ${s}`);
  }
  return hits;
}

/** Peak and current resident memory of a process, in KiB (Linux). */
export function memoryOf(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const get = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { hwm: get('VmHWM'), rss: get('VmRSS') };
  } catch { return null; }
}
