/**
 * The operator's session: the tokens of the password grant of tessera-console, held in this module's memory only
 * (never localStorage or sessionStorage: a reload signs out). The access token is refreshed before it expires
 * (refresh_token grant; every refresh rotates the refresh token), sign-out revokes the refresh token (RFC 7009),
 * and a session the server ends (revoked, expired, user disabled) calls the listeners, which show the sign-in.
 */
export const CLIENT_ID = 'tessera-console';
export const ADMIN = 'tessera:admin';
export const ADMIN_READ = 'tessera:admin:read';

/** '' on the main listener (same origin); the issuer's origin when the console is on a separate admin listener. */
const tokenOrigin = (document.querySelector('meta[name="tessera-token-origin"]')?.getAttribute('content') ?? '').replace(/^__.*__$/, '');
export const oauthUrl = (path: string): string => tokenOrigin + path;

export interface Session {
  username: string;
  subject: string;
  scopes: string[];
  /** tessera:admin: may write; tessera:admin:read only: the console hides every write action. */
  write: boolean;
}

interface Tokens {
  access: string;
  refresh: string | undefined;
  expiresAt: number;
}

let tokens: Tokens | null = null;
let current: Session | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(s: Session | null, reason?: string) => void>();

export const session = (): Session | null => current;
export const onSessionChange = (fn: (s: Session | null, reason?: string) => void): (() => void) => {
  listeners.add(fn);
  return () => listeners.delete(fn);
};
const notify = (reason?: string) => listeners.forEach((fn) => fn(current, reason));

export class SignInError extends Error {}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  error?: string;
  error_description?: string;
}

async function tokenRequest(params: Record<string, string>): Promise<TokenAnswer & { status: number }> {
  const res = await fetch(oauthUrl('/oauth/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, client_id: CLIENT_ID }).toString(),
    credentials: 'omit',
  });
  const body = (await res.json().catch(() => ({}))) as TokenAnswer;
  return { ...body, status: res.status };
}

/** The claims of a JWT without checking it (the server checks every token it is sent; this only names the user). */
export function decodeJwtPart(part: string): Record<string, unknown> | null {
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function accept(answer: TokenAnswer): Tokens {
  const expiresIn = typeof answer.expires_in === 'number' ? answer.expires_in : 300;
  const t: Tokens = { access: answer.access_token!, refresh: answer.refresh_token ?? tokens?.refresh, expiresAt: Date.now() + expiresIn * 1000 };
  tokens = t;
  clearTimeout(timer);
  // Refresh at 80% of the lifetime (at least 5 s ahead), so a request never carries an expired token.
  const wait = Math.max(1000, Math.min(expiresIn * 800, expiresIn * 1000 - 5000));
  timer = setTimeout(() => void refresh(), wait);
  return t;
}

export async function signIn(username: string, password: string): Promise<Session> {
  let answer: Awaited<ReturnType<typeof tokenRequest>>;
  try {
    answer = await tokenRequest({ grant_type: 'password', username, password });
  } catch {
    throw new SignInError('The server could not be reached. Check the connection and try again.');
  }
  if (answer.status === 429) throw new SignInError(answer.error_description ?? 'Too many failed sign-ins: wait and try again.');
  if (!answer.access_token) {
    if (answer.error === 'invalid_grant') throw new SignInError('The username or password is incorrect.');
    if (answer.error === 'invalid_client' || answer.error === 'unauthorized_client') throw new SignInError('The console client tessera-console is missing or disabled on this server.');
    throw new SignInError(answer.error_description ?? `Sign-in failed (${answer.error ?? answer.status}).`);
  }
  const scopes = (answer.scope ?? '').split(' ').filter(Boolean);
  if (!scopes.includes(ADMIN) && !scopes.includes(ADMIN_READ)) {
    if (answer.refresh_token) await revoke(answer.refresh_token);
    throw new SignInError(`This account holds neither ${ADMIN} nor ${ADMIN_READ}, so it cannot use the console.`);
  }
  accept(answer);
  const claims = decodeJwtPart(answer.access_token.split('.')[1] ?? '') ?? {};
  current = { username, subject: typeof claims.sub === 'string' ? claims.sub : username, scopes, write: scopes.includes(ADMIN) };
  notify();
  return current;
}

/** Ends the session here (no server call): the tokens are dropped and the sign-in shows with `reason`. */
export function endSession(reason?: string): void {
  clearTimeout(timer);
  tokens = null;
  const had = current !== null;
  current = null;
  if (had) notify(reason);
}

/** A new access token from the refresh token; false (and the session ended) when the server refuses it. */
export function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const t = tokens;
  if (!t?.refresh) {
    endSession('Your session has expired. Sign in again.');
    return Promise.resolve(false);
  }
  refreshing = tokenRequest({ grant_type: 'refresh_token', refresh_token: t.refresh })
    .then((answer) => {
      if (!answer.access_token) {
        endSession(answer.status >= 500 ? 'The server is unavailable; sign in again when it is back.' : 'Your session was ended (revoked or expired). Sign in again.');
        return false;
      }
      accept(answer);
      return true;
    })
    .catch(() => {
      endSession('The server could not be reached; sign in again.');
      return false;
    })
    .finally(() => (refreshing = null));
  return refreshing;
}

async function revoke(token: string): Promise<void> {
  await fetch(oauthUrl('/oauth/revoke'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, token_type_hint: 'refresh_token', client_id: CLIENT_ID }).toString(),
    credentials: 'omit',
  }).catch(() => undefined);
}

/** Sign-out: RFC 7009 revocation of the refresh token, which revokes its family (the whole sign-in). */
export async function signOut(): Promise<void> {
  const t = tokens;
  endSession();
  if (t?.refresh) await revoke(t.refresh);
}

export const accessToken = (): string | null => tokens?.access ?? null;
