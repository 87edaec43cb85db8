// The demo chat app playing the REAL app (shared/REAL-APP.md), one version
// per mode. Written from that description, nothing copied:
//
//   sse   (2025-07) a same-origin EventSource /api/events/project.<id> with
//         {type, object} events and real file records; the server closes the
//         stream after `streamDropMs` and the page then polls
//         GET /api/file/<fileId> and GET /api/project/<id>; the artifact panel
//         shows the finished video and the page SAVES IT ITSELF
//         (POST /api/save-message, random UUID id, empty text, one video
//         attachment); after a reload attachments are video tiles, a click
//         opens the panel with the video ("opening an old video").
//   ws    (2025-06) a WebSocket ws://<origin>/api/v1/ws/project.<id>, a
//         `subscribe` frame, one JSON text frame per event and a binary decoy;
//         the page acts only on image files: a finished video changes nothing
//         and the app saves nothing; a saved video attachment is drawn as an
//         empty box with its name.
//   tool  (2025-11) `/` is a new chat with no id in its address;
//         POST /api/chat streams an AI SDK v5 UI-message stream whose
//         tool-output-available carries the video; falVideoGeneration shows it
//         as <video src> inside the assistant message
//         ([data-testid="message-assistant"]), configureVideoGeneration only
//         as the tool's text; the page replaces its address with /chat/<id>
//         after the first turn; the SERVER saves the assistant message with
//         the video only in its tool part; after a reload only text parts show.
//
// `realRoutes(ctx)` returns {routes, webSocket} for one of these modes; ctx is given
// by demo-chat-app.mjs (the app, the demo state, auth, helpers).
import { randomBytes, randomUUID } from 'node:crypto';
import { audioFileRecord, imageFileRecord, videoFileRecord } from './demo-files.mjs';
import { acceptWebSocket } from './websocket-server.mjs';

const delay = (ms) => new Promise((r) => setTimeout(r, ms));
const TOOL_SETTINGS = { duration: '8s', aspectRatio: '16:9', resolution: '720p', generateAudio: true };
export const VIDEO_TOOLS = ['falVideoGeneration', 'configureVideoGeneration'];

