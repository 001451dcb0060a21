import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from 'jose';
import { MetadataCache } from './discovery.js';
import { basicAuthorization } from './encoding.js';
import { DEFAULT_RETRY, send, type FetchLike, type HttpSettings } from './http.js';
import { IntrospectionCache } from './introspection-cache.js';
import type { IntrospectionResponse } from './types.js';
import { VerificationError } from './verification-error.js';
import { actorChain, checkActors, type Actor, type ActorRequirement } from './actors.js';
import { checkCertificateBinding, type ClientCertificateInput } from './mtls.js';
import { checkDpopProof, DPOP_ALGS, MemoryReplayStore, type DpopCheckOptions } from './dpop-check.js';

export interface VerifierOptions {
  /** The issuer identifier; tokens must carry exactly this `iss` (RFC 9068 §4). */
  issuer: string;
  /** This resource server's identifier(s); a token's `aud` must contain one of them (RFC 9068 §4). */
  audience: string | readonly string[];
  /** Scopes every token must have (more can be required per route). */
  requiredScopes?: readonly string[];
  /** Delegation (RFC 8693 `act`) every token must (not) carry; a route's own requirement replaces it. */
  actor?: ActorRequirement;
  /** Default: `jwks_uri` from the issuer's RFC 8414 metadata. */
  jwksUri?: string;
  /** Accepted JWS algorithms. Default: the asymmetric ones Tessera signs with. */
  algorithms?: readonly string[];
  /** Allowed clock difference for exp/iat/nbf. Default 5 s. */
  clockToleranceSeconds?: number;
  /** RFC 7662 fallback for opaque (non-JWT) tokens. Without it, opaque tokens are refused. */
  introspection?: {
    clientId: string;
    clientSecret: string;
    /** Default: `introspection_endpoint` from the metadata. */
    endpoint?: string;
    /** An active result is reused until min(token exp, this cap). Default 60 s; 0 disables caching. */
    cacheMaxSeconds?: number;
    /** Default 10,000 cached tokens. */
    cacheMaxEntries?: number;
  };
  jwks?: {
    /** Minimum time between refetches triggered by an unknown `kid`. Default 30 s. */
    cooldownMs?: number;
    /** Refetch the key set at least this often. Default 10 min. */
    cacheMaxAgeMs?: number;
  };
  fetch?: FetchLike;
  /** For metadata, JWKS and introspection requests. Default 5 s. */
  timeoutMs?: number;
  /** DPoP (RFC 9449) proof checks for verifyRequest(): replay store, nonces, algorithms, bearer refusal. */
  dpop?: DpopCheckOptions;
}

/** What verifyRequest() needs of an HTTP request to a protected resource. */
export interface ResourceRequest {
  /** The Authorization header: `Bearer <token>` or `DPoP <token>`. */
  authorization: string | readonly string[] | undefined;
  /** The DPoP header (the proof). */
  dpop?: string | readonly string[] | undefined;
  method: string;
  /** The URL as the client called it (scheme, host and path: the proof's htu). */
  url: string;
  /** The request's TLS client certificate (DER bytes or PEM text), for certificate-bound tokens (RFC 8705 §3). */
  clientCertificate?: ClientCertificateInput;
}

/** What a verified access token says. */
export interface VerifiedToken {
  format: 'jwt' | 'opaque';
  /** `sub`: the resource owner, or the client for client_credentials (RFC 9068 §2.2). */
  subject: string | undefined;
  clientId: string | undefined;
  scopes: string[];
  /** Seconds since the epoch. */
  expiresAt: number | undefined;
  /** All claims (JWT payload or introspection response). */
  claims: Record<string, unknown>;
  /** The delegation chain (RFC 8693 §4.1 `act`), current actor first; empty when the subject acts itself. */
  actors: Actor[];
  /** RFC 9449 §6: the thumbprint of the key the token is bound to (cnf.jkt); undefined for a bearer token. */
  jkt?: string;
}

export interface TokenVerifier {
  /**
   * Verifies a bearer token; throws VerificationError (invalid_token, insufficient_scope, temporarily_unavailable).
   * `clientCertificate`: the TLS client certificate of the request (DER bytes or PEM text), checked against a
   * certificate-bound token's cnf x5t#S256 (RFC 8705 §3); a bound token without it is refused.
   */
  verify(token: string, opts?: { requiredScopes?: readonly string[]; actor?: ActorRequirement; clientCertificate?: ClientCertificateInput }): Promise<VerifiedToken>;
  /**
   * Verifies a request's credentials, Bearer or DPoP (RFC 9449 §7): a DPoP-bound token needs the DPoP scheme and
   * a valid proof of its key; it is refused as a bearer token. Throws VerificationError (also invalid_dpop_proof,
   * use_dpop_nonce).
   */
  verifyRequest(request: ResourceRequest, opts?: { requiredScopes?: readonly string[]; actor?: ActorRequirement }): Promise<VerifiedToken>;
  /** The DPoP algorithms proofs may use (for the challenge's algs). */
  readonly dpopAlgorithms: readonly string[];
  /** Whether bearer tokens are refused (dpop.required). */
  readonly dpopRequired: boolean;
  readonly issuer: string;
}

