// The demo chat app (issue 6): a small stand-in for the Next.js chatbot that
// vidkeep meets in the field, built on chat-app.mjs (whose /api/save-message
// behaves like the real route). Used by the end-to-end tier and the demo.
//
//   /                          redirects to a new chat
//   /chat/<id>                 the chat: messages rendered from the server's
//                              store (so a reload shows exactly what was saved
//                              there), a "Generate video" action, the artifact
//                              panel ([data-testid="artifact"]) with progress,
//                              then a <video>
//   /signin, /signout          pages whose button sets / clears the session
//                              cookie authjs.session-token (signing out ends
//                              the session on the server: the old cookie gets 401)
//   POST /api/generate         starts a generation {chatId, prompt, transport,
//                              framing, durationMs} -> the project
//   GET  /api/generate/<id>    the project's state (the "artifact" transport
//                              polls it: the video appears only in the panel)
//   GET  /api/events/project.<id>?framing=F
//                              text/event-stream: progress events, the
//                              completion event of PROTOCOL.md section 5, the
//                              same completion again with a fresh signature,
//                              decoys that are not videos, then "done"
//   GET|POST /api/chat/stream?project=<id>&framing=F
//                              the same as AI SDK UI-message-stream chunks
//   /cdn/v/<name>.mp4|.webp|.png   real media (made with ffmpeg, see media.mjs),
//                              behind S3-style signed URLs
//   /api/save-message, /api/messages   from chat-app.mjs
//
// Framings (F): lf crlf cr bom comments multiline split (7-byte writes that cut
// lines and UTF-8 sequences).
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startChatApp, SESSION_COOKIE } from './chat-app.mjs';

