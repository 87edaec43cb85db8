// The demo (tests/demo.sh): the demo chat app, a browser with the vidkeep
// extension and the host registered by the installer — all in a temp folder,
// nothing in your own profile — then one video generated in the chat, and
// what vidkeep saved and synced printed, with a popup screenshot.
//
//   node tests/e2e/demo.mjs [--browser chromium|firefox] [--mode demo|sse|ws|tool] [--headless] [--prompt TEXT] [--keep]
//
// --mode picks what the chat app plays (tests/lib/demo-chat-app.mjs): the
// issue-6 demo (default), or the real app's SSE, WS or TOOL version.
//
// A visible window when $DISPLAY is set (then it waits for Enter before
// closing, when run from a terminal), headless otherwise.
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeMedia } from '../lib/media.mjs';
import { killAllBrowsers, prepareChromiumExtension, prepareFirefoxXpi } from './lib/browsers.mjs';
import { REAL_APP_GRACE_MS, Scenario, snapshotBinaries, stripQuery } from './lib/harness.mjs';

const here = import.meta.dirname;
const repo = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : fallback; };
const kind = opt('--browser', existsSync('/usr/lib/chromium/chromium') ? 'chromium' : 'firefox');
const headless = argv.includes('--headless') || !process.env.DISPLAY;
const prompt = opt('--prompt', 'a cat surfing a wave at sunset');
const keep = argv.includes('--keep');
const mode = opt('--mode', 'demo');
if (!['demo', 'sse', 'ws', 'tool'].includes(mode)) { console.error('--mode must be demo, sse, ws or tool'); process.exit(2); }
if (!['chromium', 'firefox'].includes(kind)) { console.error('--browser must be chromium or firefox'); process.exit(2); }

const bin = process.env.VIDKEEP_BIN ?? path.join(repo, 'build/bin');
const workDir = mkdtempSync(path.join(tmpdir(), 'vidkeep-demo-'));
const artifactsDir = path.join(here, 'artifacts', 'demo');
const run = { repo, bin: path.join(workDir, 'bin'), workDir, artifactsDir, mediaDir: path.join(workDir, 'media'), headless, keep, debug: false };
const step = (text) => console.log(`\n▶ ${text}`);
process.on('SIGINT', () => { killAllBrowsers(); process.exit(130); });
process.on('SIGTERM', () => { killAllBrowsers(); process.exit(143); });

