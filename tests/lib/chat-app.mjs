// A fake chat app that behaves like the real /api/save-message route
// (PROTOCOL.md section 4), with switches for every fault the sync must
// survive. Listens on a free loopback port; used by the sync, end-to-end and
// benchmark tiers.
import http from 'node:http';
import https from 'node:https';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const SESSION_COOKIE = 'authjs.session-token';

/**
 * Starts the app. Options:
 *   session   the session token value that counts as signed in (cookie
 *             authjs.session-token or __Secure-authjs.session-token)
 *   bearer    a bearer token that also counts as signed in
 *   tls       {key, cert} to serve https
 *   fault     (request, state) => null | {status, retryAfter?, body?} |
 *             'reset' | 'stall' | 'slow' | {redirect: url}; decides per request
 *   latencyMs delay before answering a good request
 * Returns {origin, port, messages, log, overlaps, close(), setFault(), setSession()}.
 */
export async function startChatApp(options = {}) {
  const state = {
    session: options.session ?? 'good-session',
    bearer: options.bearer ?? null,
    fault: options.fault ?? null,
    latencyMs: options.latencyMs ?? 0,
    messages: new Map(), // message id -> {chatId, message, writes}
    log: [],             // every save-message request: {id, status, at, fault}
    inFlight: new Map(), // message id -> count of requests being handled
    overlaps: [],        // message ids two requests handled at the same moment
    sockets: new Set(),
  };

  function signedIn(req) {
    const cookies = Object.fromEntries((req.headers.cookie ?? '').split(/;\s*/).filter(Boolean)
      .map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
    if (state.session && (cookies[SESSION_COOKIE] === state.session || cookies[`__Secure-${SESSION_COOKIE}`] === state.session)) return true;
    return Boolean(state.bearer) && req.headers.authorization === `Bearer ${state.bearer}`;
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

    if (!signedIn(req)) { done(401); return json(res, 401, { error: 'Unauthorized' }); }
    if (!body.chatId || !body.message) { done(400); return json(res, 400, { error: 'Missing chatId or message' }); }
    // The real column is a UUID: the database refuses anything else.
    if (!UUID.test(String(id))) { done(500); return json(res, 500, { error: 'invalid input syntax for type uuid' }); }
    if (state.latencyMs) await new Promise((r) => setTimeout(r, state.latencyMs));
    const known = state.messages.get(id);
    state.messages.set(id, { chatId: body.chatId, message: body.message, writes: (known?.writes ?? 0) + 1 });
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
