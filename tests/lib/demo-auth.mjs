// Users and sessions of the demo chat app, as the real app's NextAuth setup
// behaves (shared/REAL-APP.md section 5): a session cookie per signed-in
// person, re-issued at each sign-in; `GET /api/auth/session`; a guest route
// that makes a NEW guest user on every visit; two fixed regular accounts, so
// "the same person signs in again" and "someone else signs in" are both
// possible; sessions that end on the server (sign-out, lapse), after which
// the old cookie counts as nobody.
import { randomBytes, randomUUID } from 'node:crypto';

/** The fixed regular accounts (the sign-in page's two buttons). */
export const REGULAR_USERS = {
  'demo@example.com': { id: 'a11ce000-0000-4000-8000-000000000001', email: 'demo@example.com', type: 'regular' },
  'other@example.com': { id: 'b0b00000-0000-4000-8000-000000000002', email: 'other@example.com', type: 'regular' },
};

const SESSION_MS = 30 * 24 * 3600 * 1000; // Auth.js's default: outlives a browser restart

/** The value of cookie `name` in `req`: plain, `__Secure-`, or chunked `.0`, `.1`, … */
export function sessionCookie(req, name) {
  const jar = new Map();
  for (const part of (req.headers.cookie ?? '').split(/;\s*/)) {
    const i = part.indexOf('=');
    if (i > 0) jar.set(part.slice(0, i), part.slice(i + 1));
  }
  for (const base of [name, `__Secure-${name}`]) {
    if (jar.has(base)) return jar.get(base);
    let value = '';
    for (let k = 0; jar.has(`${base}.${k}`); k++) value += jar.get(`${base}.${k}`);
    if (value) return value;
  }
  return undefined;
}

/** `cookieName`: the session cookie of the app version being played. */
export function createAuth({ cookieName }) {
  const auth = {
    cookieName,
    users: new Map(Object.values(REGULAR_USERS).map((u) => [u.id, { ...u }])),
    sessions: new Map(), // token -> {userId, expires}
    guestsMade: 0,

    /** A new session for `user`; returns its token (the cookie value). */
    startSession(user) {
      const token = `${user.type}-${randomBytes(16).toString('hex')}`;
      auth.sessions.set(token, { userId: user.id, expires: Date.now() + SESSION_MS });
      return token;
    },
    /** A new guest user (the real guest route makes one on every visit). */
    newGuest() {
      auth.guestsMade++;
      const user = { id: randomUUID(), email: `guest-${Date.now()}-${auth.guestsMade}`, type: 'guest' };
      auth.users.set(user.id, user);
      return user;
    },
    /** The user a request's session cookie belongs to, or null (no cookie, unknown, ended, expired). */
    userOf(req) {
      const token = sessionCookie(req, cookieName);
      const session = token && auth.sessions.get(token);
      if (!session || session.expires <= Date.now()) return null;
      return auth.users.get(session.userId) ?? null;
    },
    /** The `GET /api/auth/session` answer for `req`. */
    sessionAnswer(req) {
      const token = sessionCookie(req, cookieName);
      const user = auth.userOf(req);
      if (!user) return null;
      return { user: { id: user.id, email: user.email, type: user.type }, expires: new Date(auth.sessions.get(token).expires).toISOString() };
    },
    /** Ends the session of `req`'s cookie on the server (sign-out). */
    endSessionOf(req) {
      const token = sessionCookie(req, cookieName);
      if (token) auth.sessions.delete(token);
    },
    /** Every session of `userId` lapses on the server: their cookies now count as nobody. */
    lapse(userId) {
      let n = 0;
      for (const [token, s] of auth.sessions) if (s.userId === userId) { auth.sessions.delete(token); n++; }
      return n;
    },
    setCookie(token) { return `${cookieName}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_MS / 1000}`; },
    clearCookie() { return `${cookieName}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`; },
  };
  return auth;
}
