import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ConnectionInfo } from "../shared/messages";
import { FakePort } from "./fake-port";
import { HostConnection, HostUnavailableError, classifyDisconnect } from "./host-connection";

const timers = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

function setup(options: { connectThrows?: boolean } = {}) {
  const ports: FakePort[] = [];
  const states: ConnectionInfo[] = [];
  const connected: number[] = [];
  const conn = new HostConnection({
    connect: () => {
      if (options.connectThrows) throw new Error("Error when communicating with the native messaging host.");
      const port = new FakePort();
      ports.push(port);
      return port;
    },
    disconnectReason: (port) => (port as FakePort).reason,
    extensionVersion: "1.2.3",
    timers,
    random: () => 0.5, // no jitter: delays are exact
    requestTimeoutMs: 1000,
    helloTimeoutMs: 500,
    backoffInitialMs: 1000,
    backoffMaxMs: 8000,
  });
  conn.onState((info) => states.push(info));
  conn.onConnected(() => connected.push(Date.now()));
  const port = () => ports[ports.length - 1];
  const helloOk = (fields: Record<string, unknown> = {}) =>
    port().answer("hello", { host_version: "0.9.0", protocol: 1, db_path: "/home/u/.local/share/vidkeep/vidkeep.db", ...fields });
  return { conn, ports, port, states, connected, helloOk };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("HostConnection: hello", () => {
  it("sends hello with an id on connect and is connected after a protocol 1 answer", () => {
    const { conn, port, helloOk, connected } = setup();
    conn.start();
    expect(conn.connection.state).toBe("connecting");
    expect(port().sent).toEqual([{ type: "hello", id: 1, extension_version: "1.2.3" }]);
    helloOk();
    expect(conn.connection).toEqual({
      state: "connected",
      protocol: 1,
      hostVersion: "0.9.0",
      dbPath: "/home/u/.local/share/vidkeep/vidkeep.db",
      seq: 2, // connecting was 1
    });
    expect(connected.length).toBe(1);
  });

  it("never uses a host that speaks another protocol", async () => {
    const { conn, port, helloOk, connected } = setup();
    conn.start();
    helloOk({ protocol: 2, host_version: "2.0.0" });
    expect(conn.connection.state).toBe("incompatible");
    expect(conn.connection.protocol).toBe(2);
    expect(port().disconnected).toBe(true);
    expect(connected.length).toBe(0);
    await expect(conn.request({ type: "status" })).rejects.toThrow(/update vidkeep/);
    expect(port().sent.map((m) => m["type"])).toEqual(["hello"]);
  });

  it("is forbidden when hello is refused as unauthorized", () => {
    const { conn, port } = setup();
    conn.start();
    port().answer("hello", { code: "unauthorized", message: "caller not allowed", retryable: false }, false);
    expect(conn.connection.state).toBe("forbidden");
  });

  it("gives up on a host that does not answer hello", () => {
    const { conn, port } = setup();
    conn.start();
    vi.advanceTimersByTime(500);
    expect(port().disconnected).toBe(true);
    expect(conn.connection.state).toBe("disconnected");
  });
});

describe("HostConnection: requests", () => {
  it("matches answers to requests by id, in any order", async () => {
    const { conn, port, helloOk } = setup();
    conn.start();
    helloOk();
    const list = conn.request({ type: "list", limit: 5 });
    const status = conn.request({ type: "status" });
    const [listReq, statusReq] = port().sent.slice(1);
    expect(listReq).toEqual({ type: "list", limit: 5, id: 2 });
    expect(statusReq).toEqual({ type: "status", id: 3 });
    port().receive({ id: 3, ok: true, videos: 7 });
    port().receive({ id: 2, ok: false, error: { code: "bad_request", message: "limit", retryable: false } });
    await expect(status).resolves.toEqual({ id: 3, ok: true, videos: 7 });
    await expect(list).resolves.toMatchObject({ ok: false, error: { code: "bad_request" } });
    expect(conn.pendingCount).toBe(0);
  });

  it("times a request out, forgets it, and ignores a late answer", async () => {
    const { conn, port, helloOk } = setup();
    conn.start();
    helloOk();
    const pending = conn.request({ type: "status" });
    const assertion = expect(pending).rejects.toMatchObject({ code: "timeout", retryable: true });
    vi.advanceTimersByTime(1000);
    await assertion;
    expect(conn.pendingCount).toBe(0);
    expect(() => port().answer("status", { videos: 1 })).not.toThrow();
    expect(conn.connection.state).toBe("connected");
  });

  it("rejects every pending request when the port disconnects", async () => {
    const { conn, port, helloOk } = setup();
    conn.start();
    helloOk();
    const a = conn.request({ type: "status" });
    const b = conn.request({ type: "video", video: { url: "https://c/v.mp4", source: "sse" } });
    port().drop("Native host has exited.");
    for (const p of [a, b]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HostUnavailableError);
      expect(err).toMatchObject({ code: "disconnected", retryable: true });
    }
    expect(conn.pendingCount).toBe(0);
    expect(conn.connection.state).toBe("disconnected");
    expect(conn.connection.detail).toBe("Native host has exited.");
  });

  it("holds requests made while connecting until hello succeeds", async () => {
    const { conn, port, helloOk } = setup();
    conn.start();
    const status = conn.request({ type: "status" });
    expect(port().sent.map((m) => m["type"])).toEqual(["hello"]);
    helloOk();
    expect(port().sent.map((m) => m["type"])).toEqual(["hello", "status"]);
    port().answer("status", { videos: 0 });
    await expect(status).resolves.toMatchObject({ ok: true, videos: 0 });
  });

  it("rejects held requests when the connection fails instead", async () => {
    const { conn, port } = setup();
    conn.start();
    const status = conn.request({ type: "status" });
    port().drop("Specified native messaging host not found.");
    await expect(status).rejects.toMatchObject({ code: "disconnected" });
  });

  it("rejects at once when there is no host", async () => {
    const { conn, port } = setup();
    conn.start();
    port().drop("Specified native messaging host not found.");
    await expect(conn.request({ type: "status" })).rejects.toThrow(/installer\/install\.sh/);
  });

  it("passes unsolicited events (no id) to listeners and ignores unreadable answers", () => {
    const { conn, port, helloOk } = setup();
    const events: unknown[] = [];
    conn.onEvent((e) => events.push(e));
    conn.start();
    helloOk();
    port().receive({ type: "sync_state", video_id: "v1", sync: "synced" });
    port().receive({ id: null, ok: false, error: { code: "bad_request", message: "no id", retryable: false } });
    expect(events).toEqual([{ type: "sync_state", video_id: "v1", sync: "synced" }]);
  });
});

