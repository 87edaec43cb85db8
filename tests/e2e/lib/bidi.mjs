// A minimal WebDriver BiDi client (over `ws`) for Firefox: commands matched to
// answers by id, each with a timeout, all rejected when the socket closes;
// events handed to listeners by method name.
import WebSocket from 'ws';

export class BiDi {
  /** Connects to `url` (the browser's `ws://…` address + `/session`). */
  static async connect(url, timeoutMs = 15000) {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { ws.terminate(); reject(new Error(`BiDi connect to ${url} timed out`)); }, timeoutMs);
      ws.once('open', () => { clearTimeout(timer); resolve(); });
      ws.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    return new BiDi(ws);
  }

  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, reject, timer, method}
    this.listeners = new Map(); // method -> Set<fn>
    ws.on('message', (data) => this.onMessage(data));
    ws.on('close', () => {
      for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error(`BiDi closed during ${p.method}`)); }
      this.pending.clear();
    });
    ws.on('error', () => {});
  }

  onMessage(data) {
    let msg;
    try { msg = JSON.parse(String(data)); } catch { return; }
    if (msg.id !== undefined && this.pending.has(msg.id)) {
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === 'error') p.reject(new Error(`${p.method}: ${msg.error}: ${msg.message}`));
      else p.resolve(msg.result);
      return;
    }
    if (msg.type === 'event') for (const fn of this.listeners.get(msg.method) ?? []) fn(msg.params);
  }

  /** Sends one command; resolves with its result or rejects with its error. */
  send(method, params = {}, timeoutMs = 30000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`BiDi ${method} took over ${timeoutMs} ms`)); }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  on(method, fn) {
    if (!this.listeners.has(method)) this.listeners.set(method, new Set());
    this.listeners.get(method).add(fn);
  }

  close() {
    try { this.ws.terminate(); } catch {}
  }
}

/** A BiDi RemoteValue -> a plain JS value (what JSON could carry, plus nodes as {sharedId}). */
export function fromRemote(v) {
  if (v === undefined || v === null) return undefined;
  switch (v.type) {
    case 'undefined': return undefined;
    case 'null': return null;
    case 'string': case 'boolean': return v.value;
    case 'number':
      if (v.value === 'NaN') return NaN;
      if (v.value === '-0') return -0;
      if (v.value === 'Infinity') return Infinity;
      if (v.value === '-Infinity') return -Infinity;
      return v.value;
    case 'bigint': return BigInt(v.value);
    case 'array': return (v.value ?? []).map(fromRemote);
    case 'object': return Object.fromEntries((v.value ?? []).map(([k, x]) => [typeof k === 'string' ? k : fromRemote(k), fromRemote(x)]));
    case 'node': return { sharedId: v.sharedId };
    default: return { type: v.type };
  }
}
