/**
 * RFC 8705 §3 certificate-bound access tokens at the resource server: the token's cnf["x5t#S256"] must be the
 * SHA-256 thumbprint of the client certificate the request came with. Portable (Web Crypto, no node: modules).
 */
import { constantTimeEqual } from './encoding.js';
import { VerificationError } from './verification-error.js';

/** A client certificate: its DER bytes, or PEM / URL-encoded PEM / base64 DER text (as proxies forward it). */
export type ClientCertificateInput = Uint8Array | string;

const PEM = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/;

function base64Bytes(b64: string): Uint8Array {
  const binary = atob(b64.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The DER bytes of a certificate given as bytes or text; undefined when the text is no certificate. */
export function certificateDer(input: ClientCertificateInput): Uint8Array | undefined {
  if (typeof input !== 'string') return input.length > 0 ? input : undefined;
  let text = input.trim();
  if (text === '') return undefined;
  try {
    if (text.includes('%')) text = decodeURIComponent(text);
    const pem = PEM.exec(text);
    const b64 = pem ? pem[1]!.replace(/\s+/g, '') : text;
    if (!/^[A-Za-z0-9+/=_-]+$/.test(b64)) return undefined;
    const der = base64Bytes(b64);
    // A DER certificate is a SEQUENCE (0x30).
    return der.length > 0 && der[0] === 0x30 ? der : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 8705 §3.1 x5t#S256: base64url SHA-256 of the DER certificate. */
export async function certificateThumbprint(der: Uint8Array): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', der as Uint8Array<ArrayBuffer>)));
}

/**
 * Checks a token's claims against the request's certificate. A token without cnf["x5t#S256"] is not bound to a
 * certificate and passes; a bound one needs the very certificate (RFC 8705 §3: a stolen bound token is useless
 * without the client's private key). `certificate` undefined: the request presented none.
 */
export async function checkCertificateBinding(claims: Record<string, unknown>, certificate: ClientCertificateInput | undefined): Promise<void> {
  const cnf = claims.cnf;
  const bound = cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['x5t#S256'] : undefined;
  if (bound === undefined) return;
  if (typeof bound !== 'string') throw new VerificationError('invalid_token', 'The access token has a malformed cnf x5t#S256');
  const der = certificate === undefined ? undefined : certificateDer(certificate);
  if (!der) throw new VerificationError('invalid_token', 'The access token is bound to a TLS client certificate (RFC 8705) and the request presented none');
  if (!constantTimeEqual(await certificateThumbprint(der), bound)) throw new VerificationError('invalid_token', 'The access token is bound to another TLS client certificate');
}

/** What the middleware reads a connection's certificate from: Node's TLSSocket (structurally). */
interface PeerCertificateSocket {
  getPeerCertificate(detailed?: boolean): { raw?: Uint8Array } | null | undefined;
}

const isTlsSocket = (socket: unknown): socket is PeerCertificateSocket => typeof (socket as Partial<PeerCertificateSocket> | null | undefined)?.getPeerCertificate === 'function';

/**
 * The request's client certificate: the TLS connection's own (req.socket.getPeerCertificate(true).raw), else,
 * when `header` is configured, that header (set by a TLS-terminating proxy that overwrites it on every request:
 * never configure it when clients can reach the server without that proxy).
 */
export function requestCertificate(socket: unknown, headers: Record<string, string | string[] | undefined>, header: string | undefined): ClientCertificateInput | undefined {
  const raw = isTlsSocket(socket) ? socket.getPeerCertificate(true)?.raw : undefined;
  if (raw && raw.length > 0) return raw;
  if (header === undefined) return undefined;
  const value = headers[header.toLowerCase()];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
