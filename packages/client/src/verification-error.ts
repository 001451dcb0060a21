/**
 * RFC 6750 §3.1 error codes, RFC 9449 §7.1 / §9's DPoP ones, plus 503 when the token could not be checked (JWKS /
 * introspection unreachable).
 */
export type VerificationErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable' | 'invalid_dpop_proof' | 'use_dpop_nonce';

const STATUS: Record<VerificationErrorCode, number> = { invalid_request: 400, invalid_token: 401, insufficient_scope: 403, temporarily_unavailable: 503, invalid_dpop_proof: 401, use_dpop_nonce: 401 };

/** Why a bearer token was refused; `status` and `scope` are what the RFC 6750 challenge should say. */
export class VerificationError extends Error {
  readonly status: number;

  constructor(
    readonly error: VerificationErrorCode,
    readonly error_description: string,
    /** For insufficient_scope: the scopes the resource needs (RFC 6750 §3 `scope` attribute). */
    readonly scope?: readonly string[],
    options?: { cause?: unknown },
    /** For use_dpop_nonce: the nonce to send back (DPoP-Nonce header, RFC 9449 §9). */
    readonly nonce?: string,
  ) {
    super(`${error}: ${error_description}`, options);
    this.name = 'VerificationError';
    this.status = STATUS[error];
  }
}
