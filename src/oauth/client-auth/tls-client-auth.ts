import type { X509Certificate } from 'node:crypto';
import type { Client } from '../../store/types.js';
import { currentlyValid } from '../mtls/client-certificate.js';
import { subjectMatches } from '../mtls/distinguished-name.js';
import { hasSubjectAltName } from '../mtls/subject-alt-name.js';
import { certificateClient, certificateRefused } from './tls-certificate.js';
import type { ClientAuthenticator } from './types.js';

/** RFC 8705 §2.1.2: the one registered name (client rules allow exactly one) and whether the certificate carries it. */
export function certificateNamesClient(cert: X509Certificate, client: Client): boolean {
  if (client.tlsClientAuthSubjectDn) return subjectMatches(cert.subject, client.tlsClientAuthSubjectDn);
  if (client.tlsClientAuthSanDns) return hasSubjectAltName(cert, 'dns', client.tlsClientAuthSanDns);
  if (client.tlsClientAuthSanUri) return hasSubjectAltName(cert, 'uri', client.tlsClientAuthSanUri);
  if (client.tlsClientAuthSanIp) return hasSubjectAltName(cert, 'ip', client.tlsClientAuthSanIp);
  if (client.tlsClientAuthSanEmail) return hasSubjectAltName(cert, 'email', client.tlsClientAuthSanEmail);
  return false;
}

/**
 * RFC 8705 §2.1 PKI mutual-TLS client authentication: the certificate chains to a CA the operator trusts
 * (config tls.clientCa; the TLS handshake or, behind a proxy, http/client-certificate.ts checked it) and names
 * the client by its registered subject DN or subjectAltName entry. No secret: the TLS handshake proved the key.
 */
export const tlsClientAuth = {
  method: 'tls_client_auth',
  byRegistration: true,
  matches: (req) => req.params.has('client_id'),
  async authenticate(req, ctx) {
    const { client, presented } = await certificateClient(req, ctx, 'tls_client_auth');
    const refused = (reason: string) => certificateRefused(ctx, 'tls_client_auth', client.clientId, reason);
    if (!presented.chainVerified) throw refused('the certificate does not chain to a CA of tls.clientCa');
    if (!currentlyValid(presented.cert, ctx.now() * 1000)) throw refused('the certificate is expired or not yet valid');
    if (!certificateNamesClient(presented.cert, client)) throw refused("the certificate does not carry the client's registered subject DN or subjectAltName");
    return client;
  },
} satisfies ClientAuthenticator;
