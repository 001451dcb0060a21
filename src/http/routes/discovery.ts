import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { buildMetadata } from '../../oauth/metadata.js';
import { methodNotAllowed } from '../method-not-allowed.js';
import { ENDPOINTS } from '../../endpoints.js';

export interface DiscoveryState {
  scopes: string[];
  extraAuthMethods: string[];
  extensions: Record<string, unknown>;
}

/**
 * RFC 8414 §3.1: when the issuer has a path, the metadata URL inserts the well-known suffix between the host and
 * that path (`https://host/tenant` -> `https://host/.well-known/oauth-authorization-server/tenant`). undefined when
 * the issuer has no path (the config has already removed any terminating "/").
 */
export function pathInsertedMetadataUrl(issuer: string): string | undefined {
  let path: string;
  try {
    path = new URL(issuer).pathname.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
  return path === '' ? undefined : `${ENDPOINTS.authorizationServerMetadata}${path}`;
}

/**
 * RFC 8414 metadata and the RFC 7517 JWK Set. Both are cacheable for a short while, and both are public documents
 * that a browser-based client (a single-page app using this server's CORS support) must be able to read from its
 * own origin: `Access-Control-Allow-Origin: *`, never with credentials (nothing here depends on who asks).
 */
export function discoveryRoutes(app: FastifyInstance, ctx: OAuthContext, state: DiscoveryState): void {
  const metadata = () => buildMetadata({ config: ctx.config, signingAlgs: ctx.keys.algorithms, grantTypes: ctx.grants.grantTypes, authMethods: ctx.clientAuth.methods, scopes: state.scopes, extraAuthMethods: state.extraAuthMethods, extensions: state.extensions });
  const serve = async (_req: unknown, reply: FastifyReply) => {
    reply.header('cache-control', 'public, max-age=300').header('access-control-allow-origin', '*').type('application/json; charset=utf-8');
    return JSON.stringify(metadata());
  };
  const inserted = pathInsertedMetadataUrl(ctx.config.issuer);
  const metadataUrls: string[] = inserted === undefined ? [ENDPOINTS.authorizationServerMetadata] : [ENDPOINTS.authorizationServerMetadata, inserted];
  for (const url of metadataUrls) app.get(url, { schema: { summary: 'Authorization server metadata (RFC 8414)', ...(url === ENDPOINTS.authorizationServerMetadata ? {} : { hide: true }) } }, serve);
  // No /.well-known/openid-configuration: Tessera is no OpenID Provider (no authorization endpoint, no ID
  // tokens), and OpenID Connect Discovery 1.0 §3 requires fields it could only fake. That path is a 404
  // (docs/compatibility.md, "OpenID discovery").
  app.get(ENDPOINTS.jwks, { schema: { summary: 'Signing keys (RFC 7517 JWK Set)' } }, async (_req, reply) => {
    reply.header('cache-control', 'public, max-age=60').header('access-control-allow-origin', '*').type('application/jwk-set+json; charset=utf-8');
    return ctx.keys.jwks;
  });
  for (const url of [...metadataUrls, ENDPOINTS.jwks]) methodNotAllowed(app, url, ['GET', 'HEAD']);
}
