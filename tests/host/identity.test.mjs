// Whose session sends a video (docs/protocol-extensions.md, "The real chat
// app (issue 12)"): configure answers the account, a video made by one person
// is never written with another person's session, the save route's sign-in
// redirects and endless 500s end, and the message text carries the link.
// Real host over pipes, fake chat app on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeHome, startHost, video, BIN } from '../lib/host.mjs';
import { startChatApp, readSessionCookie, SESSION_COOKIE } from '../lib/chat-app.mjs';

const run = promisify(execFile);
const FAST = {
  backoff_base_ms: 5, backoff_cap_ms: 50, request_timeout_ms: 2000, connect_timeout_ms: 1000,
  lease_ms: 3000, app_save_grace_ms: 0,
};
const CHAT = '3f2c0000-0000-4000-8000-000000000012';
const A = { id: '1234', email: 'demo@example.com', type: 'regular' };
const B = { id: '5678', email: 'guest-5678@example.com', type: 'guest' };
const USERS = { 'token-a': A, 'token-b': B };

/** An app where each session token is one person (as the real app's JWTs). */
function twoPeopleApp(extra = {}) {
  return startChatApp({ authenticate: (req) => USERS[readSessionCookie(req)] ?? null, ...extra });
}

function pageVideo(app, n, account, extra = {}) {
  const v = video(n, { page_url: `${app.origin}/chat/${CHAT}`, chat_id: CHAT, ...extra });
  if (account) v.account = { id: account.id, label: account.email };
  return v;
}

function configure(host, app, token) {
  return host.request({ type: 'configure', server: { origin: app.origin, auth: { cookie: `${SESSION_COOKIE}=${token}` } } });
}

/** Resolves with the event per video once each of `ids` reached `state`. */
async function waitForStates(host, ids, state, timeoutMs = 15000) {
  const pending = new Set(ids);
  const seen = new Map();
  const deadline = Date.now() + timeoutMs;
  while (pending.size) {
    const ev = await host.event((e) => e.type === 'sync_state' && pending.has(e.video_id), deadline - Date.now());
    if (ev.sync === state) { pending.delete(ev.video_id); seen.set(ev.video_id, ev); }
  }
  return seen;
}

test('configure answers whom the credentials belong to: a user, nobody, or unknown', async (t) => {
  const home = makeHome({ sync: FAST });
  let sessionAnswers404 = false;
  const app = await twoPeopleApp({
    // options.routes goes first: here it turns the session endpoint off.
    routes: (req, res) => {
      if (!sessionAnswers404 || !req.url.startsWith('/api/auth/session')) return false;
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>404</h1>');
      return true;
    },
  });
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });

  const a = await configure(host, app, 'token-a');
  assert.equal(a.ok, true);
  assert.deepEqual(a.account, { id: '1234', label: 'demo@example.com' });
  assert.equal(a.account_checked, true);

  const nobody = await configure(host, app, 'expired');
  assert.equal(nobody.account, null);
  assert.equal(nobody.account_checked, true);

  sessionAnswers404 = true;
  const unknown = await configure(host, app, 'token-a');
  assert.equal(unknown.account, null);
  assert.equal(unknown.account_checked, false, 'a 404 says nothing about who is signed in');
  assert.equal(app.state.sessionLookups.length, 2, 'the 404 was answered by options.routes');

  // With the lookup unknown, a video with an account waits, one without is sent.
  const mine = await host.request({ type: 'video', video: pageVideo(app, 1, A) });
  const anyone = await host.request({ type: 'video', video: pageVideo(app, 2, null) });
  const waiting = await waitForStates(host, [mine.video_id], 'auth_required');
  assert.equal(waiting.get(mine.video_id).last_error,
    `waiting for demo@example.com (user 1234) to sign in at ${app.origin}; whom the browser is signed in as is unknown (the session endpoint answered HTTP 404)`);
  await waitForStates(host, [anyone.video_id], 'synced');
  assert.equal(app.log.filter((e) => e.id === mine.video_id).length, 0, 'no request for the waiting video');

  // The answers came in request order, also around the lookups.
  const order = host.answers.map((m) => m.id);
  assert.deepEqual(order, [...order].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
  assert.equal((await host.close()).code, 0);
});

