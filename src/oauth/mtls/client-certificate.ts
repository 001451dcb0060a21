import { createHash, X509Certificate } from 'node:crypto';

/**
 * The certificate a client presented, however it reached us: on Tessera's own TLS listener, or forwarded by a
 * trusted TLS-terminating proxy in a header (http/client-certificate.ts). RFC 8705.
 */
export interface ClientCertificate {
  readonly cert: X509Certificate;
  /** RFC 8705 §3.1: base64url SHA-256 of the DER certificate, the access token's cnf["x5t#S256"]. */
  readonly thumbprint: string;
  /**
   * Whether the certificate chains to a CA of `tls.clientCa` (RFC 8705 §2.1: PKI method). Self-signed client
   * certificates (§2.2) never do, so the listener accepts any certificate and each method decides.
   */
  readonly chainVerified: boolean;
  /** Where it came from (tls: the connection; header: a trusted proxy's header). */
  readonly via: 'tls' | 'header';
}

/** RFC 8705 §3.1 x5t#S256: base64url (no padding) of the SHA-256 of the DER encoding. */
export function certificateThumbprint(der: Buffer | Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/**
 * The certificates a JWK Set names, as thumbprints (RFC 8705 §2.2: how a self_signed_tls_client_auth client
 * registers them): each key's x5c[0] (base64 DER, RFC 7517 §4.7) hashed, and each key's x5t#S256 as given. Anything
 * that is not a JWK Set names none.
 */
export function jwksCertificateThumbprints(jwks: unknown): Set<string> {
  const out = new Set<string>();
  const keys = (jwks as { keys?: unknown } | null | undefined)?.keys;
  if (!Array.isArray(keys)) return out;
  for (const key of keys as unknown[]) {
    if (typeof key !== 'object' || key === null) continue;
    const { x5c, 'x5t#S256': x5t } = key as Record<string, unknown>;
    if (Array.isArray(x5c) && typeof x5c[0] === 'string') out.add(certificateThumbprint(Buffer.from(x5c[0], 'base64')));
    if (typeof x5t === 'string') out.add(x5t);
  }
  return out;
}

export function clientCertificate(cert: X509Certificate, chainVerified: boolean, via: ClientCertificate['via']): ClientCertificate {
  return { cert, thumbprint: certificateThumbprint(cert.raw), chainVerified, via };
}

/** Whether `now` (ms) is inside the certificate's validity period. */
export function currentlyValid(cert: X509Certificate, nowMs: number): boolean {
  return Date.parse(cert.validFrom) <= nowMs && nowMs <= Date.parse(cert.validTo);
}

/**
 * Whether `cert` was issued by one of `anchors` (signature and issuer name checked) and every certificate on the
 * way is valid now. `intermediates` (sent along by the client or proxy) may stand between; each anchor is a
 * trust anchor in its own right, as in a CA bundle. At most 5 links are followed.
 */
export function chainsTo(cert: X509Certificate, anchors: readonly X509Certificate[], intermediates: readonly X509Certificate[], nowMs: number): boolean {
  let current = cert;
  for (let depth = 0; depth < 5; depth++) {
    if (!currentlyValid(current, nowMs)) return false;
    const anchor = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) return currentlyValid(anchor, nowMs);
    const next = intermediates.find((i) => i !== current && i.ca && current.checkIssued(i) && current.verify(i.publicKey));
    if (!next) return false;
    current = next;
  }
  return false;
}
