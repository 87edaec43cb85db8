// The nine scenarios of issue 6, and a tenth (a browser restart loses
// nothing), against the demo chat app's `demo` mode (the real app's three
// versions are scenarios-real.mjs). Each runs in Chromium and in Firefox ESR with its own Scenario
// (lib/harness.mjs): a fresh chat app, installed host, profile and database.
// Waits are for events or observed state, never fixed.
import assert from 'node:assert/strict';
import { videoIdFor } from '../lib/host.mjs';
import { FRAMINGS } from '../lib/demo-chat-app.mjs';
import { until } from './lib/browsers.mjs';
import { stripQuery } from './lib/harness.mjs';

// Toolbar badge colours (extension/src/background/badge.ts).
const RED = [0xc6, 0x28, 0x28];
const AMBER = [0xb2, 0x6a, 0x00];
const BLUE = [0x1f, 0x5f, 0xbf];

const byUrl = (videos, url) => videos.filter((v) => stripQuery(v.url) === url);

/** Waits until the chat app's store has the video, and checks it was written once. */
async function expectSyncedOnce(s, video, what = 'the video') {
  await until(() => s.app.messages.has(video.video_id), { what: `${what} in the chat app's store`, timeoutMs: 15000 });
  const saved = s.app.messages.get(video.video_id);
  assert.equal(saved.writes, 1, `${what}: save-message wrote it ${saved.writes} times`);
  assert.equal(s.okWrites(video.video_id), 1, `${what}: ${s.okWrites(video.video_id)} successful save-message requests`);
  return saved;
}

/** After a reload, the chat shows the synced message with its thumbnail (loaded). */
async function expectChatShows(s, tab, video) {
  await tab.reload();
  const shown = await tab.waitFor((id) => {
    const li = document.querySelector(`li.message.assistant[data-id="${id}"]`);
    const img = li?.querySelector('img.thumb');
    if (!li || !img || !img.complete || img.naturalWidth === 0) return false;
    return { text: li.querySelector('.content').textContent, thumb: img.getAttribute('src'), video: li.querySelector('video')?.getAttribute('src') };
  }, [video.video_id], { what: 'the synced video (with a loaded thumbnail) in the reloaded chat', timeoutMs: 15000 });
  assert.equal(stripQuery(shown.thumb), stripQuery(video.thumbnail_url), 'thumbnail shown in the chat');
  assert.equal(stripQuery(shown.video), stripQuery(video.url), 'video shown in the chat');
  return shown;
}

