import { authenticateBearer, type BearerAuthOptions } from './bearer.js';
import type { VerifiedToken } from './verifier.js';
import { requestCertificate } from './mtls.js';

/** Structural request / response types: Express, Connect, Polka and plain node:http all fit. */
export interface IncomingLike {
  headers: Record<string, string | string[] | undefined>;
  auth?: VerifiedToken;
  /** The connection (a TLSSocket when TLS ends here): its client certificate is checked against bound tokens. */
  socket?: unknown;
}
export interface ResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}
export type NextLike = (err?: unknown) => void;

/**
 * Express-style middleware: `app.use(bearerAuth({ verifier, requiredScopes }))`. On success `req.auth` holds the
 * verified token and next() runs; otherwise it answers 400/401/403 with the RFC 6750 challenge (503 when the
 * token could not be checked).
 */
export function bearerAuth(opts: BearerAuthOptions): (req: IncomingLike, res: ResponseLike, next: NextLike) => void {
  return (req, res, next) => {
    authenticateBearer(req.headers.authorization, opts, requestCertificate(req.socket, req.headers, opts.certificateHeader)).then(
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
