import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import type { Config } from '../config.js';

/** The TLS material of a server, read once at start-up (config tls.*). */
export interface TlsMaterial {
  /** node:https options of the listener, when Tessera terminates TLS itself (tls.cert + tls.key). */
  readonly server?: { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: true; rejectUnauthorized: false };
  /** The client CAs (tls.clientCa), for certificates a proxy forwards (the listener's handshake checks its own). */
  readonly clientCas: readonly X509Certificate[];
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; an Error naming the file when there is none or one does not parse. */
export function pemCertificates(text: string, what: string): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((b) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`${what} holds a certificate that does not parse (${(err as Error).message})`, { cause: err });
    }
  });
}

/**
 * Reads tls.cert, tls.key and tls.clientCa. The listener asks every client for a certificate and accepts any
 * (requestCert, rejectUnauthorized false): RFC 8705 §2.2 self-signed certificates chain to no CA, a public client
 * may present one for binding only (§4), and a client without one may use another method. Each method decides
 * from the socket's verdict (authorized: it chains to tls.clientCa).
 */
export function loadTlsMaterial(tls: Config['tls']): TlsMaterial {
  const caText = tls.clientCa === undefined ? undefined : readFileSync(tls.clientCa);
  const clientCas = caText === undefined ? [] : pemCertificates(caText.toString('utf8'), `tls.clientCa (${tls.clientCa})`);
  if (tls.cert === undefined || tls.key === undefined) return { clientCas };
  const cert = readFileSync(tls.cert);
  pemCertificates(cert.toString('utf8'), `tls.cert (${tls.cert})`);
  return { server: { cert, key: readFileSync(tls.key), ...(caText ? { ca: caText } : {}), requestCert: true, rejectUnauthorized: false }, clientCas };
}
