// The extension figure: how much main-thread time a chat page spends handling
// SSE events with and without vidkeep's capture scripts (page.js in the MAIN
// world + relay.js in the ISOLATED world), in real Chromium with the real
// extension build, and the page's JS heap after many events.
//
//   node bench/extension_bench.mjs --events 10000 --runs 5 --memory-events 100000 \
//        [--chromium /usr/bin/chromium] [--extension extension/dist/chromium] [--host build-bench/bin/vidkeep-host]
//
// Method: one local HTTP server serves the same chat page and SSE stream on
// two origins: http://127.0.0.1:PORT (a configured chat origin: the capture
// scripts are injected) and http://localhost:PORT (not configured: no
// scripts). The page opens an EventSource and JSON-parses every event, as a
// chat app does. Per run we read CDP Performance.getMetrics before and after
// the stream: TaskDuration (all main-thread work of the renderer) and
// ScriptDuration, plus the page's own wall time from first to last event.
// Runs alternate between the two origins in a fresh tab each.
//
// The extension is a copy of extension/dist/chromium whose manifest lists
// http://127.0.0.1/* under host_permissions instead of optional ones (an
// unpacked extension gets required host permissions at install; optional ones
// need a click in the options page). Nothing else is changed. The native host
// is registered in the temporary profile and points at vidkeep-host with its
// own VIDKEEP_HOME, so every captured video really travels to the host.
import { chromium } from 'playwright-core';
import http from 'node:http';
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
window.startBench = (n, runId) => new Promise((resolve, reject) => {
  let count = 0, videos = 0, t0 = 0, last = '';
  const status = document.getElementById('messages');
  const es = new EventSource('/api/events/project.' + runId + '?n=' + n);
  es.onmessage = (e) => {
    if (count === 0) t0 = performance.now();
    const data = JSON.parse(e.data);
    count++;
    if (data.type === 'file') { videos++; last = data.object.url; }
    if (data.type === 'done') {
      const t1 = performance.now();
      es.close();
      status.textContent = count + ' events';
      resolve({ count, videos, wallMs: t1 - t0, last });
    }
  };
  es.onerror = () => { es.close(); reject(new Error('EventSource error after ' + count)); };
});
</script></body></html>`;

function eventsBody(n, runId) {
  const parts = [];
  for (let i = 0; i < n - 1; i++) {
    let data;
    if (i % VIDEO_EVERY === VIDEO_EVERY - 1) {
      data = { type: 'file', projectId: `p${runId}`, requestId: `r${i}`,
        object: { url: `https://cdn.example.com/v/${runId}-${i}.mp4?X-Amz-Signature=${i.toString(16).padStart(16, '0')}`,
          thumbnail_url: `https://cdn.example.com/v/${runId}-${i}.webp`, contentType: 'video/mp4',
          video_generation: { prompt: `bench video ${i} of run ${runId}` } } };
    } else {
      data = { type: 'progress', projectId: `p${runId}`, requestId: `r${i}`, progress: i % 100,
        object: { status: 'generating', eta_s: 12, message: 'rendering frames' } };
    }
    parts.push(`data: ${JSON.stringify(data)}\n\n`);
  }
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
  if (req.method === 'POST' && url.pathname === '/api/save-message') {
    // The host syncs what the extension captured; answer as the chat app would.
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"ok":true}'); });
    return;
  }
  res.writeHead(404); res.end();
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

const result = { events: EVENTS, runs: RUNS, memory_events: MEMORY_EVENTS, video_every: VIDEO_EVERY, port: PORT };
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

  async function run(base, n, runId, { memory = false } = {}) {
    const page = await context.newPage();
    await page.goto(`${base}/chat/${CHAT_ID}`);
    const captured = await page.evaluate(() => Boolean(globalThis[Symbol.for('vidkeep.page.installed')]) || typeof window.addVideoToChat === 'function');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    if (memory) await cdp.send('HeapProfiler.collectGarbage');
    const before = await metrics();
    const pageResult = await page.evaluate(([k, id]) => window.startBench(k, id), [n, runId]);
    const after = await metrics();
    const out = {
      origin: base, captured, count: pageResult.count, videos: pageResult.videos,
      wall_ms: pageResult.wallMs,
      task_ms: (after.TaskDuration - before.TaskDuration) * 1000,
      script_ms: (after.ScriptDuration - before.ScriptDuration) * 1000,
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

  // Warm-up, one each.
  await run(WITHOUT, Math.min(EVENTS, 1000), 'warm0');
  await run(WITH, Math.min(EVENTS, 1000), 'warm1');
  result.with_capture = [];
  result.without_capture = [];
  for (let r = 0; r < RUNS; r++) {
    const order = r % 2 ? [WITH, WITHOUT] : [WITHOUT, WITH];
    for (const base of order) {
      const out = await run(base, EVENTS, `r${r}${base === WITH ? 'w' : 'o'}`);
      (base === WITH ? result.with_capture : result.without_capture).push(out);
      log(base === WITH ? 'with   ' : 'without', `task ${out.task_ms.toFixed(1)} ms, script ${out.script_ms.toFixed(1)} ms, wall ${out.wall_ms.toFixed(1)} ms, captured=${out.captured}`);
    }
  }
  if (!result.with_capture.every((x) => x.captured) || result.without_capture.some((x) => x.captured))
    throw new Error('capture scripts not where expected');
  if (MEMORY_EVENTS > 0) {
    result.memory_without = await run(WITHOUT, MEMORY_EVENTS, 'memo', { memory: true });
    result.memory_with = await run(WITH, MEMORY_EVENTS, 'memw', { memory: true });
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
