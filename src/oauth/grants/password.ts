import { getDummyHash } from '../../crypto/password-hash.js';
import type { Client, User } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import type { AnswerChannel } from '../kdf-admission.js';
import { OAuthError } from '../errors.js';
import { intersect, OPERATOR_SCOPES, parseScope, resolveScope } from '../scope.js';
import { findUserByUsername, normalizeUsername } from '../users.js';
import { verifyFromAddress } from '../kdf-admission.js';
import { throttledCheck, ThrottledError } from '../throttle.js';
import { loginKeys } from '../../limits/throttle-policy.js';
import { issueTokens } from './issue-tokens.js';
import { resolveTargets } from '../resources.js';
import type { GrantHandler, GrantRequest } from './types.js';

/** One answer for every credential failure, so it never tells whether the username exists (RFC 6749 §5.2). */
const BAD_CREDENTIALS = 'The username or password is incorrect';

/**
 * The user's scope: what was asked for (or the client's default), which must lie within both the client's and
 * the user's allowance (a user scope of null means no user-level restriction, except for the operator scopes, which
 * a user gets only when the user's own scope lists them: scope.ts OPERATOR_SCOPES).
 */
export function passwordScope(requested: readonly string[] | undefined, client: Client, user: Pick<User, 'scope'>): string[] {
  if (requested === undefined) {
    const base = resolveScope(undefined, client.scope, client.defaultScope);
    return user.scope === null ? base.filter((s) => !OPERATOR_SCOPES.has(s)) : intersect(base, user.scope);
  }
  const scope = resolveScope(requested, client.scope, client.defaultScope);
  if (!scope.every((s) => (user.scope === null ? !OPERATOR_SCOPES.has(s) : user.scope.includes(s)))) {
    throw OAuthError.invalidScope('The requested scope exceeds what this user may be granted');
  }
  return scope;
}

/**
 * The password check under the login throttle (limits/throttle-policy.ts: per (username, address) and, much
 * looser, per address). The attempt is reserved before the KDF runs, so a burst of parallel guesses counts each
 * guess before any is checked. The counters say nothing about whether the username exists.
 */
async function throttledLogin(ctx: OAuthContext, client: Client, username: string, password: string, req: GrantRequest): Promise<User> {
  const { ip, answer } = req;
  // The username as typed (bounded), never the password; the user id is not looked up for a failure.
  const event = (type: 'login.failed' | 'login.throttled') => ctx.events.emit({ type, clientId: client.clientId, address: ip, requestId: req.requestId, details: { username: username.slice(0, 128) } });
  // One pair's attempts one after another (keyed-lock.ts): a user's parallel right logins are not refused as failures.
  const user = await ctx.loginAttempts.run(`${normalizeUsername(username)}\0${ip}`, () =>
    throttledCheck(ctx.limits.login.reserve(loginKeys(username, ip)), {
      what: 'login',
      check: () => authenticateUser(ctx, username, password, ip, answer),
      failed: (u) => u === undefined,
    }).catch((err: unknown) => {
      if (err instanceof ThrottledError) event('login.throttled');
      throw err;
    }),
  );
  if (!user) {
    event('login.failed');
    throw OAuthError.invalidGrant(BAD_CREDENTIALS);
  }
  return user;
}

/**
 * Verifies the password with the same KDF cost whether or not the user exists or has a password. The KDF is
 * admitted per source address (kdf-admission.ts): a refusal throws 429 / 503 before any failure is recorded, and
 * a KDF still waiting when the client goes (`answer` closed) leaves the queue, counted as no attempt either.
 */
async function authenticateUser(ctx: OAuthContext, username: string, password: string, ip: string, answer: AnswerChannel | undefined): Promise<User | undefined> {
  const user = await findUserByUsername(ctx, username);
  const hash = user?.passwordHash ?? (await getDummyHash());
  const ok = await verifyFromAddress(ip, hash, password, answer);
  if (!ok || !user || user.passwordHash === null || user.status !== 'active') return undefined;
  return user;
}

/**
 * RFC 6749 §4.3 resource owner password credentials, for confidential and public clients. The access token's
 * subject is the user id and it carries the username; a refresh token starts a family when the client may
 * use refresh_token.
 */
export const passwordGrant = {
  grantType: 'password',
  parameters: new Set(['username', 'password', 'scope', 'resource', 'audience']),
  confidentialOnly: false,
  async handle(req, client, ctx) {
    const username = req.params.get('username');
    const password = req.params.get('password');
    if (username === undefined) throw OAuthError.invalidRequest('The username parameter is missing');
    if (password === undefined) throw OAuthError.invalidRequest('The password parameter is missing');
    const requested = parseScope(req.params.get('scope'));
    // The client-level scope check needs no user, so it fails before any password is tried (nothing to learn).
    if (requested !== undefined) resolveScope(requested, client.scope, client.defaultScope);
    const audience = resolveTargets(req.params, client);

    const user = await throttledLogin(ctx, client, username, password, req);

    const scope = passwordScope(requested, client, user);
    return issueTokens(ctx, { client, subject: user.id, userId: user.id, username: user.username, user, scope, confirmation: req.confirmation, ...(audience ? { audience } : {}) });
  },
} satisfies GrantHandler;
