// The demo chat app alone (no browser, no vidkeep): each mode's endpoints
// answer as shared/REAL-APP.md says the real app does, so the end-to-end
// scenarios that stand on them prove something. Run by tests/e2e/run.sh
// before the browsers start:  node --test tests/e2e/demo-app.test.mjs
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { makeMedia } from '../lib/media.mjs';
import { REGULAR_USERS, startDemoChatApp } from '../lib/demo-chat-app.mjs';

const DEMO = REGULAR_USERS['demo@example.com'];
const OTHER = REGULAR_USERS['other@example.com'];
let mediaDir;
let workDir;

before(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'vidkeep-demo-app-'));
  mediaDir = await makeMedia(path.join(workDir, 'media'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

/** A tiny cookie-keeping client of one app (redirects not followed). */
function client(app, cookieName) {
  const jar = new Map();
  const c = {
    jar,
    cookie() { return [...jar].map(([k, v]) => `${k}=${v}`).join('; '); },
    async request(p, { method = 'GET', body, form, headers = {} } = {}) {
      const h = { ...headers };
      if (jar.size) h.cookie = c.cookie();
      let payload;
      if (form) { h['content-type'] = 'application/x-www-form-urlencoded'; payload = new URLSearchParams(form).toString(); }
      else if (body !== undefined) { h['content-type'] = 'application/json'; payload = JSON.stringify(body); }
      const res = await fetch(new URL(p, app.origin), { method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(15000) });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(/;\s*/);
        const [k, v] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
        if (attrs.some((a) => /^max-age=0$/i.test(a)) || v === '') jar.delete(k); else jar.set(k, v);
      }
      return res;
    },
    async json(p, opts) { const r = await c.request(p, opts); return { status: r.status, body: await r.json() }; },
    async session() { return (await c.json('/api/auth/session')).body; },
    token() { return jar.get(cookieName); },
    /** Visits `p` the way a browser does: through the guest route when it sends us there. */
    async visit(p) {
      let res = await c.request(p);
      for (let hops = 0; hops < 3 && res.status >= 300 && res.status < 400; hops++) {
        await res.arrayBuffer();
        res = await c.request(res.headers.get('location'));
      }
      return res;
    },
    async signIn(email) {
      const res = await c.request('/api/auth/signin', { method: 'POST', form: { email, next: '/' } });
      assert.equal(res.status, 303);
    },
  };
  return c;
}

/** `text/event-stream` body -> the parsed `data:` payloads (JSON, or the raw text). */
function sseEvents(text) {
  return text.split('\n\n').map((e) => e.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n'))
    .filter(Boolean).map((d) => { try { return JSON.parse(d); } catch { return d; } });
}

const appSaveBody = (chatId, id, url, thumb) => ({ chatId, message: {
  id, role: 'assistant', content: '', parts: [{ type: 'text', text: '' }], createdAt: new Date().toISOString(),
  attachments: [{ name: 'a cat surfing a wave at sunset...', url, contentType: 'video/mp4', thumbnailUrl: thumb }],
} });

describe('users and sessions (sse mode)', () => {
  let app;
  before(async () => { app = await startDemoChatApp({ mode: 'sse', mediaDir }); });
  after(() => app.close());

  test('no session: the session endpoint answers null and a page visit goes through the guest route', async () => {
    const c = client(app, 'authjs.session-token');
    assert.equal(await c.session(), null);
    const chatId = randomUUID();
    const res = await c.request(`/chat/${chatId}`);
    assert.equal(res.status, 307);
    const to = new URL(res.headers.get('location'), app.origin);
    assert.equal(to.pathname, '/api/auth/guest');
    assert.equal(to.searchParams.get('redirectUrl'), `${app.origin}/chat/${chatId}`);
    const guest = await c.request(to.pathname + to.search);
    assert.equal(guest.status, 307);
    assert.equal(guest.headers.get('location'), `/chat/${chatId}`);
    assert.ok(c.token(), 'the guest route set authjs.session-token');
    const s = await c.session();
    assert.equal(s.user.type, 'guest');
    assert.ok(s.user.id && s.user.email && s.expires);
    assert.equal((await c.request(`/chat/${chatId}`)).status, 200);
  });

  test('the guest route makes a NEW guest user on every visit', async () => {
    const ids = new Set();
    for (let i = 0; i < 3; i++) {
      const c = client(app, 'authjs.session-token');
      assert.equal((await c.visit('/')).status, 200);
      ids.add((await c.session()).user.id);
    }
    assert.equal(ids.size, 3);
  });

  test('signing in as the same regular user again gives a new cookie, the same user; another account is another user', async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('demo@example.com');
    const first = a.token();
    assert.deepEqual((await a.session()).user, DEMO);
    await a.signIn('demo@example.com');
    assert.notEqual(a.token(), first, 'the cookie value is re-issued');
    assert.deepEqual((await a.session()).user, DEMO);
    const b = client(app, 'authjs.session-token');
    await b.signIn('other@example.com');
    assert.deepEqual((await b.session()).user, OTHER);
  });

  test('a lapse ends the session on the server: the old cookie counts as nobody; sign-out too', async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('other@example.com');
    assert.equal(app.demo.lapse('other@example.com') >= 1, true);
    assert.equal(await a.session(), null);
    await a.signIn('other@example.com');
    const old = a.cookie();
    assert.equal((await a.request('/api/auth/signout', { method: 'POST', form: { next: '/' } })).status, 303);
    assert.equal(a.token(), undefined, 'the cookie is cleared');
    const replay = await fetch(`${app.origin}/api/auth/session`, { headers: { cookie: old } });
    assert.equal(await replay.json(), null, 'the old cookie no longer works');
  });

  test('the __Secure- and chunked forms of the cookie count', async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('demo@example.com');
    const token = a.token();
    const secure = await fetch(`${app.origin}/api/auth/session`, { headers: { cookie: `__Secure-authjs.session-token=${token}` } });
    assert.equal((await secure.json()).user.id, DEMO.id);
    const cut = Math.floor(token.length / 2);
    const chunked = await fetch(`${app.origin}/api/auth/session`, { headers: { cookie: `authjs.session-token.0=${token.slice(0, cut)}; authjs.session-token.1=${token.slice(cut)}` } });
    assert.equal((await chunked.json()).user.id, DEMO.id);
  });

  test("a chat is its maker's: another user gets 404 for its page, the save route has no ownership check", async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('demo@example.com');
    const chatId = randomUUID();
    assert.equal((await a.request(`/chat/${chatId}`)).status, 200);
    const g = client(app, 'authjs.session-token');
    assert.equal((await g.visit(`/chat/${chatId}`)).status, 404);
    const url = `${app.origin}/cdn/v/${randomUUID()}.mp4`;
    const saved = await g.request('/api/save-message', { method: 'POST', body: appSaveBody(chatId, randomUUID(), `${url}?sig=1`, null) });
    assert.equal(saved.status, 200, 'a guest writes into the demo user\'s chat');
    const [entry] = app.demo.messagesWithVideo(chatId, url);
    assert.equal(entry.userId, (await g.session()).user.id, 'the store records who wrote it');
  });
});

