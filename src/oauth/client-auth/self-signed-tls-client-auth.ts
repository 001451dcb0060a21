import type { Client } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import type { ClientCertificate } from '../mtls/client-certificate.js';
import { jwksCertificateThumbprints } from '../mtls/client-certificate.js';
import { clientRemoteKeySet } from './client-jwks.js';
import { certificateClient, certificateRefused } from './tls-certificate.js';
import type { ClientAuthenticator } from './types.js';

/**
 * Why the presented certificate is not one the client registered (RFC 8705 §2.2.2: in `jwks`, or else in the JWK
 * Set at `jwks_uri`), or undefined when it is. The remote set is the one private_key_jwt reads (one fetch, one
 * cache); an unreachable jwks_uri throws its 503 temporarily_unavailable, as it does for private_key_jwt.
 */
async function unregisteredReason(client: Client, presented: ClientCertificate, ctx: OAuthContext): Promise<string | undefined> {
  if (client.jwks) return jwksCertificateThumbprints(client.jwks).has(presented.thumbprint) ? undefined : "the certificate is not in the client's registered jwks (x5c or x5t#S256)";
  const remote = clientRemoteKeySet(client, ctx);
  if (!remote) return 'the client has no jwks and no usable jwks_uri';
  return (await remote.hasCertificate(presented.thumbprint)) ? undefined : "the certificate is not in the JWK Set at the client's jwks_uri (x5c or x5t#S256)";
}

/**
 * RFC 8705 §2.2 self-signed certificate mutual-TLS client authentication: no PKI; the certificate must be one
 * the client registered in its JWK Set (`jwks` or `jwks_uri`: a key's x5c, or its x5t#S256). The TLS handshake
 * proved the private key, so the exact certificate is the credential; its dates and issuer are not checked (§2.2).
 */
export const selfSignedTlsClientAuth = {
  method: 'self_signed_tls_client_auth',
  byRegistration: true,
  matches: (req) => req.params.has('client_id'),
  async authenticate(req, ctx) {
    const { client, presented } = await certificateClient(req, ctx, 'self_signed_tls_client_auth');
    const reason = await unregisteredReason(client, presented, ctx);
    if (reason !== undefined) throw certificateRefused(ctx, 'self_signed_tls_client_auth', client.clientId, reason);
    return client;
  },
} satisfies ClientAuthenticator;
