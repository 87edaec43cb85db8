// A fake chat app that behaves like the real /api/save-message route
// (PROTOCOL.md section 4), with switches for every fault the sync must
// survive. Listens on a free loopback port; used by the sync, end-to-end and
// benchmark tiers.
import http from 'node:http';
import https from 'node:https';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SESSION_COOKIE = 'authjs.session-token';
/** Who the default `authenticate` says is signed in. */
export const DEMO_USER = Object.freeze({ id: 'user-1', email: 'demo@example.com', type: 'regular' });

/** The request's cookies by name (the first of a repeated name wins). */
export function parseCookies(req) {
  const out = {};
  for (const c of (req.headers.cookie ?? '').split(/;\s*/).filter(Boolean)) {
    const eq = c.indexOf('=');
    const name = eq < 0 ? c : c.slice(0, eq);
    if (!(name in out)) out[name] = eq < 0 ? '' : c.slice(eq + 1);
  }
  return out;
}

/**
 * The session token the request carries under `name` as Auth.js sends it:
 * plain or `__Secure-` prefixed, whole or split into `name.0`, `name.1`, …
 * (joined in order). null when absent.
 */
export function readSessionCookie(req, name = SESSION_COOKIE) {
  const cookies = parseCookies(req);
  for (const n of [name, `__Secure-${name}`]) {
    if (cookies[n] !== undefined) return cookies[n];
    if (cookies[`${n}.0`] !== undefined) {
      let value = '';
      for (let i = 0; cookies[`${n}.${i}`] !== undefined; i++) value += cookies[`${n}.${i}`];
      return value;
    }
  }
  return null;
}

/**
 * Starts the app. Options:
 *   session   the session token value that counts as signed in (cookie
 *             authjs.session-token or __Secure-authjs.session-token)
 *   bearer    a bearer token that also counts as signed in
 *   tls       {key, cert} to serve https
 *   fault     (request, state) => null | {status, retryAfter?, body?} |
 *             'reset' | 'stall' | 'slow' | {redirect: url}; decides per request
 *   latencyMs delay before answering a good request
 *   authenticate  (req, state) => user {id, email?, name?, type?} | null:
 *             who the request is signed in as. Default: the session cookie
 *             equal to state.session, or the bearer equal to state.bearer,
 *             is DEMO_USER. readSessionCookie(req, state.cookieName) reads
 *             the cookie for a custom one.
 *   cookieName  the session cookie's name (default authjs.session-token;
 *             the __Secure- variant and chunks name.0, name.1, … count too)
 *   unauthenticated  '401' (default: JSON {error}) or '307' (the WS
 *             version's middleware: a redirect to
 *             /api/auth/guest?redirectUrl=<the request's URL, encoded>)
 *   routes    (req, res, state) => true when it answered; tried before the
 *             built-in GET /api/auth/session, so it can replace it
 * GET /api/auth/session answers {user, expires} or null from authenticate.
 * Messages are saved for any signed-in user into any chat id (the real route
 * checks no ownership); each entry records the writer's userId.
 * Returns {origin, port, messages, log, overlaps, close(), setFault(), setSession()}.
 */
