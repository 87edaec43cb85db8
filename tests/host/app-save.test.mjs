// The host's side of the real chat app (issue 12, docs/protocol-extensions.md
// "The real chat app") through the real binary over pipes: capture sources,
// accounts, why a video stays local, the grace before a send, and the app's
// own saves (`app_save`), with a loopback chat app where sending matters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHome, startHost, video, runCli } from '../lib/host.mjs';
import { startChatApp, SESSION_COOKIE } from '../lib/chat-app.mjs';

const CHAT = '3f2c0000-0000-4000-8000-0000000000c1';
const FAST = { backoff_base_ms: 5, backoff_cap_ms: 100, request_timeout_ms: 1500, connect_timeout_ms: 1000, lease_ms: 3000 };

/** A video of CHAT on `origin`'s page. */
function chatVideo(n, extra = {}, origin = 'https://chat.example') {
  return video(n, { chat_id: CHAT, page_url: `${origin}/chat/${CHAT}`, ...extra });
}

function save(phase, attachments, extra = {}, origin = 'https://chat.example') {
  return { type: 'app_save', save: { chat_id: CHAT, phase, page_url: `${origin}/chat/${CHAT}`, attachments, ...extra } };
}

const mp4 = (n, extra = {}) => ({ url: `https://cdn.example/v/${n}.mp4`, content_type: 'video/mp4', ...extra });

async function configure(host, app) {
  const a = await host.request({ type: 'configure', server: { origin: app.origin, auth: { cookie: `${SESSION_COOKIE}=good-session` } } });
  assert.equal(a.ok, true);
}

/** Resolves with the first sync_state event of `id` in `state`. */
function stateOf(host, id, state, timeoutMs = 10000) {
  return host.event((e) => e.type === 'sync_state' && e.video_id === id && e.sync === state, timeoutMs);
}

test('capture sources, the account, and why a video stays local', async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());

  const ids = [];
  for (const [n, source] of [[1, 'sse'], [2, 'websocket'], [3, 'poll'], [4, 'tool'], [5, 'manual']]) {
    const a = await host.request({ type: 'video', video: chatVideo(n, { source }) });
    ids.push(a.video_id);
    assert.equal(a.sync, 'pending', source);
    assert.equal((await host.request({ type: 'get', video_id: a.video_id })).video.source, source);
  }
  const app = await host.request({ type: 'video', video: chatVideo(6, { source: 'app' }) });
  assert.equal(app.error.code, 'bad_request');
  assert.match(app.error.message, /video\.source/);

  const withAccount = await host.request({ type: 'video', video: chatVideo(7, { account: { id: 'u-7', label: 'ann@example.com' } }) });
  const got = await host.request({ type: 'get', video_id: withAccount.video_id });
  assert.deepEqual(got.video.account, { id: 'u-7', label: 'ann@example.com' });
  assert.equal('app_message_id' in got.video, false, 'record format 2: no key for an unknown value');
  const noAccount = await host.request({ type: 'get', video_id: ids[0] });
  assert.equal('account' in noAccount.video, false);
  const badAccount = await host.request({ type: 'video', video: chatVideo(8, { account: { id: 8 } }) });
  assert.equal(badAccount.error.code, 'bad_request');
  assert.match(badAccount.error.message, /video\.account\.id/);

  // Seen on the page only: local, with the reason, until it is generated.
  for (const source of ['artifact', 'inline']) {
    const seen = await host.request({ type: 'video', video: chatVideo(source === 'artifact' ? 10 : 11, { source }) });
    assert.equal(seen.sync, 'local', source);
    const v = (await host.request({ type: 'get', video_id: seen.video_id })).video;
    assert.equal(v.last_error, "seen on the page only (opened from the chat's history?): not sent; resync sends it");
  }
  const promoted = await host.request({ type: 'video', video: chatVideo(10, { source: 'tool', url: 'https://cdn.example/v/10.mp4?X-Amz-Signature=new' }) });
  assert.equal(promoted.duplicate, true);
  assert.equal(promoted.sync, 'pending');
  const event = await stateOf(host, promoted.video_id, 'pending');
  assert.equal(event.last_error, undefined);
  // resync sends the other seen-only one.
  const inline = (await host.request({ type: 'list', sync: 'local' })).videos.find((v) => v.source === 'inline');
  assert.equal((await host.request({ type: 'resync', video_ids: [inline.video_id] })).queued, 1);

  // A chat id the app would refuse: local with the reason, never promoted.
  const bad = await host.request({ type: 'video', video: video(12, { chat_id: 'chat-12', page_url: 'https://chat.example/chat/chat-12' }) });
  assert.equal(bad.sync, 'local');
  const badAgain = await host.request({ type: 'video', video: video(12, { chat_id: 'chat-12', page_url: 'https://chat.example/chat/chat-12', source: 'tool' }) });
  assert.equal(badAgain.sync, 'local');
  assert.equal((await host.request({ type: 'get', video_id: bad.video_id })).video.last_error,
    'chat id "chat-12" is not a UUID: the chat app would refuse it');
  const noChat = await host.request({ type: 'video', video: video(13, { chat_id: undefined }) });
  assert.equal((await host.request({ type: 'get', video_id: noChat.video_id })).video.last_error,
    "no chat id: the page's address named no chat when the video was made");
  assert.equal((await host.close()).code, 0);
  assert.deepEqual(host.protocolErrors, []);
});