describe("HostConnection: reconnect", () => {
  it("classifies the browsers' disconnect messages", () => {
    expect(classifyDisconnect("Specified native messaging host not found.")).toBe("not_found");
    expect(classifyDisconnect("No such native application org.vidkeep.host")).toBe("not_found");
    expect(classifyDisconnect("Access to the specified native messaging host is forbidden.")).toBe("forbidden");
    expect(classifyDisconnect("Native host has exited.")).toBe("disconnected");
    expect(classifyDisconnect(undefined)).toBe("disconnected");
  });

  it("reconnects with exponential backoff up to the maximum, and hello again", () => {
    const { conn, ports, port } = setup();
    conn.start();
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      port().drop("Specified native messaging host not found.");
      expect(conn.connection.state).toBe("not_found");
      const before = ports.length;
      const due = conn.connection.retryAt! - Date.now();
      delays.push(due);
      vi.advanceTimersByTime(due - 1);
      expect(ports.length).toBe(before);
      vi.advanceTimersByTime(1);
      expect(ports.length).toBe(before + 1);
      expect(port().sent).toEqual([{ type: "hello", id: expect.any(Number), extension_version: "1.2.3" }]);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("resets the backoff after a connection that stayed up", () => {
    const { conn, port, helloOk } = setup();
    conn.start();
    port().drop("gone");
    vi.advanceTimersByTime(1000);
    port().drop("gone");
    vi.advanceTimersByTime(2000);
    helloOk();
    vi.advanceTimersByTime(60_000);
    port().drop("Native host has exited.");
    expect(conn.connection.retryAt! - Date.now()).toBe(1000);
  });

  it("reconnectNow skips the wait", () => {
    const { conn, ports, port, helloOk } = setup();
    conn.start();
    port().drop("Specified native messaging host not found.");
    expect(ports.length).toBe(1);
    conn.reconnectNow();
    expect(ports.length).toBe(2);
    helloOk();
    vi.advanceTimersByTime(60_000);
    expect(ports.length).toBe(2); // the old timer was cancelled
  });

  it("treats a connect that throws as a failed attempt and retries", () => {
    const { conn, states } = setup({ connectThrows: true });
    conn.start();
    expect(conn.connection.state).toBe("disconnected");
    expect(states.map((s) => s.state)).toEqual(["connecting", "disconnected"]);
    vi.advanceTimersByTime(1000);
    expect(states.map((s) => s.state)).toEqual(["connecting", "disconnected", "connecting", "disconnected"]);
  });

  it("ignores a port it has already replaced", () => {
    const { conn, ports, port, helloOk } = setup();
    const events: unknown[] = [];
    conn.onEvent((e) => events.push(e));
    conn.start();
    const first = port();
    first.drop("gone");
    conn.reconnectNow();
    helloOk();
    first.receive({ type: "sync_state", video_id: "old", sync: "synced" });
    first.drop("again");
    expect(events).toEqual([]);
    expect(conn.connection.state).toBe("connected");
    expect(ports.length).toBe(2);
  });

  it("stop() closes the port and does not come back", async () => {
    const { conn, ports, port, helloOk } = setup();
    conn.start();
    helloOk();
    const pending = conn.request({ type: "status" });
    conn.stop();
    await expect(pending).rejects.toMatchObject({ code: "disconnected" });
    expect(port().disconnected).toBe(true);
    vi.advanceTimersByTime(120_000);
    expect(ports.length).toBe(1);
    expect(conn.connection.state).toBe("idle");
  });
});
