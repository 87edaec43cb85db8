// The one native messaging port to vidkeep-host (Bitwarden-style): requests
// get ids and wait in a map, each with a timeout; all of them are rejected
// when the port goes away; the port is reopened with exponential backoff;
// every new port starts with `hello`, and a host that speaks another
// protocol version is never used.
//
// Browser APIs come in through HostConnectionDeps, so the tests drive this
// class with a fake port and fake timers.

import type { ConnectionInfo, ConnectionState } from "../shared/messages";
import { createLogger, type Logger } from "../shared/log";
import {
  isAnswer,
  isHostEvent,
  kProtocolVersion,
  parseHelloAnswer,
  type Answer,
  type HelloAnswer,
  type HostEvent,
  type HostRequest,
} from "../shared/protocol";

/// The part of runtime.Port that we use.
export interface NativePort {
  postMessage(message: unknown): void;
  disconnect(): void;
  onMessage: { addListener(fn: (message: unknown) => void): void };
  onDisconnect: { addListener(fn: (port: NativePort) => void): void };
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const kRealTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface HostConnectionDeps {
  /// Opens a port (runtime.connectNative). May throw.
  connect(): NativePort;
  /// Why `port` disconnected (runtime.lastError / port.error), if said.
  disconnectReason(port: NativePort): string | undefined;
  extensionVersion: string;
  timers?: Timers;
  log?: Logger;
  random?: () => number;
  requestTimeoutMs?: number;
  helloTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/// Why a request got no host answer. Always retryable: the request may be
/// sent again once the host is back.
export class HostUnavailableError extends Error {
  readonly code: "disconnected" | "timeout";
  readonly retryable = true;
  constructor(code: "disconnected" | "timeout", message: string) {
    super(message);
    this.name = "HostUnavailableError";
    this.code = code;
  }
}

interface Pending {
  resolve(answer: Answer): void;
  reject(err: HostUnavailableError): void;
  timer: unknown;
  type: string;
}

/// Classifies the browsers' disconnect messages.
export function classifyDisconnect(reason: string | undefined): ConnectionState {
  const text = reason ?? "";
  // Chromium: "Specified native messaging host not found."
  // Firefox: "No such native application org.vidkeep.host"
  if (/not found|no such native application/i.test(text)) return "not_found";
  // Chromium: "Access to the specified native messaging host is forbidden."
  if (/forbidden|not allowed/i.test(text)) return "forbidden";
  return "disconnected";
}

/// A connection that has stayed up this long resets the backoff.
const kStableAfterMs = 30_000;

export class HostConnection {
  private readonly deps: HostConnectionDeps;
  private readonly timers: Timers;
  private readonly log: Logger;
  private port: NativePort | undefined;
  private info: ConnectionInfo = { state: "idle" };
  private readonly pending = new Map<number, Pending>();
  /// Requests made while `hello` is on its way; sent once it succeeds.
  private waiting: Array<() => void> = [];
  private nextId = 1;
  private attempt = 0;
  private retryTimer: unknown;
  private connectedAt = 0;
  private seq = 0;
  private stopped = true;
  private readonly stateListeners: Array<(info: ConnectionInfo) => void> = [];
  private readonly eventListeners: Array<(event: HostEvent) => void> = [];
  private readonly connectedListeners: Array<() => void> = [];

  constructor(deps: HostConnectionDeps) {
    this.deps = deps;
    this.timers = deps.timers ?? kRealTimers;
    this.log = deps.log ?? createLogger("host");
  }

  get connection(): ConnectionInfo {
    return { ...this.info };
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  onState(fn: (info: ConnectionInfo) => void): void {
    this.stateListeners.push(fn);
  }

  /// Unsolicited host events (no `id`), e.g. `sync_state`.
  onEvent(fn: (event: HostEvent) => void): void {
    this.eventListeners.push(fn);
  }

  /// Called after each successful `hello` (configure and flush go here).
  onConnected(fn: () => void): void {
    this.connectedListeners.push(fn);
  }

  /// Starts connecting unless already connected or connecting.
  start(): void {
    this.stopped = false;
    if (this.port !== undefined || this.retryTimer !== undefined) return;
    this.open();
  }

  /// Drops any backoff wait and connects now (a person pressed Retry).
  reconnectNow(): void {
    this.stopped = false;
    this.attempt = 0;
    if (this.retryTimer !== undefined) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (this.port === undefined) this.open();
  }

  /// Closes the port for good (until start()). Pending requests are rejected.
  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const port = this.port;
    this.port = undefined;
    try {
      port?.disconnect();
    } catch {
      // already gone
    }
    this.failAll("disconnected", "connection stopped");
    this.setState({ state: "idle" });
  }

  /// Sends one request. Resolves with the host's answer, `ok` or not.
  /// Rejects with HostUnavailableError when there is no host, it went away
  /// before answering, or it did not answer within the timeout.
  request(request: HostRequest, timeoutMs?: number): Promise<Answer> {
    const limit = timeoutMs ?? this.deps.requestTimeoutMs ?? 15_000;
    if (this.info.state === "connected") return this.send(request, limit);
    if (this.info.state === "connecting") {
      return new Promise<Answer>((resolve, reject) => {
        const timer = this.timers.setTimeout(() => {
          this.waiting = this.waiting.filter((w) => w !== go);
          reject(new HostUnavailableError("timeout", "vidkeep-host did not come up in time"));
        }, limit);
        const go = (): void => {
          this.timers.clearTimeout(timer);
          if (this.info.state === "connected") this.send(request, limit).then(resolve, reject);
          else reject(new HostUnavailableError("disconnected", this.unavailableMessage()));
        };
        this.waiting.push(go);
      });
    }
    return Promise.reject(new HostUnavailableError("disconnected", this.unavailableMessage()));
  }

  private unavailableMessage(): string {
    switch (this.info.state) {
      case "not_found": return "vidkeep-host is not installed (run installer/install.sh)";
      case "forbidden": return "vidkeep-host does not allow this extension";
      case "incompatible": return "vidkeep-host speaks another protocol version (update vidkeep)";
      default: return `vidkeep-host is not connected${this.info.detail ? `: ${this.info.detail}` : ""}`;
    }
  }

  private send(request: HostRequest, timeoutMs: number): Promise<Answer> {
    const port = this.port;
    if (port === undefined) return Promise.reject(new HostUnavailableError("disconnected", this.unavailableMessage()));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        if (!this.pending.delete(id)) return;
        this.log.debug("request timed out", request.type, id);
        reject(new HostUnavailableError("timeout", `vidkeep-host did not answer ${request.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, type: request.type });
      try {
        this.log.debug("->", request.type, id, request.type === "configure" ? { origin: request.server.origin } : "");
        port.postMessage({ ...request, id });
      } catch (err) {
        // A port that died between our check and the write.
        this.timers.clearTimeout(timer);
        this.pending.delete(id);
        reject(new HostUnavailableError("disconnected", String(err)));
      }
    });
  }

  private open(): void {
    this.retryTimer = undefined;
    this.setState({ state: "connecting" });
    let port: NativePort;
    try {
      port = this.deps.connect();
    } catch (err) {
      this.closed(String(err));
      return;
    }
    this.port = port;
    port.onMessage.addListener((message) => {
      if (this.port === port) this.receive(message);
    });
    port.onDisconnect.addListener((p) => {
      if (this.port !== port) return; // a port we already let go of
      this.port = undefined;
      this.closed(this.deps.disconnectReason(p));
    });
    this.hello(port);
  }

  private hello(port: NativePort): void {
    const id = this.nextId++;
    const timeoutMs = this.deps.helloTimeoutMs ?? 5_000;
    const timer = this.timers.setTimeout(() => {
      if (!this.pending.delete(id)) return;
      this.abandon(port, "disconnected", `no answer to hello within ${timeoutMs} ms`);
    }, timeoutMs);
    this.pending.set(id, {
      timer,
      type: "hello",
      resolve: (answer) => this.onHello(port, answer),
      reject: () => {},
    });
    try {
      port.postMessage({ type: "hello", id, extension_version: this.deps.extensionVersion });
    } catch (err) {
      // onDisconnect follows
      this.log.debug("hello could not be written", String(err));
    }
  }

  private onHello(port: NativePort, answer: Answer): void {
    if (this.port !== port) return;
    if (!answer.ok) {
      const state: ConnectionState = answer.error.code === "unauthorized" ? "forbidden" : "disconnected";
      this.abandon(port, state, `hello refused: ${answer.error.code}: ${answer.error.message}`);
      return;
    }
    const hello = parseHelloAnswer(answer);
    if (hello.protocol !== kProtocolVersion) {
      this.abandon(port, "incompatible", `host speaks protocol ${String(hello.protocol)}, this extension ${kProtocolVersion}`,
        hello);
      return;
    }
    this.connectedAt = this.timers.now();
    const info: ConnectionInfo = { state: "connected", protocol: hello.protocol };
    if (typeof hello.host_version === "string") info.hostVersion = hello.host_version;
    if (typeof hello.record_format === "number") info.recordFormat = hello.record_format;
    if (typeof hello.db_path === "string") info.dbPath = hello.db_path;
    this.setState(info);
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
    for (const fn of this.connectedListeners) {
      try {
        fn();
      } catch (err) {
        this.log.warn("onConnected listener failed", String(err));
      }
    }
  }

  /// Gives up on a port we do not want (wrong protocol, refused, silent).
  private abandon(port: NativePort, state: ConnectionState, detail: string, hello?: HelloAnswer): void {
    this.port = undefined;
    try {
      port.disconnect();
    } catch {
      // already gone
    }
    this.closed(detail, state, hello);
  }

  /// The port is gone (or never came): fail what waits, pick the state,
  /// schedule the next attempt.
  private closed(reason: string | undefined, forced?: ConnectionState, hello?: HelloAnswer): void {
    const state = forced ?? classifyDisconnect(reason);
    this.failAll("disconnected", reason ?? "vidkeep-host went away");
    if (this.connectedAt !== 0 && this.timers.now() - this.connectedAt >= kStableAfterMs) this.attempt = 0;
    this.connectedAt = 0;
    const info: ConnectionInfo = { state };
    if (reason !== undefined) info.detail = reason;
    if (hello?.host_version !== undefined) info.hostVersion = String(hello.host_version);
    if (hello?.protocol !== undefined) info.protocol = Number(hello.protocol);
    if (!this.stopped) {
      const delay = this.backoffDelay(state);
      this.attempt++;
      info.retryAt = this.timers.now() + delay;
      this.retryTimer = this.timers.setTimeout(() => this.open(), delay);
    }
    this.log.debug("host connection closed:", state, reason ?? "");
    this.setState(info);
  }

  /// 1 s, 2 s, 4 s … up to the maximum, ±20 % jitter. An incompatible host
  /// is retried at the maximum only (someone has to update it first).
  backoffDelay(state: ConnectionState): number {
    const initial = this.deps.backoffInitialMs ?? 1_000;
    const max = this.deps.backoffMaxMs ?? 60_000;
    const base = state === "incompatible" ? max : Math.min(max, initial * 2 ** Math.min(this.attempt, 20));
    const jitter = 0.8 + 0.4 * (this.deps.random ?? Math.random)();
    return Math.round(Math.min(max, base * jitter));
  }

  private failAll(code: "disconnected" | "timeout", message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new HostUnavailableError(code, `${p.type}: ${message}`));
    }
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go(); // they see the state is not connected and reject
  }

  private receive(frame: unknown): void {
    if (isAnswer(frame)) {
      const id = typeof frame.id === "number" ? frame.id : Number(frame.id);
      const pending = frame.id === null ? undefined : this.pending.get(id);
      if (pending === undefined) {
        // Late (after its timeout) or unreadable: the host could not read an id.
        this.log.debug("answer for no waiting request", frame.id, frame.ok ? "" : frame.error);
        return;
      }
      this.pending.delete(id);
      this.timers.clearTimeout(pending.timer);
      this.log.debug("<-", pending.type, id, frame.ok ? "ok" : frame.error);
      pending.resolve(frame);
      return;
    }
    if (isHostEvent(frame)) {
      this.log.debug("<- event", frame.type);
      for (const fn of this.eventListeners) {
        try {
          fn(frame);
        } catch (err) {
          this.log.warn("event listener failed", String(err));
        }
      }
      return;
    }
    this.log.debug("unrecognized frame from host");
  }

  private setState(info: ConnectionInfo): void {
    info.seq = ++this.seq;
    this.info = info;
    for (const fn of this.stateListeners) {
      try {
        fn({ ...info });
      } catch (err) {
        this.log.warn("state listener failed", String(err));
      }
    }
  }
}
