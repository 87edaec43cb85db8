// A loopback HTTP media server for the media cache's tests (issue 7): serves
// real files and generated big ones with Range support, and misbehaves on
// request like the CDNs vidkeep meets (signed URLs that expire, web pages
// instead of videos, lying or oversized lengths, redirects, slow links).
//
//   const server = await startMediaServer();
//   const clip = server.add('/v/clip.mp4', { file: 'video.mp4', expireAfterMs: 3000 });
//   clip.url                       http://127.0.0.1:PORT/v/clip.mp4?X-Amz-…
//   clip.sha256, clip.size         of what a full GET returns
//   server.requests                every request, in order
//   await server.close()
//
// Every resource answers GET and HEAD; Range (bytes=a-b, a-, -n) gets 206
// with Content-Range and Accept-Ranges, past the end 416; If-Range with a
// validator that is not the current strong ETag gets the whole file (200).
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The 24-byte ISO-BMFF `ftyp` box a generated file starts with: sniffed as video/mp4. */
export const FTYP = Buffer.from('000000186674797069736f6d0000020069736f6d6d703431', 'hex');
const BLOCK = 64 * 1024;

/**
 * Deterministic content of `size` bytes from `seed`, made block by block
 * (64 KiB) so any range can be produced without the rest: one block of
 * xorshift32 output per seed, each block stamped with its index in its first
 * 8 bytes (so a range served at the wrong offset changes the hash), and the
 * `ftyp` box of a video at the start (unless `head` says otherwise).
 */
export class Generated {
  constructor(size, seed = 1, head = FTYP) {
    this.size = size;
    this.seed = seed >>> 0 || 1;
    this.head = head;
    this.base = Buffer.alloc(BLOCK);
    let s = this.seed;
    for (let i = 0; i < BLOCK; i += 4) {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      this.base.writeUInt32LE(s, i);
    }
  }

  /** Block `k` (a fresh Buffer, shorter at the end of the file). */
  block(k) {
    const start = k * BLOCK;
    const n = Math.min(BLOCK, this.size - start);
    const out = Buffer.from(this.base.subarray(0, n));
    if (n >= 8) out.writeBigUInt64LE(BigInt(k), 0);
    if (k === 0) this.head.copy(out, 0, 0, Math.min(this.head.length, n));
    return out;
  }

  /** Bytes [start, end) as an iterator of Buffers (at most 64 KiB each). */
  *range(start, end) {
    for (let k = Math.floor(start / BLOCK); k * BLOCK < end; k++) {
      const b = this.block(k);
      const from = Math.max(0, start - k * BLOCK);
      const to = Math.min(b.length, end - k * BLOCK);
      yield from === 0 && to === b.length ? b : b.subarray(from, to);
    }
  }

  /** Bytes [start, end) in one Buffer (for small ranges in tests). */
  slice(start, end) { return Buffer.concat([...this.range(start, Math.min(end, this.size))]); }