const DEFAULT_ALGS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Failures to fetch the key set: the token was not judged, so the answer is 503, not 401. */
const UNAVAILABLE_CODES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID', 'ERR_JOSE_GENERIC']);

function scopesOf(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [];
}

function audiencesOf(aud: unknown): string[] {
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud.filter((a): a is string => typeof a === 'string') : [];
}

function describeJoseError(err: unknown): VerificationError {
  if (err instanceof errors.JWTExpired) return new VerificationError('invalid_token', 'The access token expired', undefined, { cause: err });
  if (err instanceof errors.JWTClaimValidationFailed) return new VerificationError('invalid_token', `The access token is not valid here (${err.claim}: ${err.reason})`, undefined, { cause: err });
  if (err instanceof errors.JWKSNoMatchingKey) return new VerificationError('invalid_token', 'The access token is signed by an unknown key', undefined, { cause: err });
  if (err instanceof errors.JWSSignatureVerificationFailed) return new VerificationError('invalid_token', 'The access token signature is invalid', undefined, { cause: err });
  if (err instanceof errors.JOSEAlgNotAllowed) return new VerificationError('invalid_token', 'The access token algorithm is not accepted', undefined, { cause: err });
  if (err instanceof errors.JOSEError && !UNAVAILABLE_CODES.has(err.code)) return new VerificationError('invalid_token', 'The access token is malformed', undefined, { cause: err });
  return new VerificationError('temporarily_unavailable', 'The signing keys of the issuer could not be fetched', undefined, { cause: err });
}

