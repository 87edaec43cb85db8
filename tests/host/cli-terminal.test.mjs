// Issue 13, finding 2: page-supplied text never reaches a terminal raw. A
// prompt holding an OSC 52 clipboard write, a line erase, a C1 CSI, DEL and a
// bidi override, saved through the real host, then printed by the real
// `vidkeep` binary: every human-readable output shows them escaped; `--json`
// keeps the prompt exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { makeHome, startHost, video, runCli } from '../lib/host.mjs';

const T = { timeout: 20000 };
const OSC52 = '\u001b]52;c;ZWNobyBwd25lZA==\u0007';
const ERASE = '\r\u001b[2K';
const PROMPT = `surfing cat ${OSC52}${ERASE}fake line \u009b2J\u007f \u202egnp.exe`;
// Any control character a terminal acts on: C0 (tab aside), DEL, C1, bidi.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

let home;
let id;
before(async () => {
  home = makeHome({ '\u001b]0;pwned\u0007': 1 });  // an unknown config key, quoted in a warning
  const host = startHost({ env: home.env });
  try {
    const a = await host.request({ type: 'video', video: video(1, { prompt: PROMPT }) });
    assert.equal(a.ok, true, JSON.stringify(a));
    id = a.video_id;
    assert.deepEqual(await host.close(), { code: 0, signal: null });
  } finally {
    await host.stop();
  }
});
after(() => home.cleanup());

const cli = (args) => runCli(args, { env: home.env });
function assertNoControls(text, what) {
  for (const line of text.split('\n')) assert.doesNotMatch(line, CONTROL, `${what}: ${JSON.stringify(line)}`);
}

test('show: the prompt and the config warning come out escaped (OSC 52, line erase, C1, DEL, bidi)', T, async () => {
  const out = await cli(['show', id.slice(0, 8)]);
  assert.equal(out.code, 0, out.stderr);
  assertNoControls(out.stdout, 'show stdout');
  assertNoControls(out.stderr, 'show stderr');
  assert.match(out.stdout, /^Prompt +surfing cat \\e\]52;c;ZWNobyBwd25lZA==\\x07\\r\\e\[2Kfake line \\u009b2J\\x7f \\u202egnp\.exe$/m);
  assert.match(out.stderr, /unknown key '\\e\]0;pwned\\x07' ignored/);
});

test('list and search: the table cell is escaped too', T, async () => {
  for (const args of [['list'], ['search', 'surfing']]) {
    const out = await cli(args);
    assert.equal(out.code, 0, out.stderr);
    assertNoControls(out.stdout, args[0]);
    assert.match(out.stdout, /surfing cat \\e\]52;c;ZWNobyBwd25lZA==\\x07 \\e\[2Kfake/, args[0]);
  }
});

test('--json stays exact', T, async () => {
  const shown = await cli(['show', id, '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).prompt, PROMPT);
  const listed = await cli(['list', '--json']);
  assert.equal(JSON.parse(listed.stdout)[0].prompt, PROMPT);
});

test('an error message quoting what was typed is escaped', T, async () => {
  const out = await cli(['show', `zz${OSC52}`]);
  assert.notEqual(out.code, 0);
  assert.equal(out.stdout, '');
  assertNoControls(out.stderr, 'error');
  assert.match(out.stderr, /\\e\]52;c;/);
});
