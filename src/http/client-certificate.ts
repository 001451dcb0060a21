import { X509Certificate } from 'node:crypto';
import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { chainsTo, clientCertificate, type ClientCertificate } from '../oauth/mtls/client-certificate.js';
import type { ProxyTrust } from '../net/trusted-proxies.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where client certificates come from (RFC 8705); null when this server has neither TLS nor a certificate header. */
    clientCertificates: ClientCertificates | null;
  }
}

/** The certificate a socket presented, parsed once per connection (keep-alive requests share it). */
const ON_SOCKET = Symbol('tessera.clientCertificate');
type CertifiedSocket = TLSSocket & { [ON_SOCKET]?: ClientCertificate | null };

/** At most one client_certificate.untrusted_header event per peer and minute (an attacker cannot flood the audit). */
const NOTICE_WINDOW_S = 60;

export interface ClientCertificates {
  /** The request's client certificate: from the TLS connection, else from a trusted proxy's header. */
  of(request: FastifyRequest): ClientCertificate | undefined;
}

/**
 * Client certificates of one server: its own TLS listener's (the handshake verified the chain against
 * tls.clientCa: socket.authorized), or, behind a TLS-terminating proxy, the configured header (mtls.certificateHeader)
 * — believed only when the connection comes from a trusted proxy (net/trusted-proxies.ts, the peer address
 * itself, not X-Forwarded-For); anyone else's is ignored and reported. A forwarded certificate is checked
 * against tls.clientCa here, since the proxy may accept self-signed certificates (nginx optional_no_ca).
 */
export function clientCertificates(ctx: OAuthContext, opts: { header: string | undefined; trusted: ProxyTrust; clientCas: readonly X509Certificate[] }): ClientCertificates {
  const header = opts.header?.toLowerCase();
  const fromHeader = (request: FastifyRequest, value: string): ClientCertificate | undefined => {
    const peer = request.raw.socket.remoteAddress ?? '';
    if (!opts.trusted(peer)) {
      if (ctx.rateLimitNotices.first(`client-certificate-header|${peer}`, Math.floor(ctx.now() / NOTICE_WINDOW_S))) {
        ctx.events.emit({ type: 'client_certificate.untrusted_header', address: request.ip, requestId: request.id, details: { header, peer } });
      }
      return undefined;
    }
    const chain = parseForwardedCertificate(value);
    if (chain === undefined) return undefined;
    const [leaf, ...intermediates] = chain;
    return clientCertificate(leaf!, chainsTo(leaf!, opts.clientCas, intermediates, ctx.now() * 1000), 'header');
  };
  return {
    of(request) {
      const socket = request.raw.socket as CertifiedSocket;
      if (socket instanceof TLSSocket) {
        let own = socket[ON_SOCKET];
        if (own === undefined) {
          const cert = socket.getPeerX509Certificate();
          // Without tls.clientCa Node would have checked the chain against its public roots: never a tls_client_auth CA.
          own = cert ? clientCertificate(cert, socket.authorized && opts.clientCas.length > 0, 'tls') : null;
          socket[ON_SOCKET] = own;
        }
        if (own) return own;
      }
      if (header === undefined) return undefined;
      const value = request.headers[header];
      if (value === undefined || value === '') return undefined;
      return fromHeader(request, typeof value === 'string' ? value : value.join(', '));
    },
  };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g;
const BASE64 = /^[A-Za-z0-9+/=_-]+$/;

/** Envoy x-forwarded-client-cert: the Cert="<URL-encoded PEM>" and Chain="..." of the last element (SANITIZE_SET leaves one). */
function xfccParts(value: string): string | undefined {
  const elements = value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  for (const element of elements.reverse()) {
    const cert = /(?:^|;)\s*Cert="([^"]*)"/i.exec(element)?.[1];
    if (cert === undefined) continue;
    const chain = /(?:^|;)\s*Chain="([^"]*)"/i.exec(element)?.[1] ?? '';
    return decodeURIComponent(cert) + '\n' + decodeURIComponent(chain);
  }
  return undefined;
}

/**
 * The certificate chain (leaf first) a proxy forwarded: PEM (line breaks may be spaces or tabs, as nginx's
 * $ssl_client_cert has them), URL-encoded PEM (nginx $ssl_client_escaped_cert, AWS ALB), base64 DER, or an Envoy
 * x-forwarded-client-cert element. A value that is none of these cannot authenticate anyone: 401 invalid_client
 * (RFC 6749 §5.2: client authentication failed), never silently an unauthenticated request. Node joins a repeated
 * header with ", ", which none of the non-XFCC forms can contain: a proxy that appends its header to the client's
 * instead of overwriting it would otherwise let the client's own (first) certificate through.
 */
export function parseForwardedCertificate(value: string): X509Certificate[] | undefined {
  const malformed = () => OAuthError.invalidClient('The client certificate forwarded by the proxy cannot be parsed');
  let text = value.trim();
  try {
    if (/(^|;|,)\s*(Cert|Hash|By)=/i.test(text)) text = xfccParts(text) ?? '';
    else if (text.includes(',')) throw OAuthError.invalidClient('The client certificate header is repeated');
    else if (text.includes('%')) text = decodeURIComponent(text);
  } catch (err) {
    throw err instanceof OAuthError ? err : malformed();
  }
  const blocks = [...text.matchAll(PEM_BLOCK)].map((m) => Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
  if (blocks.length === 0 && BASE64.test(text)) blocks.push(Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64'));
  if (blocks.length === 0) {
    if (text === '') return undefined;
    throw malformed();
  }
  try {
    return blocks.map((der) => new X509Certificate(der));
  } catch {
    throw malformed();
  }
}
