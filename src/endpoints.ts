/**
 * Every path Tessera serves, in one place: the routes mount these, the metadata (RFC 8414 §2) advertises them
 * and client assertions name them as their audience (RFC 7523 §3), so the three can never disagree.
 * Compatibility profiles mount the token endpoint again under their own prefix (`${prefix}${ENDPOINTS.token}`).
 */
export const ENDPOINTS = {
  /** RFC 6749 §3.2 */
  token: '/oauth/token',
  /** RFC 7009 §2 */
  revoke: '/oauth/revoke',
  /** RFC 7662 §2 */
  introspect: '/oauth/introspect',
  /** RFC 7591 §3 client registration; RFC 7592 §2 client configuration at `${register}/{client_id}` (when enabled). */
  register: '/oauth/register',
  /** RFC 8414 §3 */
  authorizationServerMetadata: '/.well-known/oauth-authorization-server',
  /** RFC 7517 JWK Set of the signing keys. */
  jwks: '/.well-known/jwks.json',
  healthz: '/healthz',
  readyz: '/readyz',
  /** OpenAPI documentation (Swagger UI). */
  docs: '/docs',
  /** The OpenAPI document itself. */
  openapi: '/openapi.json',
  /** The web console (docs/console.md), where the admin API is served. */
  console: '/console',
} as const;
