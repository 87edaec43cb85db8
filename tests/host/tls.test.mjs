// Sync over HTTPS: the certificate is verified against the trust store plus
// the configured extra CA, host name included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHome, startHost, video } from '../lib/host.mjs';
import { startChatApp, SESSION_COOKIE } from '../lib/chat-app.mjs';
import { makeCertificates } from '../lib/tls.mjs';

async function syncOnce(t, certNames) {
  const certs = makeCertificates(certNames);
  const app = await startChatApp({ tls: certs.tls, hostname: 'localhost' });
  const home = makeHome({ sync: { extra_ca_file: certs.caFile, backoff_base_ms: 5, backoff_cap_ms: 50, request_timeout_ms: 2000 } });
  t.after(async () => { await app.close(); certs.cleanup(); home.cleanup(); });
  const host = startHost({ env: home.env });
  await host.request({ type: 'configure', server: { origin: app.origin, auth: { cookie: `${SESSION_COOKIE}=good-session` } } });
  const chat = '3f2c0000-0000-4000-8000-000000000009';
  const a = await host.request({ type: 'video', video: video(1, { chat_id: chat, page_url: `${app.origin}/chat/${chat}` }) });
  const ev = await host.event((e) => e.video_id === a.video_id);
  await host.close();
  return { app, ev };
}

test('a certificate from the configured CA for the right name is accepted', async (t) => {
  const { app, ev } = await syncOnce(t, ['localhost']);
  assert.equal(ev.sync, 'synced');
  assert.equal(app.messages.size, 1);
});

test('a certificate for another host name is refused', async (t) => {
  const { app, ev } = await syncOnce(t, ['other.example']);
  assert.equal(ev.sync, 'pending');
  assert.match(ev.last_error, /TLS|certificate|verify/i);
  assert.equal(app.messages.size, 0);
});