test('sync.chat_id_pattern "" accepts any chat id; an invalid one is a config error naming the key', async (t) => {
  const any = makeHome({ sync: { chat_id_pattern: '' } });
  t.after(any.cleanup);
  const host = startHost({ env: any.env });
  t.after(() => host.stop());
  const a = await host.request({ type: 'video', video: video(1, { chat_id: 'chat-1', page_url: 'https://chat.example/chat/chat-1' }) });
  assert.equal(a.sync, 'pending');
  await host.close();

  const broken = makeHome({ sync: { chat_id_pattern: '[0-9' } });
  t.after(broken.cleanup);
  const h = startHost({ env: broken.env });
  t.after(() => h.stop());
  const refused = await h.request({ type: 'video', video: video(1) });
  assert.equal(refused.error.code, 'unavailable');
  assert.match(refused.error.message, /sync\.chat_id_pattern/);
});

test('a new video is not sent before the grace; then it is', async (t) => {
  const GRACE = 1500;
  const home = makeHome({ sync: { ...FAST, app_save_grace_ms: GRACE } });
  const app = await startChatApp();
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  await configure(host, app);
  const stored = Date.now();
  const a = await host.request({ type: 'video', video: chatVideo(1, {}, app.origin) });
  assert.equal(a.sync, 'pending');
  const show = await runCli(['show', a.video_id], { env: home.env });
  assert.match(show.stdout, /Next attempt\s+not before 20\d\d-/);
  await stateOf(host, a.video_id, 'synced', 10000);
  const sent = app.log.find((e) => e.id === a.video_id);
  assert.ok(sent, 'the chat app got it');
  assert.ok(sent.at - stored >= GRACE - 50, `sent ${sent.at - stored} ms after it was stored; the grace is ${GRACE}`);
  assert.equal(app.log.length, 1);
  assert.equal((await host.close()).code, 0);
});

