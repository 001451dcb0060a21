import { ENDPOINTS } from '../../endpoints.js';

/**
 * Endpoints other than the token endpoint where a client authenticates with a JWT (RFC 7009 §2.1, RFC 7662 §2.1).
 * Matched exactly: only the URL as routed names the endpoint.
 */
const CLIENT_AUTH_ENDPOINTS: ReadonlySet<string> = new Set([ENDPOINTS.revoke, ENDPOINTS.introspect]);
const TOKEN_SUFFIX = new RegExp(`${ENDPOINTS.token.replace(/[/.]/g, '\\$&')}$`);

/**
 * The audiences an assertion meant for us may carry (RFC 7523 §3 item 3, whose value is left to the server): our
 * issuer or our token endpoint. With `path`, the endpoint that received a client assertion, that endpoint's own
 * URL too: the token endpoint under a compatibility prefix, the revocation or the introspection endpoint — and
 * only that one, so an assertion made for one endpoint is not accepted at another. Client assertions (RFC 7523
 * §2.2) and authorization grant assertions of `jwt_bearer` providers (§2.1, without `path`) both use it.
 */
export function ourAudiences(issuer: string, path?: string): string[] {
  const out = [issuer, `${issuer}${ENDPOINTS.token}`];
  if (path === undefined || path === ENDPOINTS.token) return out;
  if (CLIENT_AUTH_ENDPOINTS.has(path) || TOKEN_SUFFIX.test(path)) out.push(`${issuer}${path}`);
  return out;
}
