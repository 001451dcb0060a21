import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { buildMetadata } from '../../oauth/metadata.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { ENDPOINTS } from '../../endpoints.js';

export interface DiscoveryState {
  scopes: string[];
  extraAuthMethods: string[];
  extensions: Record<string, unknown>;
}

/** RFC 8414 metadata and the RFC 7517 JWK Set. Both are cacheable for a short while. */
export function discoveryRoutes(app: FastifyInstance, ctx: OAuthContext, state: DiscoveryState): void {
  const metadata = () => buildMetadata({ config: ctx.config, signingAlgs: ctx.keys.algorithms, grantTypes: ctx.grants.grantTypes, authMethods: ctx.clientAuth.methods, scopes: state.scopes, extraAuthMethods: state.extraAuthMethods, extensions: state.extensions });
  const serve = async (_req: unknown, reply: import('fastify').FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8');
    return JSON.stringify(metadata());
  };
  app.get(ENDPOINTS.authorizationServerMetadata, { schema: { summary: 'Authorization server metadata (RFC 8414)' } }, serve);
  // No /.well-known/openid-configuration: Tessera is no OpenID Provider (no authorization endpoint, no ID
  // tokens), and OpenID Connect Discovery 1.0 §3 requires fields it could only fake. That path is a 404
  // (docs/compatibility.md, "OpenID discovery").
  app.get(ENDPOINTS.jwks, { schema: { summary: 'Signing keys (RFC 7517 JWK Set)' } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=60').type('application/jwk-set+json; charset=utf-8');
    return ctx.keys.jwks;
  });
  for (const url of [ENDPOINTS.authorizationServerMetadata, ENDPOINTS.jwks]) methodNotAllowed(app, url, ['GET', 'HEAD']);
}
