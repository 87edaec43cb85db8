// Hostile peers (issue 9). A chat app that sends a gigabyte body, never ends
// its headers, answers with garbage or redirects elsewhere; a browser that
// floods frames without reading the answers. The host stays responsive and
// within a memory bound, never counts a garbage answer as synced, and keeps
// every promise once the peer behaves again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { makeHome, startHost, frame, video, within } from '../lib/host.mjs';
import { SESSION_COOKIE } from '../lib/chat-app.mjs';
import { CHAT, memoryOf, sleep, until, pageVideo, checkDatabase } from './lib.mjs';

const SYNC = { backoff_base_ms: 20, backoff_cap_ms: 200, request_timeout_ms: 1000, connect_timeout_ms: 1000, lease_ms: 2000 };
const MEMORY_BOUND_KIB = 160 * 1024; // 8 MiB answer queue + 4 MiB frame + SQLite cache + code
const figures = { hostileAnswers: 0, bytesOffered: 0, peakRssKiB: 0 };

/**
 * A raw HTTP server on loopback whose behaviour is switched by `mode`.
 * 'good' answers save-message like the chat app (recording message ids);
 * every other mode is one hostile behaviour.
 */
async function hostileServer() {
  const state = { mode: 'good', requests: [], good: new Map(), bytesWritten: 0, sockets: new Set(), redirectTarget: null };
  const server = net.createServer((socket) => {
    state.sockets.add(socket);
    socket.on('close', () => state.sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const body = buf.subarray(end + 4, end + 4 + length).toString('utf8');
        buf = buf.subarray(end + 4 + length);
        respond(socket, head, body);
      }
    });
  });
  const pump = (socket, chunk, limit) => {
    // Writes `chunk` until the peer stops reading or `limit` bytes are out.
    let sent = 0;
    const more = () => {
      while (sent < limit && !socket.destroyed) {
        sent += chunk.length;
        state.bytesWritten += chunk.length;
        if (!socket.write(chunk)) return socket.once('drain', more);
      }
      socket.end();
    };
    more();
  };
  function respond(socket, head, body) {
    let id = null;
    try { id = JSON.parse(body).message.id; } catch {}
    // The host also asks the session endpoint (configure), and gets the same
    // hostile treatment there.
    state.requests.push({ mode: state.mode, id, at: Date.now(), path: head.split(' ')[1] });
    switch (state.mode) {
      case 'good':
        state.good.set(id, (state.good.get(id) ?? 0) + 1);
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}');
        return;
      case 'gigabyte-500':
        socket.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 1073741824\r\n\r\n');
        return pump(socket, Buffer.alloc(1 << 16, 0x61), 1 << 30);
      case 'gigabyte-chunked':
        socket.write('HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n');
        return pump(socket, Buffer.from(`10000\r\n${'b'.repeat(0x10000)}\r\n`), 1 << 30);
      case 'endless-headers':
        socket.write('HTTP/1.1 200 OK\r\n');
        return pump(socket, Buffer.from(`X-Pad: ${'p'.repeat(1000)}\r\n`), 1 << 30);
      case 'drip-headers': {
        socket.write('HTTP/1.1 200 OK\r\n');
        const timer = setInterval(() => { if (socket.destroyed) clearInterval(timer); else socket.write('X-Slow: 1\r\n'); }, 50);
        socket.on('close', () => clearInterval(timer));
        return;
      }
      case 'garbage':
        socket.end('this is not HTTP at all\r\n\r\n');
        return;
      case 'binary':
        socket.end(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)));
        return;
      case 'bad-status':
        socket.end('HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n');
        return;
      case 'bad-length':
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n');
        return;
      case 'bad-chunks':
        socket.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
        return;
      case 'short-body':
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"ok":');
        return;
      case 'redirect-307':
        socket.write(`HTTP/1.1 307 Temporary Redirect\r\nLocation: ${state.redirectTarget}\r\nContent-Length: 0\r\n\r\n`);
        return;
      default:
        throw new Error(`unknown mode ${state.mode}`);
    }
  }
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    state,
    close: () => { for (const s of state.sockets) s.destroy(); return new Promise((r) => server.close(r)); },
  };
}

async function signedInHost(t, origin, config = {}) {
  const home = makeHome({ sync: SYNC, ...config });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  assert.equal((await host.request({ type: 'configure', server: { origin, auth: { cookie: `${SESSION_COOKIE}=s` } } })).ok, true);
  return { home, host };
}

