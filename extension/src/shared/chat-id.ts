// Chat id from a chat page URL (PROTOCOL.md section 5: "/chat/<id>",
// pattern configurable).

/// The default pattern: the Vercel chatbot's `/chat/<id>` route.
export const kDefaultChatIdPattern = "/chat/([^/?#]+)";

/// Compiles a chat id pattern: a regular expression matched against the
/// URL's path whose first capture group is the id. Null when it does not
/// compile or has no capture group.
export function compileChatIdPattern(source: string): RegExp | null {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch {
    return null;
  }
  // A pattern with no group could never yield an id.
  if (new RegExp(`${source}|`).exec("")!.length < 2) return null;
  return re;
}

/// The chat id in `pageUrl`'s path (not its query or fragment), or undefined.
export function chatIdFromUrl(pageUrl: string, pattern: string = kDefaultChatIdPattern): string | undefined {
  const re = compileChatIdPattern(pattern);
  if (re === null) return undefined;
  let path: string;
  try {
    path = new URL(pageUrl).pathname;
  } catch {
    return undefined;
  }
  const match = re.exec(path);
  const raw = match?.[1];
  if (raw === undefined || raw === "") return undefined;
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    id = raw;
  }
  return id.length > 0 && id.length <= 200 ? id : undefined;
}

/// Whether `id` could be a chat id under `pattern`: a chat id a page names
/// (the app's own save body) rather than one read from a URL. When the
/// pattern begins with a literal path (`/chat/(…)`, the usual form), the id
/// must come back unchanged from `<that path><id>`; otherwise it must be one
/// path segment without `?`, `#` or control characters. At most 200 chars.
export function isChatIdFor(id: unknown, pattern: string = kDefaultChatIdPattern): id is string {
  if (typeof id !== "string" || id === "" || id.length > 200) return false;
  if (/[/?#\\\s\u0000-\u001f\u007f%]/.test(id)) return false;
  const literal = /^\^?((?:[A-Za-z0-9_~.-]|\\\/|\/)+)\((?!\?)/.exec(pattern);
  if (literal === null) return true;
  const prefix = literal[1]!.replace(/\\\//g, "/");
  return chatIdFromUrl(`https://chat.invalid${prefix.startsWith("/") ? "" : "/"}${prefix}${id}`, pattern) === id;
}