export function realRoutes(ctx) {
  const { demo, auth, mode, send, json, redirect, readBody, escapeHtml, PAGE_CSS } = ctx;

  /** The guest route's address for `req` (the real middleware sends page visits without a session there). */
  const guestUrl = (req) => `/api/auth/guest?redirectUrl=${encodeURIComponent(`${ctx.app().origin}${req.url}`)}`;
  /** Answers an API request without a session as this version does: 307 to the guest route (ws) or 401. */
  const refuse = (req, res) => (mode === 'ws'
    ? (res.writeHead(307, { location: guestUrl(req), 'cache-control': 'no-store' }), res.end(), true)
    : json(res, 401, { error: 'Unauthorized' }));

  const routes = (req, res, state, url) => {
    const p = url.pathname;
    const handle = (fn) => { fn().catch((err) => { try { res.destroy(err); } catch {} }); return true; };
    if (req.method === 'GET' && (p === '/' || p === '/chat' || p === '/chat/new' || p.startsWith('/chat/'))) {
      const user = auth.userOf(req);
      if (!user) return redirect(res, guestUrl(req), 307);
      if (p.startsWith('/chat/') && p !== '/chat/new') return chatPage(req, res, decodeURIComponent(p.slice(6)), user, state, false);
      // TOOL: a new chat is `/` itself (the id is made now, the address stays `/`).
      if (mode === 'tool') return chatPage(req, res, randomUUID(), user, state, true);
      return redirect(res, `/chat/${randomUUID()}`);
    }
    if (req.method === 'GET' && p === '/static/real.js') return send(res, 200, 'text/javascript; charset=utf-8', `(${realPageScript})(${videoElement});\n`);
    if (req.method === 'POST' && p === '/api/generate' && mode !== 'tool') {
      const user = auth.userOf(req);
      if (!user) return refuse(req, res);
      return handle(async () => {
        let body = {};
        try { body = JSON.parse(await readBody(req)); } catch {}
        const project = demo.createProject({ ...body, transport: mode });
        send(res, 200, 'application/json', JSON.stringify({ projectId: project.id, fileId: project.fileId, prompt: project.prompt, chatId: project.chatId }));
      });
    }
    const m = /^\/api\/events\/project\.([0-9a-f-]{36})$/.exec(p);
    if (req.method === 'GET' && m && mode === 'sse') return eventStream(req, res, m[1]);
    if (req.method === 'POST' && p === '/api/chat' && mode === 'tool') {
      const user = auth.userOf(req);
      if (!user) return refuse(req, res);
      return handle(() => toolChat(req, res, user, state));
    }
    return false;
  };

  // ---- SSE ----

  function eventStream(req, res, pid) {
    const project = demo.projects.get(pid);
    if (!project) return send(res, 404, 'application/json', '{"error":"no such project"}');
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive' });
    demo.streams++;
    const opened = Date.now();
    let gone = false;
    const closed = new Promise((resolve) => res.on('close', () => { if (!gone) { gone = true; demo.streams--; } resolve(); }));
    const send1 = (type, object) => { if (!res.destroyed) res.write(`data: ${JSON.stringify({ type, object })}\n\n`); };
    const run = async () => {
      send1('task', project.tasks()[0]);
      send1('file', videoFileRecord(project));
      send1('file', audioFileRecord(project));
      send1('file', imageFileRecord(project, ctx.sign(project.id, 'webp')));
      const dropAt = opened + project.streamDropMs;
      while (!gone && Date.now() < dropAt && demo.progress(project) < 1) {
        send1('render_progress', { project_id: pid, progress: demo.progress(project) });
        await Promise.race([delay(Math.max(50, Math.min(250, project.durationMs / 4))), closed]);
      }
      if (!gone && Date.now() < dropAt) {
        const delivery = demo.deliver(project, 'sse');
        send1('file', videoFileRecord(project, delivery));
        if (project.renderResult) send1('render_result', { project_id: pid, url: ctx.sign(`${pid}-render`, 'mp4') });
      } else if (!gone) {
        project.streamDropped = true;
      }
      // The backend ends the proxied stream after a while, video or not.
      await Promise.race([delay(Math.max(0, dropAt - Date.now())), closed]);
      if (!gone) { project.streamDropped ||= !project.deliveries.some((d) => d.via === 'sse'); res.end(); }
    };
    run().catch(() => res.destroy());
    return true;
  }

  // ---- TOOL ----

  async function toolChat(req, res, user, state) {
    let body = {};
    try { body = JSON.parse(await readBody(req)); } catch {}
    const chatId = String(body.id ?? '');
    const chat = demo.claimChat(chatId, user);
    if (!chat) return json(res, 403, { error: 'Forbidden' });
    const userMessage = body.message ?? {};
    const prompt = (userMessage.parts ?? []).filter((x) => x.type === 'text').map((x) => x.text).join('\n');
    const createdAt = new Date().toISOString();
    if (userMessage.id) {
      state.messages.set(String(userMessage.id), { chatId, userId: user.id, writes: 1,
        message: { id: String(userMessage.id), role: 'user', parts: userMessage.parts ?? [], attachments: [], createdAt } });
    }
    const toolName = VIDEO_TOOLS.includes(body.tool) ? body.tool : 'falVideoGeneration';
    const project = demo.createProject({ chatId, prompt, transport: 'tool', durationMs: body.durationMs, userMessage: false });
    const toolCallId = `call_${randomBytes(9).toString('hex')}`;
    const fileId = `fal-video-${Date.now()}-${randomBytes(4).toString('hex')}`;
    const messageId = randomUUID();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-vercel-ai-ui-message-stream': 'v1', 'x-accel-buffering': 'no' });
    const chunk = (obj) => { if (!res.destroyed) res.write(`data: ${JSON.stringify(obj)}\n\n`); };
    const intro = 'I will generate that video for you.';
    const outro = 'Your video is ready.';
    chunk({ type: 'start', messageId });
    chunk({ type: 'start-step' });
    chunk({ type: 'text-start', id: 't1' });
    for (const piece of ['I will generate ', 'that video for you.']) chunk({ type: 'text-delta', id: 't1', delta: piece });
    chunk({ type: 'text-end', id: 't1' });
    const input = { prompt, ...TOOL_SETTINGS };
    chunk({ type: 'tool-input-start', toolCallId, toolName });
    chunk({ type: 'tool-input-available', toolCallId, toolName, input });
    while (!res.destroyed && demo.progress(project) < 1) await delay(Math.max(20, Math.min(200, project.durationMs / 4)));
    const videoUrl = demo.deliver(project, 'tool').url;
    const output = {
      success: true, fileId, videoUrl,
      data: { id: fileId, url: videoUrl, prompt, timestamp: Date.now(), settings: { ...TOOL_SETTINGS } },
      provider: 'fal.ai', model: 'veo3',
      message: `Video generated successfully with veo3 (${TOOL_SETTINGS.duration}, ${TOOL_SETTINGS.resolution}).`,
    };
    project.tool = { toolName, toolCallId, fileId, output };
    chunk({ type: 'tool-output-available', toolCallId, output });
    chunk({ type: 'finish-step' });
    chunk({ type: 'start-step' });
    chunk({ type: 'text-start', id: 't2' });
    chunk({ type: 'text-delta', id: 't2', delta: outro });
    chunk({ type: 'text-end', id: 't2' });
    chunk({ type: 'finish-step' });
    chunk({ type: 'finish' });
    if (!res.destroyed) res.write('data: [DONE]\n\n');
    res.end();
    // The route saves the assistant message itself, the video only in its tool part.
    state.messages.set(messageId, { chatId, userId: user.id, writes: 1, message: {
      id: messageId, role: 'assistant', createdAt: new Date().toISOString(), attachments: [],
      parts: [{ type: 'step-start' }, { type: 'text', text: intro },
        { type: `tool-${toolName}`, toolCallId, state: 'output-available', input, output },
        { type: 'step-start' }, { type: 'text', text: outro }],
    } });
    return true;
  }

  // ---- the chat page ----

  function chatPage(req, res, chatId, user, state, isNew) {
    if (!chatId || chatId.includes('/')) return redirect(res, '/');
    if (!isNew && !demo.claimChat(chatId, user)) {
      // Someone else's chat: the real page answers 404.
      return send(res, 404, 'text/html; charset=utf-8', `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not found</title>
<style>${PAGE_CSS}</style></head><body data-mode="${mode}" data-user-id="${escapeHtml(user.id)}"><main class="layout"><p id="not-found">This chat does not exist.</p></main></body></html>`);
    }
    const stored = [...state.messages.values()].filter((x) => x.chatId === chatId);
    const entries = stored.map((x) => ({ at: x.message.createdAt ?? '', html: messageHtml(x.message) }));
    if (mode !== 'tool') {
      for (const u of demo.userMessages.get(chatId) ?? []) entries.push({ at: u.at, html: `<li class="message user"><p class="content">${escapeHtml(u.prompt)}</p></li>` });
    }
    const items = entries.sort((a, b) => String(a.at).localeCompare(String(b.at))).map((x) => x.html).join('\n');
    const o = demo.pageOptions;
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chat (${mode})</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_CSS}${REAL_CSS}</style></head>
<body data-mode="${mode}" data-chat-id="${escapeHtml(chatId)}" data-new-chat="${isNew}" data-user-id="${escapeHtml(user.id)}"
  data-poll-first-ms="${o.pollFirstMs}" data-poll-every-ms="${o.pollEveryMs}" data-poll-max-ms="${o.pollMaxMs}"
  data-app-save="${escapeHtml(o.appSave)}" data-app-save-delay-ms="${o.appSaveDelayMs}">
<header class="top"><strong>Chat (${mode})</strong>
  <span id="who" class="in" data-user-type="${escapeHtml(user.type)}">${escapeHtml(user.type === 'guest' ? 'Guest' : user.email)}</span>
  <a id="signin-link" href="/signin?next=/">Sign in</a> <a id="signout-link" href="/signout?next=/">Sign out</a>
  <a href="/">New chat</a></header>
<main class="layout">
  <section class="chat">
    <ol id="messages">${items}</ol>
    <form id="composer">
      <input id="prompt" name="prompt" autocomplete="off" value="a cat surfing a wave at sunset" aria-label="Prompt">
      ${mode === 'tool' ? `<select id="tool" aria-label="Tool">${VIDEO_TOOLS.map((t) => `<option>${t}</option>`).join('')}</select>` : ''}
      <button id="generate" type="submit">Generate video</button>
    </form>
  </section>
  ${mode === 'tool' ? '' : `<aside id="artifact" data-testid="artifact" hidden>
    <header><span id="artifact-title">Video</span><button id="artifact-close" type="button" aria-label="Close">×</button></header>
    <p id="artifact-status">Generating…</p><div id="artifact-images"></div><div id="artifact-media"></div>
  </aside>`}
</main>
<script src="/static/real.js"></script>
</body></html>`;
    return send(res, 200, 'text/html; charset=utf-8', html);
  }

  /** One stored message as this version draws it after a reload (REAL-APP sections 1, 2 and 6). */
  function messageHtml(message) {
    const role = message.role === 'user' ? 'user' : 'assistant';
    const text = (message.parts ?? []).filter((x) => x?.type === 'text').map((x) => x.text).join('\n');
    const httpUrl = (u) => (typeof u === 'string' && /^https?:/.test(u) ? u : '');
    const shown = (message.attachments ?? []).map((a) => {
      const type = String(a?.contentType ?? '');
      const name = escapeHtml(a?.name ?? '');
      if (mode === 'tool') return type === 'text/markdown' ? `<div class="attachment-doc">${name}</div>` : '';
      if (type.startsWith('image/') && httpUrl(a.url)) return `<figure class="attachment"><img class="image" alt="" src="${escapeHtml(a.url)}"><figcaption>${name}</figcaption></figure>`;
      if (!type.startsWith('video')) return '';
      // WS draws only images: a video attachment is an empty box with its name.
      if (mode === 'ws') return `<div class="attachment-box">${name}</div>`;
      const thumb = httpUrl(a.thumbnailUrl);
      return `<button type="button" class="video-tile" data-url="${escapeHtml(httpUrl(a.url))}" data-thumb="${escapeHtml(thumb)}" data-name="${name}">
        ${thumb ? `<img class="thumb" alt="" src="${escapeHtml(thumb)}"><span class="play">▶</span>` : '<span class="film">🎞</span>'}
        <span class="name">${name}</span></button>`;
    }).join('');
    return `<li class="message ${role}" data-id="${escapeHtml(message.id ?? '')}" data-testid="message-${role}">${text ? `<p class="content">${escapeHtml(text)}</p>` : ''}${shown}</li>`;
  }

  // ---- WS ----

  /** Serves one socket of ws://<origin>/api/v1/ws/project.<id>: after `subscribe`, one frame per event. */
  function webSocket(req, socket, head) {
    const m = /^\/api\/v1\/ws\/project\.([0-9a-f-]{36})$/.exec(new URL(req.url, 'http://x').pathname);
    const project = m && demo.projects.get(m[1]);
    if (!project || mode !== 'ws') { socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'); return; }
    const conn = acceptWebSocket(req, socket, head);
    if (!conn) return;
    demo.sockets++;
    conn.onClose(() => { demo.sockets--; });
    const frame = (type, object) => conn.sendText(JSON.stringify({ type, object }));
    const noSubscribe = setTimeout(() => conn.close(1008), 5000);
    conn.onMessage((data) => {
      let msg;
      try { msg = JSON.parse(String(data)); } catch { return; }
      if (msg?.type !== 'subscribe' || project.wsSubscribed) return;
      clearTimeout(noSubscribe);
      project.wsSubscribed = true;
      (async () => {
        frame('task', project.tasks()[0]);
        frame('file', videoFileRecord(project));
        frame('file', imageFileRecord(project, ctx.sign(project.id, 'webp')));
        // Not a text frame: a finished video in a binary frame must be ignored.
        conn.sendBinary(Buffer.from(JSON.stringify({ type: 'file', object: { ...videoFileRecord(project, { url: `${ctx.app().origin}/cdn/v/${project.id}-binary.mp4`, thumbnailUrl: null }) } })));
        frame('file', audioFileRecord(project));
        while (!conn.closed && demo.progress(project) < 1) {
          frame('render_progress', { project_id: project.id, progress: demo.progress(project) });
          await delay(Math.max(50, Math.min(250, project.durationMs / 4)));
        }
        if (conn.closed) return;
        frame('file', videoFileRecord(project, demo.deliver(project, 'websocket')));
        await delay(300);
        conn.close(1000);
      })().catch(() => socket.destroy());
    });
  }
  return { routes, webSocket };
}

/** Attaches the WS mode's socket handler to the http.Server of `req` (once). */
export function serveWebSockets(server, handler) {
  if (server.vidkeepDemoWs) return;
  server.vidkeepDemoWs = true;
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    handler(req, socket, head);
  });
}

const REAL_CSS = `
.video-tile { position: relative; display: inline-flex; flex-direction: column; gap: 4px; border: 1px solid #dde1e7; border-radius: 8px; background: #fff; padding: 4px; cursor: pointer; }
.video-tile .thumb { width: 160px; height: 120px; object-fit: cover; border-radius: 6px; }
.video-tile .play { position: absolute; left: 68px; top: 46px; color: #fff; font-size: 24px; text-shadow: 0 0 4px #000; }
.video-tile .film { font-size: 48px; width: 160px; text-align: center; }
.video-tile .name, .attachment-box { font-size: 12px; color: #5a6272; }
.attachment-box { width: 160px; height: 90px; border: 1px dashed #aab; border-radius: 6px; padding: 4px; }
.tool-message { color: #385; }
#artifact-images img { width: 100%; }
`;

// Page code shared by both chat page scripts (this one and
// demo-chat-app.mjs's): the <video> the app shows a generated video in.
// Serialized with them and passed in as an argument, so it runs in the page
// and adds no global.
export function videoElement(url, poster) {
  const video = document.createElement('video');
  video.controls = true;
  video.preload = 'metadata';
  if (poster) video.poster = poster;
  video.src = url;
  return video;
}

// The chat page's own script in the sse, ws and tool modes (served as
// /static/real.js). Plain browser code, it knows nothing of vidkeep;
// window.demo.generate(opts) is the "Generate video" action the tests call.
function realPageScript(videoElement) {
  const body = document.body;
  const mode = body.dataset.mode;
  const chatId = body.dataset.chatId;
  const $ = (id) => document.getElementById(id);
  const num = (v, d) => (Number.isFinite(Number(v)) ? Number(v) : d);
  const wait = (ms) => new Promise((r) => setTimeout(r, ms));
  const results = [];

  function openPanel(title) {
    const panel = $('artifact');
    panel.hidden = false;
    $('artifact-title').textContent = title;
    $('artifact-status').textContent = 'Generating your video…';
    $('artifact-status').hidden = false;
    $('artifact-images').replaceChildren();
    $('artifact-media').replaceChildren();
  }
  function showVideo(url, poster) {
    $('artifact-status').hidden = true;
    $('artifact-media').replaceChildren(videoElement(url, poster));
  }
  function showImage(url) {
    const img = document.createElement('img');
    img.alt = '';
    img.src = url;
    $('artifact-images').append(img);
  }
  if ($('artifact-close')) {
    $('artifact-close').addEventListener('click', () => { $('artifact').hidden = true; $('artifact-media').replaceChildren(); });
  }
  // A saved video tile: opens the artifact panel with the video.
  $('messages').addEventListener('click', (e) => {
    const tile = e.target.closest && e.target.closest('.video-tile');
    if (!tile || !tile.dataset.url) return;
    openPanel(tile.dataset.name || 'Video');
    showVideo(tile.dataset.url, tile.dataset.thumb || undefined);
  });

  async function startGeneration(prompt, opts) {
    const req = { chatId, prompt };
    for (const k of ['durationMs', 'streamDropMs', 'renderResult']) if (opts[k] !== undefined) req[k] = opts[k];
    const res = await fetch('/api/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(req) });
    if (!res.ok) throw new Error(`generate answered ${res.status}`);
    return res.json();
  }

  // The app's own save of a finished video (REAL-APP section 3). `how`:
  // 'uuid' (the artifact's save), 'legacy' (the chat hook's video-<ts> ids,
  // which the UUID column refuses), 'none' (never made: the page went first).
  async function appSave(how, { url, thumbnailUrl, prompt }, delayMs) {
    if (how === 'none') return { skipped: true };
    if (delayMs) await wait(delayMs);
    const id = how === 'legacy' ? `video-${Date.now()}-${Math.random().toString(36).slice(2, 9)}` : crypto.randomUUID();
    const message = {
      id, role: 'assistant', content: '', parts: [{ type: 'text', text: '' }],
      attachments: [{ name: `${String(prompt || 'Generated video').slice(0, 50)}...`, url, contentType: 'video/mp4', thumbnailUrl }],
      createdAt: new Date().toISOString(),
    };
    try {
      const res = await fetch('/api/save-message', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId, message }) });
      return { id, status: res.status };
    } catch (err) {
      return { id, status: 0, error: String(err) };
    }
  }

  async function generateSse(opts) {
    const prompt = opts.prompt || '';
    const project = await startGeneration(prompt, opts);
    openPanel(prompt || 'Video');
    const found = await new Promise((resolve) => {
      const es = new EventSource(`/api/events/project.${project.projectId}`);
      es.onmessage = (e) => {
        let msg;
        try { msg = JSON.parse(e.data); } catch { return; }
        const o = msg && msg.object;
        if (msg.type === 'file' && o && o.url && o.type === 'image') showImage(o.url);
        if (msg.type === 'file' && o && o.url && o.type === 'video' && o.id === project.fileId) {
          es.close();
          resolve({ url: o.url, thumbnailUrl: o.thumbnail_url, prompt: (o.video_generation && o.video_generation.prompt) || prompt, via: 'sse' });
        }
      };
      // The backend ended the stream: no reconnect, fall back to polling.
      es.onerror = () => { es.close(); resolve(null); };
    }) || await poll(project, opts);
    if (!found) { $('artifact-status').textContent = 'The video did not come back'; return { projectId: project.projectId, url: null }; }
    showVideo(found.url, found.thumbnailUrl);
    const saved = await appSave(opts.appSave || body.dataset.appSave, { ...found, prompt: found.prompt }, num(opts.appSaveDelayMs, num(body.dataset.appSaveDelayMs, 0)));
    return { projectId: project.projectId, fileId: project.fileId, ...found, appSave: saved };
  }

  // GET /api/file/<id> (and the project), first after pollFirstMs, then every pollEveryMs, up to pollMaxMs.
  async function poll(project, opts) {
    const first = num(opts.pollFirstMs, num(body.dataset.pollFirstMs, 30000));
    const every = num(opts.pollEveryMs, num(body.dataset.pollEveryMs, 5000));
    const end = Date.now() + num(opts.pollMaxMs, num(body.dataset.pollMaxMs, 900000));
    await wait(first);
    while (Date.now() < end) {
      try {
        const [file] = await Promise.all([
          fetch(`/api/file/${project.fileId}`).then((r) => r.json()),
          fetch(`/api/project/${project.projectId}`).then((r) => r.json()),
        ]);
        if (file && file.url) return { url: file.url, thumbnailUrl: file.thumbnail_url, prompt: file.video_generation && file.video_generation.prompt, via: 'poll' };
      } catch {}
      await wait(every);
    }
    return null;
  }

  async function generateWs(opts) {
    const prompt = opts.prompt || '';
    const project = await startGeneration(prompt, opts);
    openPanel(prompt || 'Video');
    const frames = { text: 0, binary: 0, images: 0 };
    await new Promise((resolve) => {
      const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/ws/project.${project.projectId}`);
      ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', channel: `project.${project.projectId}` }));
      ws.onmessage = (e) => {
        if (typeof e.data !== 'string') { frames.binary++; return; }
        frames.text++;
        let msg;
        try { msg = JSON.parse(e.data); } catch { return; }
        // This version's handler acts on images only: a finished video changes nothing.
        if (msg.type === 'file' && msg.object && msg.object.type === 'image' && msg.object.url) { frames.images++; showImage(msg.object.url); }
      };
      ws.onclose = () => resolve();
      ws.onerror = () => resolve();
    });
    return { projectId: project.projectId, fileId: project.fileId, frames, url: null };
  }

  // The AI SDK v5 UI-message stream of POST /api/chat, read as it arrives.
  async function generateTool(opts) {
    const prompt = opts.prompt || '';
    const tool = opts.tool || ($('tool') && $('tool').value) || 'falVideoGeneration';
    const userMessage = { id: crypto.randomUUID(), role: 'user', parts: [{ type: 'text', text: prompt }] };
    const userLi = document.createElement('li');
    userLi.className = 'message user';
    userLi.dataset.testid = 'message-user';
    userLi.textContent = prompt;
    $('messages').append(userLi);
    const res = await fetch('/api/chat', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: chatId, message: userMessage, selectedChatModel: 'gemini-2.5-flash', tool, durationMs: opts.durationMs }),
    });
    if (!res.ok) throw new Error(`chat answered ${res.status}`);
    const li = document.createElement('li');
    li.className = 'message assistant';
    li.setAttribute('data-testid', 'message-assistant');
    $('messages').append(li);
    const texts = {};
    const tools = {};
    const out = { chatId, tool, videoUrl: null, fileId: null };
    const onChunk = (c) => {
      if (c.type === 'text-start') { texts[c.id] = document.createElement('p'); texts[c.id].className = 'content'; li.append(texts[c.id]); }
      if (c.type === 'text-delta' && texts[c.id]) texts[c.id].textContent += c.delta;
      if (c.type === 'tool-input-start') tools[c.toolCallId] = c.toolName;
      if (c.type === 'tool-output-available' && c.output) {
        out.videoUrl = c.output.videoUrl;
        out.fileId = c.output.fileId;
        if (tools[c.toolCallId] === 'falVideoGeneration') {
          li.append(videoElement(c.output.videoUrl));
        } else {
          const p = document.createElement('p');
          p.className = 'tool-message';
          p.textContent = c.output.message;
          li.append(p);
        }
      }
    };
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    for (;;) {
      const { done, value } = await reader.read();
      buf += decoder.decode(value || new Uint8Array(), { stream: !done });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const event = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
        if (!data || data === '[DONE]') continue;
        try { onChunk(JSON.parse(data)); } catch {}
      }
      if (done) break;
    }
    // The first turn is over: the new chat gets its address (no reload).
    if (body.dataset.newChat === 'true') {
      history.replaceState(history.state, '', `/chat/${chatId}`);
      body.dataset.newChat = 'false';
    }
    return out;
  }

  async function generate(opts = {}) {
    if (mode === 'sse') return generateSse(opts);
    if (mode === 'ws') return generateWs(opts);
    return generateTool(opts);
  }
  /** The chat hook's own save path (ids like video-<timestamp>-…): the UUID column refuses them. */
  function saveVideoLegacy(url, thumbnailUrl, prompt) {
    return appSave('legacy', { url, thumbnailUrl, prompt }, 0);
  }

  window.demo = { mode, chatId, generate, saveVideoLegacy, results };
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    generate({ prompt: $('prompt').value }).then((r) => results.push(r), (err) => results.push({ error: String(err) }));
  });
}
