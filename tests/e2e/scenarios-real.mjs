// vidkeep against the REAL chat app's three versions (issue 12;
// shared/REAL-APP.md), played by the demo chat app's sse, ws and tool modes.
// The promise checked in each: after a reload, the chat's message store holds
// EXACTLY ONE message showing each generated video — counting the app's own
// save — with its prompt and thumbnail where the version has them; a video
// that arrives only by polling or in a new chat's first turn is kept with its
// data; a lapsed session followed by someone else's sign-in sends nothing
// into the first person's chat, and that person's sign-in then sends it; a
// save the app itself fails is made good by vidkeep; opening an old video
// adds nothing.
//
// Registered by run.mjs after scenarios-media.mjs; each runs in Chromium and
// Firefox ESR. Waits are for events or observed state, each bounded; the only
// fixed waits are the "nothing was sent" checks, which wait the host's grace
// period plus a margin, once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { videoIdFor } from '../lib/host.mjs';
import { REGULAR_USERS } from '../lib/demo-chat-app.mjs';
import { until } from './lib/browsers.mjs';
import { REAL_APP_GRACE_MS, stripQuery } from './lib/harness.mjs';

const DEMO_USER = REGULAR_USERS['demo@example.com'];
const GRACE = { sync: { app_save_grace_ms: REAL_APP_GRACE_MS } };
const MARGIN_MS = 2500;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The app's timings for these scenarios: quick generations, quick polling. */
const APP = { durationMs: 1200, streamDropMs: 20000, pollFirstMs: 300, pollEveryMs: 300, pollMaxMs: 30000 };

/**
 * Starts the app in `mode`, launches the browser, signs in as
 * demo@example.com, adds the origin on the options page and opens the chat
 * (tool: the new chat `/`, no id in its address). Returns {browser, tab, chatId}.
 */
async function readyReal(s, mode, appOptions = {}) {
  await s.startApp({ mode, ...APP, ...appOptions });
  const since = Date.now();
  const ready = await s.ready({ path: mode === 'tool' ? '/' : undefined });
  await waitLookup(s, DEMO_USER.id, since);
  return ready;
}

/**
 * Waits (bounded) until the host asked the app who is signed in (its lookup
 * at configure, docs/protocol-extensions.md) and was told `userId`, so the
 * identity vidkeep stamps on the next video is known.
 */
async function waitLookup(s, userId, since) {
  await until(() => s.app.demo.sessionLookups.some((l) => l.at >= since && l.userId === userId), { what: `a session lookup answered ${userId}`, timeoutMs: 10000, intervalMs: 100 });
}

/** The messages in `chatId` that show the video (REAL-APP: what a reload shows). */
const showing = (s, chatId, canonical) => s.app.demo.messagesWithVideo(chatId, canonical);

/** Asserts exactly one message of `chatId` shows `canonical`; returns it. */
function expectOneMessage(s, chatId, canonical, what) {
  const list = showing(s, chatId, canonical);
  assert.equal(list.length, 1, `${what}: ${list.length} messages in the chat show it (${list.map((m) => m.message.id).join(', ')})`);
  return list[0];
}

/** Runs window.demo.generate(opts) in the page without waiting for it; resolves with a waiter for its result. */
async function startGenerate(tab, opts) {
  const n = await tab.eval((o) => {
    const i = window.demo.results.length;
    window.demo.generate(o).then((r) => { window.demo.results[i] = r; }, (err) => { window.demo.results[i] = { error: String(err) }; });
    window.demo.results.length = i + 1;
    return i;
  }, opts);
  return () => tab.waitFor((i) => window.demo.results[i] || false, [n], { what: 'the page\'s generation to finish', timeoutMs: 30000 });
}