test('one person\'s videos are never sent with another person\'s session; they resume when that person signs in again', async (t) => {
  const home = makeHome({ sync: FAST });
  const app = await twoPeopleApp();
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });

  assert.deepEqual((await configure(host, app, 'token-a')).account, { id: '1234', label: 'demo@example.com' });
  const first = await host.request({ type: 'video', video: pageVideo(app, 1, A) });
  await waitForStates(host, [first.video_id], 'synced');
  assert.equal(app.messages.get(first.video_id).userId, '1234');

  // The browser is now signed in as a guest (the session lapsed, the app made
  // a new guest user).
  assert.deepEqual((await configure(host, app, 'token-b')).account, { id: '5678', label: 'guest-5678@example.com' });
  const ofA = [];
  for (const n of [2, 3, 4]) ofA.push((await host.request({ type: 'video', video: pageVideo(app, n, A) })).video_id);
  const ofB = (await host.request({ type: 'video', video: pageVideo(app, 5, B) })).video_id;
  const waiting = await waitForStates(host, ofA, 'auth_required');
  await waitForStates(host, [ofB], 'synced');
  for (const id of ofA) {
    assert.equal(waiting.get(id).last_error,
      `waiting for demo@example.com (user 1234) to sign in at ${app.origin}; the browser is signed in as guest-5678@example.com (user 5678)`);
    assert.equal(app.log.filter((e) => e.id === id).length, 0, 'B\'s session never carried A\'s video');
  }
  assert.equal(app.messages.get(ofB).userId, '5678');
  const got = await host.request({ type: 'get', video_id: ofA[0] });
  assert.equal(got.video.sync, 'auth_required');
  assert.deepEqual(got.history.map((h) => [h.http_status, h.result]), [[0, 'auth_required']]);

  // B signs in again (a rolled cookie): nothing of A's is resumed, no events.
  const mark = host.events.length;
  await configure(host, app, 'token-b');
  await host.request({ type: 'status' });
  assert.equal(host.events.slice(mark).filter((e) => ofA.includes(e.video_id)).length, 0);
  assert.equal((await host.request({ type: 'get', video_id: ofA[0] })).history.length, 1);

  // A signs in again: A's videos go, each exactly once, written as A.
  await configure(host, app, 'token-a');
  await waitForStates(host, ofA, 'synced');
  for (const id of [first.video_id, ...ofA, ofB]) assert.equal(app.messages.get(id).writes, 1, `${id} written once`);
  for (const id of ofA) assert.equal(app.messages.get(id).userId, '1234');
  assert.equal(app.log.filter((e) => e.userId === '5678').length, 1, 'B wrote only B\'s video');
  const status = await host.request({ type: 'status' });
  assert.equal(status.synced, 5);
  assert.equal(status.auth_required, 0);
  assert.equal((await host.close()).code, 0);
  assert.doesNotMatch(host.stderr, /token-a|token-b/);
});

test('the WS version\'s 307 to its guest sign-in is auth_required, not followed', async (t) => {
  const home = makeHome({ sync: FAST });
  const app = await twoPeopleApp({ unauthenticated: '307' });
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  const answer = await configure(host, app, 'lapsed');
  assert.equal(answer.account, null);
  assert.equal(answer.account_checked, true);
  // No account on the video (an app without a session endpoint in the
  // extension's eyes): sent with what the host holds.
  const v = await host.request({ type: 'video', video: pageVideo(app, 1, null) });
  const ev = (await waitForStates(host, [v.video_id], 'auth_required')).get(v.video_id);
  assert.equal(ev.last_error, 'HTTP 307: the app redirected to /api/auth/guest (sign-in or guest page)');
  assert.equal(app.log.length, 1);
  assert.equal(app.log[0].status, 307);
  assert.ok(!app.log.some((e) => e.userId), 'the guest page was never requested');

  await configure(host, app, 'token-a');
  await waitForStates(host, [v.video_id], 'synced');
  assert.equal(app.messages.get(v.video_id).userId, '1234');
  await host.close();
});

