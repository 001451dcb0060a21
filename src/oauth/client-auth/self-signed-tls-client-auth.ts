import type { Client } from '../../store/types.js';
import type { ClientCertificate } from '../mtls/client-certificate.js';
import { certificateThumbprint } from '../mtls/client-certificate.js';
import { certificateClient, certificateRefused } from './tls-certificate.js';
import type { ClientAuthenticator } from './types.js';

/** The certificates a client registered in its inline JWK Set: each key's x5c[0] (DER) thumbprint and x5t#S256. */
export function registeredThumbprints(client: Client): Set<string> {
  const out = new Set<string>();
  const keys = (client.jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return out;
  for (const key of keys as Array<Record<string, unknown>>) {
    const x5c = key.x5c;
    if (Array.isArray(x5c) && typeof x5c[0] === 'string') out.add(certificateThumbprint(Buffer.from(x5c[0], 'base64')));
    if (typeof key['x5t#S256'] === 'string') out.add(key['x5t#S256']);
  }
  return out;
}

/** Whether the presented certificate is one the client registered (RFC 8705 §2.2). */
export function isRegisteredCertificate(client: Client, presented: ClientCertificate): boolean {
  return registeredThumbprints(client).has(presented.thumbprint);
}

/**
 * RFC 8705 §2.2 self-signed certificate mutual-TLS client authentication: no PKI; the certificate must be one
 * the client registered in its JWK Set (`jwks`: a key's x5c, or its x5t#S256). The TLS handshake proved the
 * private key, so the exact certificate is the credential; its dates and issuer are not checked (§2.2).
 */
export const selfSignedTlsClientAuth = {
  method: 'self_signed_tls_client_auth',
  byRegistration: true,
  matches: (req) => req.params.has('client_id'),
  async authenticate(req, ctx) {
    const { client, presented } = await certificateClient(req, ctx, 'self_signed_tls_client_auth');
    if (!isRegisteredCertificate(client, presented)) throw certificateRefused(ctx, 'self_signed_tls_client_auth', client.clientId, "the certificate is not in the client's registered jwks (x5c or x5t#S256)");
    return client;
  },
} satisfies ClientAuthenticator;