export const scenarios = [
  {
    id: '12', slug: 'real-sse-app-saves',
    title: 'SSE version: the page saves the video itself (random UUID): vidkeep sends nothing; one message shows it after a reload; opening it and an older video adds nothing',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'sse');
      // A video this chat got last week, before vidkeep: in the store, never seen by vidkeep.
      const old = s.app.demo.createProject({ chatId, prompt: 'an old video from last week', durationMs: 0, userMessage: false });
      const oldDelivery = s.app.demo.deliver(old, 'earlier');
      const oldId = randomUUID();
      s.app.messages.set(oldId, { chatId, userId: DEMO_USER.id, writes: 1, message: {
        id: oldId, role: 'assistant', content: '', parts: [{ type: 'text', text: '' }], createdAt: new Date(Date.now() - 7 * 86400000).toISOString(),
        attachments: [{ name: 'an old video from last week...', url: oldDelivery.url, contentType: 'video/mp4', thumbnailUrl: oldDelivery.thumbnailUrl }],
      } });
      const prompt = `a cat surfing a wave at sunset ${s.kind}`;
      const result = await s.generate(tab, prompt);
      assert.equal(result.via, 'sse', 'the page got the video from the event stream');
      assert.equal(result.appSave?.status, 200, `the app's own save: ${JSON.stringify(result.appSave)}`);
      const canonical = s.app.demo.canonicalVideoUrl(result.projectId);
      const [video] = await s.waitVideos((v) => v.find((x) => stripQuery(x.url) === canonical)?.sync === 'saved_by_app', 'the video saved_by_app')
        .then((v) => v.filter((x) => stripQuery(x.url) === canonical));
      assert.equal(video.source, 'sse');
      assert.equal(video.chat_id, chatId);
      assert.equal(video.prompt, prompt);
      assert.equal(stripQuery(video.thumbnail_url), s.app.demo.canonicalThumbUrl(result.projectId));
      assert.equal(video.app_message_id, result.appSave.id, 'the app\'s message id');

      // After a reload: tiles; a click on each opens the panel with the video.
      await tab.reload();
      for (const url of [canonical, s.app.demo.canonicalVideoUrl(old.id)]) {
        const tile = `.video-tile[data-url^="${url}?"]`;
        await tab.waitFor((sel) => document.querySelector(sel)?.querySelector('img.thumb')?.complete === true, [tile], { what: `the tile of ${url}` });
        await tab.click(tile);
        await tab.waitFor((u) => (document.querySelector('[data-testid="artifact"] video')?.getAttribute('src') ?? '').startsWith(`${u}?`), [url], { what: 'the opened video in the artifact panel' });
      }
      await s.shot(tab, 'chat-after-reload');
      // vidkeep saw the old video (a seen source): kept local, never sent.
      const oldCanonical = s.app.demo.canonicalVideoUrl(old.id);
      await s.waitVideos((v) => v.some((x) => stripQuery(x.url) === oldCanonical), 'the opened old video noticed');
      await sleep(REAL_APP_GRACE_MS + MARGIN_MS);
      const after = await s.videos();
      assert.equal(after.find((x) => stripQuery(x.url) === oldCanonical).sync, 'local', 'an old video opened from the history is not sent');
      assert.equal(after.find((x) => x.video_id === video.video_id).sync, 'saved_by_app');
      const mine = expectOneMessage(s, chatId, canonical, 'the generated video');
      assert.equal(mine.message.id, result.appSave.id, 'the one message is the app\'s own');
      expectOneMessage(s, chatId, oldCanonical, 'the old video');
      assert.deepEqual(s.app.log.map((e) => e.id), [result.appSave.id], 'the only save-message request is the app\'s');
    },
  },
  {
    id: '13', slug: 'real-sse-poll-only',
    title: 'SSE version, the stream dropped before the video: the page polls /api/file; vidkeep keeps the video from the polling answer (prompt, thumbnail); the app\'s save is the one message',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'sse', { durationMs: 2500, streamDropMs: 500 });
      const prompt = 'a lighthouse in a storm, seen only by polling';
      const result = await s.generate(tab, prompt);
      assert.equal(result.via, 'poll', 'the page got it by polling');
      assert.equal(result.project.streamDropped, true, 'the stream ended before the video');
      assert.ok(result.project.deliveries.every((d) => d.via === 'poll'), 'only polling answers carried the video');
      assert.equal(result.appSave?.status, 200);
      const canonical = s.app.demo.canonicalVideoUrl(result.projectId);
      const videos = await s.waitVideos((v) => v.find((x) => stripQuery(x.url) === canonical)?.sync === 'saved_by_app', 'the polled video saved_by_app');
      assert.equal(videos.length, 1, 'one record');
      const [video] = videos;
      assert.equal(video.source, 'poll');
      assert.equal(video.chat_id, chatId);
      assert.equal(video.prompt, prompt, 'the prompt from the file record');
      assert.equal(stripQuery(video.thumbnail_url), s.app.demo.canonicalThumbUrl(result.projectId), 'the thumbnail from the file record');
      await sleep(REAL_APP_GRACE_MS + MARGIN_MS);
      expectOneMessage(s, chatId, canonical, 'the polled video');
      assert.equal(s.app.log.length, 1, 'one save-message request: the app\'s');
      await tab.reload();
      await tab.waitFor((u) => document.querySelectorAll(`.video-tile[data-url^="${u}?"]`).length === 1, [canonical], { what: 'one tile after the reload' });
    },
  },
  {
    id: '14', slug: 'real-sse-app-save-fails',
    title: 'SSE version, the app\'s own save fails (its video-<timestamp> id: 500) or never runs: vidkeep sends the video, once',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'sse');
      const legacy = await (await startGenerate(tab, { prompt: 'a paper boat in the rain (legacy save)', appSave: 'legacy' }))();
      assert.match(legacy.appSave?.id ?? '', /^video-\d+-/);
      assert.equal(legacy.appSave.status, 500, 'the UUID column refuses the chat hook\'s id');
      const none = await (await startGenerate(tab, { prompt: 'a snail racing a tortoise (no save)', appSave: 'none' }))();
      assert.equal(none.appSave?.skipped, true);
      const urls = [legacy, none].map((r) => s.app.demo.canonicalVideoUrl(r.projectId));
      const videos = await s.waitVideos((v) => urls.every((u) => v.find((x) => stripQuery(x.url) === u)?.sync === 'synced'), 'both videos synced by vidkeep', 30000);
      for (const [i, url] of urls.entries()) {
        const video = videos.find((x) => stripQuery(x.url) === url);
        assert.equal(video.video_id, videoIdFor(chatId, url));
        assert.equal(s.okWrites(video.video_id), 1, `video ${i + 1} written once`);
        const shown = expectOneMessage(s, chatId, url, `video ${i + 1}`);
        assert.equal(shown.message.id, video.video_id, 'the one message is vidkeep\'s');
        assert.equal(stripQuery(shown.message.attachments?.[0]?.thumbnailUrl), s.app.demo.canonicalThumbUrl(i === 0 ? legacy.projectId : none.projectId), 'with its thumbnail');
      }
      await tab.reload();
      await tab.waitFor((list) => list.every((u) => document.querySelectorAll(`.video-tile[data-url^="${u}?"]`).length === 1), [urls], { what: 'one tile per video after the reload' });
      await s.shot(tab, 'chat-after-reload');
    },
  },
  {
    id: '15', slug: 'real-sse-lapse',
    title: 'SSE version, the session lapses before the video (the app\'s save gets 401): a new guest and another person signing in get nothing into the first person\'s chat; that person signing in again gets it, once',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'sse', { durationMs: 2500 });
      const waitResult = await startGenerate(tab, { prompt: 'a hot air balloon over the desert' });
      await until(() => s.app.demo.projects.size === 1, { what: 'the generation to start', timeoutMs: 10000, intervalMs: 50 });
      const project = [...s.app.demo.projects.values()][0];
      assert.ok(s.app.demo.progress(project) < 1, 'the session lapses while the video is being made');
      assert.ok(s.app.demo.lapse(DEMO_USER.id) >= 1, 'the demo user\'s session ended on the server');
      const result = await waitResult();
      assert.equal(result.appSave?.status, 401, `the app's own save after the lapse: ${JSON.stringify(result.appSave)}`);
      const canonical = s.app.demo.canonicalVideoUrl(result.projectId);
      const [video] = (await s.waitVideos((v) => v.find((x) => stripQuery(x.url) === canonical)?.sync === 'auth_required', 'the video waiting for its person to sign in'))
        .filter((x) => stripQuery(x.url) === canonical);
      assert.equal(video.account?.id, DEMO_USER.id, 'stamped with the person who made it');

      // A reload goes through the guest route: a NEW guest user, who gets 404 for this chat.
      await tab.reload();
      await tab.waitFor(() => document.getElementById('not-found') !== null, [], { what: 'the chat refused to the new guest (404)' });
      // Someone else signs in.
      const otherChat = randomUUID();
      await s.signIn(tab, `/chat/${otherChat}`, { other: true });
      await sleep(REAL_APP_GRACE_MS + MARGIN_MS);
      assert.equal(showing(s, chatId, canonical).length, 0, 'nothing sent into the first person\'s chat');
      assert.equal(s.okWrites(video.video_id), 0, 'vidkeep wrote nothing with someone else\'s session');
      assert.ok(![...s.app.messages.values()].some((m) => m.chatId === chatId && m.message.role === 'assistant'), 'no assistant message at all in that chat');
      assert.notEqual((await s.videos()).find((x) => x.video_id === video.video_id).sync, 'synced');

      // The same person signs in again: sent, once, by them.
      await s.signIn(tab, `/chat/${chatId}`);
      await s.waitVideos((v) => v.find((x) => x.video_id === video.video_id)?.sync === 'synced', 'synced after the same person signed in', 30000);
      const shown = expectOneMessage(s, chatId, canonical, 'the video');
      assert.equal(shown.userId, DEMO_USER.id, 'written with the demo user\'s session');
      assert.equal(s.okWrites(video.video_id), 1);
      await tab.reload();
      await tab.waitFor((u) => document.querySelectorAll(`.video-tile[data-url^="${u}?"]`).length === 1, [canonical], { what: 'the video\'s tile after the reload' });
    },
  },
  {
    id: '16', slug: 'real-ws',
    title: 'WS version: the video arrives in a WebSocket frame the page ignores and the app never saves: vidkeep keeps it (prompt, thumbnail) and sends it once; the text carries the link the page\'s empty box lacks',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'ws');
      const prompt = 'a whale breaching at dawn';
      const result = await s.generate(tab, prompt);
      assert.equal(result.project.wsSubscribed, true, 'the page subscribed');
      assert.deepEqual({ binary: result.frames.binary, images: result.frames.images }, { binary: 1, images: 1 });
      const panel = await tab.eval(() => ({ video: document.querySelector('[data-testid="artifact"] video') !== null, status: document.getElementById('artifact-status').textContent }));
      assert.deepEqual(panel, { video: false, status: 'Generating your video…' }, 'a finished video changes nothing on the page');
      const canonical = s.app.demo.canonicalVideoUrl(result.projectId);
      const videos = await s.waitVideos((v) => v.find((x) => stripQuery(x.url) === canonical)?.sync === 'synced', 'the WebSocket video synced');
      assert.equal(videos.length, 1, `only the video (no image, no binary-frame decoy): ${videos.map((v) => v.url).join(', ')}`);
      const [video] = videos;
      assert.equal(video.source, 'websocket');
      assert.equal(video.chat_id, chatId);
      assert.equal(video.prompt, prompt);
      assert.equal(stripQuery(video.thumbnail_url), s.app.demo.canonicalThumbUrl(result.projectId));
      const shown = expectOneMessage(s, chatId, canonical, 'the WebSocket video');
      assert.equal(shown.message.id, video.video_id);
      assert.equal(s.okWrites(video.video_id), 1);
      await tab.reload();
      const drawn = await tab.waitFor((id) => {
        const li = document.querySelector(`li.message.assistant[data-id="${id}"]`);
        return li && { text: li.querySelector('.content')?.textContent ?? '', box: li.querySelector('.attachment-box') !== null };
      }, [video.video_id], { what: 'vidkeep\'s message after the reload' });
      assert.ok(drawn.box, 'the attachment is an empty box (this version draws only images)');
      assert.ok(drawn.text.includes(canonical), 'the text carries the link');
      await s.shot(tab, 'chat-after-reload');
    },
  },
  {
    id: '17', slug: 'real-tool',
    title: 'TOOL version: a video in a new chat\'s first turn (address still /) and one shown only as tool text: both kept with their prompts and chat id, each in one message that shows it after a reload',
    config: GRACE,
    async run(s) {
      const { tab, chatId } = await readyReal(s, 'tool');
      assert.equal(await tab.eval(() => location.pathname), '/', 'a new chat has no id in its address');
      const prompts = ['a red fox dancing in the snow', 'a paper plane over the city'];
      const first = await s.generate(tab, prompts[0]);
      assert.equal(first.chatId, chatId);
      assert.equal(await tab.eval(() => location.pathname), `/chat/${chatId}`, 'the address gained the chat id after the first turn');
      const inline = await tab.eval(() => document.querySelector('[data-testid="message-assistant"] video')?.getAttribute('src'));
      assert.equal(inline, first.videoUrl, 'falVideoGeneration shows the video inline');
      await tab.eval(() => { document.getElementById('tool').value = 'configureVideoGeneration'; });
      const second = await s.generate(tab, prompts[1]);
      assert.equal(await tab.eval(() => document.querySelectorAll('[data-testid="message-assistant"] video').length), 1, 'configureVideoGeneration shows no video');
      const urls = [first, second].map((r) => stripQuery(r.videoUrl));
      const videos = await s.waitVideos((v) => urls.every((u) => v.find((x) => stripQuery(x.url) === u)?.sync === 'synced'), 'both tool videos synced', 30000);
      assert.equal(videos.length, 2);
      for (const [i, url] of urls.entries()) {
        const video = videos.find((x) => stripQuery(x.url) === url);
        assert.equal(video.chat_id, chatId, `video ${i + 1}: the chat id the address gained`);
        assert.equal(video.video_id, videoIdFor(chatId, url));
        assert.equal(video.source, 'tool', `video ${i + 1} from the tool result`);
        assert.equal(video.prompt, prompts[i], `video ${i + 1} prompt from the tool output`);
        const shown = expectOneMessage(s, chatId, url, `video ${i + 1}`);
        assert.equal(shown.message.id, video.video_id, 'the one message that shows it is vidkeep\'s (the app kept it only in a tool part)');
        assert.equal(s.okWrites(video.video_id), 1);
      }
      const toolParts = [...s.app.messages.values()].filter((m) => m.chatId === chatId).flatMap((m) => m.message.parts ?? []).filter((p) => String(p.type).startsWith('tool-'));
      assert.equal(toolParts.length, 2, 'the app saved each video in its own tool part');
      await tab.reload();
      const text = await tab.waitFor((list) => {
        const t = document.getElementById('messages')?.innerText ?? '';
        return list.every((u) => t.includes(u)) && t;
      }, [urls], { what: 'both links in the reloaded chat\'s text' });
      assert.ok(text.includes(prompts[0]));
      await s.shot(tab, 'chat-after-reload');
    },
  },
];
