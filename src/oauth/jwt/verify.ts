import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { OAuthError } from '../errors.js';

/** Asymmetric JWS algorithms accepted from identity providers and for private_key_jwt (never "none", never HMAC). */
export const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
/** client_secret_jwt (RFC 7523 §2.2 with the client secret as the HMAC key). */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const;

/** Longest JWT we parse at all; ID tokens and assertions are a few KiB. */
const MAX_JWT_LENGTH = 16 * 1024;

export interface JwtCheck {
  keys: JWTVerifyGetKey | Uint8Array;
  algorithms: readonly string[];
  /** Accepted iss values (exact match). */
  issuer: string | readonly string[];
  /** The token's aud must contain at least one of these. */
  audience: readonly string[];
  /** Claims that must be present besides iss/aud (e.g. exp, sub, jti). */
  required: readonly string[];
  /** Allowed clock skew, seconds. */
  clockSkew: number;
  /** Current time, Unix seconds. */
  now: number;
  /** When set, exp may be at most this many seconds in the future (short-lived assertions). */
  maxLifetime?: number;
  /** When set, iat is required and may be at most this old. */
  maxAge?: number;
}

export type JwtOutcome = { ok: true; payload: JWTPayload } | { ok: false; reason: string };

/** The unverified iss, only to choose which provider or client verifies the token; undefined when not a JWT. */
export function peekJwt(token: string): { iss?: string; sub?: string; alg?: string } | undefined {
  if (token.length > MAX_JWT_LENGTH || token.split('.').length !== 3) return undefined;
  try {
    const payload = decodeJwt(token);
    const header = decodeProtectedHeader(token);
    return {
      ...(typeof payload.iss === 'string' ? { iss: payload.iss } : {}),
      ...(typeof payload.sub === 'string' ? { sub: payload.sub } : {}),
      ...(typeof header.alg === 'string' ? { alg: header.alg } : {}),
    };
  } catch {
    return undefined;
  }
}

export function looksLikeJwt(token: string): boolean {
  return peekJwt(token) !== undefined;
}

function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'the token is not yet valid (nbf)';
    return `the ${err.claim} claim is not acceptable`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the signing algorithm is not accepted';
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token (unknown kid)';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the signature does not verify';
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'the token is malformed';
  return 'the token cannot be verified';
}

/**
 * Verifies someone else's JWT with jose and the checks RFC 7519 §4.1 / RFC 7523 §3 ask for: algorithm allow-list
 * (so "none" and HMAC-with-a-public-key never verify), iss, aud, exp/nbf with skew, iat not in the future, and
 * optional bounds on lifetime and age. OAuthError (a key set that is down: 503) passes through; every other
 * failure is a reason the caller turns into invalid_grant or invalid_client.
 */
export async function verifyJwt(token: string, c: JwtCheck): Promise<JwtOutcome> {
  if (token.length > MAX_JWT_LENGTH) return { ok: false, reason: 'the token is too long' };
  let payload: JWTPayload;
  try {
    const opts = {
      algorithms: [...c.algorithms],
      issuer: typeof c.issuer === 'string' ? c.issuer : [...c.issuer],
      audience: [...c.audience],
      requiredClaims: [...c.required],
      clockTolerance: c.clockSkew,
      currentDate: new Date(c.now * 1000),
      ...(c.maxAge !== undefined ? { maxTokenAge: c.maxAge } : {}),
    };
    payload = c.keys instanceof Uint8Array ? (await jwtVerify(token, c.keys, opts)).payload : (await jwtVerify(token, c.keys, opts)).payload;
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    return { ok: false, reason: reasonOf(err) };
  }
  if (typeof payload.iat === 'number' && payload.iat > c.now + c.clockSkew) return { ok: false, reason: 'the token was issued in the future (iat)' };
  if (c.maxLifetime !== undefined && typeof payload.exp === 'number' && payload.exp - c.now > c.maxLifetime + c.clockSkew) {
    return { ok: false, reason: `the token lives longer than the accepted ${c.maxLifetime} s` };
  }
  return { ok: true, payload };
}
