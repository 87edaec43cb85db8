// The bad-input corpus (issue 2, "Tests"): every hostile or malformed frame
// gets its documented answer (PROTOCOL.md sections 2 and 3) and the host goes
// on serving `hello` on the same connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeHome, startHost, frame, header, video, within } from '../lib/host.mjs';

const T = { timeout: 20000 };
const HELLO_AFTER = { type: 'hello', id: 'after' };

/** Asserts an error answer: exact code, echoed id, retryable false, a message. */
function assertError(answer, code, id, what) {
  assert.equal(answer.ok, false, `${what}: expected an error, got ${JSON.stringify(answer).slice(0, 300)}`);
  assert.deepEqual(
    { id: answer.id, code: answer.error?.code, retryable: answer.error?.retryable },
    { id, code, retryable: false },
    `${what}: ${JSON.stringify(answer).slice(0, 300)}`);
  assert.equal(typeof answer.error.message, 'string');
  assert.ok(answer.error.message.length > 5, `${what}: message too short: ${answer.error.message}`);
  assert.deepEqual(Object.keys(answer).sort(), ['error', 'id', 'ok'], `${what}: answer keys`);
}

function assertHelloOk(answer) {
  assert.equal(answer.id, 'after');
  assert.equal(answer.ok, true, JSON.stringify(answer));
  assert.equal(answer.protocol, 1);
}

const req = (type, fields = {}, id = 'x1') => ({ id, type, ...fields });
const vid = (fields, id = 'x1') => req('video', { video: { ...video(1), ...fields } }, id);
const raw = (s) => Buffer.from(s, 'latin1'); // bytes exactly as written
const utf8 = (s) => Buffer.from(s, 'utf8');
const bytes = (...parts) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? utf8(p) : Buffer.from(p))));
// A hello request whose extension_version string holds `inner` (raw bytes).
const helloWith = (inner) => bytes('{"id":"x1","type":"hello","extension_version":"', inner, '"}');

