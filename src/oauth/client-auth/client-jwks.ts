import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { isAllowedUrl } from '../jwt/fetch.js';
import type { RemoteKeySet } from '../jwt/remote-jwks.js';

const CLIENT_JWKS_TIMEOUT_MS = 5000;
const CLIENT_JWKS_COOLDOWN = 30;

/**
 * The JWK Set a client publishes at its jwks_uri, through the per-process cache (ctx.remoteKeySets). Both methods
 * that read it ask with the same options, so they share one cached document and one fetch: private_key_jwt takes
 * its keys (RFC 7523 §2.2), self_signed_tls_client_auth its certificates (RFC 8705 §2.2.2). https only, except
 * loopback: the same rule as identity providers and the client rules. Undefined without a usable jwks_uri.
 */
export function clientRemoteKeySet(client: Client, ctx: OAuthContext): RemoteKeySet | undefined {
  if (!client.jwksUri || !isAllowedUrl(client.jwksUri, false)) return undefined;
  return ctx.remoteKeySets.get(client.jwksUri, { timeoutMs: CLIENT_JWKS_TIMEOUT_MS, cooldownSeconds: CLIENT_JWKS_COOLDOWN, what: "The client's jwks_uri" });
}
