import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import type { OAuthContext } from '../context.js';
import { unsealClientSecret } from '../../keys/client-secret.js';
import { HMAC_ALGS, peekJwt } from '../jwt/verify.js';
import { assertionAlg, assertionRefused, authenticateWithAssertion, hasClientAssertion, isHmacAlg } from './client-assertion.js';
import { throttledClientAuth } from './throttle.js';
import type { ClientAuthenticator } from './types.js';

/** A sealed secret the client may use now, and the stored hash that names it (for the use counters). */
interface LiveSealed {
  sealed: string;
  hash: string | null;
}

/** The client's live sealed secrets, current first: both during a rotation's overlap (docs/tokens.md). */
function liveSealed(client: Client, now: number): LiveSealed[] {
  const out: LiveSealed[] = [];
  if (client.secretEncrypted && (client.secretExpiresAt === null || now < client.secretExpiresAt)) out.push({ sealed: client.secretEncrypted, hash: client.secretHash });
  if (client.previousSecretEncrypted && (client.previousSecretExpiresAt === null || now < client.previousSecretExpiresAt)) out.push({ sealed: client.previousSecretEncrypted, hash: client.previousSecretHash });
  return out;
}

/** The client secrets (sealed under the master key, since HMAC needs the secret itself, not a hash). */
function secretKeys(client: Client, live: readonly LiveSealed[], ctx: OAuthContext): Promise<Uint8Array[]> {
  if (live.length === 0) return Promise.reject(assertionRefused(ctx, 'client_secret_jwt', client.clientId, 'the client has no live sealed secret'));
  try {
    return Promise.resolve(live.map((s) => new Uint8Array(unsealClientSecret(ctx.masterKey, client.clientId, s.sealed))));
  } catch {
    ctx.logger.error({ client_id: client.clientId }, 'cannot unseal the client_secret_jwt secret (wrong master key?)');
    return Promise.reject(OAuthError.invalidClient());
  }
}

/** Counts the use of the secret that verified the assertion (secret-usage.ts), as client_secret_basic does. */
function counted(ctx: OAuthContext, live: readonly LiveSealed[], client: Client, index: number): void {
  const hash = live[index]?.hash;
  if (hash === null || hash === undefined) return;
  const use = ctx.secrets.usage.entry(client.clientId, hash);
  use.uses++;
  use.lastUsedAt = ctx.now();
}

/**
 * RFC 7523 §2.2 client_secret_jwt (OpenID Connect Core §9): an assertion MACed with the client secret, HS256/384/512.
 * Each assertion tests one guess of the secret, so it runs under the client-auth throttle, keyed by the client id
 * the assertion claims (iss; one without an iss is refused before any secret is tried). During a rotation's
 * overlap both sealed secrets are tried, the current first; an expired one is never tried.
 */
export const clientSecretJwt = {
  method: 'client_secret_jwt',
  matches: (req) => hasClientAssertion(req) && isHmacAlg(assertionAlg(req)),
  authenticate(req, ctx) {
    let live: LiveSealed[] = [];
    const check = () =>
      authenticateWithAssertion(
        req,
        ctx,
        'client_secret_jwt',
        HMAC_ALGS,
        (client) => secretKeys(client, (live = liveSealed(client, ctx.now())), ctx),
        (client, index) => counted(ctx, live, client, index),
      );
    const assertion = req.params.get('client_assertion');
    const clientId = assertion === undefined ? undefined : peekJwt(assertion)?.iss;
    return clientId === undefined ? check() : throttledClientAuth(ctx, 'client', clientId, req.ip, check);
  },
} satisfies ClientAuthenticator;
