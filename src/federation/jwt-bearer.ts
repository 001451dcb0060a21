import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { ourAudiences } from '../oauth/jwt/audiences.js';
import { verifyJwt } from '../oauth/jwt/verify.js';
import type { Federation } from './federation.js';
import { delegationClaimsOf, emailOf, validSubject, type ExternalIdentity } from './identity.js';
import type { JwtBearerProvider } from './providers.js';
import { countedIdpCall } from './idp-metrics.js';

/**
 * RFC 7523 §3 for an authorization grant assertion of a trusted `jwt_bearer` issuer: signature, iss, sub, aud (us),
 * exp required and at most max_assertion_lifetime away, nbf/iat within skew, and jti single-use until exp.
 * Counted per provider and outcome in the metrics (idp-metrics.ts).
 */
export function verifyBearerAssertion(p: JwtBearerProvider, assertion: string, ctx: OAuthContext, federation: Federation): Promise<ExternalIdentity> {
  return countedIdpCall(ctx, p.name, () => verifyBearerAssertionUncounted(p, assertion, ctx, federation));
}

async function verifyBearerAssertionUncounted(p: JwtBearerProvider, assertion: string, ctx: OAuthContext, federation: Federation): Promise<ExternalIdentity> {
  const now = ctx.now();
  const outcome = await verifyJwt(assertion, {
    keys: federation.keysFor(p),
    algorithms: p.algorithms,
    issuer: p.issuers,
    audience: ourAudiences(ctx.config.issuer),
    required: p.requireJti ? ['exp', 'sub', 'jti'] : ['exp', 'sub'],
    clockSkew: ctx.config.clockSkew,
    now,
    maxLifetime: p.maxAssertionLifetime,
  });
  if (!outcome.ok) throw OAuthError.invalidGrant(`The assertion was rejected: ${outcome.reason}`);
  const claims = outcome.payload as Record<string, unknown>;
  if (!validSubject(claims.sub)) throw OAuthError.invalidGrant('The assertion was rejected: the sub claim is not acceptable');
  if (claims.jti !== undefined) {
    if (typeof claims.jti !== 'string' || claims.jti.length === 0 || claims.jti.length > 255) throw OAuthError.invalidGrant('The assertion was rejected: the jti claim is not acceptable');
    const first = await ctx.replay.firstUse(`jwt-bearer:${p.name}:${claims.jti}`, (claims.exp as number) + ctx.config.clockSkew);
    if (!first) throw OAuthError.invalidGrant('The assertion was already used (jti replay)');
  }
  return { provider: p.name, subject: claims.sub, ...emailOf(claims), delegation: delegationClaimsOf(claims, p.issuer) };
}
