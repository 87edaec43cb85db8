// A fake runtime.Port for the background tests (Bitwarden style): it keeps
// the listeners the code under test registers, records what is posted, and
// lets a test answer, push events, or drop the connection.

import type { NativePort } from "./host-connection";

export class FakePort implements NativePort {
  readonly sent: Array<Record<string, unknown>> = [];
  private readonly messageListeners: Array<(message: unknown) => void> = [];
  private readonly disconnectListeners: Array<(port: NativePort) => void> = [];
  disconnected = false;
  /// What the browser would report as the disconnect reason.
  reason: string | undefined;

  readonly onMessage = { addListener: (fn: (message: unknown) => void) => void this.messageListeners.push(fn) };
  readonly onDisconnect = { addListener: (fn: (port: NativePort) => void) => void this.disconnectListeners.push(fn) };

  postMessage(message: unknown): void {
    if (this.disconnected) throw new Error("Attempting to use a disconnected port object");
    // Posting serializes: later changes by the caller must not show here.
    this.sent.push(JSON.parse(JSON.stringify(message)) as Record<string, unknown>);
  }

  disconnect(): void {
    this.disconnected = true;
  }

  /// The host writes a frame.
  receive(frame: unknown): void {
    for (const fn of this.messageListeners) fn(frame);
  }

  /// The host answers the last request of `type` (or the request with `id`).
  answer(type: string, fields: Record<string, unknown> = {}, ok = true): Record<string, unknown> {
    const request = [...this.sent].reverse().find((m) => m["type"] === type);
    if (request === undefined) throw new Error(`no ${type} request was sent`);
    this.receive(ok ? { id: request["id"], ok: true, ...fields } : { id: request["id"], ok: false, error: fields });
    return request;
  }

  /// The connection ends (host exited, or the browser could not start it).
  drop(reason?: string): void {
    this.reason = reason;
    this.disconnected = true;
    for (const fn of this.disconnectListeners) fn(this);
  }

  get listenerCount(): number {
    return this.messageListeners.length + this.disconnectListeners.length;
  }
}
