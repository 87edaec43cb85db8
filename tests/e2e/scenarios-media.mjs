// The media cache end to end (issue 7): a video whose signed link stops
// working a few seconds after the chat delivered it is still watchable in
// the popup, from the host's local copy, and `vidkeep export --with-media`
// holds its bytes. Registered after the chat scenarios by run.mjs; runs in
// Chromium (the service worker streams the copy) and Firefox (read into a
// Blob). Waits are for observed state, each bounded.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startMediaServer } from '../lib/media-server.mjs';
import { until } from './lib/browsers.mjs';
import { MEDIA_LOOPBACK } from './lib/harness.mjs';

// Long enough for the host to cache the files (it starts at once, ~100 KB on
// loopback), short enough that the popup meets an expired link.
const LINK_LIFETIME_MS = 5000;

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

export const scenarios = [
  {
    id: '11', slug: 'offline-copy',
    title: 'a video whose link expires a few seconds after the chat showed it plays in the popup from the local copy; export --with-media has its bytes',
    config: MEDIA_LOOPBACK,
    async run(s) {
      const media = await startMediaServer();
      try {
        await s.startApp();
        // The demo's generations deliver links to this CDN, which expire
        // LINK_LIFETIME_MS after the first delivery (403, like S3).
        const served = new Map(); // project id -> {video, thumb}
        s.app.demo.deliver = (project) => {
          let files = served.get(project.id);
          if (!files) {
            files = {
              video: media.add(`/v/${project.id}.mp4`, { file: path.join(s.run.mediaDir, 'video.mp4'), expireAfterMs: LINK_LIFETIME_MS }),
              thumb: media.add(`/v/${project.id}.webp`, { file: path.join(s.run.mediaDir, 'thumb.webp'), contentType: 'image/webp', expireAfterMs: LINK_LIFETIME_MS }),
            };
            served.set(project.id, files);
          }
          const delivery = { url: files.video.signedUrl(), thumbnailUrl: files.thumb.signedUrl() };
          project.deliveries.push(delivery);
          return delivery;
        };
        const { browser, tab } = await s.ready();
        const prompt = `a lighthouse in a storm, kept offline ${s.kind}`;
        const result = await s.generate(tab, prompt);
        const files = served.get(result.projectId);
        assert.ok(files, 'the generation was delivered from the media server');

        // The host caches the video and its thumbnail before the links expire.
        const [record] = await s.waitVideos((v) => v.length === 1 && v[0].media?.video?.state === 'cached' && v[0].media?.thumbnail?.state === 'cached',
          'the video and its thumbnail cached by the host', 15000);
        assert.equal(record.prompt, prompt);
        assert.equal(record.media.video.sha256, files.video.sha256, 'the cached video is the served file');
        assert.equal(record.media.thumbnail.sha256, files.thumb.sha256);
        const hostGets = media.requestsFor(files.video.path).filter((q) => /^vidkeep\//.test(q.userAgent ?? ''));
        assert.equal(hostGets.length, 1, 'the host fetched the video once');
        assert.equal(hostGets[0].status, 200);
        const info = await until(async () => (await s.videos())[0]?.media?.info, { what: 'probe info on the record', timeoutMs: 10000 });
        assert.equal(info.video_codec, 'h264');

        // Then the link stops working.
        await until(async () => (await fetch(record.url, { method: 'HEAD' })).status === 403,
          { what: `the link to expire (${LINK_LIFETIME_MS} ms after delivery)`, timeoutMs: LINK_LIFETIME_MS + 10000, intervalMs: 150 });
        const expiredAt = Date.now();

        // The popup: the card says cached; play tries the dead link, then the copy.
        const popup = await s.openPopup(browser, { state: 'connected' });
        const card = `li.card[data-id="${record.video_id}"]`;
        // (The thumbnail's link is dead too: the picture is the cached one.)
        await popup.waitFor((sel) => document.querySelector(`${sel} [data-media-state]`)?.getAttribute('data-media-state') === 'cached' &&
          document.querySelector(`${sel} button.thumb[data-action="play"]`)?.dataset.thumb === 'cached' &&
          document.querySelector(`${sel} button.thumb img`)?.naturalWidth > 0,
        [card], { what: 'the card\'s local copy shown as cached, with the cached thumbnail loaded' });
        const label = await popup.eval((sel) => ({
          state: document.querySelector(`${sel} [data-media-state]`).textContent,
          info: document.querySelector(`${sel} .media .info`)?.textContent ?? null,
        }), card);
        assert.match(label.state, /cached/i, `label "${label.state}"`);
        await s.shot(popup, 'popup-cached');
        await popup.click(`${card} button.thumb[data-action="play"]`);
        const playing = await popup.waitFor(() => {
          const v = document.getElementById('player-video');
          const mark = document.getElementById('player-offline');
          if (!v || v.dataset.source !== 'local' || !mark || mark.hidden || v.readyState < 2) return false;
          return { src: v.currentSrc, readyState: v.readyState, duration: v.duration, t: v.currentTime, paused: v.paused, markVisible: mark.getBoundingClientRect().width > 0 };
        }, [], { what: 'the player on the local copy (data-source="local", offline mark shown, readyState >= 2)', timeoutMs: 20000 });
        assert.ok(playing.markVisible, 'the offline mark is visible');
        assert.ok(Math.abs(playing.duration - 2) < 0.2, `the local copy's duration ${playing.duration}`);
        const browserTries = media.requestsFor(files.video.path).filter((q) => q.method === 'GET' && q.at >= expiredAt && !/^vidkeep\//.test(q.userAgent ?? ''));
        assert.ok(browserTries.some((q) => q.status === 403), 'the popup tried the expired link first');
        // It plays: currentTime moves on (or the 2 s clip reaches its end).
        const advanced = await popup.waitFor((t0) => {
          const v = document.getElementById('player-video');
          return (v.currentTime > t0 + 0.2 || v.ended) && { t: v.currentTime, ended: v.ended };
        }, [playing.t], { what: 'the local copy to play (currentTime advancing)', timeoutMs: 15000, intervalMs: 50 });
        await s.shot(popup, 'popup-offline-copy');
        const how = playing.src.startsWith('blob:') ? 'read into a Blob' : 'streamed by the service worker';
        s.note(`local copy ${how}, played to ${advanced.t.toFixed(2)} s${label.info ? `, ${label.info}` : ''}`);

        // export --with-media: the exact bytes, in a folder that plays offline.
        const help = await s.cli(['export', '--help']);
        if (/--with-media/.test(help.stdout)) {
          const dir = path.join(s.dir, 'export');
          const out = await s.cli(['export', '--with-media', '-o', dir]);
          assert.equal(out.code, 0, out.stderr);
          const file = path.join(dir, 'media', `${files.video.sha256}.mp4`);
          assert.equal(sha256(readFileSync(file)), files.video.sha256, 'the exported file is the served file');
          assert.ok(readFileSync(path.join(dir, 'index.html'), 'utf8').includes(`media/${files.video.sha256}.mp4`), 'the offline page plays it');
        } else {
          s.note('export --with-media not available: skipped');
        }
      } finally {
        await media.close();
      }
    },
  },
];
