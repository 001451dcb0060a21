import { base64url, calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { accessTokenHash, htuOf } from './dpop.js';
import { constantTimeEqual } from './encoding.js';
import { VerificationError } from './verification-error.js';

/** Single use of proof jtis (RFC 9449 §11.1): share one store between instances of a resource server (e.g. Redis). */
export interface DpopReplayStore {
  /** True the first time `key` is seen before `expiresAt` (Unix seconds); false for a replay. */
  firstUse(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/** The in-memory default: right for one process; bounded, expired entries swept as it goes. */
export class MemoryReplayStore implements DpopReplayStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  firstUse(key: string, expiresAt: number): boolean {
    const now = Date.now() / 1000;
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.maxEntries) {
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
      // Still full of live entries: refuse rather than forget one (a forgotten jti could be replayed).
      if (this.seen.size >= this.maxEntries) return false;
    }
    this.seen.set(key, expiresAt);
    return true;
  }
}

/** Server nonces at a resource server (RFC 9449 §9): what to hand out, and whether a proof's nonce is fresh. */
export interface DpopNonceSource {
  current(): string | Promise<string>;
  accepts(nonce: string): boolean | Promise<boolean>;
}

/**
 * Stateless nonces: the HMAC of a time window under `secret` (give every instance the same secret so any of
 * them accepts what another issued; default: random per process). A nonce is accepted for its window and the
 * ones either side.
 */
export function createDpopNonces(opts: { secret?: Uint8Array<ArrayBuffer>; lifetimeSeconds?: number } = {}): DpopNonceSource {
  const lifetime = opts.lifetimeSeconds ?? 300;
  const secret = opts.secret ?? crypto.getRandomValues(new Uint8Array(32));
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const nonceFor = async (window: number) => base64url.encode(new Uint8Array(await crypto.subtle.sign('HMAC', await key, new TextEncoder().encode(String(window)))));
  const windowNow = () => Math.floor(Date.now() / 1000 / lifetime);
  return {
    current: () => nonceFor(windowNow()),
    async accepts(nonce) {
      const w = windowNow();
      for (const candidate of [w, w - 1, w + 1]) if ((await nonceFor(candidate)) === nonce) return true;
      return false;
    },
  };
}

export interface DpopCheckOptions {
  /** Accepted proof algorithms. Default: the asymmetric ones. */
  algorithms?: readonly string[];
  /** A proof's iat may be this old. Default 60 s. */
  maxAgeSeconds?: number;
  /** ...and this far ahead. Default 5 s. */
  clockToleranceSeconds?: number;
  /** Default: a MemoryReplayStore per verifier. */
  replay?: DpopReplayStore;
  /** Require server nonces in proofs (use_dpop_nonce until a proof has one). Default: none. */
  nonces?: DpopNonceSource;
  /** Refuse bearer tokens altogether (only DPoP-bound tokens with proofs). Default false. */
  required?: boolean;
}

export const DPOP_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

const invalid = (description: string, cause?: unknown) => new VerificationError('invalid_dpop_proof', description, undefined, cause === undefined ? undefined : { cause });

/**
 * RFC 9449 §7.1 / §4.3 at a resource server: one proof, typ dpop+jwt, an asymmetric alg, signed by its embedded
 * public jwk (jose refuses a private one), htm and htu of this request, fresh iat, ath the hash of the presented
 * token, the key the token's cnf.jkt names, the jti never seen before, and the nonce when nonces are on.
 */
export async function checkDpopProof(
  proof: string | readonly string[] | undefined,
  request: { method: string; url: string; accessToken: string; jkt: string },
  opts: DpopCheckOptions,
  replay: DpopReplayStore,
): Promise<void> {
  if (typeof proof !== 'string' || proof === '' || proof.includes(',')) throw invalid('Send exactly one DPoP proof');
  let payload: JWTPayload;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...(opts.algorithms ?? DPOP_ALGS)], requiredClaims: ['jti', 'htm', 'htu', 'iat'] });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch (err) {
    throw invalid(err instanceof errors.JOSEError ? `The DPoP proof is invalid (${err.message})` : 'The DPoP proof is invalid', err);
  }
  const now = Date.now() / 1000;
  const iat = payload.iat!;
  if (iat < now - (opts.maxAgeSeconds ?? 60)) throw invalid('The DPoP proof is too old');
  if (iat > now + (opts.clockToleranceSeconds ?? 5)) throw invalid('The DPoP proof is issued in the future');
  if (payload.htm !== request.method.toUpperCase()) throw invalid(`The DPoP proof's htm must be ${request.method.toUpperCase()}`);
  let expected: string;
  try {
    expected = htuOf(request.url);
  } catch {
    // The request's own URL does not parse (an odd Host header): the request is malformed, not the proof.
    throw new VerificationError('invalid_request', 'The request URL cannot be determined (check the Host header)');
  }
  let htu: string;
  try {
    htu = htuOf(String(payload.htu));
  } catch {
    throw invalid("The DPoP proof's htu is not a URL");
  }
  if (htu !== expected) throw invalid(`The DPoP proof's htu must be ${expected}`);
  if (typeof payload.ath !== 'string' || !constantTimeEqual(payload.ath, await accessTokenHash(request.accessToken))) throw invalid("The DPoP proof's ath does not match the access token");
  if (!constantTimeEqual(await calculateJwkThumbprint(jwk), request.jkt)) throw invalid('The DPoP proof is not signed with the key the access token is bound to (cnf.jkt)');
  if (opts.nonces !== undefined && (typeof payload.nonce !== 'string' || !(await opts.nonces.accepts(payload.nonce)))) {
    throw new VerificationError('use_dpop_nonce', 'Resource server requires nonce in DPoP proof', undefined, undefined, await opts.nonces.current());
  }
  if (!(await replay.firstUse(`${request.jkt}:${String(payload.jti)}`, Math.ceil(iat) + (opts.maxAgeSeconds ?? 60) + 1))) throw invalid('The DPoP proof was already used (jti)');
}
