import { OAuthError } from '../errors.js';
import { ThrottledError } from '../throttle.js';
import type { OAuthContext } from '../context.js';
import { parseBasicAuthorization, type TokenRequest } from '../token-request.js';
import { whenReady, type AuthenticatedClient, type ClientAuthenticator } from './types.js';
import { clientSecretBasic } from './client-secret-basic.js';
import { clientSecretPost } from './client-secret-post.js';
import { noneAuth } from './none.js';
import { requestSignatureAuth } from './request-signature.js';
import { privateKeyJwt } from './private-key-jwt.js';
import { clientSecretJwt } from './client-secret-jwt.js';

/**
 * The credential-carrying methods, in the order they are tried. Adding a method means adding it here; "none" is
 * the fallback when a request carries a client_id and no credentials at all.
 */
export const CLIENT_AUTHENTICATORS: readonly ClientAuthenticator[] = [clientSecretBasic, clientSecretPost, requestSignatureAuth, privateKeyJwt, clientSecretJwt];

/** The authentication methods of one server, built once from a list (the context builder's). */
export interface ClientAuthRegistry {
  readonly authenticators: readonly ClientAuthenticator[];
  /** Every method including "none" (RFC 8414 token_endpoint_auth_methods_supported, before profile filtering). */
  readonly methods: readonly string[];
}

export function createClientAuthRegistry(authenticators: readonly ClientAuthenticator[]): ClientAuthRegistry {
  const seen = new Set<string>();
  for (const a of authenticators) {
    if (seen.has(a.method)) throw new Error(`client authenticator ${a.method} registered twice`);
    seen.add(a.method);
  }
  return { authenticators: [...authenticators], methods: [...authenticators.map((a) => a.method), noneAuth.method] };
}

/** The methods of the built-in list (what every server offers). */
export function supportedAuthMethods(): string[] {
  return [...CLIENT_AUTHENTICATORS.map((a) => a.method), noneAuth.method];
}

/**
 * RFC 6749 §2.3: exactly one authentication method per request. A cached client is authenticated without a
 * promise; a refusal may be a synchronous throw (callers that must see one shape use authenticateClient).
 */
export function authenticateClientNow(req: TokenRequest, ctx: OAuthContext): AuthenticatedClient | Promise<AuthenticatedClient> {
  let present: ClientAuthenticator | undefined;
  for (const a of ctx.clientAuth.authenticators) {
    if (!a.matches(req)) continue;
    if (present) throw OAuthError.invalidRequest('The request uses more than one client authentication method');
    present = a;
  }
  const chosen = present ?? (noneAuth.matches(req) ? noneAuth : undefined);
  if (!chosen) throw OAuthError.invalidClient('Client authentication is required');
  let pending: ReturnType<typeof chosen.authenticate>;
  try {
    pending = chosen.authenticate(req, ctx);
  } catch (err) {
    throw authFailed(req, ctx, chosen.method, err);
  }
  // A cached client answers synchronously and costs no extra promise; only a pending check gets a catch.
  if (pending instanceof Promise) pending = pending.catch((err: unknown) => Promise.reject(authFailed(req, ctx, chosen.method, err)));
  return whenReady(pending, (client) => ({ client, method: chosen.method }));
}

/**
 * client.auth_failed for a refused credential (invalid_client) or a throttled guess; anything else (a 503, a
 * malformed request) is not an authentication failure. The client_id is the one the request claims; never the
 * credential. Returns the error to rethrow.
 */
function authFailed(req: TokenRequest, ctx: OAuthContext, method: string, err: unknown): unknown {
  const throttled = err instanceof ThrottledError;
  if (throttled || (err instanceof OAuthError && err.code === 'invalid_client')) {
    // Basic: the id half of the header only (parseBasicAuthorization splits it off; the secret is never kept).
    const claimed = (method === 'client_secret_basic' ? parseBasicAuthorization(req.authorization)?.clientId : req.params.get('client_id')) ?? null;
    ctx.events.emit({ type: 'client.auth_failed', clientId: claimed === null ? null : claimed.slice(0, 200), address: req.ip, requestId: req.requestId, details: { method, reason: throttled ? 'throttled' : 'invalid_client' } });
  }
  return err;
}

/** authenticateClientNow, always as a promise (a failure is a rejection, never a synchronous throw). */
export async function authenticateClient(req: TokenRequest, ctx: OAuthContext): Promise<AuthenticatedClient> {
  return authenticateClientNow(req, ctx);
}