export const FRAMINGS = ['lf', 'crlf', 'cr', 'bom', 'comments', 'multiline', 'split'];
export const TRANSPORTS = ['eventsource', 'fetch', 'ui', 'artifact'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/**
 * Starts the demo app. Options:
 *   mediaDir     folder with video.mp4, thumb.webp, image.png (media.mjs)
 *   session      the session token the sign-in page hands out (default 'demo-session')
 *   durationMs   default generation time (progress events spread over it)
 *   fault        as chat-app.mjs (switches for /api/save-message)
 * Returns the chat-app.mjs object plus `demo`: {projects, createProject(), chatUrl(), canonicalVideoUrl()}.
 */
export async function startDemoChatApp(options = {}) {
  const media = loadMedia(options.mediaDir);
  const demo = {
    projects: new Map(), // id -> project
    userMessages: new Map(), // chat id -> [{prompt, at}]
    durationMs: options.durationMs ?? 900,
    streams: 0, // open event streams
  };
  let app;

  const sign = (pid, ext) => {
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    return `${app.origin}/cdn/v/${pid}.${ext}?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
      `&X-Amz-Credential=demo%2F${date.slice(0, 8)}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=${date}` +
      `&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${randomBytes(32).toString('hex')}`;
  };

  demo.createProject = ({ chatId, prompt, transport = 'eventsource', framing = 'lf', durationMs, resend = true } = {}) => {
    const project = {
      id: randomUUID(),
      requestId: randomUUID(),
      chatId: String(chatId ?? ''),
      prompt: String(prompt ?? ''),
      transport,
      framing: FRAMINGS.includes(framing) ? framing : 'lf',
      durationMs: Number.isFinite(durationMs) ? Math.max(0, Math.min(durationMs, 60000)) : demo.durationMs,
      resend,
      createdAt: Date.now(),
      deliveries: [], // signed URLs handed out, in order
    };
    demo.projects.set(project.id, project);
    if (project.chatId) {
      const list = demo.userMessages.get(project.chatId) ?? [];
      list.push({ prompt: project.prompt, at: new Date(project.createdAt).toISOString() });
      demo.userMessages.set(project.chatId, list);
    }
    return project;
  };
  demo.chatUrl = (chatId, query = '') => `${app.origin}/chat/${chatId}${query}`;
  /** The URL vidkeep should store for a project's video, without its signature. */
  demo.canonicalVideoUrl = (pid) => `${app.origin}/cdn/v/${pid}.mp4`;
  demo.canonicalThumbUrl = (pid) => `${app.origin}/cdn/v/${pid}.webp`;
  demo.deliver = (project) => {
    const delivery = { url: sign(project.id, 'mp4'), thumbnailUrl: sign(project.id, 'webp') };
    project.deliveries.push(delivery);
    return delivery;
  };

  const routes = (req, res, state) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const handle = (fn) => { fn().catch((err) => { try { res.destroy(err); } catch {} }); return true; };
    if (req.method === 'GET' && (p === '/' || p === '/chat' || p === '/chat/new')) return redirect(res, `/chat/${randomUUID()}`);
    if (req.method === 'GET' && p.startsWith('/chat/')) return chatPage(req, res, decodeURIComponent(p.slice(6)), url, state);
    if (req.method === 'GET' && p === '/static/chat.js') return send(res, 200, 'text/javascript; charset=utf-8', `(${chatPageScript})();\n`);
    if (req.method === 'GET' && p === '/signin') return authPage(res, 'signin', url.searchParams.get('next'));
    if (req.method === 'GET' && p === '/signout') return authPage(res, 'signout', url.searchParams.get('next'));
    if (req.method === 'POST' && (p === '/api/auth/signin' || p === '/api/auth/signout')) {
      return handle(async () => {
        const form = new URLSearchParams(await readBody(req));
        const next = safeNext(form.get('next'));
        // One demo user: signing out ends the session on the server too (a
        // request with the old cookie then gets 401); signing in starts a new
        // one when there is none.
        if (p.endsWith('signin') && !state.session) state.session = `demo-session-${randomBytes(8).toString('hex')}`;
        if (p.endsWith('signout')) state.session = null;
        const cookie = p.endsWith('signin')
          // Auth.js's default: a 30-day session, so it outlives a browser restart.
          ? `${SESSION_COOKIE}=${state.session}; Path=/; HttpOnly; SameSite=Lax; Max-Age=2592000`
          : `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
        res.writeHead(303, { location: next, 'set-cookie': cookie, 'cache-control': 'no-store' });
        res.end();
      });
    }
    if (req.method === 'POST' && p === '/api/generate') {
      return handle(async () => {
        let body = {};
        try { body = JSON.parse(await readBody(req)); } catch {}
        const project = demo.createProject(body);
        send(res, 200, 'application/json', JSON.stringify(publicProject(project)));
      });
    }
    let m = /^\/api\/generate\/([0-9a-f-]{36})$/.exec(p);
    if (req.method === 'GET' && m) {
      const project = demo.projects.get(m[1]);
      if (!project) return send(res, 404, 'application/json', '{"error":"no such project"}');
      const progress = generationProgress(project);
      const out = { ...publicProject(project), status: progress >= 1 ? 'done' : 'running', progress };
      if (progress >= 1) Object.assign(out, demo.deliver(project));
      return send(res, 200, 'application/json', JSON.stringify(out));
    }
    m = /^\/api\/events\/project\.([0-9a-f-]{36})$/.exec(p);
    if (req.method === 'GET' && m) return eventStream(req, res, m[1], url.searchParams.get('framing'), 'sse');
    if ((req.method === 'GET' || req.method === 'POST') && p === '/api/chat/stream') {
      return eventStream(req, res, url.searchParams.get('project'), url.searchParams.get('framing'), 'ui');
    }
    m = /^\/cdn\/v\/([\w-]+)\.(mp4|webp|png)$/.exec(p);
    if (req.method === 'GET' && m) return serveMedia(req, res, media[m[2]]);
    if (req.method === 'GET' && p === '/favicon.ico') { res.writeHead(204); res.end(); return true; }
    return false;
  };

  function generationProgress(project) {
    if (project.durationMs === 0) return 1;
    return Math.min(1, (Date.now() - project.createdAt) / project.durationMs);
  }

  // One stream of a project's events: progress until the generation is done,
  // then the completion (twice, the second with a fresh signature), decoys,
  // "done", and a last event without its closing blank line.
  function eventStream(req, res, pid, framingParam, kind) {
    const project = demo.projects.get(pid);
    if (!project) { send(res, 404, 'application/json', '{"error":"no such project"}'); return true; }
    // An EventSource reconnecting after "done": 204 tells it to stop.
    if (req.headers['last-event-id'] && generationProgress(project) >= 1) { res.writeHead(204); res.end(); return true; }
    const framing = FRAMINGS.includes(framingParam) ? framingParam : project.framing;
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' };
    if (kind === 'ui') headers['x-vercel-ai-ui-message-stream'] = 'v1';
    res.writeHead(200, headers);
    demo.streams++;
    let closed = false;
    res.on('close', () => { if (!closed) { closed = true; demo.streams--; } });
    const eol = { crlf: '\r\n', cr: '\r' }[framing] ?? '\n';
    const chunkSize = framing === 'split' ? 7 : Infinity;
    let eventNo = 0;
    let first = true;
    const write = async (text) => {
      if (first && framing === 'bom') text = `\uFEFF${text}`;
      first = false;
      const bytes = Buffer.from(text, 'utf8');
      for (let i = 0; i < bytes.length && !res.destroyed; i += chunkSize) {
        res.write(bytes.subarray(i, Math.min(bytes.length, i + chunkSize)));
        if (chunkSize !== Infinity) await delay(2);
      }
    };
    // One event: `data` is an object (JSON) or a string.
    const event = (data, { comment, terminated = true } = {}) => {
      const json = typeof data === 'string' ? data : JSON.stringify(data, null, framing === 'multiline' ? 1 : undefined);
      const lines = [];
      if (framing === 'comments') lines.push(': keep-alive', `id: ${++eventNo}`);
      else lines.push(`id: ${++eventNo}`);
      if (comment) lines.push(`: ${comment}`);
      for (const line of json.split('\n')) lines.push(framing === 'comments' ? `data:${line}` : `data: ${line}`);
      if (framing === 'comments') lines.push(':');
      return lines.join(eol) + eol + (terminated ? eol : '');
    };
    const run = async () => {
      const decoyVideo = `${app.origin}/cdn/v/${pid}-decoy.mp4`;
      await write((framing === 'comments' ? `: stream ${pid}${eol}retry: 3000${eol}${eol}` : '') +
        (kind === 'ui'
          ? event({ type: 'start', messageId: `msg-${pid}` }) + event({ type: 'start-step' }) +
            event({ type: 'text-start', id: 't1' }) + event({ type: 'text-delta', id: 't1', delta: 'Generating your video (type "file" soon)…' }) +
            event({ type: 'text-end', id: 't1' })
          : event({ type: 'status', projectId: pid, status: 'queued' })));
      while (!res.destroyed) {
        const progress = generationProgress(project);
        if (progress >= 1) break;
        await write(kind === 'ui'
          ? event({ type: 'data-progress', data: { projectId: pid, progress } })
          : event({ type: 'progress', projectId: pid, requestId: project.requestId, progress }));
        await delay(Math.max(20, Math.min(250, project.durationMs / 4)));
      }
      if (res.destroyed) return;
      const deliveries = [demo.deliver(project)];
      if (project.resend) deliveries.push(demo.deliver(project));
      let body = '';
      // Not videos: an image file event, a non-http(s) video URL, a video in a comment.
      if (kind === 'ui') {
        body += event({ type: 'file', url: `${app.origin}/cdn/v/${pid}.png`, mediaType: 'image/png' });
        body += event({ type: 'file', url: `ftp://127.0.0.1/${pid}.mp4`, mediaType: 'video/mp4' }, { comment: `{"type":"file","url":"${decoyVideo}","mediaType":"video/mp4"}` });
        for (const d of deliveries) body += event({ type: 'file', url: d.url, mediaType: 'video/mp4' });
        body += event({ type: 'finish-step' }) + event({ type: 'finish' }) + event('[DONE]');
      } else {
        body += event({ type: 'file', projectId: pid, requestId: project.requestId, object: { url: `${app.origin}/cdn/v/${pid}.png`, contentType: 'image/png' } });
        body += event({ type: 'file', projectId: pid, requestId: project.requestId, object: { url: `ftp://127.0.0.1/${pid}.mp4`, contentType: 'video/mp4' } },
          { comment: JSON.stringify({ type: 'file', object: { url: decoyVideo, contentType: 'video/mp4' } }) });
        for (const d of deliveries) {
          body += event({
            type: 'file', projectId: pid, requestId: project.requestId,
            object: {
              url: d.url, thumbnail_url: d.thumbnailUrl, contentType: 'video/mp4',
              video_generation: { prompt: project.prompt, duration: 2, resolution: '320x240', model: 'demo-video-1' },
            },
          });
        }
        body += event({ type: 'done', projectId: pid });
      }
      // A video in an event that never gets its closing blank line: dropped by the WHATWG rules.
      body += event({ type: 'file', object: { url: `${app.origin}/cdn/v/${pid}-unterminated.mp4`, contentType: 'video/mp4' } }, { terminated: false });
      await write(body);
      // Give an EventSource the moment to close itself before the end (which would make it reconnect).
      await delay(300);
      res.end();
    };
    run().catch(() => res.destroy());
    return true;
  }

  function chatPage(req, res, chatId, url, state) {
    if (!chatId || chatId.includes('/')) return redirect(res, `/chat/${randomUUID()}`);
    const signedIn = cookieValue(req, SESSION_COOKIE) === state.session && Boolean(state.session);
    const saved = [...state.messages.values()].filter((m) => m.chatId === chatId)
      .map((m) => ({ at: m.message.createdAt ?? '', html: assistantMessage(m.message) }));
    const asked = (demo.userMessages.get(chatId) ?? []).map((u) => ({
      at: u.at, html: `<li class="message user"><p class="content">${escapeHtml(u.prompt)}</p></li>`,
    }));
    const items = [...asked, ...saved].sort((a, b) => String(a.at).localeCompare(String(b.at))).map((x) => x.html).join('\n');
    const next = escapeHtml(`/chat/${encodeURIComponent(chatId)}`);
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Demo chat</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${PAGE_CSS}</style></head>
<body data-chat-id="${escapeHtml(chatId)}" data-signed-in="${signedIn}">
<header class="top"><strong>Demo chat</strong>
  <span id="who" class="${signedIn ? 'in' : 'out'}">${signedIn ? 'signed in as demo@example.com' : 'signed out'}</span>
  <a id="signin-link" href="/signin?next=${next}">Sign in</a> <a id="signout-link" href="/signout?next=${next}">Sign out</a>
  <a href="/chat/new">New chat</a></header>
<main class="layout">
  <section class="chat">
    <ol id="messages">${items || '<li class="empty">No messages yet. Ask for a video below.</li>'}</ol>
    <form id="composer">
      <input id="prompt" name="prompt" autocomplete="off" value="a cat surfing a wave at sunset" aria-label="Prompt">
      <select id="transport" aria-label="Stream">
        <option value="eventsource">EventSource</option><option value="fetch">fetch stream</option>
        <option value="ui">AI SDK stream</option><option value="artifact">panel only</option>
      </select>
      <button id="generate" type="submit">Generate video</button>
    </form>
  </section>
  <aside id="artifact" data-testid="artifact" hidden>
    <header><span id="artifact-title">Video</span><button id="artifact-close" type="button" aria-label="Close">×</button></header>
    <div id="artifact-progress"><progress max="1" value="0"></progress> <span id="artifact-status">Generating…</span></div>
    <div id="artifact-media"></div>
  </aside>
</main>
<script src="/static/chat.js"></script>
</body></html>`;
    return send(res, 200, 'text/html; charset=utf-8', html);
  }

  function assistantMessage(message) {
    const attachments = message.attachments ?? message.experimental_attachments ?? [];
    const figures = attachments.map((a) => {
      const thumb = typeof a.thumbnailUrl === 'string' && /^https?:/.test(a.thumbnailUrl) ? a.thumbnailUrl : '';
      const src = typeof a.url === 'string' && /^https?:/.test(a.url) ? a.url : '';
      return `<figure class="attachment">
        ${thumb ? `<img class="thumb" alt="" src="${escapeHtml(thumb)}">` : ''}
        ${src ? `<video class="video" controls preload="none" src="${escapeHtml(src)}"${thumb ? ` poster="${escapeHtml(thumb)}"` : ''}></video>` : ''}
        <figcaption>${escapeHtml(a.name ?? '')}</figcaption></figure>`;
    }).join('');
    const text = (message.parts ?? []).filter((x) => x.type === 'text').map((x) => x.text).join('\n') || message.content || '';
    return `<li class="message assistant" data-id="${escapeHtml(message.id)}"><p class="content">${escapeHtml(text)}</p>${figures}</li>`;
  }

  app = await startChatApp({ session: options.session ?? 'demo-session', fault: options.fault, routes, host: options.host });
  app.demo = demo;
  return app;
}

function publicProject(project) {
  return { projectId: project.id, requestId: project.requestId, chatId: project.chatId, prompt: project.prompt,
    transport: project.transport, framing: project.framing, durationMs: project.durationMs };
}

function loadMedia(dir) {
  const types = { mp4: 'video/mp4', webp: 'image/webp', png: 'image/png' };
  const names = { mp4: 'video.mp4', webp: 'thumb.webp', png: 'image.png' };
  const out = {};
  for (const [ext, name] of Object.entries(names)) {
    const file = dir ? path.join(dir, name) : null;
    out[ext] = { type: types[ext], data: file && exists(file) ? readFileSync(file) : Buffer.alloc(0) };
  }
  return out;
}

function exists(file) { try { return statSync(file).isFile(); } catch { return false; } }

function serveMedia(req, res, item) {
  if (!item || item.data.length === 0) return send(res, 404, 'text/plain', 'no media');
  const size = item.data.length;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    let start = range[1] === '' ? size - Number(range[2]) : Number(range[1]);
    let end = range[1] === '' || range[2] === '' ? size - 1 : Number(range[2]);
    start = Math.max(0, start); end = Math.min(size - 1, end);
    if (start > end) { res.writeHead(416, { 'content-range': `bytes */${size}` }); res.end(); return true; }
    res.writeHead(206, { 'content-type': item.type, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
    res.end(item.data.subarray(start, end + 1));
    return true;
  }
  res.writeHead(200, { 'content-type': item.type, 'content-length': size, 'accept-ranges': 'bytes', 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : item.data);
  return true;
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
  return true;
}

function redirect(res, location) {
  res.writeHead(302, { location, 'cache-control': 'no-store' });
  res.end();
  return true;
}

function safeNext(next) {
  return typeof next === 'string' && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => { size += c.length; if (size <= 1 << 20) chunks.push(c); });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function cookieValue(req, name) {
  for (const part of (req.headers.cookie ?? '').split(/;\s*/)) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i) === name) return part.slice(i + 1);
  }
  return undefined;
}

function authPage(res, kind, next) {
  const signin = kind === 'signin';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${signin ? 'Sign in' : 'Sign out'}</title>
<style>${PAGE_CSS}</style></head><body class="auth">
<form method="post" action="/api/auth/${kind}" class="auth-form">
  <h1>${signin ? 'Sign in to Demo chat' : 'Sign out of Demo chat'}</h1>
  <input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">
  <button id="${kind}" type="submit">${signin ? 'Sign in as demo@example.com' : 'Sign out'}</button>
</form></body></html>`;
  return send(res, 200, 'text/html; charset=utf-8', html);
}