test('app_save: started holds a video back, a failed save sends it at once, a 2xx makes it saved_by_app', async (t) => {
  const home = makeHome({ sync: { ...FAST, app_save_grace_ms: 1000, app_save_wait_ms: 60000 } });
  const app = await startChatApp();
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  await configure(host, app);

  // Started, then failed (500): due at once, sent well before the grace and the wait.
  const a = await host.request({ type: 'video', video: chatVideo(1, {}, app.origin) });
  const started = await host.request(save('started', [mp4(1, { url: 'https://cdn.example/v/1.mp4?X-Amz-Signature=s' })], {}, app.origin));
  assert.equal(started.matched, 1);
  const failedAt = Date.now();
  const failed = await host.request(save('finished', [mp4(1)], { http_status: 500, message_id: 'b1d4c0de-0000-4000-8000-000000000001' }, app.origin));
  assert.equal(failed.matched, 1);
  await stateOf(host, a.video_id, 'synced', 5000);
  assert.ok(Date.now() - failedAt < 1000, 'sent at once after the app failed');
  const got = await host.request({ type: 'get', video_id: a.video_id });
  assert.equal(got.history[0].reason, "the app's own save failed (HTTP 500)");
  assert.equal(got.history[0].http_status, 500);

  // Started then finished 200 within the grace: never sent.
  const b = await host.request({ type: 'video', video: chatVideo(2, { account: { id: 'u-1', label: 'ann' } }, app.origin) });
  await host.request(save('started', [mp4(2)], {}, app.origin));
  const ok = await host.request(save('finished', [mp4(2), { url: 'https://cdn.example/notes.md', content_type: 'text/markdown' }],
    { http_status: 200, message_id: 'app-message-2' }, app.origin));
  assert.equal(ok.matched, 1);
  const event = await stateOf(host, b.video_id, 'saved_by_app');
  assert.equal(event.sync, 'saved_by_app');
  const byApp = (await host.request({ type: 'get', video_id: b.video_id })).video;
  assert.equal(byApp.app_message_id, 'app-message-2');
  assert.deepEqual(byApp.account, { id: 'u-1', label: 'ann' });
  // resync never makes a second message of it.
  assert.equal((await host.request({ type: 'resync', video_ids: [b.video_id] })).queued, 0);
  const status = await host.request({ type: 'status' });
  assert.equal(status.saved_by_app, 1);
  assert.equal(status.synced, 1);
  // Past the grace, still nothing sent for it.
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal(app.log.filter((e) => e.id === b.video_id).length, 0);

  // Already synced, then the app saves it too: stays synced, history says so.
  await host.request(save('finished', [mp4(1)], { http_status: 201, message_id: 'app-message-1' }, app.origin));
  const synced = await host.request({ type: 'get', video_id: a.video_id });
  assert.equal(synced.video.sync, 'synced');
  assert.equal(synced.history.at(-1).reason, 'the app saved it too (message app-message-1)');

  // A chat id the app would refuse is ignored.
  const other = await host.request({ type: 'app_save', save: { chat_id: 'chat-x', phase: 'finished', http_status: 200, page_url: `${app.origin}/chat/chat-x`, attachments: [mp4(9)] } });
  assert.equal(other.matched, 0);
  assert.equal((await host.request({ type: 'status' })).videos, 2);
  assert.equal(app.log.length, 1);
  assert.equal((await host.close()).code, 0);
});

test('app_save of unseen videos: saved_by_app with source app, then the capture fills it in; a failed one is sent', async (t) => {
  const home = makeHome({ sync: { ...FAST, app_save_grace_ms: 60000 } });
  const app = await startChatApp();
  t.after(async () => { await app.close(); home.cleanup(); });
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  await configure(host, app);

  const ok = await host.request(save('finished', [mp4(1, { thumbnail_url: 'https://cdn.example/v/1.webp' })],
    { http_status: 200, message_id: 'm-1', account: { id: 'u-1' } }, app.origin));
  assert.equal(ok.matched, 1);
  const [created] = (await host.request({ type: 'list', sync: 'saved_by_app' })).videos;
  assert.equal(created.source, 'app');
  assert.equal(created.thumbnail_url, 'https://cdn.example/v/1.webp');
  assert.equal(created.chat_id, CHAT);
  assert.equal('prompt' in created, false);
  await stateOf(host, created.video_id, 'saved_by_app');

  const capture = await host.request({ type: 'video', video: chatVideo(1, { prompt: 'a cat surfing', meta: { width: 1280 } }, app.origin) });
  assert.equal(capture.video_id, created.video_id);
  assert.equal(capture.duplicate, true);
  assert.equal(capture.sync, 'saved_by_app');
  const filled = (await host.request({ type: 'get', video_id: created.video_id })).video;
  assert.equal(filled.prompt, 'a cat surfing');
  assert.equal(filled.meta.width, 1280);
  assert.deepEqual(filled.account, { id: 'u-1' });

  // Unseen, and the app's save got no answer: vidkeep sends it now, grace or not.
  const lost = await host.request(save('finished', [mp4(2)], { http_status: 0 }, app.origin));
  assert.equal(lost.matched, 1);
  // Not filtered by state: the sender may already have sent it by now.
  const pending = (await host.request({ type: 'list' })).videos.find((v) => v.url === 'https://cdn.example/v/2.mp4');
  assert.equal(pending.source, 'app');
  assert.notEqual(pending.sync, 'saved_by_app');
  await stateOf(host, pending.video_id, 'synced', 5000);
  assert.equal(app.messages.get(pending.video_id).message.attachments[0].url, 'https://cdn.example/v/2.mp4');
  assert.equal(app.log.length, 1);
  assert.equal((await host.close()).code, 0);
});

