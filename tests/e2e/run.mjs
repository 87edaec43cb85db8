// The end-to-end tier's runner: every scenario of scenarios.mjs,
// scenarios-media.mjs and scenarios-real.mjs in real
// Chromium and real Firefox ESR. Prints one line per scenario, the run time
// per browser, the screenshots, and last "N passed, M failed"; exits 1 on
// any failure. tests/e2e/run.sh prepares what it needs and calls it.
//
//   node tests/e2e/run.mjs [--browser chromium,firefox] [--only 1,7] [--headed] [--keep] [--debug]
//
//   --only      scenario ids (1-17) or slugs (generate, popup, real-sse-lapse, …)
//   --headed    visible windows (needs $DISPLAY)
//   --keep      keep the temp folders (profiles, databases, logs)
//   --debug     the extension's debug logging on, harness progress lines, logs kept
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeMedia } from '../lib/media.mjs';
import { killAllBrowsers, prepareChromiumExtension, prepareFirefoxXpi, processesMentioning, within } from './lib/browsers.mjs';
import { Scenario, snapshotBinaries } from './lib/harness.mjs';
import { scenarios as chatScenarios } from './scenarios.mjs';
import { scenarios as mediaScenarios } from './scenarios-media.mjs';
import { scenarios as realScenarios } from './scenarios-real.mjs';

const here = import.meta.dirname;
const repo = path.resolve(here, '../..');

function parseArgs(argv) {
  const out = { browsers: ['chromium', 'firefox'], only: null, headed: false, keep: false, debug: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--browser' || flag === '--browsers') out.browsers = value().split(',').map((b) => b.trim()).filter(Boolean);
    else if (flag === '--only') out.only = value().split(',').map((x) => x.trim()).filter(Boolean);
    else if (flag === '--headed') out.headed = true;
    else if (flag === '--keep') out.keep = true;
    else if (flag === '--debug') out.debug = true;
    else { console.error(`unknown argument ${argv[i]}`); process.exit(2); }
  }
  for (const b of out.browsers) if (!['chromium', 'firefox'].includes(b)) { console.error(`unknown browser ${b}`); process.exit(2); }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const bin = process.env.VIDKEEP_BIN ?? path.join(repo, 'build/bin');
const chromiumDist = path.join(repo, 'extension/dist/chromium');
const firefoxDist = path.join(repo, 'extension/dist/firefox');
// The binaries are snapshotted below (waiting out a build in progress).
for (const f of [path.join(chromiumDist, 'manifest.json'), path.join(firefoxDist, 'manifest.json')]) {
  if (!existsSync(f)) { console.error(`missing ${f}: run tests/e2e/run.sh (it builds what is missing)`); process.exit(1); }
}

const artifactsDir = path.join(here, 'artifacts');
const workDir = mkdtempSync(path.join(process.env.E2E_TMPDIR ?? tmpdir(), 'vidkeep-e2e-'));
let interrupted = false;
// A signal ends the browsers at once (they run in their own process groups,
// out of reach of a `timeout` that signals ours); the scenario then fails
// fast and the usual cleanup and leftover check run.
const onSignal = (sig) => { interrupted = true; console.error(`\n${sig}: stopping`); killAllBrowsers(); };
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const scenarios = [...chatScenarios, ...mediaScenarios, ...realScenarios];
const selected = scenarios.filter((sc) => !args.only || args.only.includes(sc.id) || args.only.includes(sc.slug));
if (selected.length === 0) { console.error(`no scenario matches --only ${args.only}`); process.exit(2); }

const run = {
  repo, bin: path.join(workDir, 'bin'), workDir, artifactsDir,
  mediaDir: path.join(workDir, 'media'),
  headless: !args.headed,
  keep: args.keep,
  keepLogs: args.debug,
  debug: args.debug,
};

const timeoutMs = { chromium: 90000, firefox: 120000 };
let passed = 0;
let failed = 0;
const times = {};
const allShots = [];
const results = [];

try {
  await snapshotBinaries(bin, run.bin);
  await makeMedia(run.mediaDir);
  if (args.browsers.includes('chromium')) run.chromiumExtension = prepareChromiumExtension(chromiumDist, path.join(workDir, 'ext-chromium'));
  if (args.browsers.includes('firefox')) run.firefoxXpi = prepareFirefoxXpi(firefoxDist, path.join(workDir, 'vidkeep-firefox.xpi'));
  for (const kind of args.browsers) {
    rmSync(path.join(artifactsDir, kind), { recursive: true, force: true });
    mkdirSync(path.join(artifactsDir, kind), { recursive: true });
  }

  for (const kind of args.browsers) {
    console.log(`\n== ${kind}`);
    const start = Date.now();
    for (const sc of selected) {
      if (interrupted) break;
      const t0 = Date.now();
      let s;
      let error;
      try {
        s = new Scenario(run, kind, sc.id, sc.slug, sc.config);
        await within(timeoutMs[kind], sc.run(s), `scenario ${sc.id}`);
      } catch (err) {
        error = err;
      }
      let left = [];
      try { left = s ? await s.cleanup(Boolean(error)) : []; } catch (err) { error ??= err; }
      if (!error && left.length) error = new Error(`processes outlived the scenario: ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
      const secs = ((Date.now() - t0) / 1000).toFixed(1);
      const label = `${kind} ${sc.id} ${sc.slug}: ${sc.title}`;
      if (error) {
        failed++;
        console.log(`FAIL  ${label} (${secs} s)`);
        console.log(String(error.stack ?? error).split('\n').slice(0, 14).map((l) => `      ${l}`).join('\n'));
        if (s?.logDir) console.log(`      logs: ${path.relative(process.cwd(), s.logDir)}`);
      } else {
        passed++;
        console.log(`ok    ${label} (${secs} s${s.notes.length ? `; ${s.notes.join('; ')}` : ''})`);
      }
      allShots.push(...(s?.screenshots ?? []));
      results.push({ browser: kind, id: sc.id, slug: sc.slug, ok: !error, seconds: Number(secs), error: error ? String(error.message ?? error) : undefined, screenshots: s?.screenshots ?? [] });
    }
    times[kind] = (Date.now() - start) / 1000;
    console.log(`${kind}: ${selected.length} scenario(s) in ${times[kind].toFixed(1)} s`);
  }
} catch (err) {
  failed++;
  console.log(`FAIL  setup: ${err.stack ?? err}`);
} finally {
  // Nothing we started may outlive the run: look for any process that names
  // the run's folder in its command line or environment.
  let left = processesMentioning(workDir);
  const deadline = Date.now() + 8000;
  while (left.length && Date.now() < deadline) { await new Promise((r) => setTimeout(r, 200)); left = processesMentioning(workDir); }
  if (left.length) {
    failed++;
    console.log(`FAIL  processes left running: ${left.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
    for (const p of left) { try { process.kill(p.pid, 'SIGKILL'); } catch {} }
  } else {
    passed++;
    console.log('ok    no browser, host or server process left running (ps)');
  }
  if (!args.keep) rmSync(workDir, { recursive: true, force: true });
  else console.log(`kept ${workDir}`);
}

mkdirSync(artifactsDir, { recursive: true });
writeFileSync(path.join(artifactsDir, 'results.json'), JSON.stringify({ times, results }, null, 2));
if (allShots.length) {
  console.log('\npopup and chat screenshots:');
  for (const f of allShots) console.log(`  ${path.relative(process.cwd(), f)}`);
}
console.log(`\nrun time: ${Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && !interrupted ? 0 : 1);
