/** RFC 6750 §3.1 error codes, plus 503 when the token could not be checked (JWKS / introspection unreachable). */
export type VerificationErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

const STATUS: Record<VerificationErrorCode, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403, temporarily_unavailable: 503 };

/** Why a bearer token was refused; `status` and `scope` are what the RFC 6750 challenge should say. */
export class VerificationError extends Error {
  readonly status: number;

  constructor(
    readonly error: VerificationErrorCode,
    readonly error_description: string,
    /** For insufficient_scope: the scopes the resource needs (RFC 6750 §3 `scope` attribute). */
    readonly scope?: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(`${error}: ${error_description}`, options);
    this.name = 'VerificationError';
    this.status = STATUS[error];
  }
}
