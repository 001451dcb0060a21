import type { AuthMethod, Client } from '../../store/types.js';
import type { Confirmation } from '../access-tokens/format.js';
import { OAuthError } from '../errors.js';
import type { TokenRequest } from '../token-request.js';

/** Whether a method authenticates with the TLS client certificate (RFC 8705 §2). */
export function isCertificateMethod(method: AuthMethod): boolean {
  return method === 'tls_client_auth' || method === 'self_signed_tls_client_auth';
}

/**
 * RFC 8705 §3: which access tokens are bound to the client certificate (cnf x5t#S256).
 * - A client that authenticated with its certificate: always (the certificate is its credential anyway).
 * - Any other client that registered tls_client_certificate_bound_access_tokens (§3.4): when it presents a
 *   certificate; a request without one is refused, so such a client never receives a bearer token by mistake.
 * - Anyone else: never, even with a certificate on the connection. Binding is opt-in because a resource server
 *   that does not check certificates would work either way, but one that does would refuse a token whose
 *   client did not expect it to be bound. A public client's refresh tokens are then bound to the certificate
 *   as well (RFC 8705 §4, confirmation.ts familyBinding): a refresh must present the same certificate.
 */
export function certificateConfirmation(req: TokenRequest, client: Client, method: AuthMethod): Confirmation | undefined {
  const presented = req.clientCertificate;
  if (isCertificateMethod(method) && presented) return { 'x5t#S256': presented.thumbprint };
  if (!client.tlsClientCertificateBoundAccessTokens) return undefined;
  if (!presented) throw OAuthError.invalidRequest('This client receives certificate-bound access tokens only (tls_client_certificate_bound_access_tokens, RFC 8705 §3.4): present a TLS client certificate');
  return { 'x5t#S256': presented.thumbprint };
}
