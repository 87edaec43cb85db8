// The chat app's session cookies, for `configure` (PROTOCOL.md section 3).
// Auth.js splits a large session token into `name.0`, `name.1`, …; all
// chunks are sent, in order. Cookie values never reach a log line.

export interface CookieLike {
  name: string;
  value: string;
  domain: string;
  hostOnly?: boolean;
  path?: string;
  secure?: boolean;
}

/// The chunk index of `name` for the configured `base` name: -1 for the
/// unchunked cookie, n for `base.n`, undefined when it is not that cookie.
export function chunkIndex(name: string, base: string): number | undefined {
  if (name === base) return -1;
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length + 1);
  return /^\d{1,3}$/.test(rest) ? Number(rest) : undefined;
}

export function isSessionCookieName(name: string, baseNames: readonly string[]): boolean {
  return baseNames.some((base) => chunkIndex(name, base) !== undefined);
}

/// The `Cookie` header value carrying the session cookies among `cookies`
/// (as cookies.getAll returns them for the origin), or undefined when there
/// are none. Order: configured names in order; per name the unchunked one,
/// then chunks by index. Of several cookies with one name the first wins
/// (getAll lists the longest path first, as a browser sends them).
export function sessionCookieHeader(cookies: readonly CookieLike[], baseNames: readonly string[]): string | undefined {
  const parts: string[] = [];
  const seen = new Set<string>();
  for (const base of baseNames) {
    const matching = cookies
      .map((c) => ({ c, index: chunkIndex(c.name, base) }))
      .filter((m): m is { c: CookieLike; index: number } => m.index !== undefined)
      .sort((a, b) => a.index - b.index);
    for (const { c } of matching) {
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      parts.push(`${c.name}=${c.value}`);
    }
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}

/// Whether a browser would send `cookie` to `origin` (domain and secure
/// rules; the path is ignored: session cookies live at `/`).
export function cookieAppliesToOrigin(cookie: CookieLike, origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = url.hostname.toLowerCase();
  const domain = cookie.domain.toLowerCase().replace(/^\./, "");
  if (cookie.secure === true && url.protocol !== "https:" && host !== "localhost" && host !== "127.0.0.1") return false;
  if (cookie.hostOnly === true) return host === domain;
  return host === domain || host.endsWith(`.${domain}`);
}
