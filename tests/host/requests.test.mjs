// Every request type through the real binary over pipes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHome, startHost, video } from '../lib/host.mjs';

test('hello, video, duplicate, list, get, status, resync, delete', async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });

  const hello = await host.request({ type: 'hello', extension_version: '0.1.0' });
  assert.equal(hello.ok, true);
  assert.equal(hello.protocol, 1);
  assert.match(hello.db_path, /vidkeep\.db$/);

  const first = await host.request({ type: 'video', video: video(1, { url: 'https://cdn.example/v/1.mp4?X-Amz-Signature=aaa&X-Amz-Expires=60' }) });
  assert.equal(first.ok, true);
  assert.equal(first.duplicate, false);
  assert.equal(first.sync, 'pending');
  const again = await host.request({ type: 'video', video: video(1, { url: 'https://cdn.example/v/1.mp4?X-Amz-Signature=bbb&X-Amz-Expires=90' }) });
  assert.equal(again.duplicate, true);
  assert.equal(again.video_id, first.video_id);

  const local = await host.request({ type: 'video', video: video(2, { chat_id: undefined }) });
  assert.equal(local.sync, 'local');

  const list = await host.request({ type: 'list', limit: 1 });
  assert.equal(list.videos.length, 1);
  assert.equal(list.videos[0].video_id, local.video_id, 'newest first');
  assert.ok(list.next_cursor);
  const rest = await host.request({ type: 'list', cursor: list.next_cursor });
  assert.deepEqual(rest.videos.map((v) => v.video_id), [first.video_id]);
  assert.equal(rest.next_cursor, null);
  assert.equal(rest.videos[0].url, 'https://cdn.example/v/1.mp4?X-Amz-Signature=bbb&X-Amz-Expires=90', 'fresher URL kept');

  const found = await host.request({ type: 'list', query: 'number 2' });
  assert.deepEqual(found.videos.map((v) => v.video_id), [local.video_id]);

  const got = await host.request({ type: 'get', video_id: first.video_id });
  assert.equal(got.video.prompt, 'video number 1');
  const missing = await host.request({ type: 'get', video_id: 'nope' });
  assert.equal(missing.error.code, 'not_found');

  const status = await host.request({ type: 'status' });
  assert.equal(status.videos, 2);
  assert.equal(status.pending, 1);
  assert.equal(status.local, 1);

  const resync = await host.request({ type: 'resync', video_ids: [first.video_id, local.video_id] });
  assert.equal(resync.queued, 1, 'local videos are not queued');
  const del = await host.request({ type: 'delete', video_ids: [local.video_id, 'nope'] });
  assert.equal(del.deleted, 1);

  const conf = await host.request({ type: 'configure', server: { origin: 'https://chat.example', auth: { cookie: 'authjs.session-token=secret' } } });
  assert.equal(conf.ok, true);
  assert.deepEqual(await host.close(), { code: 0, signal: null });
  assert.deepEqual(host.protocolErrors, []);
});