let s;
let status = 0;
try {
  await snapshotBinaries(bin, run.bin);
  step('making a short mp4 and its webp thumbnail with ffmpeg');
  await makeMedia(run.mediaDir);
  if (kind === 'chromium') run.chromiumExtension = prepareChromiumExtension(path.join(repo, 'extension/dist/chromium'), path.join(workDir, 'ext-chromium'));
  else run.firefoxXpi = prepareFirefoxXpi(path.join(repo, 'extension/dist/firefox'), path.join(workDir, 'vidkeep.xpi'));

  // The real versions save videos themselves: the host's grace period lets that save come first.
  s = new Scenario(run, kind, 'demo', 'demo', mode === 'demo' ? {} : { sync: { app_save_grace_ms: REAL_APP_GRACE_MS } });
  const app = await s.startApp({ mode, durationMs: 2500, pollFirstMs: 1000, pollEveryMs: 1000 });
  step(`demo chat app (${mode === 'demo' ? 'the demo' : `the real app's ${mode.toUpperCase()} version`}) on ${app.origin}`);

  step(`registering vidkeep-host with installer/install.sh --user --root ${s.root('a')}`);
  step(`starting ${kind} (${headless ? 'headless' : 'a visible window'}) with the extension; HOME and the profile are in ${s.dir}`);
  const { browser, tab, chatId } = await s.ready({ path: mode === 'tool' ? '/' : undefined });
  console.log(`  signed in, chat app origin added on the extension's options page, chat ${app.demo.chatUrl(chatId)}`);

  step(`generating a video: "${prompt}"`);
  const result = await s.generate(tab, prompt);
  const how = {
    demo: 'the chat streamed it over EventSource (twice, with two signatures)',
    sse: `the page got it ${result.via === 'poll' ? 'by polling' : 'over EventSource'} and saved it itself (HTTP ${result.appSave?.status})`,
    ws: 'a WebSocket frame carried it; the page ignored it and saved nothing',
    tool: 'the /api/chat stream\'s tool result carried it (shown inline); the app kept it only in a tool part',
  }[mode];
  console.log(`  ${how}: ${stripQuery(result.url ?? result.videoUrl ?? app.demo.canonicalVideoUrl(result.projectId))}`);

  // Synced by vidkeep, or saved by the app itself (then vidkeep sends nothing).
  const videos = await s.waitVideos((v) => v.length > 0 && v.every((x) => x.sync === 'synced' || x.sync === 'saved_by_app'), 'the video saved and synced', 30000);
  const video = videos[0];
  step('vidkeep saved (vidkeep list):');
  const list = await s.cli(['list']);
  process.stdout.write(list.stdout.replace(/^/gm, '  '));
  step(`vidkeep show ${video.video_id.slice(0, 8)} (record and sync history):`);
  const show = await s.cli(['show', video.video_id.slice(0, 8)]);
  process.stdout.write(show.stdout.replace(/^/gm, '  '));

  step('the chat app received (POST /api/save-message):');
  for (const e of app.log) console.log(`  ${new Date(e.at).toISOString()}  ${e.id}  HTTP ${e.status}`);
  const shown = app.demo.messagesWithVideo(video.chat_id, stripQuery(video.url));
  console.log(`  messages in the chat that show the video: ${shown.length} (${shown.map((m) => `${m.message.id}${m.message.id === video.video_id ? ', vidkeep\'s' : ', the app\'s'}`).join('; ')})`);

  await tab.reload();
  if (mode === 'demo') {
    await tab.waitFor((id) => document.querySelector(`li.message[data-id="${id}"] img.thumb`)?.complete, [video.video_id], { what: 'the video in the reloaded chat' });
    console.log('  after a reload the chat shows it with its thumbnail (rendered from what was saved)');
  } else {
    await tab.waitFor(() => document.readyState === 'complete', [], { what: 'the reloaded chat' });
    console.log('  after a reload the chat shows what was saved (see the screenshot)');
  }
  mkdirSync(artifactsDir, { recursive: true });
  const chatShot = await tab.screenshot(path.join(artifactsDir, `${kind}-${mode}-chat.png`));

  const popup = await s.openPopup(browser, { state: 'connected' });
  await popup.waitFor(() => document.querySelector('li.card') !== null, [], { what: 'the popup card' });
  const popupShot = await popup.screenshot(path.join(artifactsDir, `${kind}-${mode}-popup.png`));
  step('screenshots:');
  console.log(`  popup: ${path.relative(process.cwd(), popupShot)}`);
  console.log(`  chat:  ${path.relative(process.cwd(), chatShot)}`);

  if (!headless && process.stdin.isTTY) {
    step(`the browser stays open: try the chat (${app.demo.chatUrl(chatId)}) and the popup; press Enter to end the demo`);
    await new Promise((resolve) => { process.stdin.resume(); process.stdin.once('data', resolve); });
    process.stdin.pause();
  }
} catch (err) {
  status = 1;
  console.error(`\ndemo failed: ${err.stack ?? err}`);
} finally {
  if (s) await s.cleanup(status !== 0);
  if (s?.logDir) console.error(`logs: ${s.logDir}`);
  if (!keep) rmSync(workDir, { recursive: true, force: true });
  else console.log(`\nkept ${workDir} (VIDKEEP_HOME=${s?.vidkeepHome})`);
}
console.log(status === 0 ? '\ndemo done: browser, host and chat app ended.' : '');
process.exit(status);
