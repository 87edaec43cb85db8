// URL checks shared by the page capture, the background and the popup.

/// The absolute http(s) URL `value` names, or null. Anything else (javascript:,
/// data:, blob:, relative text, non-strings) is refused, so the result is safe
/// to put into an `src` or send to the host as a video URL.
export function httpUrl(value: unknown, base?: string): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 8192) return null;
  let url: URL;
  try {
    url = base === undefined ? new URL(value) : new URL(value, base);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return url.href;
}

/// The origin ("https://chat.example" or "http://localhost:3000") of a URL
/// string, or null when it is not an http(s) URL.
export function originOf(value: unknown): string | null {
  const href = httpUrl(value);
  return href === null ? null : new URL(href).origin;
}

/// Why a typed or configured chat app origin is not used.
///  - "wildcard": `*`, `https://*.example.com`, `*://chat.example`: a
///    wildcard would become a match pattern over many sites (`https://*/*`),
///    and capture and the session cookies would go with it (issue 13,
///    finding 4). Each chat app is named by its exact origin.
///  - "plain_http": http on a host other than loopback (PROTOCOL.md section 4).
///  - "invalid": not an address at all, or one with a user name or password.
export type OriginProblem = "invalid" | "wildcard" | "plain_http";

export type OriginCheck = { ok: true; origin: string } | { ok: false; problem: OriginProblem };

/// Normalizes what a person typed as a chat app origin ("chat.example",
/// "https://chat.example/chat/1") to "https://chat.example", or says why not.
export function checkOrigin(input: string): OriginCheck {
  let text = input.trim();
  if (text === "") return { ok: false, problem: "invalid" };
  // Before parsing: URL() keeps `*` in a host, and "*://x" would become a
  // host named "*" once the scheme is prefixed.
  if (text.includes("*")) return { ok: false, problem: "wildcard" };
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  const href = httpUrl(text);
  if (href === null) return { ok: false, problem: "invalid" };
  const url = new URL(href);
  if (url.username !== "" || url.password !== "" || url.hostname === "") return { ok: false, problem: "invalid" };
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) return { ok: false, problem: "plain_http" };
  return { ok: true, origin: url.origin };
}

/// checkOrigin's origin, or null.
export function normalizeOrigin(input: string): string | null {
  const check = checkOrigin(input);
  return check.ok ? check.origin : null;
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/// The match pattern covering an origin. Match patterns carry no port
/// (Firefox refuses one), so the pattern is wider than the origin
/// (`http://localhost:3000` gives `http://localhost/*`, every port): the
/// background compares exact origins before it hears a sender or answers
/// the page config, and the page world stays inert until that config says
/// it is on a configured origin. Throws on a wildcard host, which would
/// widen it to many sites.
export function matchPatternFor(origin: string): string {
  const url = new URL(origin);
  if (url.hostname.includes("*")) throw new Error(`no match pattern for a wildcard origin: ${origin}`);
  return `${url.protocol}//${url.hostname}/*`;
}

/// When a signed URL stops working, from the query parameters the usual
/// signers put in it (PROTOCOL.md section 3 names them): S3 `X-Amz-Date` +
/// `X-Amz-Expires`, GCS `X-Goog-Date` + `X-Goog-Expires`, CloudFront / GCS
/// v2 `Expires` (seconds since 1970), Azure SAS `se`. Null when the URL
/// says nothing (or nothing readable) about it.
export function signedUrlExpiry(value: string): Date | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const params = new Map<string, string>();
  for (const [key, v] of url.searchParams) params.set(key.toLowerCase(), v);
  for (const prefix of ["x-amz", "x-goog"]) {
    const date = params.get(`${prefix}-date`);
    const expires = params.get(`${prefix}-expires`);
    const m = date === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (m !== null && expires !== undefined && /^\d{1,9}$/.test(expires)) {
      const start = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
      return new Date(start + Number(expires) * 1000);
    }
  }
  const epoch = params.get("expires");
  if (epoch !== undefined && /^\d{9,11}$/.test(epoch)) return new Date(Number(epoch) * 1000);
  const sas = params.get("se");
  if (sas !== undefined && params.has("sig")) {
    const when = new Date(sas);
    if (!Number.isNaN(when.getTime())) return when;
  }
  return null;
}