const PAGE_CSS = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
.top { display: flex; gap: 12px; align-items: center; padding: 10px 16px; background: #fff; border-bottom: 1px solid #dde1e7; }
#who.in { color: #17803d; } #who.out { color: #b42318; }
.layout { display: flex; gap: 16px; padding: 16px; align-items: flex-start; }
.chat { flex: 1; min-width: 0; }
#messages { list-style: none; padding: 0; margin: 0 0 12px; display: flex; flex-direction: column; gap: 8px; }
.message { background: #fff; border: 1px solid #dde1e7; border-radius: 10px; padding: 8px 12px; max-width: 560px; }
.message.user { align-self: flex-end; background: #e8f0fe; }
.message .content { margin: 0 0 6px; white-space: pre-wrap; overflow-wrap: anywhere; }
.attachment { margin: 0; display: flex; gap: 8px; align-items: flex-start; flex-wrap: wrap; }
.attachment .thumb { width: 120px; height: 90px; object-fit: cover; border-radius: 6px; }
.attachment .video { width: 240px; border-radius: 6px; background: #000; }
.attachment figcaption { width: 100%; font-size: 12px; color: #5a6272; }
#composer { display: flex; gap: 8px; }
#prompt { flex: 1; padding: 8px; }
#artifact { width: 360px; background: #fff; border: 1px solid #dde1e7; border-radius: 10px; padding: 10px; }
#artifact header { display: flex; justify-content: space-between; font-weight: 600; }
#artifact video { width: 100%; margin-top: 8px; background: #000; }
.auth-form { max-width: 360px; margin: 80px auto; background: #fff; padding: 24px; border-radius: 10px; border: 1px solid #dde1e7; }
.empty { color: #5a6272; }
`;

// The chat page's own script (served as /static/chat.js). Plain browser code:
// it knows nothing of vidkeep. window.demo.generate() is the "Generate video"
// action, also called by the tests.
function chatPageScript() {
  const chatId = document.body.dataset.chatId;
  const $ = (id) => document.getElementById(id);
  const panel = $('artifact');
  // The seed app keeps its SSE client on window; vidkeep mirrors the last
  // video URLs onto it.
  window.chatSSEInstance = window.chatSSEInstance || { connected: false, streams: 0 };

  function openPanel(title) {
    panel.hidden = false;
    $('artifact-title').textContent = title;
    $('artifact-progress').hidden = false;
    $('artifact-progress').querySelector('progress').value = 0;
    $('artifact-status').textContent = 'Generating…';
    $('artifact-media').replaceChildren();
  }
  function showProgress(value) {
    $('artifact-progress').querySelector('progress').value = value;
    $('artifact-status').textContent = `Generating… ${Math.round(value * 100)}%`;
  }
  function showVideo(url, poster) {
    $('artifact-progress').hidden = true;
    const video = document.createElement('video');
    video.controls = true;
    video.preload = 'metadata';
    if (poster) video.poster = poster;
    video.src = url;
    $('artifact-media').replaceChildren(video);
  }
  $('artifact-close').addEventListener('click', () => {
    panel.hidden = true;
    $('artifact-media').replaceChildren();
  });

  // SSE text -> [{event, data}] for the page's own use (the whole body at once).
  function parseSse(text) {
    const out = [];
    let data = [];
    let name = '';
    for (const line of text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)) {
      if (line === '') {
        if (data.length) out.push({ event: name || 'message', data: data.join('\n') });
        data = []; name = '';
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        let value = i < 0 ? '' : line.slice(i + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') name = value;
      }
    }
    return out;
  }

  function handle(msg, state) {
    if (!msg || typeof msg !== 'object') return;
    if ((msg.type === 'progress') && state.panel) showProgress(msg.progress);
    if (msg.type === 'data-progress' && state.panel) showProgress(msg.data.progress);
    const url = msg.type === 'file' ? (msg.object ? msg.object.url : msg.url) : null;
    const type = msg.type === 'file' ? (msg.object ? msg.object.contentType : msg.mediaType) : '';
    if (url && /^https?:/.test(url) && /^video\//.test(type || '') && !state.url) {
      state.url = url;
      state.thumbnailUrl = msg.object ? msg.object.thumbnail_url : undefined;
      if (state.panel) showVideo(state.url, state.thumbnailUrl);
    }
  }

  async function watch(project, opts) {
    const state = { projectId: project.projectId, panel: opts.panel !== false };
    const q = `framing=${encodeURIComponent(opts.framing || 'lf')}`;
    if (opts.transport === 'eventsource') {
      window.chatSSEInstance.streams++;
      await new Promise((resolve, reject) => {
        const es = new EventSource(`/api/events/project.${project.projectId}?${q}`);
        window.chatSSEInstance.connected = true;
        es.onmessage = (e) => {
          let msg;
          try { msg = JSON.parse(e.data); } catch { return; }
          handle(msg, state);
          if (msg.type === 'done') { es.close(); resolve(); }
        };
        es.onerror = () => { if (es.readyState === EventSource.CLOSED) reject(new Error('stream failed')); };
      });
    } else if (opts.transport === 'fetch' || opts.transport === 'ui') {
      const res = opts.transport === 'ui'
        ? await fetch(`/api/chat/stream?project=${project.projectId}&${q}`, { method: 'POST' })
        : await fetch(`/api/events/project.${project.projectId}?${q}`);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (state.panel) {
          const last = parseSse(text).filter((e) => e.data.includes('progress')).pop();
          if (last) { try { handle(JSON.parse(last.data), state); } catch {} }
        }
      }
      for (const e of parseSse(text + decoder.decode())) {
        if (e.data === '[DONE]') continue;
        try { handle(JSON.parse(e.data), state); } catch {}
      }
    } else {
      // "artifact": no stream carries the video; it only appears in the panel.
      for (;;) {
        const res = await fetch(`/api/generate/${project.projectId}`);
        const s = await res.json();
        if (s.status === 'done') { state.url = s.url; state.thumbnailUrl = s.thumbnailUrl; showVideo(s.url, s.thumbnailUrl); break; }
        if (state.panel) showProgress(s.progress);
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    if (state.panel && !state.url) $('artifact-status').textContent = 'No video came back';
    return { projectId: project.projectId, url: state.url, thumbnailUrl: state.thumbnailUrl };
  }

  async function generate(opts = {}) {
    const transport = opts.transport || 'eventsource';
    const body = { chatId, prompt: opts.prompt || '', transport, framing: opts.framing || 'lf' };
    if (opts.durationMs !== undefined) body.durationMs = opts.durationMs;
    const res = await fetch('/api/generate', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const project = await res.json();
    if (opts.panel !== false) openPanel(project.prompt || 'Video');
    return watch(project, { ...opts, transport });
  }

  window.demo = { generate, watch, parseSse, results: [] };
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const run = generate({ prompt: $('prompt').value, transport: $('transport').value });
    run.then((r) => window.demo.results.push(r), (err) => window.demo.results.push({ error: String(err) }));
  });
  // ?watch=<project id>&transport=…: follow a generation started elsewhere
  // (a second window on the same chat).
  const params = new URLSearchParams(location.search);
  if (params.get('transport')) $('transport').value = params.get('transport');
  for (const id of params.getAll('watch')) {
    openPanel('Video');
    watch({ projectId: id }, { transport: params.get('transport') || 'eventsource', framing: params.get('framing') || 'lf' })
      .then((r) => window.demo.results.push(r), (err) => window.demo.results.push({ error: String(err) }));
  }
}

export { UUID };
