// The server side of RFC 6455, as small as the demo chat app needs: the
// opening handshake, text and binary frames out (unmasked), masked frames in
// (text, close, ping), and the closing handshake. No extensions (a client's
// permessage-deflate offer is declined by not answering it), no fragmented
// messages in (the browsers' small frames are never fragmented).
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_FRAME = 1 << 20; // a client frame larger than this closes the socket

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptKey(key) {
  return createHash('sha1').update(`${key}${GUID}`).digest('base64');
}

/** One server frame: FIN set, `opcode`, unmasked `payload` (Buffer). */
export function encodeFrame(opcode, payload) {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n])
    : n < 65536 ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
      : Buffer.concat([Buffer.from([0x80 | opcode, 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b; })()]);
  return Buffer.concat([head, payload]);
}

/**
 * Reads whole frames from `buf`; returns {frames: [{opcode, payload}], rest}.
 * Throws on a frame over MAX_FRAME.
 */
export function decodeFrames(buf) {
  const frames = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    const opcode = buf[at] & 0x0f;
    const masked = (buf[at + 1] & 0x80) !== 0;
    let len = buf[at + 1] & 0x7f;
    let off = at + 2;
    if (len === 126) { if (buf.length < off + 2) break; len = buf.readUInt16BE(off); off += 2; }
    else if (len === 127) { if (buf.length < off + 8) break; len = Number(buf.readBigUInt64BE(off)); off += 8; }
    if (len > MAX_FRAME) throw new Error(`frame of ${len} bytes`);
    const maskAt = off;
    if (masked) off += 4;
    if (buf.length < off + len) break;
    const payload = Buffer.from(buf.subarray(off, off + len));
    if (masked) for (let i = 0; i < len; i++) payload[i] ^= buf[maskAt + (i % 4)];
    frames.push({ opcode, payload });
    at = off + len;
  }
  return { frames, rest: buf.subarray(at) };
}

/**
 * Completes the handshake of an upgrade request on `socket` and returns a
 * connection {sendText, sendBinary, close, onMessage(fn), onClose(fn), closed}.
 * Answers 400 and returns null when the request is not a WebSocket upgrade.
 */
export function acceptWebSocket(req, socket, head = Buffer.alloc(0)) {
  const key = req.headers['sec-websocket-key'];
  if (String(req.headers.upgrade).toLowerCase() !== 'websocket' || !key) {
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    return null;
  }
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${acceptKey(key)}`, '', ''].join('\r\n'));
  socket.setNoDelay(true);
  const messageHandlers = [];
  const closeHandlers = [];
  let buffered = Buffer.from(head);
  const conn = {
    closed: false,
    sendText(text) { if (!conn.closed) socket.write(encodeFrame(0x1, Buffer.from(text, 'utf8'))); },
    sendBinary(bytes) { if (!conn.closed) socket.write(encodeFrame(0x2, Buffer.from(bytes))); },
    /** Starts the closing handshake; the socket ends when the client answers (or after 2 s). */
    close(code = 1000) {
      if (conn.closed) return;
      const body = Buffer.alloc(2);
      body.writeUInt16BE(code);
      socket.write(encodeFrame(0x8, body));
      conn.closed = true;
      setTimeout(() => socket.destroy(), 2000).unref();
    },
    onMessage(fn) { messageHandlers.push(fn); },
    onClose(fn) { closeHandlers.push(fn); },
  };
  const finish = () => {
    if (closeHandlers.length === 0) return;
    conn.closed = true;
    for (const fn of closeHandlers.splice(0)) fn();
  };
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    let frames;
    try { ({ frames, rest: buffered } = decodeFrames(buffered)); } catch { socket.destroy(); return; }
    for (const f of frames) {
      if (f.opcode === 0x8) {
        // The client's close (or its answer to ours): echo once, then end.
        if (!conn.closed) { socket.write(encodeFrame(0x8, f.payload.subarray(0, 2))); conn.closed = true; }
        socket.end();
      } else if (f.opcode === 0x9) {
        socket.write(encodeFrame(0xA, f.payload));
      } else if (f.opcode === 0x1 || f.opcode === 0x2) {
        for (const fn of messageHandlers) fn(f.opcode === 0x1 ? f.payload.toString('utf8') : f.payload);
      }
    }
  };
  socket.on('data', onData);
  socket.on('close', finish);
  socket.on('error', () => socket.destroy());
  if (buffered.length) queueMicrotask(() => onData(Buffer.alloc(0)));
  return conn;
}