for (const mode of ['gigabyte-500', 'gigabyte-chunked', 'endless-headers', 'drip-headers', 'garbage', 'binary', 'bad-status', 'bad-length', 'bad-chunks', 'short-body']) {
  test(`hostile chat app (${mode}): never synced by it, host responsive and bounded, synced once when the app recovers`, { timeout: 30000 }, async (t) => {
    const server = await hostileServer();
    t.after(() => server.close());
    server.state.mode = mode;
    const { home, host } = await signedInHost(t, server.origin);
    const a = await host.request({ type: 'video', video: pageVideo(server.origin, 1) });
    assert.equal(a.ok, true);
    // At least two hostile answers: the first was retried.
    await until(() => server.state.requests.filter((r) => r.mode === mode && r.path === '/api/save-message').length >= 2, 15000, `two ${mode} exchanges`);
    const started = Date.now();
    const status = await host.request({ type: 'status' }, 2000);
    const latency = Date.now() - started;
    assert.equal(status.ok, true);
    assert.ok(latency < 1000, `status took ${latency} ms while the chat app misbehaved`);
    const got = await host.request({ type: 'get', video_id: a.video_id });
    assert.equal(got.video.sync, 'pending', `a ${mode} answer must not count as synced: ${JSON.stringify(got.video)}`);
    assert.ok(got.history.length >= 1 && got.history.every((h) => h.result === 'pending'), JSON.stringify(got.history));
    assert.ok(got.video.last_error.length <= 600, 'the stored reason is bounded');
    const mem = memoryOf(host.child.pid);
    assert.ok(mem.hwm < MEMORY_BOUND_KIB, `peak RSS ${mem.hwm} KiB`);
    figures.peakRssKiB = Math.max(figures.peakRssKiB, mem.hwm);
    figures.hostileAnswers += server.state.requests.length;
    figures.bytesOffered += server.state.bytesWritten;
    if (mode.startsWith('gigabyte')) assert.ok(server.state.bytesWritten < (64 << 20) * server.state.requests.length, `${server.state.bytesWritten} bytes were taken from a gigabyte body`);

    server.state.mode = 'good';
    await host.event((e) => e.video_id === a.video_id && e.sync === 'synced', 15000);
    assert.equal(server.state.good.get(a.video_id), 1, 'the recovered app got the message once');
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
    assert.deepEqual(host.protocolErrors, []);
    await checkDatabase(home);
  });
}

test('a redirect to another origin (307) is not followed: auth_required with the reason, the other origin sees nothing', { timeout: 20000 }, async (t) => {
  const elsewhere = await hostileServer();
  const server = await hostileServer();
  t.after(() => Promise.all([server.close(), elsewhere.close()]));
  server.state.mode = 'redirect-307';
  server.state.redirectTarget = `${elsewhere.origin}/api/save-message`;
  const { host } = await signedInHost(t, server.origin);
  const a = await host.request({ type: 'video', video: pageVideo(server.origin, 1) });
  const ev = await host.event((e) => e.video_id === a.video_id && e.sync === 'auth_required', 10000);
  assert.equal(ev.last_error, 'HTTP 307: the app redirected to /api/save-message (sign-in or guest page)');
  await sleep(200);
  assert.equal(elsewhere.state.requests.length, 0);
  assert.equal(server.state.requests.filter((r) => r.path === '/api/save-message').length, 1, 'not retried either');
  await host.close();
});

test('a browser that floods frames and never reads: the host stops reading (back-pressure), stays bounded, then answers everything in order', { timeout: 90000 }, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  // 600 videos with long prompts, so each `list` answer is cut at ~1 MiB.
  host.write(Buffer.concat(Array.from({ length: 600 }, (_, i) => frame({ id: `v${i}`, type: 'video', video: video(i, { prompt: `${'prompt '.repeat(300)}${i}` }) }))));
  await host.count(600, 30000);

  host.child.stdout.pause(); // the browser stops taking answers
  const LISTS = 80;
  const VIDEOS = 4000;
  const FLOOD_BOUND_KIB = 64 * 1024;
  const flood = [];
  for (let i = 0; i < VIDEOS; i++) {
    flood.push({ id: `f${i}`, type: 'video', video: video(10000 + i) });
    if (i % (VIDEOS / LISTS) === 0) flood.push({ id: `l${i}`, type: 'list', limit: 500 });
  }
  host.write(Buffer.concat(flood.map(frame)));
  // Without back-pressure the list answers alone would be ~80 MiB.
  await sleep(2500);
  const stalled = memoryOf(host.child.pid);
  const unread = host.child.stdin.writableLength;
  t.diagnostic(`while not read: peak RSS ${stalled.hwm} KiB, ${unread} bytes of requests not taken by the host`);
  assert.ok(unread > 0, 'the host stopped reading its input');
  assert.ok(stalled.hwm < FLOOD_BOUND_KIB, `peak RSS ${stalled.hwm} KiB over the bound`);
  figures.peakRssKiB = Math.max(figures.peakRssKiB, stalled.hwm);

  host.child.stdout.resume();
  const answers = (await host.count(600 + flood.length, 60000)).slice(600);
  answers.forEach((a, k) => {
    assert.equal(a.id, flood[k].id, 'answers in request order');
    assert.equal(a.ok, true, JSON.stringify(a).slice(0, 300));
  });
  const peak = memoryOf(host.child.pid);
  assert.ok(peak.hwm < FLOOD_BOUND_KIB, `peak RSS ${peak.hwm} KiB`);
  figures.peakRssKiB = Math.max(figures.peakRssKiB, peak.hwm);
  assert.deepEqual(await within(5000, host.close(), 'exit'), { code: 0, signal: null });
  assert.deepEqual(host.protocolErrors, []);
  assert.equal((await checkDatabase(home)).videos, 600 + VIDEOS);
});

test('hostile figures', () => { console.log(`# hostile figures: ${JSON.stringify(figures)}`); });
