// Debug logging: off by default, switched in the options. Every line starts
// with `[vidkeep]` so people can filter the console. Cookies and bearer
// tokens are never printed: `redact` replaces them before anything is logged.

export const kLogPrefix = "[vidkeep]";

const kSecretKeys = new Set(["cookie", "bearer", "auth", "authorization", "token"]);

/// A deep copy of `value` with secret-looking fields replaced by "<redacted>".
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = kSecretKeys.has(k.toLowerCase()) ? "<redacted>" : redact(v, depth + 1);
  }
  return out;
}

export interface Logger {
  /// Printed only while debug logging is on.
  debug(...args: unknown[]): void;
  /// Always printed (console.warn): something failed that people may need to see.
  warn(...args: unknown[]): void;
  setEnabled(on: boolean): void;
  readonly enabled: boolean;
}

/// A logger for one part ("page", "background", …). `sink` is console in the
/// extension and a fake in tests.
export function createLogger(
  scope: string,
  sink: Pick<Console, "log" | "warn"> = console,
): Logger {
  let enabled = false;
  const head = `${kLogPrefix} ${scope}:`;
  return {
    debug(...args) {
      if (!enabled) return;
      try {
        sink.log(head, ...args.map((a) => redact(a)));
      } catch {
        // A console that throws must not break the caller.
      }
    },
    warn(...args) {
      try {
        sink.warn(head, ...args.map((a) => redact(a)));
      } catch {
        // ditto
      }
    },
    setEnabled(on) {
      enabled = on;
    },
    get enabled() {
      return enabled;
    },
  };
}
