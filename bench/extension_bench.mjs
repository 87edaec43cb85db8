// The extension figure: how much CPU a chat page spends handling what the
// chat app sends it, with and without vidkeep's capture scripts (page.js in
// the MAIN world + relay.js in the ISOLATED world), in real Chromium with the
// real extension build, and the page's JS heap after many events.
//
//   node bench/extension_bench.mjs --events 10000 --runs 9 --memory-events 100000 \
//        [--kinds sse,ws,poll] [--polls 1000] [--video-every 100] \
//        [--chromium /usr/bin/chromium] [--extension extension/dist/chromium] [--host build-bench/bin/vidkeep-host]
//
// Method: one local HTTP server serves the same chat page on two origins:
// http://127.0.0.1:PORT (a configured chat origin: the capture scripts are
// injected) and http://localhost:PORT (not configured: no scripts). Three
// workloads, each as the real app (REAL-APP.md) delivers it, the page
// JSON-parsing every message as a chat app does:
//   sse   an EventSource stream of --events events;
//   ws    a WebSocket (a minimal RFC 6455 server here) sending --events text frames;
//   poll  --polls sequential fetch() calls of a same-origin JSON file record
//         (`/api/file/<n>`), the page reading each with res.json().
// One event / record in --video-every is a finished video; the rest are
// progress events / unfinished records of similar size.
// The figure is CPU time, not wall time: the on-CPU nanoseconds of the tab's
// renderer main thread (/proc/<pid>/schedstat of every page renderer of this
// browser, before and after the workload), so waiting on the network and
// other processes' load count as little as possible (the isolated-world
// relay runs in the same renderer, so it is counted; the service worker is
// not: it runs in the extension's own process). CDP
// Performance.getMetrics TaskDuration / ScriptDuration are kept too. A round
// runs every workload on both origins, in a fresh tab each, the order
// alternating between rounds; the added cost is with ÷ without − 1 per round.
//
import { chromium } from 'playwright-core';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return acc;
}, []));
const root = path.resolve(import.meta.dirname, '..');
const EVENTS = Number(args.events ?? 10000);
const RUNS = Number(args.runs ?? 5);
const KINDS = String(args.kinds ?? 'sse,ws,poll').split(',').filter(Boolean);
const POLLS = Number(args.polls ?? Math.max(10, Math.round(EVENTS / 10)));
const MEMORY_EVENTS = Number(args['memory-events'] ?? 100000);
const VIDEO_EVERY = Number(args['video-every'] ?? 100); // one event in N is a finished video
const CHROMIUM = args.chromium ?? '/usr/bin/chromium';
const EXTENSION = path.resolve(args.extension ?? path.join(root, 'extension/dist/chromium'));
const HOST = path.resolve(args.host ?? path.join(root, 'build-bench/bin/vidkeep-host'));
const CHAT_ID = '3f2c0a6e-1b2d-4c3e-8f4a-5b6c7d8e9f01';

function log(...a) { process.stderr.write(`[extension-bench] ${a.join(' ')}\n`); }

// ---- the page and its stream
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>chat</title></head><body>
<div id="messages"></div><div data-testid="artifact"></div>
<script>
const finish = (resolve, count, videos, t0, status) => {
  document.getElementById('messages').textContent = count + ' ' + status;
  resolve({ count, videos, wallMs: performance.now() - t0 });
};
window.startBench = (kind, n, runId) => new Promise((resolve, reject) => {
  let count = 0, videos = 0, t0 = performance.now();
  const onData = (text) => {
    const data = JSON.parse(text);
    count++;
    if (data.type === 'file' && data.object.url) videos++;
    return data.type === 'done';
  };
  if (kind === 'sse') {
    const es = new EventSource('/api/events/project.' + runId + '?n=' + n);
    es.onmessage = (e) => { if (onData(e.data)) { es.close(); finish(resolve, count, videos, t0, 'events'); } };
    es.onerror = () => { es.close(); reject(new Error('EventSource error after ' + count)); };
  } else if (kind === 'ws') {
    const ws = new WebSocket('ws://' + location.host + '/api/v1/ws/project.' + runId + '?n=' + n);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', projectId: runId }));
    ws.onmessage = (e) => { if (onData(e.data)) { ws.close(); finish(resolve, count, videos, t0, 'frames'); } };
    ws.onerror = () => reject(new Error('WebSocket error after ' + count));
  } else if (kind === 'poll') {
    (async () => {
      for (let i = 0; i < n; i++) {
        const res = await fetch('/api/file/' + runId + '-' + i);
        const record = await res.json();
        count++;
        if (record.url) videos++;
      }
      finish(resolve, count, videos, t0, 'polls');
    })().catch(reject);
  } else reject(new Error('unknown kind ' + kind));
});
</script></body></html>`;

/// One stream event / WebSocket frame payload.
function eventData(i, runId) {
  if (i % VIDEO_EVERY === VIDEO_EVERY - 1) {
    return { type: 'file', projectId: `p${runId}`, requestId: `r${i}`,
      object: { id: `f${runId}-${i}`, url: `https://cdn.example.com/v/${runId}-${i}.mp4?X-Amz-Signature=${i.toString(16).padStart(16, '0')}`,
        thumbnail_url: `https://cdn.example.com/v/${runId}-${i}.webp`, type: 'video', contentType: 'video/mp4',
        video_generation: { prompt: `bench video ${i} of run ${runId}` } } };
  }
  return { type: 'progress', projectId: `p${runId}`, requestId: `r${i}`, progress: i % 100,
    object: { status: 'generating', eta_s: 12, message: 'rendering frames' } };
}

