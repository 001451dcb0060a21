import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Client } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import type { ReplayGuard } from '../replay-guard.js';
import type { TokenRequest } from '../token-request.js';
import { DpopKeyCache } from './keys.js';
import { DpopNonces } from './nonces.js';
import { DpopProofError, normaliseHtu, verifyProof, type VerifiedProof } from './proof.js';

/** At most this many distinct request paths keep their expected htu list (the routes are a handful). */
const MAX_CACHED_PATHS = 64;

/**
 * DPoP at the token endpoint (RFC 9449 §5): the per-server state (imported proof keys, the nonce key) and the
 * checks, built once by createOAuthContext. `check` is the synchronous part, done before client authentication;
 * `spend` is the proof's single use (§11.1), done after it, so an unauthenticated request never writes to the
 * replay guard.
 */
export class DpopService {
  readonly algs: readonly string[];
  private readonly algSet: ReadonlySet<string>;
  readonly keys = new DpopKeyCache();
  /** Undefined when nonces are off. */
  readonly nonces: DpopNonces | undefined;
  private readonly urls = new Map<string, string[]>();

  constructor(
    private readonly config: Config,
    masterKey: Buffer,
    private readonly replay: ReplayGuard,
    private readonly now: () => number,
  ) {
    this.algs = config.dpop.signingAlgs;
    this.algSet = new Set(this.algs);
    this.nonces = config.dpop.nonce ? new DpopNonces(masterKey, config.dpop.nonceLifetime, now) : undefined;
  }

  get enabled(): boolean {
    return this.config.dpop.enabled;
  }

  /**
   * The URLs a proof's htu may name for a request to `path` (the path as called, a profile's prefix included):
   * the issuer's external URL followed by the path; when the issuer has a path of its own (a proxy that mounts
   * Tessera under /auth), also the issuer's origin followed by the path, for proxies that do not strip it; with
   * mtls.aliasBaseUrl, also that URL followed by the path: RFC 8705 §5 sends certificate-presenting clients to the
   * alias endpoints, and their proofs name the URL they called (RFC 9449 §4.3 check 9).
   * Read from ctx.config at first use: an ephemeral port's issuer is only known once listening.
   */
  urlsFor(path: string): readonly string[] {
    const hit = this.urls.get(path);
    if (hit !== undefined) return hit;
    const issuer = new URL(this.config.issuer);
    const candidates = [`${this.config.issuer}${path}`];
    if (issuer.pathname !== '/' && issuer.pathname !== '') candidates.push(`${issuer.origin}${path}`);
    const alias = this.config.mtls.aliasBaseUrl?.replace(/\/+$/, '');
    if (alias !== undefined) candidates.push(`${alias}${path}`);
    const out = [...new Set(candidates.map(normaliseHtu).filter((u): u is string => u !== undefined))];
    if (this.urls.size < MAX_CACHED_PATHS) this.urls.set(path, out);
    return out;
  }

  /** RFC 9449 §4.3 on the request's DPoP header, the nonce included; undefined without a header. Throws OAuthError. */
  check(req: TokenRequest): VerifiedProof | undefined {
    const header = req.headers.dpop;
    if (header === undefined || !this.enabled) return undefined;
    let proof: VerifiedProof;
    try {
      proof = verifyProof(header, { method: req.method, urls: this.urlsFor(req.path), algs: this.algSet, now: this.now(), maxAge: this.config.dpop.proofMaxAge, skew: this.config.clockSkew }, this.keys);
    } catch (err) {
      if (err instanceof DpopProofError) throw OAuthError.invalidDpopProof(err.message, this.algs);
      throw err;
    }
    // Check 10 (RFC 9449 §8): a missing, unknown or stale nonce all get the current one.
    if (this.nonces !== undefined && (proof.nonce === undefined || !this.nonces.accepts(proof.nonce))) throw OAuthError.useDpopNonce(this.nonces.current(), this.algs);
    return proof;
  }

  /** RFC 9449 §5.2: a client registered with dpop_bound_access_tokens must send a proof. */
  requireFor(client: Client, proof: VerifiedProof | undefined): void {
    if (proof !== undefined || client.dpopBoundAccessTokens !== true) return;
    throw OAuthError.invalidDpopProof(this.enabled ? 'This client must send a DPoP proof with every token request' : 'This client requires DPoP, which is disabled on this server', this.algs);
  }

  /**
   * RFC 9449 §11.1: a proof is used once, across every node (the replay guard: Redis, or the store). The entry
   * lives until the proof's iat leaves the accepted window, after which the iat check refuses it anyway. The key
   * is a hash, so a client-chosen jti of any content is never stored as such.
   */
  async spend(proof: VerifiedProof): Promise<void> {
    const key = `dpop:${createHash('sha256').update(`${proof.jkt}:${proof.jti}`).digest('base64url')}`;
    if (!(await this.replay.firstUse(key, Math.ceil(proof.iat) + this.config.dpop.proofMaxAge + 1))) {
      throw OAuthError.invalidDpopProof('The DPoP proof was already used (jti)', this.algs);
    }
  }

  /** Headers every token response carries: the nonce to use next, when nonces are on (RFC 9449 §8.2). */
  responseHeaders(): Record<string, string> | undefined {
    return this.nonces === undefined ? undefined : { 'dpop-nonce': this.nonces.current() };
  }
}