test('500 forever: failed after sync.max_attempts attempts with the last reason; resync starts a fresh budget', async (t) => {
  const home = makeHome({ sync: { ...FAST, max_attempts: 3 } });
  const app = await twoPeopleApp({ fault: () => ({ status: 500, body: 'chat title failed' }) });
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  await configure(host, app, 'token-a');
  const v = await host.request({ type: 'video', video: pageVideo(app, 1, A) });
  const ev = (await waitForStates(host, [v.video_id], 'failed')).get(v.video_id);
  assert.equal(ev.last_error, 'gave up after 3 attempts: HTTP 500: {"error":"chat title failed"}');
  assert.equal(app.log.length, 3);

  assert.equal((await host.request({ type: 'resync', video_ids: [v.video_id] })).queued, 1);
  await waitForStates(host, [v.video_id], 'failed');
  assert.equal(app.log.length, 6, 'three more attempts after the resync, then it stops');
  await host.close();
});

test('the message text carries the video\'s full link, with and without a prompt', async (t) => {
  const home = makeHome({ sync: FAST });
  const app = await twoPeopleApp();
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  await configure(host, app, 'token-a');
  const url = 'https://cdn.example/v/9.mp4?X-Amz-Signature=abc&X-Amz-Expires=3600';
  const withPrompt = await host.request({ type: 'video', video: pageVideo(app, 9, A, { url, prompt: 'a cat surfing' }) });
  const bare = await host.request({ type: 'video', video: pageVideo(app, 10, A, { prompt: undefined }) });
  await waitForStates(host, [withPrompt.video_id, bare.video_id], 'synced');
  const m = app.messages.get(withPrompt.video_id).message;
  assert.equal(m.content, `Generated video: "a cat surfing"\n\n${url}`);
  assert.deepEqual(m.parts, [{ type: 'text', text: m.content }]);
  assert.equal(app.messages.get(bare.video_id).message.content, 'Generated video\n\nhttps://cdn.example/v/10.mp4');
  await host.close();
});

test('vidkeep sync: a user\'s admin token sends only that user\'s videos; a service token sends everyone\'s', async (t) => {
  let tokenIsUser = true;
  const app = await startChatApp({
    session: null,
    bearer: 'admin-secret',
    // The token writes like a signed-in request; the session endpoint says
    // whether it is a person's (B) or a service token (no user).
    authenticate: (req) => {
      if (req.headers.authorization !== 'Bearer admin-secret') return null;
      return req.url.startsWith('/api/auth/session') && !tokenIsUser ? null : B;
    },
  });
  const home = makeHome({ sync: { ...FAST, origins: [app.origin] } });
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  const ofA = (await host.request({ type: 'video', video: pageVideo(app, 1, A) })).video_id;
  const ofB = (await host.request({ type: 'video', video: pageVideo(app, 2, B) })).video_id;
  const nobodys = (await host.request({ type: 'video', video: pageVideo(app, 3, null) })).video_id;
  await host.close();
  const env = { ...process.env, ...home.env, VIDKEEP_TOKEN: 'admin-secret' };
  const vidkeep = path.join(BIN, 'vidkeep');

  const asB = await run(vidkeep, ['sync', '--once'], { env }).catch((e) => e);
  assert.match(asB.stdout, /Synced 2 videos; 0 failed, 1 need sign-in/);
  assert.ok(app.messages.has(ofB) && app.messages.has(nobodys));
  assert.ok(!app.messages.has(ofA));
  assert.equal(app.log.filter((e) => e.id === ofA).length, 0);
  const shown = JSON.parse((await run(vidkeep, ['show', ofA, '--json'], { env })).stdout);
  const record = shown.video ?? shown;
  assert.equal(record.sync, 'auth_required');
  assert.match(record.last_error, /waiting for demo@example\.com \(user 1234\) to sign in at .*; the admin's token belongs to guest-5678@example\.com \(user 5678\)/);

  tokenIsUser = false;
  const asService = await run(vidkeep, ['sync', '--once'], { env });
  assert.match(asService.stdout, /Synced 1 video; 0 failed, 0 need sign-in/);
  assert.equal(app.messages.get(ofA).writes, 1);
  assert.doesNotMatch(asB.stdout + asB.stderr + asService.stdout + asService.stderr, /admin-secret/);
});