describe('the app saves videos itself (sse mode)', () => {
  let app;
  before(async () => { app = await startDemoChatApp({ mode: 'sse', mediaDir }); });
  after(() => app.close());

  test('a random UUID id with one video attachment is stored and shows the video; a video-<timestamp> id is a 500; no session is a 401', async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('demo@example.com');
    const chatId = randomUUID();
    const pid = randomUUID();
    const canonical = app.demo.canonicalVideoUrl(pid);
    const ok = await a.request('/api/save-message', { method: 'POST', body: appSaveBody(chatId, randomUUID(), `${canonical}?X-Amz-Signature=ab`, `${app.origin}/cdn/v/${pid}.webp?s=1`) });
    assert.equal(ok.status, 200);
    const legacy = await a.request('/api/save-message', { method: 'POST', body: appSaveBody(chatId, `video-${Date.now()}-k3j2h1`, `${canonical}?X-Amz-Signature=cd`) });
    assert.equal(legacy.status, 500);
    const nobody = client(app, 'authjs.session-token');
    assert.equal((await nobody.request('/api/save-message', { method: 'POST', body: appSaveBody(chatId, randomUUID(), canonical) })).status, 401);
    assert.equal(app.demo.messagesWithVideo(chatId, canonical).length, 1);
    // vidkeep's message: the link in the text counts too.
    const text = `Generated video: "x"\n\n${canonical}?X-Amz-Signature=ef`;
    await a.request('/api/save-message', { method: 'POST', body: { chatId, message: { id: randomUUID(), role: 'assistant', content: text, parts: [{ type: 'text', text }] } } });
    assert.equal(app.demo.messagesWithVideo(chatId, canonical).length, 2);
    assert.equal(app.demo.messagesWithVideo(chatId, `${app.origin}/cdn/v/${randomUUID()}.mp4`).length, 0);
  });

  test('after a reload the chat draws a saved video attachment as a tile with its thumbnail', async () => {
    const a = client(app, 'authjs.session-token');
    await a.signIn('demo@example.com');
    const chatId = randomUUID();
    const pid = randomUUID();
    await a.request('/api/save-message', { method: 'POST', body: appSaveBody(chatId, randomUUID(), `${app.origin}/cdn/v/${pid}.mp4?s=1`, `${app.origin}/cdn/v/${pid}.webp?s=1`) });
    const html = await (await a.request(`/chat/${chatId}`)).text();
    assert.match(html, /class="video-tile" data-url="[^"]+\/cdn\/v\/[^"]+\.mp4\?s=1"/);
    assert.match(html, /<img class="thumb" alt="" src="[^"]+\.webp\?s=1">/);
    assert.doesNotMatch(html, /<video/, 'no <video> until the tile is clicked');
  });
});

