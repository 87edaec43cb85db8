// The demo chat app (issue 6): a small stand-in for the Next.js chatbot that
// vidkeep meets in the field, built on chat-app.mjs (whose /api/save-message
// behaves like the real route). Used by the end-to-end tier and the demo.
//
// Option `mode` picks what it plays:
//   demo  (default) the issue-6 app below, kept so the first scenarios stay
//         meaningful
//   sse, ws, tool   the REAL app's three versions (shared/REAL-APP.md), see
//         demo-real.mjs
//
// Every mode:
//   /signin, /signout          pages whose buttons sign in as one of two fixed
//                              regular users (demo@example.com, other@…) or
//                              sign out (the session ends on the server)
//   GET /api/auth/session      {user: {id, email, type}, expires} or null
//   GET /api/auth/guest?redirectUrl=U   a NEW guest user, its session cookie,
//                              307 to U (sse, ws, tool: every page visit
//                              without a session goes there)
//   GET /api/file/<fileId>     the generation backend's file record (JSON;
//                              url null until the video is done), which the
//                              pages poll
//   GET /api/project/<id>      the project record with its files
//   /cdn/v/<name>.mp4|.webp|.png   real media (made with ffmpeg, see media.mjs),
//                              behind S3-style signed URLs
//   /api/save-message, /api/messages   from chat-app.mjs
// The session cookie is authjs.session-token (tool: next-auth.session-token).
//
// The demo mode:
//   /                          redirects to a new chat
//   /chat/<id>                 the chat: messages rendered from the server's
//                              store (so a reload shows exactly what was saved
//                              there), a "Generate video" action, the artifact
//                              panel ([data-testid="artifact"]) with progress,
//                              then a <video>
//   POST /api/generate         starts a generation {chatId, prompt, transport,
//                              framing, durationMs} -> the project
//   GET  /api/events/project.<id>?framing=F
//                              text/event-stream: progress events, the
//                              completion event of PROTOCOL.md section 5, the
//                              same completion again with a fresh signature,
//                              decoys that are not videos, then "done"
//   GET|POST /api/chat/stream?project=<id>&framing=F
//                              the same as AI SDK UI-message-stream chunks
//   the "artifact" transport polls GET /api/file/<fileId>: the video reaches
//   the page only in that JSON answer and then in the panel's <video>
//
// Framings (F): lf crlf cr bom comments multiline split (7-byte writes that cut
// lines and UTF-8 sequences).
import { randomUUID, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { startChatApp } from './chat-app.mjs';
import { createAuth, REGULAR_USERS } from './demo-auth.mjs';
import { projectRecord, videoFileRecord } from './demo-files.mjs';
import { realRoutes, serveWebSockets, videoElement } from './demo-real.mjs';

export const FRAMINGS = ['lf', 'crlf', 'cr', 'bom', 'comments', 'multiline', 'split'];
export const TRANSPORTS = ['eventsource', 'fetch', 'ui', 'artifact'];
export const MODES = ['demo', 'sse', 'ws', 'tool'];
export { REGULAR_USERS };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** The URL without its query and fragment (the signatures live in the query). */
export const stripSignature = (url) => String(url ?? '').replace(/[?#].*$/, '');

/**
 * Starts the demo app. Options:
 *   mode         'demo' (default), 'sse', 'ws' or 'tool' (see above)
 *   mediaDir     folder with video.mp4, thumb.webp, image.png (media.mjs)
 *   durationMs   default generation time (progress events spread over it)
 *   fault        as chat-app.mjs (switches for /api/save-message)
 *   sse mode, the page's timings (REAL-APP section 1 in brackets):
 *     streamDropMs   the server ends the event stream this long after it opened (20000)
 *     pollFirstMs, pollEveryMs, pollMaxMs   the page's polling after that (30000, 5000, 900000)
 *     appSave        the page's own save: 'uuid' (default), 'legacy' (video-<ts> id: 500), 'none'
 *     appSaveDelayMs before that save (0)
 * Returns the chat-app.mjs object plus `demo`: {mode, auth, projects, chats,
 * createProject(), deliver(), chatUrl(), canonicalVideoUrl(), messagesWithVideo(), lapse(), user()}.
 */
export async function startDemoChatApp(options = {}) {
  const mode = options.mode ?? 'demo';
  if (!MODES.includes(mode)) throw new Error(`unknown demo mode ${mode}`);
  const media = loadMedia(options.mediaDir);
  const auth = createAuth({ cookieName: mode === 'tool' ? 'next-auth.session-token' : 'authjs.session-token' });
  const demo = {
    mode,
    auth,
    projects: new Map(), // id -> project
    files: new Map(), // file id -> project
    chats: new Map(), // chat id -> {userId, createdAt}: a chat belongs to the user who made it
    userMessages: new Map(), // chat id -> [{prompt, at}] (demo, sse, ws: the prompts shown in the chat)
    durationMs: options.durationMs ?? 900,
    streamDropMs: options.streamDropMs ?? 20000,
    pageOptions: {
      pollFirstMs: options.pollFirstMs ?? 30000,
      pollEveryMs: options.pollEveryMs ?? 5000,
      pollMaxMs: options.pollMaxMs ?? 900000,
      appSave: options.appSave ?? 'uuid',
      appSaveDelayMs: options.appSaveDelayMs ?? 0,
    },
    streams: 0, // open event streams
    sockets: 0, // open WebSockets
  };
  let app;

  const sign = (pid, ext) => {
    const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    return `${app.origin}/cdn/v/${pid}.${ext}?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
      `&X-Amz-Credential=demo%2F${date.slice(0, 8)}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=${date}` +
      `&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=${randomBytes(32).toString('hex')}`;
  };

  demo.createProject = ({ chatId, prompt, transport = 'eventsource', framing = 'lf', durationMs, resend = true, streamDropMs, renderResult, userMessage = true } = {}) => {
    const project = {
      id: randomUUID(),
      requestId: randomUUID(),
      fileId: randomUUID(),
      generationId: randomUUID(),
      taskId: randomUUID(),
      chatId: String(chatId ?? ''),
      prompt: String(prompt ?? ''),
      transport,
      framing: FRAMINGS.includes(framing) ? framing : 'lf',
      durationMs: Number.isFinite(durationMs) ? Math.max(0, Math.min(durationMs, 60000)) : demo.durationMs,
      streamDropMs: Number.isFinite(streamDropMs) ? Math.max(0, Math.min(streamDropMs, 120000)) : demo.streamDropMs,
      renderResult: renderResult === true,
      resend,
      createdAt: Date.now(),
      deliveries: [], // signed URLs handed out, in order: {url, thumbnailUrl, via}
      streamDropped: false,
      wsSubscribed: false,
    };
    project.tasks = () => [{ type: 'video-generation', status: demo.progress(project) >= 1 ? 'completed' : 'in_progress', id: project.taskId, file_id: project.fileId, project_id: project.id }];
    demo.projects.set(project.id, project);
    demo.files.set(project.fileId, project);
    if (project.chatId && userMessage) {
      const list = demo.userMessages.get(project.chatId) ?? [];
      list.push({ prompt: project.prompt, at: new Date(project.createdAt).toISOString() });
      demo.userMessages.set(project.chatId, list);
    }
    return project;
  };
  demo.progress = (project) => (project.durationMs === 0 ? 1 : Math.min(1, (Date.now() - project.createdAt) / project.durationMs));
  demo.chatUrl = (chatId, query = '') => `${app.origin}/chat/${chatId}${query}`;
  /** The URL vidkeep should store for a project's video, without its signature. */
  demo.canonicalVideoUrl = (pid) => `${app.origin}/cdn/v/${pid}.mp4`;
  demo.canonicalThumbUrl = (pid) => `${app.origin}/cdn/v/${pid}.webp`;
  /** A delivery of the finished video: fresh signatures (the TOOL version's fal links are plain, without a thumbnail). */
  demo.deliver = (project, via = 'demo') => {
    const delivery = via === 'tool'
      ? { url: demo.canonicalVideoUrl(project.id), thumbnailUrl: null, via }
      : { url: sign(project.id, 'mp4'), thumbnailUrl: sign(project.id, 'webp'), via };
    project.deliveries.push(delivery);
    return delivery;
  };
  /** The chat `chatId` for `user`: made theirs when new; null when it is someone else's. */
  demo.claimChat = (chatId, user) => {
    let chat = demo.chats.get(chatId);
    if (!chat) { chat = { userId: user.id, createdAt: Date.now() }; demo.chats.set(chatId, chat); }
    return chat.userId === user.id ? chat : null;
  };
  /** A user by id or by a regular account's email. */
  demo.user = (idOrEmail) => REGULAR_USERS[idOrEmail] ?? auth.users.get(idOrEmail) ?? null;
  /** Every session of a user ends on the server (a lapse): their cookie counts as nobody from now on. */
  demo.lapse = (idOrEmail) => auth.lapse(demo.user(idOrEmail)?.id ?? idOrEmail);
  /**
   * The messages of `chatId` in the store that SHOW the video `canonicalUrl`
   * after a reload: an attachment whose URL, signature stripped, is it, or a
   * text part containing it. A tool part does not count (the TOOL version does
   * not show them after a reload; neither does it show video attachments, so
   * in the tool mode only text parts count).
   */
  demo.messagesWithVideo = (chatId, canonicalUrl) => [...app.messages.values()].filter((x) => x.chatId === chatId).filter(({ message }) => {
    const inText = (message.parts ?? []).some((part) => part?.type === 'text' && typeof part.text === 'string' && part.text.includes(canonicalUrl));
    const inAttachment = mode !== 'tool' && (message.attachments ?? []).some((a) => String(a?.contentType ?? 'video/').startsWith('video') && stripSignature(a?.url) === canonicalUrl);
    return inText || inAttachment;
  });

  /** Who asked `GET /api/auth/session` and what they were told: {at, userId (null: nobody)}. */
  demo.sessionLookups = [];
  const noteLookup = (req) => demo.sessionLookups.push({ at: Date.now(), userId: auth.userOf(req)?.id ?? null });

  const helpers = { send, json: sendJson, redirect, readBody, escapeHtml, PAGE_CSS };
  const real = mode === 'demo' ? null : realRoutes({ ...helpers, demo, auth, mode, sign, app: () => app });

  const routes = (req, res, state) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const handle = (fn) => { fn().catch((err) => { try { res.destroy(err); } catch {} }); return true; };
    // WebSockets: the upgrade listener goes on the server the first request
    // arrives on (chat-app.mjs does not hand its server out).
    if (real && req.socket.server) serveWebSockets(req.socket.server, real.webSocket);
    if (req.method === 'GET' && p === '/api/auth/session') {
      noteLookup(req);
      return sendJson(res, 200, auth.sessionAnswer(req));
    }
    if (req.method === 'GET' && p === '/api/auth/guest') {
      const user = auth.newGuest();
      const token = auth.startSession(user);
      res.writeHead(307, { location: sameOrigin(url.searchParams.get('redirectUrl')), 'set-cookie': auth.setCookie(token), 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    if (req.method === 'GET' && p === '/signin') return authPage(res, 'signin', url.searchParams.get('next'));
    if (req.method === 'GET' && p === '/signout') return authPage(res, 'signout', url.searchParams.get('next'));
    if (req.method === 'POST' && (p === '/api/auth/signin' || p === '/api/auth/signout')) {
      return handle(async () => {
        const form = new URLSearchParams(await readBody(req));
        const next = safeNext(form.get('next'));
        let cookie;
        if (p.endsWith('signin')) {
          // A new session (a new cookie value) at every sign-in, as Auth.js re-issues it.
          const user = REGULAR_USERS[form.get('email')] ?? REGULAR_USERS['demo@example.com'];
          cookie = auth.setCookie(auth.startSession(user));
        } else {
          // Signing out ends the session on the server too: the old cookie then counts as nobody.
          auth.endSessionOf(req);
          cookie = auth.clearCookie();
        }
        res.writeHead(303, { location: next, 'set-cookie': cookie, 'cache-control': 'no-store' });
        res.end();
      });
    }
    let m = /^\/api\/file\/([\w-]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const project = demo.files.get(m[1]);
      if (!project) return sendJson(res, 404, { error: 'File not found' });
      return sendJson(res, 200, videoFileRecord(project, demo.progress(project) >= 1 ? demo.deliver(project, 'poll') : null));
    }
    m = /^\/api\/project\/([0-9a-f-]{36})$/.exec(p);
    if (req.method === 'GET' && m) {
      const project = demo.projects.get(m[1]);
      if (!project) return sendJson(res, 404, { error: 'Project not found' });
      return sendJson(res, 200, projectRecord(project, demo.progress(project) >= 1 ? demo.deliver(project, 'poll') : null));
    }
    m = /^\/cdn\/v\/([\w-]+)\.(mp4|webp|png)$/.exec(p);
    if (req.method === 'GET' && m) return serveMedia(req, res, media[m[2]]);
    if (req.method === 'GET' && p === '/favicon.ico') { res.writeHead(204); res.end(); return true; }
    if (real) return real.routes(req, res, state, url);

    if (req.method === 'GET' && (p === '/' || p === '/chat' || p === '/chat/new')) return redirect(res, `/chat/${randomUUID()}`);
    if (req.method === 'GET' && p.startsWith('/chat/')) return chatPage(req, res, decodeURIComponent(p.slice(6)), url, state);
    if (req.method === 'GET' && p === '/static/chat.js') return send(res, 200, 'text/javascript; charset=utf-8', `(${chatPageScript})(${videoElement});\n`);
    if (req.method === 'POST' && p === '/api/generate') {
      return handle(async () => {
        let body = {};
        try { body = JSON.parse(await readBody(req)); } catch {}
        const project = demo.createProject(body);
        send(res, 200, 'application/json', JSON.stringify(publicProject(project)));
      });
    }
    m = /^\/api\/events\/project\.([0-9a-f-]{36})$/.exec(p);
    if (req.method === 'GET' && m) return eventStream(req, res, m[1], url.searchParams.get('framing'), 'sse');
    if ((req.method === 'GET' || req.method === 'POST') && p === '/api/chat/stream') {
      return eventStream(req, res, url.searchParams.get('project'), url.searchParams.get('framing'), 'ui');
    }
    return false;
  };

  const generationProgress = demo.progress;

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
      const deliveries = [demo.deliver(project, kind)];
      if (project.resend) deliveries.push(demo.deliver(project, kind));
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
    // Today's demo: the chat shows signed out too (no guest redirect); the chat is claimed, never refused.
    const user = auth.userOf(req);
    const signedIn = Boolean(user);
    if (user && !demo.chats.has(chatId)) demo.claimChat(chatId, user);
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
  <span id="who" class="${signedIn ? 'in' : 'out'}">${signedIn ? `signed in as ${escapeHtml(user.email)}` : 'signed out'}</span>
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

  // chat-app.mjs's save route asks `authenticate` who is signed in (no
  // ownership check, as the real route); WS answers unauthenticated /api/*
  // with a 307 to the guest route.
  app = await startChatApp({
    authenticate: (req) => {
      // chat-app.mjs may answer GET /api/auth/session itself from this.
      if (req.url.startsWith('/api/auth/session')) noteLookup(req);
      return auth.userOf(req);
    },
    cookieName: auth.cookieName,
    unauthenticated: mode === 'ws' ? '307' : '401',
    session: null,
    fault: options.fault,
    routes,
    host: options.host,
  });
  app.demo = demo;
  if (real) {
    // One request through the routes puts the WebSocket listener on the server now.
    await fetch(`${app.origin}/favicon.ico`).then((r) => r.arrayBuffer()).catch(() => {});
  }
  return app;
}

function publicProject(project) {
  return { projectId: project.id, fileId: project.fileId, requestId: project.requestId, chatId: project.chatId, prompt: project.prompt,
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

function sendJson(res, status, body) {
  return send(res, status, 'application/json', JSON.stringify(body));
}

function redirect(res, location, status = 302) {
  res.writeHead(status, { location, 'cache-control': 'no-store' });
  res.end();
  return true;
}

/** A guest redirect's target: a path, or an absolute URL reduced to its path (never another origin). */
function sameOrigin(target) {
  try {
    const u = new URL(String(target ?? '/'), 'http://127.0.0.1');
    return safeNext(`${u.pathname}${u.search}`);
  } catch {
    return '/';
  }
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

function authPage(res, kind, next) {
  const signin = kind === 'signin';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${signin ? 'Sign in' : 'Sign out'}</title>
<style>${PAGE_CSS}</style></head><body class="auth">
<form method="post" action="/api/auth/${kind}" class="auth-form">
  <h1>${signin ? 'Sign in to Demo chat' : 'Sign out of Demo chat'}</h1>
  <input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">
  ${signin
    ? `<button id="signin" type="submit" name="email" value="demo@example.com">Sign in as demo@example.com</button>
  <button id="signin-other" type="submit" name="email" value="other@example.com">Sign in as other@example.com</button>`
    : '<button id="signout" type="submit">Sign out</button>'}
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
/// `videoElement`: demo-real.mjs's, passed in by the script route.
function chatPageScript(videoElement) {
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
    $('artifact-media').replaceChildren(videoElement(url, poster));
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
      // "artifact": no stream carries the video; the page polls the file
      // record (url null until done), then shows it only in the panel.
      const started = Date.now();
      for (;;) {
        const res = await fetch(`/api/file/${project.fileId}`);
        const file = await res.json();
        if (file.url) { state.url = file.url; state.thumbnailUrl = file.thumbnail_url; showVideo(file.url, file.thumbnail_url); break; }
        if (state.panel) showProgress(Math.min(0.99, (Date.now() - started) / Math.max(1, project.durationMs || 1)));
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
