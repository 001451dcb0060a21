import type { ClientIdentityKind } from '../../limits/client-auth-throttle.js';
import type { OAuthContext } from '../context.js';
import { OAuthError } from '../errors.js';
import { throttledCheck, ThrottledError } from '../throttle.js';

const WHAT = 'client authentication';

const invalidClient = (err: unknown): boolean => err instanceof OAuthError && err.code === 'invalid_client';

/**
 * A client authentication check under the client-auth throttle (RFC 6749 §10.10: the server MUST prevent
 * guessing of client credentials). The identity is what the request claims (a client id, a signing key), counted
 * alike whether or not it exists, so a 429 tells nothing about which ids are registered. A result of undefined or
 * a thrown invalid_client is a failure.
 */
export function throttledClientAuth<T>(ctx: OAuthContext, kind: ClientIdentityKind, id: string, ip: string, check: () => Promise<T>): Promise<T> {
  const t = ctx.limits.clientAuth;
  return throttledCheck(t.reserve(kind, id, ip), {
    what: WHAT,
    check,
    failed: (result) => result === undefined,
    failedError: invalidClient,
    onFailure: () => t.noteFailure(kind, id),
  });
}

/**
 * A remembered secret (right by construction) for a client this process has seen fail: answered unless guesses
 * from this address are being refused, so a right guess is refused like a wrong one. No reservation: nothing is
 * verified, and the client's own traffic must not queue behind its attacker's.
 */
export async function admitRemembered(ctx: OAuthContext, clientId: string, ip: string): Promise<void> {
  const t = ctx.limits.clientAuth;
  const refusal = await t.peek('client', clientId, ip);
  if (refusal) {
    t.noteFailure('client', clientId);
    throw new ThrottledError(WHAT, refusal);
  }
}