describe('SSE: the stream, its drop, and polling (sse mode)', () => {
  let app;
  let c;
  before(async () => {
    app = await startDemoChatApp({ mode: 'sse', mediaDir });
    c = client(app, 'authjs.session-token');
    await c.signIn('demo@example.com');
  });
  after(() => app.close());

  test('the stream carries {type, object}: a task, the video file in progress, decoys (audio, an image), then the finished video file', async () => {
    const { body: project } = await c.json('/api/generate', { method: 'POST', body: { chatId: randomUUID(), prompt: 'a red fox', durationMs: 300, streamDropMs: 1500 } });
    const t0 = Date.now();
    const events = sseEvents(await (await c.request(`/api/events/project.${project.projectId}`)).text());
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(events[0].type, 'task');
    const files = events.filter((e) => e.type === 'file').map((e) => e.object);
    const [pending] = files;
    assert.equal(pending.type, 'video');
    assert.equal(pending.url, null);
    assert.equal(pending.thumbnail_url, null);
    assert.equal(pending.tasks[0].status, 'in_progress');
    assert.ok(files.some((f) => f.type === 'image' && /\.webp\?/.test(f.url)), 'an image file event');
    assert.ok(files.some((f) => f.type === 'audio' && f.url === null), 'an audio file in progress');
    const done = files.filter((f) => f.type === 'video' && f.url);
    assert.equal(done.length, 1);
    assert.equal(done[0].id, project.fileId);
    assert.match(done[0].url, /\/cdn\/v\/[0-9a-f-]+\.mp4\?X-Amz/);
    assert.match(done[0].thumbnail_url, /\.webp\?X-Amz/);
    assert.equal(done[0].video_generation.prompt, 'a red fox');
    for (const k of ['duration', 'width', 'height']) assert.equal(typeof done[0].video_generation[k], 'number');
    assert.equal(done[0].tasks[0].status, 'completed');
    assert.equal(app.demo.projects.get(project.projectId).streamDropped, false);
  });

  test('the server drops the stream before the video; /api/file and /api/project answer in progress, then the finished record', async () => {
    const { body: project } = await c.json('/api/generate', { method: 'POST', body: { chatId: randomUUID(), prompt: 'slow', durationMs: 1200, streamDropMs: 200 } });
    const t0 = Date.now();
    const events = sseEvents(await (await c.request(`/api/events/project.${project.projectId}`)).text());
    const streamMs = Date.now() - t0;
    assert.ok(streamMs >= 150 && streamMs < 1100, `the stream ended after ${streamMs} ms`);
    assert.equal(events.filter((e) => e.type === 'file' && e.object.type === 'video' && e.object.url).length, 0, 'no video on the stream');
    assert.equal(app.demo.projects.get(project.projectId).streamDropped, true);
    const early = await c.json(`/api/file/${project.fileId}`);
    assert.equal(early.status, 200);
    assert.equal(early.body.url, null);
    assert.equal(early.body.tasks[0].status, 'in_progress');
    const deadline = Date.now() + 5000;
    let file;
    while (Date.now() < deadline) {
      file = (await c.json(`/api/file/${project.fileId}`)).body;
      if (file.url) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(file.url, /\.mp4\?X-Amz/);
    assert.match(file.thumbnail_url, /\.webp\?X-Amz/);
    assert.equal(file.video_generation.prompt, 'slow');
    const proj = (await c.json(`/api/project/${project.projectId}`)).body;
    assert.equal(proj.id, project.projectId);
    assert.match(proj.files[0].url, /\.mp4\?/);
    assert.equal((await c.request(`/api/file/${randomUUID()}`)).status, 404);
    const vias = app.demo.projects.get(project.projectId).deliveries.map((d) => d.via);
    assert.ok(vias.length >= 2 && vias.every((v) => v === 'poll'), `deliveries: ${vias}`);
  });
});

describe('WS mode', () => {
  let app;
  let c;
  before(async () => {
    app = await startDemoChatApp({ mode: 'ws', mediaDir });
    c = client(app, 'authjs.session-token');
    await c.signIn('demo@example.com');
  });
  after(() => app.close());

  test('the socket answers a subscribe frame with one JSON text frame per event, a binary decoy, and closes', async () => {
    const { body: project } = await c.json('/api/generate', { method: 'POST', body: { chatId: randomUUID(), prompt: 'a whale', durationMs: 300 } });
    const ws = new WebSocket(`${app.origin.replace('http', 'ws')}/api/v1/ws/project.${project.projectId}`);
    const text = [];
    let binary = 0;
    const closed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no close within 5 s')), 5000);
      ws.on('close', (code) => { clearTimeout(timer); resolve(code); });
      ws.on('error', reject);
    });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', channel: `project.${project.projectId}` })));
    ws.on('message', (data, isBinary) => { if (isBinary) binary++; else text.push(JSON.parse(data.toString('utf8'))); });
    assert.equal(await closed, 1000);
    assert.equal(binary, 1, 'one binary frame');
    assert.ok(text.every((f) => typeof f.type === 'string' && f.object), 'each text frame is {type, object}');
    const files = text.filter((f) => f.type === 'file').map((f) => f.object);
    assert.ok(files.some((f) => f.type === 'image' && f.url));
    const videos = files.filter((f) => f.type === 'video');
    assert.equal(videos[0].url, null);
    assert.equal(videos.at(-1).id, project.fileId);
    assert.match(videos.at(-1).url, /\.mp4\?X-Amz/);
    assert.equal(videos.at(-1).video_generation.prompt, 'a whale');
    assert.equal(app.demo.projects.get(project.projectId).wsSubscribed, true);
  });

  test('without a session /api/* answers 307 to the guest route (the save route too)', async () => {
    const nobody = client(app, 'authjs.session-token');
    for (const [p, body] of [['/api/generate', { prompt: 'x' }], ['/api/save-message', appSaveBody(randomUUID(), randomUUID(), `${app.origin}/cdn/v/x.mp4`)]]) {
      const res = await nobody.request(p, { method: 'POST', body });
      assert.equal(res.status, 307, p);
      assert.match(res.headers.get('location'), /^\/api\/auth\/guest\?redirectUrl=/, p);
    }
  });
});