const deepArrays = (n) => '['.repeat(n) + ']'.repeat(n);
const deepObjects = (n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const ids = (n) => Array.from({ length: n }, (_, i) => `id-${i}`);

/*
 * Each row: name, payload (object → JSON, Buffer → bytes as is), and the
 * answer: error code and the id it must carry (null when the id cannot be read)
 * or `ok: true` for inputs that must be accepted. `field` (optional) is a
 * string the error message must contain, so the refusal names the field.
 */
const corpus = [
  // -- frames that are not a JSON object: no id can be read
  { name: 'length 0 (empty frame)', payload: Buffer.alloc(0), code: 'bad_request', id: null },
  { name: 'bare 0xff byte', payload: Buffer.from([0xff]), code: 'bad_request', id: null },
  { name: 'invalid UTF-8 0xff inside a string', payload: helloWith([0xff]), code: 'bad_request', id: null },
  { name: 'invalid UTF-8 0xfe 0xfe', payload: helloWith([0xfe, 0xfe]), code: 'bad_request', id: null },
  { name: 'overlong "/" (C0 AF)', payload: helloWith([0xc0, 0xaf]), code: 'bad_request', id: null },
  { name: 'overlong NUL (C0 80)', payload: helloWith([0xc0, 0x80]), code: 'bad_request', id: null },
  { name: 'overlong 3-byte "/" (E0 80 AF)', payload: helloWith([0xe0, 0x80, 0xaf]), code: 'bad_request', id: null },
  { name: 'overlong 4-byte (F0 80 80 AF)', payload: helloWith([0xf0, 0x80, 0x80, 0xaf]), code: 'bad_request', id: null },
  { name: 'UTF-8-encoded surrogate U+D800 (ED A0 80)', payload: helloWith([0xed, 0xa0, 0x80]), code: 'bad_request', id: null },
  { name: 'code point above U+10FFFF (F4 90 80 80)', payload: helloWith([0xf4, 0x90, 0x80, 0x80]), code: 'bad_request', id: null },
  { name: 'truncated multi-byte sequence (E2 82)', payload: helloWith([0xe2, 0x82]), code: 'bad_request', id: null },
  { name: 'lone continuation byte (80)', payload: helloWith([0x80]), code: 'bad_request', id: null },
  { name: 'escaped lone high surrogate \\ud800', payload: raw('{"id":"x1","type":"hello","extension_version":"\\ud800"}'), code: 'bad_request', id: null },
  { name: 'escaped lone low surrogate \\udc00', payload: raw('{"id":"x1","type":"hello","extension_version":"\\udc00"}'), code: 'bad_request', id: null },
  { name: 'high surrogate followed by a non-surrogate escape', payload: raw('{"id":"x1","type":"hello","extension_version":"\\ud800\\u0041"}'), code: 'bad_request', id: null },
  { name: 'raw control character inside a string', payload: raw('{"id":"x1","type":"hello","extension_version":"a\x01b"}'), code: 'bad_request', id: null },
  { name: 'not JSON at all', payload: raw('hello'), code: 'bad_request', id: null },
  { name: 'truncated JSON object', payload: raw('{"id":"x1","type":"hel'), code: 'bad_request', id: null },
  { name: 'trailing garbage after the object', payload: raw('{"id":"x1","type":"hello"} x'), code: 'bad_request', id: null },
  { name: 'two objects in one frame', payload: raw('{"id":"x1","type":"hello"}{"id":"x2","type":"hello"}'), code: 'bad_request', id: null },
  { name: 'JSON array', payload: raw('[{"id":"x1","type":"hello"}]'), code: 'bad_request', id: null },
  { name: 'JSON number', payload: raw('42'), code: 'bad_request', id: null },
  { name: 'JSON string', payload: raw('"hello"'), code: 'bad_request', id: null },
  { name: 'JSON null', payload: raw('null'), code: 'bad_request', id: null },
  { name: 'JSON true', payload: raw('true'), code: 'bad_request', id: null },
  { name: 'only whitespace', payload: raw('   \n '), code: 'bad_request', id: null },
  { name: '100000 nested arrays', payload: raw(deepArrays(100000)), code: 'bad_request', id: null },
  { name: '100000 nested objects', payload: raw(deepObjects(100000)), code: 'bad_request', id: null },
  { name: '100000 unclosed arrays', payload: raw('['.repeat(100000)), code: 'bad_request', id: null },
  { name: '100000 nested arrays inside a valid request', payload: raw(`{"id":"x1","type":"hello","extension_version":${deepArrays(100000)}}`), code: 'bad_request', id: null },

  // -- the id
  { name: 'missing id', payload: { type: 'hello' }, code: 'bad_request', id: null },
  { name: 'id null', payload: { id: null, type: 'hello' }, code: 'bad_request', id: null },
  { name: 'id object', payload: { id: { a: 1 }, type: 'hello' }, code: 'bad_request', id: null },
  { name: 'id array', payload: { id: ['x1'], type: 'hello' }, code: 'bad_request', id: null },
  { name: 'id boolean', payload: { id: true, type: 'hello' }, code: 'bad_request', id: null },
  { name: 'id string of 257 bytes', payload: { id: 'i'.repeat(257), type: 'hello' }, code: 'bad_request', id: null },
  { name: 'numeric id echoed as a number', payload: { id: 7, type: 'nope' }, code: 'unsupported', id: 7 },
  { name: 'fractional id echoed', payload: { id: 1.5, type: 'nope' }, code: 'unsupported', id: 1.5 },

  // -- the type
  { name: 'missing type', payload: { id: 'x1' }, code: 'bad_request', id: 'x1', field: "'type'" },
  { name: 'type number', payload: { id: 'x1', type: 3 }, code: 'bad_request', id: 'x1', field: "'type'" },
  { name: 'type null', payload: { id: 'x1', type: null }, code: 'bad_request', id: 'x1', field: "'type'" },
  { name: 'unknown type', payload: { id: 'x1', type: 'drop_tables' }, code: 'unsupported', id: 'x1', field: 'drop_tables' },
  { name: 'unknown type of 40 two-byte characters (cut in the message)', payload: { id: 'x1', type: 'é'.repeat(40) }, code: 'unsupported', id: 'x1' },
  { name: 'unknown type with emoji', payload: { id: 'x1', type: '🎬'.repeat(20) }, code: 'unsupported', id: 'x1' },
  { name: 'type with different case', payload: { id: 'x1', type: 'HELLO' }, code: 'unsupported', id: 'x1' },

  // -- hello
  { name: 'hello extension_version number', payload: req('hello', { extension_version: 1 }), code: 'bad_request', id: 'x1', field: 'extension_version' },
  { name: 'hello extension_version over 64 bytes', payload: req('hello', { extension_version: 'v'.repeat(65) }), code: 'too_large', id: 'x1', field: 'extension_version' },

  // -- video: field by field
  { name: 'video missing', payload: req('video'), code: 'bad_request', id: 'x1', field: "'video'" },
  { name: 'video null', payload: req('video', { video: null }), code: 'bad_request', id: 'x1', field: "'video'" },
  { name: 'video string', payload: req('video', { video: 'https://cdn.example/v/1.mp4' }), code: 'bad_request', id: 'x1', field: "'video'" },
  { name: 'video array', payload: req('video', { video: [video(1)] }), code: 'bad_request', id: 'x1', field: "'video'" },
  { name: 'video.url missing', payload: vid({ url: undefined }), code: 'bad_request', id: 'x1', field: 'video.url' },
  { name: 'video.url number', payload: vid({ url: 12 }), code: 'bad_request', id: 'x1', field: 'video.url' },
  { name: 'video.url object', payload: vid({ url: { href: 'https://x/' } }), code: 'bad_request', id: 'x1', field: 'video.url' },
  { name: 'video.url empty', payload: vid({ url: '' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'video.thumbnail_url number', payload: vid({ thumbnail_url: 5 }), code: 'bad_request', id: 'x1', field: 'video.thumbnail_url' },
  { name: 'video.prompt object', payload: vid({ prompt: { text: 'a cat' } }), code: 'bad_request', id: 'x1', field: 'video.prompt' },
  { name: 'video.prompt array', payload: vid({ prompt: ['a cat'] }), code: 'bad_request', id: 'x1', field: 'video.prompt' },
  { name: 'video.chat_id number', payload: vid({ chat_id: 42 }), code: 'bad_request', id: 'x1', field: 'video.chat_id' },
  { name: 'video.chat_id with a control character', payload: vid({ chat_id: 'abc\u0007def' }), code: 'bad_request', id: 'x1', field: 'video.chat_id' },
  { name: 'video.page_url array', payload: vid({ page_url: ['https://chat.example/'] }), code: 'bad_request', id: 'x1', field: 'video.page_url' },
  { name: 'video.observed_at boolean', payload: vid({ observed_at: true }), code: 'bad_request', id: 'x1', field: 'video.observed_at' },
  { name: 'video.observed_at over 64 bytes', payload: vid({ observed_at: '2'.repeat(65) }), code: 'too_large', id: 'x1', field: 'video.observed_at' },
  { name: 'video.source unknown', payload: vid({ source: 'telepathy' }), code: 'bad_request', id: 'x1', field: 'video.source' },
  { name: 'video.source number', payload: vid({ source: 1 }), code: 'bad_request', id: 'x1', field: 'video.source' },
  { name: 'video.meta array', payload: vid({ meta: [1, 2] }), code: 'bad_request', id: 'x1', field: 'video.meta' },
  { name: 'video.meta string', payload: vid({ meta: '{}' }), code: 'bad_request', id: 'x1', field: 'video.meta' },
  { name: 'video.meta.width string', payload: vid({ meta: { width: '1280' } }), code: 'bad_request', id: 'x1', field: 'video.meta.width' },
  { name: 'video.meta.height fractional', payload: vid({ meta: { height: 720.5 } }), code: 'bad_request', id: 'x1', field: 'video.meta.height' },
  { name: 'video.meta.duration_s string', payload: vid({ meta: { duration_s: '5s' } }), code: 'bad_request', id: 'x1', field: 'video.meta.duration_s' },
  { name: 'video.meta.model number', payload: vid({ meta: { model: 3 } }), code: 'bad_request', id: 'x1', field: 'video.meta.model' },
  { name: 'video.meta over 16 KiB', payload: vid({ meta: { notes: 'n'.repeat(17 * 1024) } }), code: 'too_large', id: 'x1', field: 'video.meta' },

  // -- hostile URLs
  { name: 'javascript: URL', payload: vid({ url: 'javascript:alert(1)' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'JavaScript: URL, mixed case', payload: vid({ url: 'JaVaScRiPt:alert(1)//x.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'data: URL', payload: vid({ url: 'data:video/mp4;base64,AAAA' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'file: URL', payload: vid({ url: 'file:///etc/passwd' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'ftp: URL', payload: vid({ url: 'ftp://cdn.example/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'blob: URL', payload: vid({ url: 'blob:https://chat.example/1234' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with user and password', payload: vid({ url: 'https://user:pass@cdn.example/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with a space inside', payload: vid({ url: 'https://cdn.example/v/a b.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with leading whitespace', payload: vid({ url: ' https://cdn.example/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with a newline', payload: vid({ url: 'https://cdn.example/v/1.mp4\nSet-Cookie: a=b' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with a tab', payload: vid({ url: 'https://cdn.example/\tv/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with DEL (0x7f)', payload: vid({ url: 'https://cdn.example/v/1\u007f.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with an escape character', payload: vid({ url: 'https://cdn.example/v/1\u001b[31m.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with no host (https:///path)', payload: vid({ url: 'https:///v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL that is only a scheme', payload: vid({ url: 'https:' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'relative URL', payload: vid({ url: '/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'scheme-relative URL', payload: vid({ url: '//cdn.example/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  // Not percent-encoded: refused (the extension must send URLs as the URL API serializes them).
  { name: 'URL with raw non-ASCII path', payload: vid({ url: 'https://cdn.example/v/кот.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL with a raw IDN host', payload: vid({ url: 'https://пример.рф/v/1.mp4' }), code: 'invalid_url', id: 'x1', field: 'video.url' },
  { name: 'URL of 9 KiB', payload: vid({ url: `https://cdn.example/${'a'.repeat(9 * 1024)}.mp4` }), code: 'too_large', id: 'x1', field: 'video.url' },
  { name: 'thumbnail_url javascript:', payload: vid({ thumbnail_url: 'javascript:alert(1)' }), code: 'invalid_url', id: 'x1', field: 'video.thumbnail_url' },
  { name: 'thumbnail_url data:', payload: vid({ thumbnail_url: 'data:image/png;base64,AAAA' }), code: 'invalid_url', id: 'x1', field: 'video.thumbnail_url' },
  { name: 'page_url file:', payload: vid({ page_url: 'file:///home/me/chat.html' }), code: 'invalid_url', id: 'x1', field: 'video.page_url' },

  // -- NUL bytes
  { name: 'NUL in url', payload: vid({ url: 'https://cdn.example/v/1.mp4\u0000.jpg' }), code: 'bad_request', id: 'x1', field: 'video.url' },
  { name: 'NUL in chat_id', payload: vid({ chat_id: 'chat\u0000' }), code: 'bad_request', id: 'x1', field: 'video.chat_id' },
  { name: 'NUL in get video_id', payload: req('get', { video_id: 'abc\u0000' }), code: 'bad_request', id: 'x1', field: 'video_id' },

  // -- list
  { name: 'list limit string', payload: req('list', { limit: '10' }), code: 'bad_request', id: 'x1', field: 'limit' },
  { name: 'list limit 0', payload: req('list', { limit: 0 }), code: 'bad_request', id: 'x1', field: 'limit' },
  { name: 'list limit negative', payload: req('list', { limit: -5 }), code: 'bad_request', id: 'x1', field: 'limit' },
  { name: 'list limit fractional', payload: req('list', { limit: 2.5 }), code: 'bad_request', id: 'x1', field: 'limit' },
  { name: 'list cursor garbage', payload: req('list', { cursor: 'garbage' }), code: 'bad_request', id: 'x1', field: 'cursor' },
  { name: 'list cursor number', payload: req('list', { cursor: 12 }), code: 'bad_request', id: 'x1', field: 'cursor' },
  { name: 'list cursor negative', payload: req('list', { cursor: 's-1' }), code: 'bad_request', id: 'x1', field: 'cursor' },
  { name: 'list cursor with trailing junk', payload: req('list', { cursor: 's12x' }), code: 'bad_request', id: 'x1', field: 'cursor' },
  { name: 'list cursor SQL', payload: req('list', { cursor: "s1 OR 1=1" }), code: 'bad_request', id: 'x1', field: 'cursor' },
  { name: 'list sync unknown state', payload: req('list', { sync: 'done' }), code: 'bad_request', id: 'x1', field: 'sync' },
  { name: 'list query number', payload: req('list', { query: 5 }), code: 'bad_request', id: 'x1', field: 'query' },
  { name: 'list query over 1 KiB', payload: req('list', { query: 'q'.repeat(1025) }), code: 'too_large', id: 'x1', field: 'query' },
  { name: 'list chat_id array', payload: req('list', { chat_id: ['a'] }), code: 'bad_request', id: 'x1', field: 'chat_id' },

  // -- get
  { name: 'get without video_id', payload: req('get'), code: 'bad_request', id: 'x1', field: 'video_id' },
  { name: 'get video_id number', payload: req('get', { video_id: 17 }), code: 'bad_request', id: 'x1', field: 'video_id' },
  { name: 'get video_id over 64 bytes', payload: req('get', { video_id: 'v'.repeat(65) }), code: 'too_large', id: 'x1', field: 'video_id' },
  { name: 'get unknown video_id', payload: req('get', { video_id: '00000000-0000-5000-8000-000000000000' }), code: 'not_found', id: 'x1' },

  // -- delete / resync
  { name: 'delete without video_ids', payload: req('delete'), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete video_ids string', payload: req('delete', { video_ids: 'abc' }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete video_ids object', payload: req('delete', { video_ids: { 0: 'abc' } }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete ids of wrong type (number)', payload: req('delete', { video_ids: ['ok-id', 5] }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete ids of wrong type (null)', payload: req('delete', { video_ids: [null] }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete id over 64 bytes', payload: req('delete', { video_ids: ['v'.repeat(65)] }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'delete 10001 ids', payload: req('delete', { video_ids: ids(10001) }), code: 'too_large', id: 'x1', field: 'video_ids' },
  { name: 'resync video_ids number', payload: req('resync', { video_ids: 3 }), code: 'bad_request', id: 'x1', field: 'video_ids' },
  { name: 'resync ids of wrong type (object)', payload: req('resync', { video_ids: [{ id: 'a' }] }), code: 'bad_request', id: 'x1', field: 'video_ids' },

  // -- configure
  { name: 'configure without server', payload: req('configure'), code: 'bad_request', id: 'x1', field: "'server'" },
  { name: 'configure server string', payload: req('configure', { server: 'https://chat.example' }), code: 'bad_request', id: 'x1', field: "'server'" },
  { name: 'configure origin missing', payload: req('configure', { server: {} }), code: 'bad_request', id: 'x1', field: 'server.origin' },
  { name: 'configure origin number', payload: req('configure', { server: { origin: 443 } }), code: 'bad_request', id: 'x1', field: 'server.origin' },
  { name: 'configure origin http non-loopback', payload: req('configure', { server: { origin: 'http://example.com' } }), code: 'invalid_url', id: 'x1', field: 'server.origin' },
  { name: 'configure origin http on a look-alike of loopback', payload: req('configure', { server: { origin: 'http://127.0.0.1.evil.example' } }), code: 'invalid_url', id: 'x1', field: 'server.origin' },
  { name: 'configure origin javascript:', payload: req('configure', { server: { origin: 'javascript:alert(1)' } }), code: 'invalid_url', id: 'x1', field: 'server.origin' },
  { name: 'configure origin ftp:', payload: req('configure', { server: { origin: 'ftp://chat.example' } }), code: 'invalid_url', id: 'x1', field: 'server.origin' },
  { name: 'configure origin not a URL', payload: req('configure', { server: { origin: 'chat.example' } }), code: 'invalid_url', id: 'x1', field: 'server.origin' },
  { name: 'configure auth string', payload: req('configure', { server: { origin: 'https://chat.example', auth: 'cookie' } }), code: 'bad_request', id: 'x1', field: 'server.auth' },
  { name: 'configure auth.cookie number', payload: req('configure', { server: { origin: 'https://chat.example', auth: { cookie: 1 } } }), code: 'bad_request', id: 'x1', field: 'server.auth.cookie' },
  { name: 'configure auth.cookie with CRLF', payload: req('configure', { server: { origin: 'https://chat.example', auth: { cookie: 'a=b\r\nX-Evil: 1' } } }), code: 'bad_request', id: 'x1', field: 'server.auth' },
  { name: 'configure auth.bearer with LF', payload: req('configure', { server: { origin: 'https://chat.example', auth: { bearer: 'tok\nen' } } }), code: 'bad_request', id: 'x1', field: 'server.auth' },
  { name: 'configure auth.bearer with NUL', payload: req('configure', { server: { origin: 'https://chat.example', auth: { bearer: 'tok\u0000en' } } }), code: 'bad_request', id: 'x1', field: 'server.auth.bearer' },
  { name: 'configure auth.cookie over 16 KiB', payload: req('configure', { server: { origin: 'https://chat.example', auth: { cookie: 'c'.repeat(16 * 1024 + 1) } } }), code: 'too_large', id: 'x1', field: 'server.auth.cookie' },

  // -- accepted: unknown fields ignored, boundaries inside the limits
  { name: 'hello with unknown fields', payload: { id: 'x1', type: 'hello', extension_version: '0.1.0', future: { a: [1, 2] }, x: null }, ok: true },
  { name: 'video with unknown fields at both levels', payload: { id: 'x1', type: 'video', priority: 9, video: { ...video(1), colour: 'blue', meta: { fps: 24 } } }, ok: true },
  { name: 'list with unknown fields and limit over the max (clamped)', payload: { id: 'x1', type: 'list', limit: 100000, order: 'asc' }, ok: true },
  { name: 'status with unknown fields', payload: { id: 'x1', type: 'status', verbose: true }, ok: true },
  { name: 'configure http on loopback', payload: req('configure', { server: { origin: 'http://127.0.0.1:3000' } }), ok: true },
  { name: 'escaped surrogate pair (valid)', payload: raw('{"id":"x1","type":"hello","extension_version":"\\ud83d\\ude00"}'), ok: true },
  { name: 'URL of exactly 8 KiB', payload: vid({ url: `https://cdn.example/${'a'.repeat(8 * 1024 - 'https://cdn.example/'.length - 4)}.mp4` }), ok: true },
  { name: 'percent-encoded non-ASCII URL', payload: vid({ url: 'https://cdn.example/v/%D0%BA%D0%BE%D1%82.mp4' }), ok: true },
  { name: 'null optional fields', payload: vid({ thumbnail_url: null, prompt: null, meta: null, source: null }), ok: true },
];

test('the corpus has at least 40 bad inputs', () => {
  assert.ok(corpus.filter((c) => !c.ok).length >= 40);
});

for (const c of corpus) {
  test(`bad input: ${c.name}`, T, async (t) => {
    const home = makeHome(c.config);
    t.after(home.cleanup);
    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    host.write(frame(c.payload));
    host.send(HELLO_AFTER);
    const [first, second] = await host.count(2);
    if (c.ok) {
      assert.equal(first.ok, true, JSON.stringify(first).slice(0, 300));
      assert.equal(first.id, 'x1');
    } else {
      assertError(first, c.code, c.id, c.name);
      if (c.field) assert.ok(first.error.message.includes(c.field), `message names ${c.field}: ${first.error.message}`);
    }
    assertHelloOk(second);
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
    assert.equal(host.answers.length, 2, 'exactly one answer per frame');
    assert.deepEqual(host.protocolErrors, []);
  });
}

// Issue 13, finding 9: a prompt is what a page wrote; its content never costs
// the video. NUL is dropped, every other control character kept as sent.
test('a prompt holding NUL and other control characters: the video is stored (NUL dropped, the rest kept)', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const prompt = 'a cat\u0000 surfing\u001b]52;c;aGk=\u0007\u007f\u009b\nline two';
  const saved = await host.request({ type: 'video', video: video(1, { prompt }) });
  assert.equal(saved.ok, true, JSON.stringify(saved));
  const list = await host.request({ type: 'list' });
  assert.deepEqual(list.videos.map((v) => v.prompt), [prompt.replace('\u0000', '')]);
  await host.close();
});

test('a refused video is not stored; an accepted one with unknown fields is', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const bad = await host.request({ type: 'video', video: video(1, { url: 'javascript:alert(1)' }) });
  assert.equal(bad.error.code, 'invalid_url');
  const good = await host.request({ type: 'video', unknown: 1, video: video(2, { unknown: 2 }) });
  assert.equal(good.ok, true);
  const list = await host.request({ type: 'list' });
  assert.deepEqual(list.videos.map((v) => v.url), ['https://cdn.example/v/2.mp4']);
  assert.equal('unknown' in list.videos[0], false, 'unknown fields are not echoed back');
  await host.close();
});

test('truncated header at EOF: earlier requests answered, exit 0, reason logged', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  host.write(Buffer.concat([frame({ id: 'a', type: 'hello' }), Buffer.from([0x10, 0x00])]));
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  assert.deepEqual(host.answers.map((m) => [m.id, m.ok]), [['a', true]]);
  assert.deepEqual(host.protocolErrors, []);
  const log = readFileSync(path.join(home.home, 'log', 'host.log'), 'utf8');
  assert.match(log, /input closed inside a frame \(2 bytes of it were lost\)/);
});

test('truncated body at EOF: exit 0, the partial frame is not answered', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const whole = frame({ id: 'b', type: 'video', video: video(1) });
  host.write(Buffer.concat([frame({ id: 'a', type: 'hello' }), whole.subarray(0, whole.length - 5)]));
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  assert.deepEqual(host.answers.map((m) => m.id), ['a']);
  // Nothing of the cut frame was stored.
  const again = startHost({ env: home.env });
  t.after(() => again.stop());
  assert.equal((await again.request({ type: 'status' })).videos, 0);
  await again.close();
});

test('length 2^32-1: too_large with id null, then EOF ends cleanly', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  host.send({ id: 'before', type: 'hello' });
  host.write(Buffer.concat([header(0xffffffff), Buffer.alloc(64 * 1024, 0x61)]));
  const [before, big] = await host.count(2);
  assertHelloOk({ ...before, id: before.id === 'before' ? 'after' : before.id });
  assertError(big, 'too_large', null, '2^32-1');
  assert.match(big.error.message, /4294967295/);
  const started = Date.now();
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  assert.ok(Date.now() - started < 2000);
  assert.equal(host.answers.length, 2);
  assert.deepEqual(host.protocolErrors, []);
});

test('frames over a small configured limit are refused and skipped; the next frame is served', T, async (t) => {
  const home = makeHome({ limits: { max_frame_bytes: 1024 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const padTo = (n, id) => {
    const base = { id, type: 'hello', extension_version: '' };
    const len = Buffer.byteLength(JSON.stringify(base));
    return { ...base, extension_version: '', pad: 'p'.repeat(n - len - ',"pad":""'.length) };
  };
  const exact = frame(padTo(1024, 'exact'));
  const over = frame(padTo(1025, 'over'));
  assert.equal(exact.length, 4 + 1024);
  assert.equal(over.length, 4 + 1025);
  // Split the oversized frame across writes, so skipping spans reads.
  host.write(Buffer.concat([exact, over.subarray(0, 600)]));
  await new Promise((r) => setTimeout(r, 50));
  host.write(Buffer.concat([over.subarray(600), frame({ id: 'next', type: 'hello' })]));
  // A much bigger one too: 1 MiB against a 1 KiB limit.
  host.write(frame({ id: 'huge', type: 'hello', pad: 'h'.repeat(1024 * 1024) }));
  host.send(HELLO_AFTER);
  const answers = await host.count(4);
  assert.deepEqual([answers[0].id, answers[0].ok], ['exact', true]);
  assertError(answers[1], 'too_large', null, 'over by one');
  assert.match(answers[1].error.message, /1025 bytes; the limit is 1024/);
  assert.deepEqual([answers[2].id, answers[2].ok], ['next', true]);
  assertError(answers[3], 'too_large', null, '1 MiB');
  assertHelloOk(await host.answer('after'));
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  assert.deepEqual(host.protocolErrors, []);
});

test('10 MiB prompt: the frame passes a raised frame limit, the field limit refuses it', T, async (t) => {
  const home = makeHome({ limits: { max_frame_bytes: 16 * 1024 * 1024 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  host.send({ id: 'big', type: 'video', video: video(1, { prompt: 'p'.repeat(10 * 1024 * 1024) }) });
  host.send(HELLO_AFTER);
  const [big, after] = await host.count(2, 15000);
  assertError(big, 'too_large', 'big', '10 MiB prompt');
  assert.match(big.error.message, /video\.prompt/);
  assertHelloOk(after);
  assert.equal((await host.request({ type: 'status' })).videos, 0);
  await host.close();
  assert.deepEqual(host.protocolErrors, []);
});

test('a prompt of exactly the configured limit is accepted, one byte more is too_large', T, async (t) => {
  const home = makeHome({ limits: { max_prompt_bytes: 1000 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const okay = await host.request({ type: 'video', video: video(1, { prompt: 'é'.repeat(500) }) });
  assert.equal(okay.ok, true);
  const over = await host.request({ type: 'video', video: video(2, { prompt: 'é'.repeat(500) + 'x' }) });
  assertError(over, 'too_large', over.id, 'prompt 1001 bytes');
  assert.match(over.error.message, /1001 bytes; the limit is 1000/);
  await host.close();
});

test('a burst of bad frames interleaved with good ones in one write: answers in order, good ones stored', T, async (t) => {
  const home = makeHome({ limits: { max_frame_bytes: 4096 } });
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const bads = [
    [Buffer.alloc(0), 'bad_request', false],
    [raw('[1,2,3]'), 'bad_request', false],
    [helloWith([0xc0, 0xaf]), 'bad_request', false],
    [raw(deepArrays(1000)), 'bad_request', false],
    [{ type: 'hello' }, 'bad_request', false],
    [{ id: 'B', type: 'nope' }, 'unsupported', true],
    [{ id: 'B', type: 'video', video: video(0, { url: 'javascript:alert(1)' }) }, 'invalid_url', true],
    [{ id: 'B', type: 'video', video: video(0, { prompt: { x: 1 } }) }, 'bad_request', true],
    [{ id: 'B', type: 'list', limit: 0 }, 'bad_request', true],
    [{ id: 'B', type: 'video', video: video(0, { notes: 'n'.repeat(5000) }) }, 'too_large', false],
  ];
  const frames = [];
  const expected = [];
  let goodCount = 0;
  const lastSig = new Map();
  for (let i = 0; i < 300; i++) {
    if (i % 3 === 1) {
      const [payload, code, echoes] = bads[i % bads.length];
      const id = `bad-${i}`;
      const p = (!Buffer.isBuffer(payload) && echoes) ? { ...payload, id } : payload;
      frames.push(frame(p));
      expected.push({ ok: false, code, id: echoes ? id : null });
    } else {
      const id = `good-${i}`;
      // Every fourth good video repeats an earlier one with a new signature.
      const n = goodCount % 4 === 3 ? goodCount - 1 : goodCount;
      lastSig.set(n, i);
      frames.push(frame({ id, type: 'video', video: video(n, { url: `https://cdn.example/v/${n}.mp4?X-Amz-Signature=s${i}` }) }));
      expected.push({ ok: true, id, duplicate: goodCount % 4 === 3 });
      goodCount++;
    }
  }
  host.write(Buffer.concat(frames));
  const answers = await host.count(frames.length, 15000);
  const got = answers.map((a) => (a.ok ? { ok: true, id: a.id, duplicate: a.duplicate } : { ok: false, code: a.error.code, id: a.id }));
  assert.deepEqual(got, expected);
  for (const a of answers) if (!a.ok) assert.equal(a.error.retryable, false);
  const distinct = expected.filter((e) => e.ok && !e.duplicate).length;
  assert.equal(distinct, 150);
  const status = await host.request({ type: 'status' });
  assert.equal(status.videos, distinct);
  const list = await host.request({ type: 'list', limit: 500 });
  assert.equal(list.videos.length, distinct);
  assert.equal(new Set(list.videos.map((v) => v.video_id)).size, distinct);
  // Each video holds the URL of its last (freshest) request.
  for (const v of list.videos) {
    const n = Number(/\/v\/(\d+)\.mp4/.exec(v.url)[1]);
    assert.equal(v.url, `https://cdn.example/v/${n}.mp4?X-Amz-Signature=s${lastSig.get(n)}`);
  }
  assertHelloOk(await host.request(HELLO_AFTER));
  assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  assert.deepEqual(host.protocolErrors, []);
});

// A search box holding only spaces: FTS5 must never see an empty query. The
// answer may be the unfiltered list or bad_request, but the host must answer
// it and go on serving (not abort).
test('list with a query of only whitespace is answered and the host lives on', T, async (t) => {
  const problems = [];
  for (const query of ['   ', '\t', ' \n ']) {
    const home = makeHome();
    t.after(home.cleanup);
    const host = startHost({ env: home.env });
    t.after(() => host.stop());
    assert.equal((await host.request({ type: 'video', video: video(1) })).ok, true);
    host.send({ id: 'q', type: 'list', query });
    host.send(HELLO_AFTER);
    const result = await Promise.race([
      host.count(3, 5000).then((all) => ({ answers: all.slice(1) })),
      host.exited.then((exit) => ({ exit })),
    ]);
    if (result.exit) {
      problems.push(`query ${JSON.stringify(query)}: the host died (${JSON.stringify(result.exit)}); stderr: ${host.stderr.trim()}`);
      continue;
    }
    const [q, after] = result.answers;
    assert.equal(q.id, 'q');
    if (q.ok) assert.equal(q.videos.length, 1, 'no filter: every video');
    else assertError(q, 'bad_request', 'q', 'whitespace query');
    assertHelloOk(after);
    assert.deepEqual(await within(3000, host.close(), 'exit'), { code: 0, signal: null });
  }
  assert.deepEqual(problems, []);
});

test('the default frame limit is 4 MiB: a frame of exactly 4 MiB is served, one byte more refused', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const LIMIT = 4 * 1024 * 1024;
  const sized = (n, id) => {
    const base = JSON.stringify({ id, type: 'hello', pad: '' });
    return Buffer.from(base.replace('"pad":""', `"pad":"${'p'.repeat(n - base.length)}"`));
  };
  const exact = sized(LIMIT, 'exact');
  const over = sized(LIMIT + 1, 'over');
  assert.deepEqual([exact.length, over.length], [LIMIT, LIMIT + 1]);
  host.write(Buffer.concat([frame(exact), frame(over)]));
  host.send(HELLO_AFTER);
  const [a, b, c] = await host.count(3);
  assert.deepEqual([a.id, a.ok], ['exact', true]);
  assertError(b, 'too_large', null, '4 MiB + 1');
  assert.match(b.error.message, /4194305 bytes; the limit is 4194304/);
  assertHelloOk(c);
  await host.close();
  assert.deepEqual(host.protocolErrors, []);
});

test('frames dribbled one byte per write are reassembled', T, async (t) => {
  const home = makeHome();
  t.after(home.cleanup);
  const host = startHost({ env: home.env });
  t.after(() => host.stop());
  const bytes = Buffer.concat([
    frame({ id: 'd1', type: 'hello', extension_version: 'ünïcødé' }),
    frame({ id: 'd2', type: 'video', video: video(1, { prompt: 'кот 🎬' }) }),
    frame(Buffer.from('[]')),
    frame({ id: 'd3', type: 'list' }),
  ]);
  for (const b of bytes) {
    host.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  const [a, b, c, d] = await host.count(4);
  assert.deepEqual([a.id, a.ok, b.id, b.ok, c.id, c.error?.code, d.id], ['d1', true, 'd2', true, null, 'bad_request', 'd3']);
  assert.equal(d.videos[0].prompt, 'кот 🎬');
  await host.close();
  assert.deepEqual(host.protocolErrors, []);
});