export async function startChatApp(options = {}) {
  const state = {
    session: options.session ?? 'good-session',
    bearer: options.bearer ?? null,
    fault: options.fault ?? null,
    latencyMs: options.latencyMs ?? 0,
    cookieName: options.cookieName ?? SESSION_COOKIE,
    messages: new Map(), // message id -> {chatId, message, writes, userId}
    log: [],             // every save-message request: {id, status, at, fault, userId}
    sessionLookups: [],  // every GET /api/auth/session: {at, userId} (null: no session)
    inFlight: new Map(), // message id -> count of requests being handled
    overlaps: [],        // message ids two requests handled at the same moment
    sockets: new Set(),
  };

  function defaultAuthenticate(req) {
    if (state.session && readSessionCookie(req, state.cookieName) === state.session) return { ...DEMO_USER };
    if (state.bearer && req.headers.authorization === `Bearer ${state.bearer}`) return { ...DEMO_USER };
    return null;
  }
  const authenticate = (req) => (options.authenticate ?? defaultAuthenticate)(req, state) ?? null;

  // Without a session: 401, or (unauthenticated: '307') the WS version's
  // redirect to its guest sign-in, which carries the whole request URL.
  function refuse(req, res) {
    if (options.unauthenticated === '307') {
      const url = `http://${req.headers.host ?? '127.0.0.1'}${req.url}`;
      res.writeHead(307, { location: `/api/auth/guest?redirectUrl=${encodeURIComponent(url)}` });
      res.end();
      return 307;
    }
    json(res, 401, { error: 'Unauthorized' });
    return 401;
  }

  function json(res, status, body, headers = {}) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  async function saveMessage(req, res, raw) {
    let body;
    try { body = JSON.parse(raw); } catch { return json(res, 400, { error: 'invalid JSON' }); }
    const id = body?.message?.id;
    const entry = { id, at: Date.now(), status: 0, fault: null };
    state.log.push(entry);
    if (id) {
      const n = (state.inFlight.get(id) ?? 0) + 1;
      state.inFlight.set(id, n);
      if (n > 1) state.overlaps.push(id);
    }
    const done = (status) => {
      entry.status = status;
      if (id) state.inFlight.set(id, state.inFlight.get(id) - 1);
    };

    const fault = state.fault?.(body, state) ?? null;
    entry.fault = fault && (typeof fault === 'string' ? fault : JSON.stringify(fault));
    if (fault === 'reset') { done(0); req.socket.destroy(); return; }
    if (fault === 'stall') { done(0); return; } // never answers; the client's timeout ends it
    if (fault?.redirect) { done(302); res.writeHead(302, { location: fault.redirect }); res.end(); return; }
    if (fault?.status) {
      done(fault.status);
      const headers = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
      return json(res, fault.status, { error: fault.body ?? `injected ${fault.status}` }, headers);
    }

    const user = authenticate(req);
    if (!user) { done(refuse(req, res)); return; }
    entry.userId = user.id;
    if (!body.chatId || !body.message) { done(400); return json(res, 400, { error: 'Missing chatId or message' }); }
    // The real column is a UUID: the database refuses anything else.
    if (!UUID.test(String(id))) { done(500); return json(res, 500, { error: 'invalid input syntax for type uuid' }); }
    if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
    const known = state.messages.get(id);
    state.messages.set(id, { chatId: body.chatId, message: body.message, writes: (known?.writes ?? 0) + 1, userId: user.id });
    if (fault === 'slow') {
      // Headers now, body a byte at a time.
      done(200);
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = JSON.stringify({ ok: true, id });
      let i = 0;
      const drip = setInterval(() => {
        if (i >= text.length || res.destroyed) { clearInterval(drip); res.end(); return; }
        res.write(text[i++]);
      }, 20);
      return;
    }
    done(200);
    return json(res, 200, { ok: true, id, updated: Boolean(known) });
  }

  const handler = (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'POST' && url.pathname === '/api/save-message') {
      const chunks = [];
      let size = 0;
      req.on('data', (c) => { size += c.length; if (size <= 4 << 20) chunks.push(c); });
      req.on('end', () => { saveMessage(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy()); });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/messages') {
      const chatId = url.searchParams.get('chatId');
      return json(res, 200, [...state.messages.values()].filter((m) => !chatId || m.chatId === chatId).map((m) => m.message));
    }
    if (options.routes?.(req, res, state)) return;
    if (req.method === 'GET' && url.pathname === '/api/auth/session') {
      const user = authenticate(req);
      state.sessionLookups.push({ at: Date.now(), userId: user?.id ?? null });
      return json(res, 200, user ? { user, expires: new Date(Date.now() + 30 * 24 * 3600e3).toISOString() } : null);
    }
    json(res, 404, { error: 'not found' });
  };

  const server = options.tls ? https.createServer(options.tls, handler) : http.createServer(handler);
  server.keepAliveTimeout = 5000;
  server.on('connection', (s) => { state.sockets.add(s); s.on('close', () => state.sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    origin: `${options.tls ? 'https' : 'http'}://${options.hostname ?? '127.0.0.1'}:${port}`,
    state,
    messages: state.messages,
    log: state.log,
    overlaps: state.overlaps,
    setFault(f) { state.fault = f; },
    setSession(s) { state.session = s; },
    close() {
      for (const s of state.sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A fault function failing `rate` of requests, cycling through the kinds. */
export function mixedFaults(rate, seed = 1) {
  let x = seed;
  const random = () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
  const kinds = [{ status: 500 }, { status: 503 }, { status: 429, retryAfter: 0 }, 'reset', { status: 502 }, { status: 408 }];
  let k = 0;
  return () => (random() < rate ? kinds[k++ % kinds.length] : null);
}