describe('TOOL mode', () => {
  let app;
  before(async () => { app = await startDemoChatApp({ mode: 'tool', mediaDir }); });
  after(() => app.close());

  test('the session cookie is next-auth.session-token; `/` is a new chat page that keeps its address', async () => {
    const c = client(app, 'next-auth.session-token');
    await c.signIn('demo@example.com');
    assert.ok(c.token(), 'next-auth.session-token set');
    assert.equal(c.jar.has('authjs.session-token'), false);
    const res = await c.request('/');
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /data-new-chat="true"/);
    assert.match(html, /data-chat-id="[0-9a-f-]{36}"/);
  });

  test('POST /api/chat streams an AI SDK v5 UI-message stream with tool-output-available; the server saves the tool part, which shows no video', async () => {
    const c = client(app, 'next-auth.session-token');
    await c.signIn('demo@example.com');
    const chatId = randomUUID();
    for (const tool of ['falVideoGeneration', 'configureVideoGeneration']) {
      const res = await c.request('/api/chat', { method: 'POST', body: { id: chatId, tool, durationMs: 100,
        message: { id: randomUUID(), role: 'user', parts: [{ type: 'text', text: `a kite, by ${tool}` }] } } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-vercel-ai-ui-message-stream'), 'v1');
      assert.match(res.headers.get('content-type'), /^text\/event-stream/);
      const chunks = sseEvents(await res.text());
      assert.equal(chunks.at(-1), '[DONE]');
      assert.equal(chunks[0].type, 'start');
      assert.ok(chunks.some((x) => x.type === 'text-delta'));
      assert.equal(chunks.find((x) => x.type === 'tool-input-start').toolName, tool);
      const out = chunks.find((x) => x.type === 'tool-output-available');
      assert.match(out.toolCallId, /^call_/);
      const o = out.output;
      assert.equal(o.success, true);
      assert.match(o.fileId, /^fal-video-\d+-\w+$/);
      assert.match(o.videoUrl, /\/cdn\/v\/[0-9a-f-]+\.mp4$/);
      assert.deepEqual(Object.keys(o.data).sort(), ['id', 'prompt', 'settings', 'timestamp', 'url']);
      assert.equal(o.data.url, o.videoUrl);
      assert.equal(o.data.prompt, `a kite, by ${tool}`);
      assert.deepEqual([o.provider, o.model], ['fal.ai', 'veo3']);
      assert.match(o.message, /^Video generated successfully/);
      assert.ok(!chunks.some((x) => x.type === 'text-delta' && x.delta.includes(o.videoUrl)), 'the text never carries the link');
      const saved = [...app.messages.values()].filter((m) => m.chatId === chatId && m.message.role === 'assistant').at(-1).message;
      assert.deepEqual(saved.attachments, []);
      assert.equal(saved.parts.find((x) => x.type === `tool-${tool}`).output.videoUrl, o.videoUrl, 'the server saved the tool part');
      assert.equal(app.demo.messagesWithVideo(chatId, o.videoUrl).length, 0, 'a tool part does not show the video');
    }
    assert.equal((await c.request(`/chat/${chatId}`)).status, 200);
    const nobody = client(app, 'next-auth.session-token');
    assert.equal((await nobody.request('/api/chat', { method: 'POST', body: { id: chatId } })).status, 401);
  });
});

describe('demo mode', () => {
  let app;
  before(async () => { app = await startDemoChatApp({ mediaDir }); });
  after(() => app.close());

  test('the "artifact" transport\'s file record: url null until done, then the signed video and thumbnail', async () => {
    const c = client(app, 'authjs.session-token');
    await c.signIn('demo@example.com');
    assert.deepEqual((await c.session()).user, DEMO);
    const { body: project } = await c.json('/api/generate', { method: 'POST', body: { chatId: randomUUID(), prompt: 'p', transport: 'artifact', durationMs: 300 } });
    assert.equal((await c.json(`/api/file/${project.fileId}`)).body.url, null);
    await new Promise((r) => setTimeout(r, 350));
    const file = (await c.json(`/api/file/${project.fileId}`)).body;
    assert.match(file.url, /\.mp4\?X-Amz/);
    assert.equal(file.video_generation.prompt, 'p');
    // Today's behaviour: no guest redirect, the chat shows signed out.
    const nobody = client(app, 'authjs.session-token');
    assert.equal((await nobody.request(`/chat/${randomUUID()}`)).status, 200);
  });
});