/// A polled file record (REAL-APP.md section 1): finished one time in VIDEO_EVERY.
function fileRecord(id, i) {
  const done = i % VIDEO_EVERY === VIDEO_EVERY - 1;
  return { id, url: done ? `https://cdn.example.com/v/${id}.mp4` : null, thumbnail_url: done ? `https://cdn.example.com/v/${id}.webp` : null,
    type: 'video', video_generation_id: `g-${id}`, video_generation: { prompt: `bench poll ${id}`, duration: 5, width: 1280, height: 720 },
    duration: 5, tasks: [{ type: 'video-generation', status: done ? 'completed' : 'in_progress', id: `t-${id}`, file_id: id, project_id: 'p' }] };
}

/// A server-to-client WebSocket text frame (unmasked).
function wsFrame(text, opcode = 0x1) {
  const payload = Buffer.from(text);
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n])
    : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 255])
    : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, payload]);
}

function eventsBody(n, runId) {
  const parts = [];
  for (let i = 0; i < n - 1; i++) parts.push(`data: ${JSON.stringify(eventData(i, runId))}\n\n`);
  parts.push(`data: ${JSON.stringify({ type: 'done' })}\n\n`);
  return parts.join('');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname.startsWith('/chat/')) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end(PAGE);
  }
  if (url.pathname.startsWith('/api/events/')) {
    const n = Number(url.searchParams.get('n'));
    const runId = url.pathname.split('.').pop();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    return res.end(eventsBody(n, runId));
  }
  if (url.pathname.startsWith('/api/file/')) {
    const id = url.pathname.slice('/api/file/'.length);
    const i = Number(id.split('-').pop());
    const body = JSON.stringify(fileRecord(id, i));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    return res.end(body);
  }
  if (req.method === 'POST' && url.pathname === '/api/save-message') {
    // The host syncs what the extension captured; answer as the chat app would.
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); });
    return;
  }
  res.writeHead(404); res.end();
});
// The WS version's socket: one JSON text frame per event, then a close frame.
server.on('upgrade', (req, socket) => {
  const url = new URL(req.url, 'http://x');
  const key = req.headers['sec-websocket-key'];
  if (!url.pathname.startsWith('/api/v1/ws/') || typeof key !== 'string') return socket.destroy();
  const accept = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on('error', () => {});
  let started = false;
  socket.on('data', () => { // the page's subscribe frame (or its close): start once
    if (started) return;
    started = true;
    const n = Number(url.searchParams.get('n'));
    const runId = url.pathname.split('.').pop();
    const frames = [];
    for (let i = 0; i < n - 1; i++) frames.push(wsFrame(JSON.stringify(eventData(i, runId))));
    frames.push(wsFrame(JSON.stringify({ type: 'done' })));
    socket.write(Buffer.concat(frames));
    socket.end(Buffer.from([0x88, 0x00]));
  });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const PORT = server.address().port;
const WITH = `http://127.0.0.1:${PORT}`;
const WITHOUT = `http://localhost:${PORT}`;

// ---- profile: extension copy, native host registration
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vidkeep-extbench-'));
const home = path.join(tmp, 'home');
const profile = path.join(home, '.config/chromium');
const vkHome = path.join(tmp, 'vidkeep');
fs.mkdirSync(path.join(profile, 'NativeMessagingHosts'), { recursive: true });
fs.mkdirSync(vkHome, { recursive: true });
const ext = path.join(tmp, 'extension');
fs.cpSync(EXTENSION, ext, { recursive: true });
const manifest = JSON.parse(fs.readFileSync(path.join(ext, 'manifest.json'), 'utf8'));
manifest.host_permissions = ['http://127.0.0.1/*'];
manifest.optional_host_permissions = (manifest.optional_host_permissions ?? []).filter((p) => p !== 'http://127.0.0.1/*');
fs.writeFileSync(path.join(ext, 'manifest.json'), JSON.stringify(manifest, null, 2));
const hostManifest = { name: 'org.vidkeep.host', description: 'vidkeep (benchmark)', path: HOST, type: 'stdio',
  allowed_origins: ['chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/'] };
fs.writeFileSync(path.join(profile, 'NativeMessagingHosts/org.vidkeep.host.json'), JSON.stringify(hostManifest));
// The extension carries the public development id: trusted only when told (issue 13).
fs.writeFileSync(path.join(tmp, 'system.json'), JSON.stringify({ dev_ids: true }));

const result = { events: EVENTS, runs: RUNS, polls: POLLS, kinds: KINDS, memory_events: MEMORY_EVENTS, video_every: VIDEO_EVERY, port: PORT };

// ---- CPU time of this browser's processes, from /proc (Linux)
function readProc(pid, file) {
  try { return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'); } catch { return null; }
}
/// pid -> {ppid, cmdline} of every process now.
function processTable() {
  const table = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(name, 'stat');
    const cmd = readProc(name, 'cmdline');
    if (stat === null || cmd === null) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    table.set(Number(name), { ppid, cmdline: cmd.split('\0') });
  }
  return table;
}
/// The renderer processes of the browser that uses our profile: page
/// renderers, and the extension's process (its service worker).
function ourRenderers() {
  const table = processTable();
  const browser = [...table].find(([, p]) => p.cmdline.some((a) => a === `--user-data-dir=${profile}`) &&
    !p.cmdline.some((a) => a.startsWith('--type=')));
  if (browser === undefined) return null;
  const ours = new Set([browser[0]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, p] of table) if (!ours.has(pid) && ours.has(p.ppid)) { ours.add(pid); grew = true; }
  }
  const out = { page: [], extension: [] };
  for (const pid of ours) {
    // Chromium rewrites a child's title: its cmdline is often one space-joined string.
    const args = ` ${table.get(pid).cmdline.join(' ')} `;
    if (!args.includes(' --type=renderer ')) continue;
    (args.includes(' --extension-process ') ? out.extension : out.page).push(pid);
  }
  return out;
}
/// On-CPU ns of each pid's main thread (/proc/PID/schedstat, field 1).
function mainThreadNs(pids) {
  const m = new Map();
  for (const pid of pids) {
    const s = readProc(pid, 'schedstat');
    if (s !== null) m.set(pid, Number(s.split(' ')[0]));
  }
  return m;
}
/// Sum of the growth from `before` to `after` (a process that started in between counts from 0).
function grownMs(before, after) {
  let ns = 0;
  for (const [pid, v] of after) ns += v - (before.get(pid) ?? 0);
  return ns / 1e6;
}
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, HOME: home, VIDKEEP_HOME: vkHome, VIDKEEP_SYSTEM_CONFIG: path.join(tmp, 'system.json') },
    args: [`--disable-extensions-except=${ext}`, `--load-extension=${ext}`, '--no-sandbox', '--disable-gpu',
      '--no-first-run', '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
  });
  result.browser_version = context.browser()?.version() ?? null;
  let [sw] = context.serviceWorkers();
  if (!sw) sw = await context.waitForEvent('serviceworker', { timeout: 20000 });
  result.extension_id = new URL(sw.url()).host;
  // Configure the chat origin as the options page would (settings in storage.local).
  await sw.evaluate(async (origin) => {
    await chrome.storage.local.set({ settings: { origins: [origin] } });
  }, WITH);
  const deadline = Date.now() + 20000;
  let registered = [];
  while (Date.now() < deadline) {
    registered = await sw.evaluate(async () => (await chrome.scripting.getRegisteredContentScripts()).map((s) => s.id));
    if (registered.length >= 2) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  result.registered_scripts = registered;
  if (registered.length < 2) throw new Error(`content scripts not registered: ${JSON.stringify(registered)}`);

  const cpuSnapshot = () => {
    const r = ourRenderers();
    return r === null ? null : { page: mainThreadNs(r.page) };
  };
  if (args['debug-procs']) log('renderers', JSON.stringify(ourRenderers()));
  result.cpu_source = cpuSnapshot() === null ? 'none (no /proc): see task_ms' : '/proc/<renderer>/schedstat (main thread)';

  async function run(base, kind, n, runId, { memory = false } = {}) {
    const page = await context.newPage();
    await page.goto(`${base}/chat/${CHAT_ID}`);
    const captured = await page.evaluate(() => Boolean(globalThis[Symbol.for('vidkeep.page.installed')]) || typeof window.addVideoToChat === 'function');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    if (memory) await cdp.send('HeapProfiler.collectGarbage');
    const before = await metrics();
    const cpuBefore = cpuSnapshot();
    const pageResult = await page.evaluate(([k, c, id]) => window.startBench(k, c, id), [kind, n, runId]);
    const cpuAfter = cpuSnapshot();
    const after = await metrics();
    const out = {
      origin: base, kind, captured, count: pageResult.count, videos: pageResult.videos,
      wall_ms: pageResult.wallMs,
      task_ms: (after.TaskDuration - before.TaskDuration) * 1000,
      script_ms: (after.ScriptDuration - before.ScriptDuration) * 1000,
      cpu_ms: cpuBefore && cpuAfter ? grownMs(cpuBefore.page, cpuAfter.page) : null,
    };
    if (memory) {
      await new Promise((r) => setTimeout(r, 1000)); // let the relay's messages drain
      await cdp.send('HeapProfiler.collectGarbage');
      const settled = await metrics();
      out.heap_before_bytes = before.JSHeapUsedSize;
      out.heap_after_bytes = settled.JSHeapUsedSize;
      out.heap_total_after_bytes = settled.JSHeapTotalSize;
    }
    await cdp.detach();
    await page.close();
    return out;
  }

  const sizeOf = (kind) => (kind === 'poll' ? POLLS : EVENTS);
  // Warm-up, one each.
  for (const kind of KINDS) {
    await run(WITHOUT, kind, Math.min(sizeOf(kind), 1000), `warm0${kind}`);
    await run(WITH, kind, Math.min(sizeOf(kind), 1000), `warm1${kind}`);
  }
  result.by_kind = Object.fromEntries(KINDS.map((k) => [k, { with_capture: [], without_capture: [] }]));
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 ? [WITH, WITHOUT] : [WITHOUT, WITH];
    for (const kind of KINDS) {
      for (const base of order) {
        const out = await run(base, kind, sizeOf(kind), `r${r}${kind}${base === WITH ? 'w' : 'o'}`);
        result.by_kind[kind][base === WITH ? 'with_capture' : 'without_capture'].push(out);
        log(`${kind.padEnd(4)} ${base === WITH ? 'with   ' : 'without'}`, `cpu ${out.cpu_ms?.toFixed(1)} ms, task ${out.task_ms.toFixed(1)} ms, ` +
          `script ${out.script_ms.toFixed(1)} ms, wall ${out.wall_ms.toFixed(1)} ms, ` +
          `videos ${out.videos}, captured=${out.captured}`);
      }
    }
  }
  // The SSE runs under the old names, for readers of earlier results.
  if (result.by_kind.sse) Object.assign(result, result.by_kind.sse);
  const all = Object.values(result.by_kind);
  if (!all.every((k) => k.with_capture.every((x) => x.captured) && k.without_capture.every((x) => !x.captured)))
    throw new Error('capture scripts not where expected');
  if (MEMORY_EVENTS > 0) {
    result.memory_without = await run(WITHOUT, 'sse', MEMORY_EVENTS, 'memo', { memory: true });
    result.memory_with = await run(WITH, 'sse', MEMORY_EVENTS, 'memw', { memory: true });
    log('memory', JSON.stringify({ without: result.memory_without.heap_after_bytes, with: result.memory_with.heap_after_bytes }));
  }
  // What reached the host (the extension forwards every captured video).
  await new Promise((r) => setTimeout(r, 1500));
  result.host_status = await sw.evaluate(async () => {
    try {
      return await new Promise((resolve) => {
        const port = chrome.runtime.connectNative('org.vidkeep.host');
        port.onMessage.addListener((m) => { if (m.id === 'bench') { resolve(m); port.disconnect(); } });
        port.onDisconnect.addListener(() => resolve({ error: chrome.runtime.lastError?.message ?? 'disconnected' }));
        port.postMessage({ type: 'status', id: 'bench' });
      });
    } catch (e) { return { error: String(e) }; }
  });
} finally {
  await context?.close().catch(() => {});
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