export const scenarios = [
  {
    id: '1', slug: 'generate',
    title: 'generate a video: stored once despite a re-sent event with a new signature, synced once, shown with its thumbnail after a reload',
    async run(s) {
      await s.startApp();
      const { browser, tab, chatId } = await s.ready();
      const prompt = `a cat surfing a wave at sunset ${s.kind}`;
      const result = await s.generate(tab, prompt);
      const canonical = s.app.demo.canonicalVideoUrl(result.projectId);
      assert.ok(result.project.deliveries.length >= 2, 'the page got the completion twice');
      assert.notEqual(result.project.deliveries[0].url, result.project.deliveries[1].url, 'with different signatures');
      const videos = await s.waitVideos((v) => v.length >= 1 && v.every((x) => x.sync === 'synced'), 'one synced video');
      assert.equal(videos.length, 1, `one record, got ${videos.length}`);
      const [video] = videos;
      assert.equal(stripQuery(video.url), canonical);
      assert.equal(video.video_id, videoIdFor(chatId, canonical), 'video_id is the UUIDv5 of chat id + canonical URL');
      assert.equal(video.chat_id, chatId);
      assert.equal(video.source, 'sse');
      assert.equal(video.prompt, prompt);
      assert.equal(stripQuery(video.thumbnail_url), s.app.demo.canonicalThumbUrl(result.projectId));
      assert.equal(video.url, result.project.deliveries.at(-1).url, 'the fresher signed URL replaced the stored one');
      assert.equal(video.page_url, s.app.demo.chatUrl(chatId), 'page_url is the tab\'s URL');
      assert.equal(video.origin, s.app.origin);
      assert.deepEqual({ ...video.meta }, { content_type: 'video/mp4', duration_s: 2, width: 320, height: 240, model: 'demo-video-1' });
      const saved = await expectSyncedOnce(s, video);
      assert.equal(saved.chatId, chatId);
      const m = saved.message;
      assert.equal(m.id, video.video_id);
      assert.equal(m.role, 'assistant');
      // The text carries the link (issue 12: the TOOL version shows no video
      // attachment after a reload, the WS version an empty box).
      const [head, link] = m.content.split('\n\n');
      assert.equal(head, `Generated video: "${prompt}"`, `content: ${JSON.stringify(m.content)}`);
      assert.equal(stripQuery(link), canonical, 'the message text ends with the video\'s link');
      assert.deepEqual(m.parts, [{ type: 'text', text: m.content }]);
      const attachment = { name: prompt, url: m.attachments[0]?.url, contentType: 'video/mp4', thumbnailUrl: video.thumbnail_url };
      assert.deepEqual(m.attachments, [attachment], 'attachment (PROTOCOL.md section 4)');
      assert.deepEqual(m.experimental_attachments, [attachment]);
      assert.ok(result.project.deliveries.some((d) => d.url === attachment.url), 'the attachment carries a full signed URL');
      await expectChatShows(s, tab, video);
      await s.shot(tab, 'chat-after-reload');
      const popup = await s.openPopup(browser, { state: 'connected' });
      const cards = await popup.waitFor(() => document.querySelectorAll('li.card').length === 1 && document.querySelector('li.card img')?.complete, [], { what: 'one card' });
      assert.ok(cards);
      await s.shot(popup, 'popup');
    },
  },
  {
    id: '2', slug: 'close-panel',
    title: 'close the artifact panel: the video stays in the history; after a reload it is still there',
    async run(s) {
      await s.startApp();
      const { browser, tab } = await s.ready();
      const result = await s.generate(tab, 'a paper boat in the rain');
      await tab.waitFor(() => document.querySelector('[data-testid="artifact"] video') !== null, [], { what: 'the video in the artifact panel' });
      await tab.click('#artifact-close');
      assert.equal(await tab.eval(() => document.getElementById('artifact').hidden && !document.querySelector('[data-testid="artifact"] video')), true, 'panel closed');
      const [video] = await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'the video synced');
      assert.equal(stripQuery(video.url), s.app.demo.canonicalVideoUrl(result.projectId));
      await expectSyncedOnce(s, video);
      const popup = await s.openPopup(browser, { state: 'connected' });
      assert.deepEqual((await s.popupCards(popup)).map((c) => c.id), [video.video_id], 'the popup lists it after the panel closed');
      await expectChatShows(s, tab, video);
      assert.equal(await tab.eval(() => document.getElementById('artifact').hidden), true, 'the panel is closed after the reload');
      await popup.reload();
      await popup.waitFor((id) => document.querySelector(`li.card[data-id="${id}"]`) !== null, [video.video_id], { what: 'the card after the popup reloads' });
      await s.shot(popup, 'popup-after-reload');
      assert.equal((await s.videos()).length, 1);
    },
  },
  {
    id: '3', slug: 'add-video-to-chat',
    title: 'addVideoToChat(url, thumb) in the page console saves a video (source manual); chatSSEInstance.lastVideoUrl is set',
    async run(s) {
      await s.startApp();
      const { browser, tab, chatId } = await s.ready();
      const project = s.app.demo.createProject({ chatId, prompt: '', durationMs: 0 });
      const { url, thumbnailUrl } = s.app.demo.deliver(project);
      const answer = await tab.eval((u, t) => window.addVideoToChat(u, t), url, thumbnailUrl);
      const canonical = s.app.demo.canonicalVideoUrl(project.id);
      assert.equal(answer?.ok, true, `addVideoToChat answered ${JSON.stringify(answer)}`);
      assert.equal(answer.video_id, videoIdFor(chatId, canonical));
      assert.equal(answer.duplicate, false);
      const mirror = await tab.eval(() => ({ ...window.chatSSEInstance }));
      assert.equal(mirror.lastVideoUrl, url, 'chatSSEInstance.lastVideoUrl');
      assert.equal(mirror.lastThumbnailUrl, thumbnailUrl, 'chatSSEInstance.lastThumbnailUrl');
      assert.equal(mirror.connected, false, "the page's own chatSSEInstance object is kept");
      const [video] = await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'the manual video synced');
      assert.equal(video.source, 'manual');
      assert.equal(video.url, url);
      assert.equal(video.thumbnail_url, thumbnailUrl);
      await expectSyncedOnce(s, video);
      const again = await tab.eval((u, t) => window.addVideoToChat(u, t), url, thumbnailUrl);
      assert.equal(again?.ok, true);
      assert.equal(again.video_id, video.video_id, 'the same call again names the same video');
      const popup = await s.openPopup(browser, { state: 'connected' });
      await s.shot(popup, 'popup');
      assert.equal((await s.videos()).length, 1);
    },
  },
  {
    id: '4', slug: 'artifact-only',
    title: 'a video that reaches the page only in a polling answer (a file record) and then in the artifact <video> is captured from the answer (source poll) and synced',
    async run(s) {
      await s.startApp();
      const { browser, tab } = await s.ready();
      const result = await s.generate(tab, 'northern lights over a frozen lake', { transport: 'artifact' });
      await tab.waitFor((u) => document.querySelector('[data-testid="artifact"] video')?.getAttribute('src') === u, [result.url], { what: 'the video in the panel' });
      // Issue 12: a video known only from a <video> (a "seen" source) would be
      // kept `local`, never sent; here the page's own GET /api/file/<id>
      // answer (a real-shaped file record) carries it first, so it is
      // captured from that answer and synced.
      const [video] = await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'the polled video synced');
      assert.equal(video.source, 'poll');
      assert.equal(video.url, result.url);
      assert.equal(video.thumbnail_url, result.thumbnailUrl, 'the file record\'s thumbnail_url');
      assert.equal(video.prompt, 'northern lights over a frozen lake', 'the prompt from video_generation');
      assert.deepEqual(result.project.deliveries.map((d) => d.via), ['poll'], 'no stream carried it: one polling answer did');
      await expectSyncedOnce(s, video);
      await expectChatShows(s, tab, video);
      const popup = await s.openPopup(browser, { state: 'connected' });
      await s.shot(popup, 'popup');
    },
  },
  {
    id: '5', slug: 'host-missing',
    title: 'host not installed when the video arrives: the popup says so with the fix; after install.sh and a reconnect the queued video arrives',
    async run(s) {
      await s.startApp();
      const { browser, tab } = await s.ready({ install: false });
      const result = await s.generate(tab, 'a lighthouse in a storm');
      const popup = await s.openPopup(browser, { state: 'not_found' });
      const banner = await popup.waitFor(() => {
        const b = document.getElementById('banner');
        return !b.hidden && b.classList.contains('error') && { text: b.textContent, fix: b.querySelector('code')?.textContent };
      }, [], { what: 'the host-missing banner' });
      assert.match(banner.text, /vidkeep host is not installed/);
      assert.equal(banner.fix, 'installer/install.sh', 'the banner names the fix');
      const missing = await s.waitBadge(popup, '!', 'host missing');
      assert.deepEqual(missing.color.slice(0, 3), RED, 'red badge while the host is missing');
      await popup.waitFor(() => document.getElementById('list-status').textContent === 'The history appears once vidkeep host is connected.', [], { what: 'the gallery saying it needs the host' });
      await s.shot(popup, 'popup-host-missing');
      // The video waits in the extension's queue (debug panel: "Waiting to be saved").
      await popup.click('#debug summary');
      const waiting = await popup.waitFor(() => {
        const dt = [...document.querySelectorAll('#debug-rows dt')].find((d) => d.textContent === 'Waiting to be saved');
        return dt && Number(dt.nextElementSibling.textContent) > 0 && dt.nextElementSibling.textContent;
      }, [], { what: 'videos waiting in the debug panel' });
      // Both signed URLs the page saw wait (the host dedupes them later).
      assert.ok(Number(waiting) >= 1 && Number(waiting) <= result.project.deliveries.length, `waiting: ${waiting}`);
      await s.shot(popup, 'popup-host-missing-debug');
      assert.deepEqual(await s.videos(), [], 'nothing stored yet');
      await s.install(browser.root);
      await popup.click('#banner button.primary'); // Retry
      await popup.waitFor(() => document.getElementById('conn').dataset.state === 'connected', [], { what: 'the popup connected after install', timeoutMs: 20000 });
      const [video] = await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'the queued video stored and synced');
      assert.equal(stripQuery(video.url), s.app.demo.canonicalVideoUrl(result.projectId));
      await expectSyncedOnce(s, video);
      await popup.waitFor((id) => document.querySelector(`li.card[data-id="${id}"] .badge`)?.dataset.sync === 'synced', [video.video_id], { what: 'the card, synced, in the popup' });
      // Nothing is left waiting in the extension's queue (the popup refreshes its counts after a new video).
      await popup.waitFor(() => {
        const dt = [...document.querySelectorAll('#debug-rows dt')].find((d) => d.textContent === 'Waiting to be saved');
        return dt?.nextElementSibling.textContent === '0' && document.getElementById('banner').hidden;
      }, [], { what: 'the popup to show nothing waiting' });
      await s.shot(popup, 'popup-after-install');
      await s.waitBadge(popup, '', 'everything synced after the install');
    },
  },
  {
    id: '6', slug: 'outage-and-sign-in',
    title: 'save-message down then up: synced later, once; signed out (401): the popup says sign in; after signing in, synced',
    async run(s) {
      await s.startApp();
      const { browser, tab, chatId } = await s.ready();
      // Down: connection resets, then 503s, until lifted.
      let n = 0;
      s.app.setFault(() => (n++ % 2 === 0 ? 'reset' : { status: 503, retryAfter: 0 }));
      const r1 = await s.generate(tab, 'a hot air balloon over the desert');
      const id1 = videoIdFor(chatId, s.app.demo.canonicalVideoUrl(r1.projectId));
      await until(() => s.app.log.filter((e) => e.id === id1).length >= 3, { what: 'three refused save-message attempts', timeoutMs: 15000 });
      const during = await s.videos();
      assert.equal(during.length, 1);
      assert.notEqual(during[0].sync, 'synced', 'not synced while the app is down');
      const popup = await s.openPopup(browser, { state: 'connected' });
      const pending = await s.waitBadge(popup, '1', 'one video not synced during the outage');
      assert.deepEqual(pending.color.slice(0, 3), BLUE);
      s.app.setFault(null);
      await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'synced once the app is back');
      await expectSyncedOnce(s, during[0], 'the video sent during the outage');

      // Signed out: the session ends on the server; the host gets 401.
      await s.signOut(tab, `/chat/${chatId}`);
      const r2 = await s.generate(tab, 'a snail racing a tortoise');
      const id2 = videoIdFor(chatId, s.app.demo.canonicalVideoUrl(r2.projectId));
      await s.waitVideos((v) => v.find((x) => x.video_id === id2)?.sync === 'auth_required', 'the second video waiting for sign-in');
      // Issue 12: the host checks whose session it holds before sending, so it
      // may not even try (before: always one 401); either way nothing was written.
      assert.ok(!s.app.log.some((e) => e.id === id2 && e.status >= 200 && e.status < 300), 'nothing written while signed out');
      await popup.reload();
      const card = await popup.waitFor((id) => {
        const b = document.querySelector(`li.card[data-id="${id}"] .badge`);
        return b && b.dataset.sync === 'auth_required' && { text: b.textContent, title: b.getAttribute('title') };
      }, [id2], { what: 'the sign-in badge in the popup' });
      assert.equal(card.text, 'sign in');
      assert.match(card.title, /Sign in to the chat app/);
      const signIn = await s.waitBadge(popup, '!', 'sign-in needed');
      assert.deepEqual(signIn.color.slice(0, 3), AMBER, 'amber badge while sign-in is needed');
      await s.shot(popup, 'popup-sign-in-needed');
      await s.signIn(tab, `/chat/${chatId}`);
      await s.waitVideos((v) => v.length === 2 && v.every((x) => x.sync === 'synced'), 'both synced after signing in');
      await expectSyncedOnce(s, { video_id: id2 }, 'the video sent after signing in');
      await popup.waitFor((id) => document.querySelector(`li.card[data-id="${id}"] .badge`)?.dataset.sync === 'synced', [id2], { what: 'the popup card turning synced' });
      await s.shot(popup, 'popup-after-sign-in');
      await s.waitBadge(popup, '', 'everything synced after signing in');
    },
  },
  {
    id: '7', slug: 'popup',
    title: 'the popup: thumbnail with play overlay; search by a word of the prompt; an <img onerror> prompt is shown as text and runs nothing',
    async run(s) {
      await s.startApp();
      const { browser, tab } = await s.ready();
      const xss = '<img src=x onerror=alert(1)>';
      const prompts = ['a red fox dancing in the snow under the northern lights, cinematic, slow motion', xss, 'ocean waves at dawn'];
      for (const p of prompts) await s.generate(tab, p);
      const videos = await s.waitVideos((v) => v.length === 3 && v.every((x) => x.sync === 'synced'), 'three synced videos');
      const fox = videos.find((v) => v.prompt === prompts[0]);
      const evil = videos.find((v) => v.prompt === xss);
      assert.ok(fox && evil, 'prompts stored exactly');
      await until(() => s.app.messages.has(fox.video_id), { what: 'the fox video in the chat app' });
      assert.equal(s.app.messages.get(fox.video_id).message.attachments[0].name, `${prompts[0].slice(0, 50)}...`, 'a long prompt is cut to 50 characters in the attachment name');
      const popup = await s.openPopup(browser, { state: 'connected' });
      const cards = await popup.waitFor(() => {
        const imgs = [...document.querySelectorAll('li.card .thumb img')];
        return imgs.length === 3 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      }, [], { what: 'three cards with loaded thumbnails' }).then(() => s.popupCards(popup));
      const foxCard = cards.find((c) => c.id === fox.video_id);
      assert.ok(foxCard.thumbLoaded, 'thumbnail loaded');
      assert.equal(foxCard.thumb, fox.thumbnail_url, 'thumbnail is the stored thumbnail URL');
      assert.ok(foxCard.overlay, 'play overlay shown');
      assert.equal(foxCard.sync, 'synced');
      const evilCard = cards.find((c) => c.id === evil.video_id);
      assert.equal(evilCard.prompt, xss, 'the prompt is shown as text');
      assert.equal(await popup.eval(() => [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length), 0, 'no <img src=x> in the popup');
      await s.shot(popup, 'popup');
      await popup.type('#search', 'fox');
      await popup.waitFor((id) => {
        const ids = [...document.querySelectorAll('li.card')].map((li) => li.dataset.id);
        return ids.length === 1 && ids[0] === id;
      }, [fox.video_id], { what: 'search "fox" to find exactly the fox video' });
      await s.shot(popup, 'popup-search-fox');
      await popup.type('#search', 'onerror');
      await popup.waitFor((id) => {
        const ids = [...document.querySelectorAll('li.card')].map((li) => li.dataset.id);
        return ids.length === 1 && ids[0] === id;
      }, [evil.video_id], { what: 'search "onerror" to find the <img> prompt as text' });
      await popup.type('#search', 'zebra');
      await popup.waitFor(() => document.querySelectorAll('li.card').length === 0 && document.getElementById('list-status').textContent === 'No videos match.', [], { what: 'no match for "zebra"' });
      // The chat page shows the same prompt as text too.
      await tab.reload();
      assert.equal(await tab.eval(() => [...document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length), 0, 'no <img src=x> in the chat');
      assert.deepEqual(browser.dialogs, [], 'no alert ran');
    },
  },
  {
    id: '8', slug: 'sse-framing',
    title: 'every SSE framing variant (LF, CRLF, CR, BOM, comments, multi-line data, 7-byte chunks) over EventSource, fetch and AI SDK chunks: exactly the expected videos',
    async run(s) {
      await s.startApp();
      const { tab } = await s.ready();
      const runs = [];
      for (const transport of ['eventsource', 'fetch']) for (const framing of FRAMINGS) runs.push({ transport, framing });
      for (const framing of ['lf', 'crlf', 'split', 'comments']) runs.push({ transport: 'ui', framing });
      const results = await tab.eval((list) => Promise.all(list.map((r) =>
        window.demo.generate({ ...r, prompt: `framing ${r.transport}/${r.framing} café ☕ 猫 🎬`, durationMs: 300, panel: false }))), runs);
      assert.equal(results.length, runs.length);
      results.forEach((r, i) => assert.ok(r.url, `the page itself got the video of ${runs[i].transport}/${runs[i].framing}`));
      const expected = new Map(results.map((r, i) => [s.app.demo.canonicalVideoUrl(r.projectId), runs[i]]));
      const videos = await s.waitVideos((v) => v.length >= expected.size && v.every((x) => x.sync === 'synced'), `${expected.size} videos synced`, 30000);
      const got = videos.map((v) => stripQuery(v.url));
      const missing = [...expected.keys()].filter((u) => !got.includes(u)).map((u) => expected.get(u));
      const extra = videos.filter((v) => !expected.has(stripQuery(v.url))).map((v) => v.url);
      assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'exactly the expected videos');
      assert.equal(videos.length, expected.size, 'each once');
      for (const v of videos) {
        const r = expected.get(stripQuery(v.url));
        assert.equal(v.source, 'sse', `${r.transport}/${r.framing} source`);
        if (r.transport !== 'ui') {
          assert.equal(v.prompt, `framing ${r.transport}/${r.framing} café ☕ 猫 🎬`, `${r.transport}/${r.framing} prompt intact`);
          assert.ok(v.thumbnail_url, `${r.transport}/${r.framing} thumbnail`);
        }
        assert.equal(byUrl(videos, stripQuery(v.url)).length, 1);
        assert.equal(s.okWrites(v.video_id), 1, `${r.transport}/${r.framing} synced once`);
      }
      assert.equal(s.app.messages.size, expected.size, 'the chat app has exactly these messages');
      s.note(`${expected.size} streams`);
    },
  },
  {
    id: '9', slug: 'two-profiles',
    title: 'two browser profiles at once (two host processes, one database): no duplicates',
    async run(s) {
      await s.startApp();
      const chatId = crypto.randomUUID();
      const [a, b] = await Promise.all([s.ready({ name: 'a', chatId }), s.ready({ name: 'b', chatId })]);
      await until(() => new Set(s.hosts().map((h) => h.cmd.split(' ')[0])).size === 2, { what: 'two vidkeep-host processes (one per profile)', timeoutMs: 15000 });
      // Four generations both windows follow; the completions reach both at once.
      const projects = [1, 2, 3, 4].map((i) => s.app.demo.createProject({ chatId, prompt: `shared video ${i}`, durationMs: 1200 }));
      const watch = projects.map((p) => `watch=${p.id}`).join('&');
      await Promise.all([
        a.tab.goto(s.app.demo.chatUrl(chatId, `?${watch}&transport=eventsource`)),
        b.tab.goto(s.app.demo.chatUrl(chatId, `?${watch}&transport=fetch`)),
      ]);
      await Promise.all([a.tab, b.tab].map((t) => t.waitFor(() => window.demo.results.length === 4 && window.demo.results.every((r) => r.url), [], { what: 'both windows to get all four videos', timeoutMs: 20000 })));
      // And three URLs handed to addVideoToChat in both windows at the same moment (each with its own signature).
      const manual = [5, 6, 7].map((i) => s.app.demo.createProject({ chatId, prompt: '', durationMs: 0 }));
      const answers = await Promise.all([a.tab, b.tab].map((t) => t.eval((list) => Promise.all(list.map(([u, th]) => window.addVideoToChat(u, th))),
        manual.map((p) => { const d = s.app.demo.deliver(p); return [d.url, d.thumbnailUrl]; }))));
      for (const list of answers) for (const ans of list) assert.equal(ans?.ok, true, `addVideoToChat: ${JSON.stringify(ans)}`);
      const expected = [...projects, ...manual].map((p) => s.app.demo.canonicalVideoUrl(p.id));
      const videos = await s.waitVideos((v) => v.length >= expected.length && v.every((x) => x.sync === 'synced'), `${expected.length} videos synced`, 30000);
      assert.equal(videos.length, expected.length, `no duplicates: ${videos.length} records for ${expected.length} videos`);
      assert.deepEqual(videos.map((v) => stripQuery(v.url)).sort(), [...expected].sort());
      for (const v of videos) assert.equal(s.okWrites(v.video_id), 1, `${v.video_id} written once`);
      assert.equal(s.app.messages.size, expected.length, 'the chat app has each video once');
      assert.deepEqual(s.app.overlaps, [], 'no video sent by two hosts at the same moment');
      s.note(`${s.app.log.length} save-message requests`);
      const popup = await s.openPopup(b.browser, { state: 'connected' });
      await popup.waitFor((n) => document.querySelectorAll('li.card').length === n, [expected.length], { what: 'all videos in the second profile\'s popup' });
      await s.shot(popup, 'popup-profile-b');
    },
  },
  {
    id: '10', slug: 'restart',
    title: 'nothing lost across a browser restart: a video queued while the host is missing arrives after install.sh and a restart, with no chat page open',
    async run(s) {
      await s.startApp();
      const first = await s.ready({ install: false });
      const project = s.app.demo.createProject({ chatId: first.chatId, durationMs: 0 });
      const { url, thumbnailUrl } = s.app.demo.deliver(project);
      const answer = await first.tab.eval((u, t) => window.addVideoToChat(u, t), url, thumbnailUrl);
      assert.equal(answer?.ok, false, 'no host yet');
      assert.equal(answer.queued, true, `kept for later: ${JSON.stringify(answer)}`);
      await first.browser.close();
      await s.install(first.browser.root);
      // The same profile again; no chat page is opened this time.
      const second = await s.launch({ install: false });
      const [video] = await s.waitVideos((v) => v.length === 1 && v[0].sync === 'synced', 'the video queued before the restart, stored and synced', 30000);
      assert.equal(video.url, url);
      assert.equal(video.source, 'manual');
      await expectSyncedOnce(s, video);
      const popup = await s.openPopup(second, { state: 'connected' });
      await popup.waitFor((id) => document.querySelector(`li.card[data-id="${id}"]`) !== null, [video.video_id], { what: 'the card after the restart' });
      await s.shot(popup, 'popup-after-restart');
    },
  },
];