test('app_save: bad input is refused field by field', async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const cases = [
    [{ type: 'app_save' }, 'bad_request', "'save'"],
    [save('done', [mp4(1)]), 'bad_request', 'save.phase'],
    [{ type: 'app_save', save: { phase: 'started', page_url: 'https://chat.example/', attachments: [] } }, 'bad_request', 'save.chat_id'],
    [save('finished', [mp4(1)], { http_status: '500' }), 'bad_request', 'save.http_status'],
    [save('finished', 'x'), 'bad_request', 'save.attachments'],
    [save('finished', Array.from({ length: 33 }, (_, i) => mp4(i))), 'too_large', 'save.attachments'],
    [save('finished', [{ url: 5 }]), 'bad_request', 'save.attachments[0].url'],
    [save('finished', [mp4(1, { thumbnail_url: {} })]), 'bad_request', 'save.attachments[0].thumbnail_url'],
    [save('finished', [mp4(1)], { page_url: 'file:///etc/passwd' }), 'invalid_url', 'save.page_url'],
    [save('finished', [mp4(1)], { account: { id: 'u', label: 'x'.repeat(201) } }), 'too_large', 'save.account.label'],
    [save('finished', [mp4(1)], { message_id: ['m'] }), 'bad_request', 'save.message_id'],
  ];
  for (const [request, code, field] of cases) {
    const a = await host.request(request);
    assert.equal(a.ok, false, field);
    assert.equal(a.error.code, code, field);
    assert.ok(a.error.message.includes(field), `${a.error.message} names ${field}`);
  }
  // Nothing was stored, and the host still serves.
  assert.equal((await host.request({ type: 'status' })).videos, 0);
  assert.equal((await host.close()).code, 0);
  assert.deepEqual(host.protocolErrors, []);
});

test('the CLI: list --sync saved_by_app, show with account and app message, stats, exports', async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const a = await host.request({ type: 'video', video: chatVideo(1, { prompt: 'kept by the app', account: { id: 'u-1', label: 'ann@example.com' } }) });
  await host.request({ type: 'video', video: chatVideo(2, { prompt: 'kept by vidkeep' }) });
  assert.equal((await host.request(save('finished', [mp4(1)], { http_status: 200, message_id: 'app-msg-1' }))).matched, 1);
  await host.close();
  const cli = (args) => runCli(args, { env: home.env });

  const table = await cli(['list', '--sync', 'saved_by_app']);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /saved_by_app/);
  assert.match(table.stdout, /kept by the app/);
  assert.doesNotMatch(table.stdout, /kept by vidkeep/);
  const listed = JSON.parse((await cli(['list', '--sync', 'saved_by_app', '--json'])).stdout);
  assert.equal(listed.length, 1);
  assert.deepEqual(listed[0].account, { id: 'u-1', label: 'ann@example.com' });
  assert.equal(listed[0].app_message_id, 'app-msg-1');

  const show = await cli(['show', a.video_id.slice(0, 8)]);
  assert.match(show.stdout, /Account\s+ann@example\.com \(id u-1\)/);
  assert.match(show.stdout, /Sync\s+saved by the app \(message app-msg-1\)/);
  assert.match(show.stdout, /saved by the app \(message app-msg-1\)/);

  const stats = JSON.parse((await cli(['stats', '--json'])).stdout);
  assert.equal(stats.saved_by_app, 1);
  assert.equal(stats.pending, 1);
  assert.match((await cli(['stats'])).stdout, /saved_by_app\s+1/);

  const json = JSON.parse((await cli(['export', '--format', 'json'])).stdout);
  const exported = json.find((v) => v.video_id === a.video_id);
  assert.deepEqual(exported.account, { id: 'u-1', label: 'ann@example.com' });
  assert.equal(exported.app_message_id, 'app-msg-1');
  const csv = (await cli(['export', '--format', 'csv'])).stdout.trim().split('\r\n');
  assert.deepEqual(csv[0].split(',').slice(-3), ['account_id', 'account_label', 'app_message_id']);
  assert.ok(csv.some((row) => row.endsWith(',u-1,ann@example.com,app-msg-1')), csv.join('\n'));
  const html = (await cli(['export', '--format', 'html'])).stdout;
  assert.match(html, /badge saved_by_app/);
  assert.match(html, /app message app-msg-1/);
});