/**
 * A resource server's token check: RFC 9068 JWT access tokens against the issuer's JWKS (cached, refetched on an
 * unknown kid, so key rotation needs no restart), and RFC 7662 introspection for opaque tokens.
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  const issuer = options.issuer;
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (audience.length === 0) throw new TypeError('audience is required');
  const http: HttpSettings = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? 5000,
    retry: { ...DEFAULT_RETRY, maxRetries: 1, maxDelayMs: 2000 },
  };
  const metadata = new MetadataCache(http, issuer);
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  const algorithms = [...(options.algorithms ?? DEFAULT_ALGS)];
  const intro = options.introspection;
  const cache = new IntrospectionCache<IntrospectionResponse>(intro?.cacheMaxSeconds ?? 60, intro?.cacheMaxEntries ?? 10_000);

  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keySet = () => {
    if (jwks) return jwks;
    jwks = (async () => {
      const uri = options.jwksUri ?? (await metadata.get()).jwks_uri;
      if (!uri) throw new VerificationError('temporarily_unavailable', 'The issuer metadata has no jwks_uri');
      return createRemoteJWKSet(new URL(uri), {
        timeoutDuration: http.timeoutMs,
        cooldownDuration: options.jwks?.cooldownMs ?? 30_000,
        cacheMaxAge: options.jwks?.cacheMaxAgeMs ?? 600_000,
        ...(options.fetch ? { [customFetch]: options.fetch } : {}),
      });
    })();
    jwks.catch(() => (jwks = undefined));
    return jwks;
  };

  async function verifyJwt(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySet(), {
        issuer,
        audience,
        typ: 'at+jwt', // RFC 9068 §4: reject ID tokens and other JWTs presented as access tokens
        algorithms,
        clockTolerance,
        requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
      }));
    } catch (err) {
      if (err instanceof VerificationError) throw err;
      throw describeJoseError(err);
    }
    return {
      format: 'jwt',
      subject: payload.sub,
      clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined,
      scopes: scopesOf(payload.scope),
      expiresAt: payload.exp,
      claims: payload,
      actors: actorChain(payload.act),
    };
  }

  async function introspect(token: string): Promise<IntrospectionResponse> {
    const endpoint = intro!.endpoint ?? (await metadata.get()).introspection_endpoint;
    if (!endpoint) throw new VerificationError('temporarily_unavailable', 'The issuer metadata has no introspection_endpoint');
    const body = new URLSearchParams({ token, token_type_hint: 'access_token' }).toString();
    const headers = { authorization: basicAuthorization(intro!.clientId, intro!.clientSecret), 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const result = await send(http, endpoint, () => ({ method: 'POST', headers, body }));
    const r = result.body as IntrospectionResponse | undefined;
    if (result.status !== 200 || !r || typeof r.active !== 'boolean') {
      throw new VerificationError('temporarily_unavailable', `Token introspection failed (HTTP ${result.status})`);
    }
    return r;
  }

  async function verifyOpaque(token: string): Promise<VerifiedToken> {
    if (!intro) throw new VerificationError('invalid_token', 'The access token is not a JWT and introspection is not configured');
    let r: IntrospectionResponse;
    try {
      r = await cache.get(token, async () => {
        const value = await introspect(token);
        return { value, exp: typeof value.exp === 'number' ? value.exp : undefined, cacheable: value.active };
      });
    } catch (err) {
      if (err instanceof VerificationError) throw err;
      throw new VerificationError('temporarily_unavailable', 'Token introspection failed', undefined, { cause: err });
    }
    const now = Date.now() / 1000;
    if (!r.active) throw new VerificationError('invalid_token', 'The access token is not active');
    if (r.token_type === 'refresh_token') throw new VerificationError('invalid_token', 'A refresh token is not an access token');
    if (typeof r.exp === 'number' && r.exp + clockTolerance <= now) throw new VerificationError('invalid_token', 'The access token expired');
    if (r.iss !== undefined && r.iss !== issuer) throw new VerificationError('invalid_token', 'The access token is from another issuer');
    if (!audiencesOf(r.aud).some((a) => audience.includes(a))) throw new VerificationError('invalid_token', 'The access token is not for this audience');
    return { format: 'opaque', subject: r.sub, clientId: r.client_id, scopes: scopesOf(r.scope), expiresAt: r.exp, claims: { ...r }, actors: actorChain((r as Record<string, unknown>).act) };
  }

  /**
   * Who presents the token: its signature and claims (or introspection), and its certificate binding (RFC 8705
   * §3). What it may do (scopes, actors) is judged after every proof of possession, so that a stolen token
   * without its key is refused as invalid_token (401) and learns nothing about the scopes it lacks.
   */
  async function verifyToken(token: string, clientCertificate: ClientCertificateInput | undefined): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token === '') throw new VerificationError('invalid_request', 'No access token');
    const verified = JWT_SHAPE.test(token) ? await verifyJwt(token) : await verifyOpaque(token);
    const cnf = verified.claims.cnf as { jkt?: unknown } | undefined;
    if (typeof cnf?.jkt === 'string') verified.jkt = cnf.jkt;
    // RFC 8705 §3: a certificate-bound token only with the certificate it is bound to.
    await checkCertificateBinding(verified.claims, clientCertificate);
    return verified;
  }

  function authorize(verified: VerifiedToken, opts: { requiredScopes?: readonly string[]; actor?: ActorRequirement }): VerifiedToken {
    const required = [...new Set([...(options.requiredScopes ?? []), ...(opts.requiredScopes ?? [])])];
    if (required.some((s) => !verified.scopes.includes(s))) {
      throw new VerificationError('insufficient_scope', `The access token needs scope: ${required.join(' ')}`, required);
    }
    checkActors(verified.actors, opts.actor ?? options.actor);
    return verified;
  }

  const dpop = options.dpop ?? {};
  const replay = dpop.replay ?? new MemoryReplayStore();
  // RFC 9449 §7.2: a DPoP-bound token is not a bearer token; whoever holds it without the key gets nothing.
  const boundAsBearer = () => new VerificationError('invalid_token', 'The access token is DPoP-bound: present it with the DPoP scheme and a proof');

  return {
    issuer,
    dpopAlgorithms: dpop.algorithms ?? DPOP_ALGS,
    dpopRequired: dpop.required === true,
    async verify(token, opts = {}) {
      const verified = await verifyToken(token, opts.clientCertificate);
      if (verified.jkt !== undefined) throw boundAsBearer();
      return authorize(verified, opts);
    },
    async verifyRequest(request, opts = {}) {
      const auth = request.authorization;
      if (typeof auth !== 'string') throw new VerificationError('invalid_request', auth === undefined ? 'No access token' : 'More than one Authorization header');
      const match = /^(Bearer|DPoP) +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(auth);
      if (!match) throw new VerificationError('invalid_request', 'Malformed authorization header');
      const scheme = match[1]!.toLowerCase();
      const token = match[2]!;
      if (scheme === 'bearer' && dpop.required) throw new VerificationError('invalid_token', 'This resource accepts DPoP-bound tokens only');
      const verified = await verifyToken(token, request.clientCertificate);
      if (scheme === 'bearer') {
        if (verified.jkt !== undefined) throw boundAsBearer();
        return authorize(verified, opts);
      }
      if (verified.jkt === undefined) throw new VerificationError('invalid_token', 'The access token is not DPoP-bound: present it with the Bearer scheme');
      await checkDpopProof(request.dpop, { method: request.method, url: request.url, accessToken: token, jkt: verified.jkt }, dpop, replay);
      return authorize(verified, opts);
    },
  };
}
