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
import { tlsClientAuth } from './tls-client-auth.js';
import { selfSignedTlsClientAuth } from './self-signed-tls-client-auth.js';
import { getClient } from '../context.js';

/**
 * The authentication methods. Adding a method means adding it here. The credential-carrying ones are chosen by
 * what the request carries; when none matches and the request names a client_id, the client's registration
 * chooses among the connection-credential methods (byRegistration: RFC 8705 mutual TLS), and "none" is the
 * fallback for every other client.
 */
export const CLIENT_AUTHENTICATORS: readonly ClientAuthenticator[] = [clientSecretBasic, clientSecretPost, requestSignatureAuth, privateKeyJwt, clientSecretJwt, tlsClientAuth, selfSignedTlsClientAuth];

/** The authentication methods of one server, built once from a list (the context builder's). */
export interface ClientAuthRegistry {
  /** The credential-carrying methods (chosen by `matches`). */
  readonly authenticators: readonly ClientAuthenticator[];
  /** The methods chosen by the client's registered method (byRegistration), when no credential is present. */
  readonly byRegistration: readonly ClientAuthenticator[];
  /** Every method including "none" (RFC 8414 token_endpoint_auth_methods_supported, before profile filtering). */
  readonly methods: readonly string[];
}

export function createClientAuthRegistry(authenticators: readonly ClientAuthenticator[]): ClientAuthRegistry {
  const seen = new Set<string>();
  for (const a of authenticators) {
    if (seen.has(a.method)) throw new Error(`client authenticator ${a.method} registered twice`);
    seen.add(a.method);
  }
  return {
    authenticators: authenticators.filter((a) => !a.byRegistration),
    byRegistration: authenticators.filter((a) => a.byRegistration),
    methods: [...authenticators.map((a) => a.method), noneAuth.method],
  };
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
  if (!present && !noneAuth.matches(req)) throw OAuthError.invalidClient('Client authentication is required');
  if (!present && ctx.clientAuth.byRegistration.length > 0) return authenticateByRegistration(req, ctx);
  return run(present ?? noneAuth, req, ctx);
}

/** Runs one method, reporting a refusal (authFailed) whether it throws or rejects. */
function run(chosen: ClientAuthenticator, req: TokenRequest, ctx: OAuthContext): AuthenticatedClient | Promise<AuthenticatedClient> {
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
 * No credential in the request, only a client_id: the client's registered method decides between the
 * connection-credential methods (a certificate, RFC 8705 §2) and "none" (RFC 6749 §2.1 public client), so a
 * public client that presents a certificate for binding (RFC 8705 §4) stays a public client.
 */
async function authenticateByRegistration(req: TokenRequest, ctx: OAuthContext): Promise<AuthenticatedClient> {
  const registered = (await getClient(ctx, req.params.get('client_id')!))?.tokenEndpointAuthMethod;
  return run(ctx.clientAuth.byRegistration.find((a) => a.method === registered) ?? noneAuth, req, ctx);
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
