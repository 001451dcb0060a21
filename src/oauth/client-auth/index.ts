import { OAuthError } from '../errors.js';
import type { OAuthContext } from '../context.js';
import { parseBasicAuthorization, type TokenRequest } from '../token-request.js';
import type { AuthenticatedClient, ClientAuthenticator } from './types.js';
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
  let authenticated: ReturnType<ClientAuthenticator['authenticate']>;
  try {
    authenticated = chosen.authenticate(req, ctx);
  } catch (err) {
    throw reportFailure(ctx, req, chosen.method, err);
  }
  if (authenticated instanceof Promise) {
    return authenticated.then(
      (client) => ({ client, method: chosen.method }),
      (err: unknown) => {
        throw reportFailure(ctx, req, chosen.method, err);
      },
    );
  }
  return { client: authenticated, method: chosen.method };
}

/**
 * A refused credential (invalid_client, RFC 6749 §5.2) is a security event: `client.auth_failed` with the method
 * (counted per method in tessera_client_auth_failures_total). Throttle refusals (429) and outages (503) are not:
 * no credential was judged. The client id is the one the request claims, which may not exist.
 */
function reportFailure(ctx: OAuthContext, req: TokenRequest, method: string, err: unknown): unknown {
  if (err instanceof OAuthError && err.code === 'invalid_client') {
    ctx.events.emit({ type: 'client.auth_failed', clientId: claimedClientId(req), address: req.ip, requestId: req.requestId, details: { method } });
  }
  return err;
}

/** The client_id a request names (body, or HTTP Basic's user part), for the event; null when none is readable. */
function claimedClientId(req: TokenRequest): string | null {
  let id: string | undefined;
  try {
    id = req.params.get('client_id') ?? parseBasicAuthorization(req.authorization)?.clientId;
  } catch {
    // A malformed Basic header: nothing to name.
  }
  return id === undefined ? null : id.slice(0, 255);
}

/** authenticateClientNow, always as a promise (a failure is a rejection, never a synchronous throw). */
export async function authenticateClient(req: TokenRequest, ctx: OAuthContext): Promise<AuthenticatedClient> {
  return authenticateClientNow(req, ctx);
}
