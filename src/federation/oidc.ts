import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import type { Federation } from './federation.js';
import { delegationClaimsOf, emailOf, validSubject, type ExternalIdentity } from './identity.js';
import { verifyJwt } from '../oauth/jwt/verify.js';
import type { OidcProvider } from './providers.js';
import { countedIdpCall } from './idp-metrics.js';

/**
 * Verifies an ID token or JWT access token of an `oidc` provider (e.g. "Sign in with Google"): signature against
 * the provider's keys with its algorithm allow-list, iss exactly the provider's issuer, aud one of its configured
 * audiences (your client id at the provider), exp required, nbf/iat within the clock skew.
 * Counted per provider and outcome in the metrics (idp-metrics.ts).
 */
export function verifyOidcToken(p: OidcProvider, token: string, ctx: OAuthContext, federation: Federation): Promise<ExternalIdentity> {
  return countedIdpCall(ctx, p.name, () => verifyOidcTokenUncounted(p, token, ctx, federation));
}

async function verifyOidcTokenUncounted(p: OidcProvider, token: string, ctx: OAuthContext, federation: Federation): Promise<ExternalIdentity> {
  const outcome = await verifyJwt(token, {
    keys: federation.keysFor(p),
    algorithms: p.algorithms,
    issuer: p.issuers,
    audience: p.audiences,
    required: ['exp', 'sub'],
    clockSkew: ctx.config.clockSkew,
    now: ctx.now(),
    ...(p.maxTokenAge !== null ? { maxAge: p.maxTokenAge } : {}),
  });
  if (!outcome.ok) throw OAuthError.invalidGrant(`The subject token was rejected (${p.name}): ${outcome.reason}`);
  const claims = outcome.payload as Record<string, unknown>;
  if (!validSubject(claims.sub)) throw OAuthError.invalidGrant(`The subject token was rejected (${p.name}): the sub claim is not acceptable`);
  return { provider: p.name, subject: claims.sub, ...emailOf(claims), delegation: delegationClaimsOf(claims, p.issuer) };
}
