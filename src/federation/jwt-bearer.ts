import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { federationOf } from './federation.js';
import { emailOf, validSubject, type ExternalIdentity } from './identity.js';
import { verifyJwt } from './jwt-verify.js';
import type { JwtBearerProvider } from './providers.js';

/**
 * Endpoints other than the token endpoint where a client authenticates with a JWT (RFC 7009 §2.1, RFC 7662 §2.1).
 * Matched exactly: only the URL as routed names the endpoint.
 */
const CLIENT_AUTH_ENDPOINTS: ReadonlySet<string> = new Set(['/oauth/revoke', '/oauth/introspect']);

/**
 * The audiences an assertion meant for us may carry (RFC 7523 §3 item 3, whose value is left to the server): our
 * issuer or our token endpoint. With `path`, the endpoint that received a client assertion, that endpoint's own
 * URL too: the token endpoint under a compatibility prefix, the revocation or the introspection endpoint — and
 * only that one, so an assertion made for one endpoint is not accepted at another.
 */
export function ourAudiences(ctx: OAuthContext, path?: string): string[] {
  const iss = ctx.config.issuer;
  const out = [iss, `${iss}/oauth/token`];
  if (path === undefined || path === '/oauth/token') return out;
  if (CLIENT_AUTH_ENDPOINTS.has(path) || /\/oauth\/token$/.test(path)) out.push(`${iss}${path}`);
  return out;
}

/**
 * RFC 7523 §3 for an authorization grant assertion of a trusted `jwt_bearer` issuer: signature, iss, sub, aud (us),
 * exp required and at most max_assertion_lifetime away, nbf/iat within skew, and jti single-use until exp.
 */
export async function verifyBearerAssertion(p: JwtBearerProvider, assertion: string, ctx: OAuthContext): Promise<ExternalIdentity> {
  const now = ctx.now();
  const outcome = await verifyJwt(assertion, {
    keys: federationOf(ctx).keysFor(p),
    algorithms: p.algorithms,
    issuer: p.issuers,
    audience: ourAudiences(ctx),
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
  return { provider: p.name, subject: claims.sub, ...emailOf(claims) };
}