  /** SHA-256 (hex) of the whole content, computed by streaming it; yields to the event loop. */
  async sha256() {
    if (this.hash) return this.hash;
    const h = createHash('sha256');
    let i = 0;
    for (const b of this.range(0, this.size)) {
      h.update(b);
      if (++i % 256 === 0) await new Promise((r) => setImmediate(r));
    }
    this.hash = h.digest('hex');
    return this.hash;
  }
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

// An S3-style presigned query: vidkeep keeps the whole URL, a player needs it all.
function signature() {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${date}&X-Amz-Expires=3600` +
    `&X-Amz-SignedHeaders=host&X-Amz-Signature=${randomBytes(16).toString('hex')}`;
}

/**
 * Starts the server on 127.0.0.1 (an ephemeral port). Options:
 *   host   address to listen on (default 127.0.0.1)
 * Resolves with the server object (see `add` for the resources).
 */
export async function startMediaServer({ host = '127.0.0.1' } = {}) {
  const resources = new Map(); // path -> resource
  const requests = [];
  const waiters = new Set();
  const sockets = new Set();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const record = {
      method: req.method, path: url.pathname, query: url.search, range: req.headers.range ?? null,
      ifRange: req.headers['if-range'] ?? null, userAgent: req.headers['user-agent'] ?? null,
      at: Date.now(), status: 0, sent: 0, done: false, aborted: false,
    };
    requests.push(record);
    const r = resources.get(url.pathname);
    res.on('close', () => {
      record.done = true;
      record.aborted = !res.writableFinished;
      notify();
    });
    notify();
    if (!r) return plain(res, record, 404, 'text/plain', 'no such file\n');
    r.requests++;
    handle(r, req, res, record).catch((err) => { try { res.destroy(err); } catch {} });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, host, resolve); });
  const origin = `http://${host}:${server.address().port}`;

  function notify() { for (const w of [...waiters]) w(); }

  function plain(res, record, status, type, body, headers = {}) {
    record.status = status;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...headers });
    res.end(body);
  }

  function expired(r) {
    if (r.expired) return true;
    if (r.expireAfterMs != null && Date.now() - r.createdAt >= r.expireAfterMs) r.expired = true;
    if (r.expireAfterRequests != null && r.requests > r.expireAfterRequests) r.expired = true;
    return r.expired;
  }

  // Writes `chunks` (an iterator of Buffers) to `res`, paced to the
  // resource's current rate (read on every chunk, so it can change while a
  // download runs) and waiting for 'drain'. Resolves when done or aborted.
  async function pump(r, res, record, chunks) {
    let windowStart = Date.now();
    let windowBytes = 0;
    for (const chunk of chunks) {
      if (res.destroyed) return;
      let rest = chunk;
      while (rest.length > 0) {
        const rate = r.rate;
        // Small pieces when throttled, so the pace is even.
        const piece = rate ? rest.subarray(0, Math.max(1024, Math.min(rest.length, Math.floor(rate / 20)))) : rest;
        rest = rest.subarray(piece.length);
        if (rate) {
          const due = windowStart + (windowBytes / rate) * 1000;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (Date.now() - windowStart > 2000) { windowStart = Date.now(); windowBytes = 0; }
        } else {
          windowStart = Date.now();
          windowBytes = 0;
        }
        if (res.destroyed) return;
        windowBytes += piece.length;
        record.sent += piece.length;
        if (!res.write(piece)) {
          await new Promise((resolve) => {
            const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
            res.on('drain', done);
            res.on('close', done);
          });
        }
      }
    }
  }

  async function handle(r, req, res, record) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, record, 405, 'text/plain', 'GET only\n');
    if (expired(r)) {
      return plain(res, record, 403, 'application/xml',
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>\n');
    }
    if (r.redirect) {
      record.status = r.redirect.status ?? 302;
      res.writeHead(record.status, { location: r.redirect.location, 'content-length': 0, 'cache-control': 'no-store' });
      return res.end();
    }
    if (r.status && r.status !== 200) return plain(res, record, r.status, 'text/plain', `status ${r.status}\n`);
    const size = r.size;
    const headers = { 'cache-control': 'no-store' };
    if (r.contentType) headers['content-type'] = r.contentType;
    if (r.etag) headers.etag = r.etag;
    if (r.lastModified) headers['last-modified'] = r.lastModified;
    if (r.ranges) headers['accept-ranges'] = 'bytes';
    let start = 0;
    let end = size; // exclusive
    let status = 200;
    const range = r.ranges ? /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '') : null;
    // If-Range: the range only while the validator is the current strong one.
    const ifRange = req.headers['if-range'];
    const rangeValid = range && (!ifRange || (ifRange === r.etag && !ifRange.startsWith('W/')) || (ifRange === r.lastModified));
    if (range && rangeValid && !(range[1] === '' && range[2] === '')) {
      if (range[1] === '') {
        start = Math.max(0, size - Number(range[2]));
      } else {
        start = Number(range[1]);
        if (range[2] !== '') end = Math.min(size, Number(range[2]) + 1);
      }
      if (start >= size || start >= end) {
        record.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${size}`, 'content-length': 0, ...headers });
        return res.end();
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
    }
    if (r.declaredLength != null) headers['content-length'] = r.declaredLength;
    else if (!r.chunked) headers['content-length'] = end - start;
    record.status = status;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    // A connection cut mid-body (a reset, a proxy timeout): the first
    // `cut.times` answers stop after `cut.afterBytes` of their body.
    const cut = r.cut && r.cuts < (r.cut.times ?? 1) ? Math.min(end, start + r.cut.afterBytes) : null;
    if (cut !== null) r.cuts++;
    await pump(r, res, record, r.content.range(start, cut ?? end));
    if (res.destroyed) return;
    if (cut !== null && cut < end) { record.cut = true; return res.destroy(); }
    // A declared length the body does not reach: the connection just ends.
    if (r.declaredLength != null && r.declaredLength !== end - start) return res.destroy();
    res.end();
  }

  const api = {
    origin,
    requests,
    get port() { return server.address().port; },

    /**
     * Serves `path`. Content (one of):
     *   data: Buffer | string      file: path (read once)
     *   generate: {size, seed, head?}   deterministic bytes (class Generated), never held whole
     *   redirect: {location, status = 302}   an answer with Location and no body
     *   status: N                  an answer with that status and a short text body
     * Options:
     *   contentType  (default video/mp4; null: no header)
     *   etag         (default a strong ETag from the content; null: none)  lastModified
     *   ranges       Range support (default true)
     *   expireAfterMs, expireAfterRequests   then 403 like an expired S3 signature
     *   rate         bytes per second (null: as fast as the socket takes)
     *   declaredLength   Content-Length to send whatever the body (a lie, or oversized)
     *   chunked      no Content-Length (chunked transfer)
     *   cut          {afterBytes, times = 1}: the first `times` answers end the
     *                connection after that many bytes of their body
     *   signed       add an S3-style signature query to `url` (default true)
     * Returns the resource: {path, url, size, sha256 (hex, null for generated:
     * see `hash()`), requests (count), signedUrl(), expire(), setRate(r), hash()}.
     */
    add(path, options = {}) {
      let content = null;
      let size = 0;
      let hash = null;
      if (options.generate) {
        const g = new Generated(options.generate.size, options.generate.seed ?? 1, options.generate.head ?? FTYP);
        content = g;
        size = g.size;
      } else if (options.data != null || options.file != null) {
        const data = options.data != null ? Buffer.from(options.data) : readFileSync(options.file);
        content = { range: function* (a, b) { for (let i = a; i < b; i += BLOCK) yield data.subarray(i, Math.min(b, i + BLOCK)); }, data };
        size = data.length;
        hash = sha256(data);
      }
      const r = {
        path,
        content,
        size,
        sha256: hash,
        contentType: options.contentType === undefined ? 'video/mp4' : options.contentType,
        etag: options.etag === undefined ? (content ? `"${(hash ?? `g${options.generate.seed ?? 1}-${size}`).slice(0, 16)}"` : null) : options.etag,
        lastModified: options.lastModified ?? null,
        ranges: options.ranges ?? true,
        expireAfterMs: options.expireAfterMs ?? null,
        expireAfterRequests: options.expireAfterRequests ?? null,
        rate: options.rate ?? null,
        declaredLength: options.declaredLength ?? null,
        chunked: options.chunked ?? false,
        cut: options.cut ?? null,
        cuts: 0,
        redirect: options.redirect ?? null,
        status: options.status ?? null,
        createdAt: Date.now(),
        expired: false,
        requests: 0,
        url: `${origin}${path}${options.signed === false ? '' : `?${signature()}`}`,
        /** Another URL of the same file with a fresh signature (as a CDN re-signs). */
        signedUrl() { return `${origin}${path}?${signature()}`; },
        expire() { r.expired = true; },
        setRate(rate) { r.rate = rate; },
        /** SHA-256 of the full content (computed by streaming for generated files). */
        async hash() { return r.sha256 ?? (r.sha256 = await content.sha256()); },
      };
      resources.set(path, r);
      return r;
    },

    /** The requests for `path` (every method). */
    requestsFor(path) { return requests.filter((q) => q.path === path); },

    /** Resolves with the first request matching `pred` (present or future); rejects after `timeoutMs`. */
    waitRequest(pred, what = 'a request', timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = requests.find(pred);
          if (hit) { done(); resolve(hit); }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${what}; requests: ${JSON.stringify(requests.map((q) => [q.method, q.path, q.range, q.status, q.sent]))}`));
        }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },

    /** Closes the listener and every open connection. */
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
