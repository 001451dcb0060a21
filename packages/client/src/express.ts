import { authenticateRequest, type BearerAuthOptions } from './bearer.js';
import type { VerifiedToken } from './verifier.js';
import { requestCertificate } from './mtls.js';

/** Structural request / response types: Express, Connect, Polka and plain node:http all fit. */
export interface IncomingLike {
  headers: Record<string, string | string[] | undefined>;
  method?: string;
  url?: string;
  /** Express: the URL before any router mount stripped its prefix. */
  originalUrl?: string;
  protocol?: string;
  auth?: VerifiedToken;
  /** The connection (a TLSSocket when TLS ends here): its client certificate is checked against bound tokens. */
  socket?: unknown;
  /** node:http's raw header list: a repeated Authorization header is refused (Node keeps only the first in headers). */
  rawHeaders?: readonly string[];
}
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}
export type NextLike = (err?: unknown) => void;

/**
 * Express-style middleware: `app.use(bearerAuth({ verifier, requiredScopes }))`. Bearer and DPoP (RFC 9449)
 * tokens. On success `req.auth` holds the verified token and next() runs; otherwise it answers 400/401/403 with
 * the RFC 6750 challenge, or the RFC 9449 DPoP one for a DPoP request (503 when the token could not be checked).
 */
export function bearerAuth(opts: BearerAuthOptions): (req: IncomingLike, res: ResponseLike, next: NextLike) => void {
  return (req, res, next) => {
    // Express says req.protocol; plain node:https does not, but its socket is encrypted (the DPoP htu is https).
    const protocol = req.protocol ?? ((req.socket as { encrypted?: boolean } | undefined)?.encrypted === true ? 'https' : undefined);
    const facts = { headers: req.headers, method: req.method ?? 'GET', url: req.originalUrl ?? req.url ?? '/', ...(protocol !== undefined ? { protocol } : {}), clientCertificate: requestCertificate(req.socket, req.headers, opts.certificateHeader), ...(req.rawHeaders !== undefined ? { rawHeaders: req.rawHeaders } : {}) };
    authenticateRequest(facts, opts).then(
      (outcome) => {
        if (outcome.ok) {
          req.auth = outcome.token;
          next();
          return;
        }
        const { status, headers, body } = outcome.refusal;
        res.statusCode = status;
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        res.end(body);
      },
      (err: unknown) => next(err),
    );
  };
}
