import { hash } from 'node:crypto';
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
   * the issuer's external URL followed by the path, which is the metadata's token_endpoint for the root route
   * (an issuer with a path of its own, https://example.com/auth, is behind a proxy that strips /auth: Tessera
   * serves no route under it); and, when mTLS endpoint aliases are published (RFC 8705 §5), the alias host
   * followed by the path, where a client that uses the aliases sends its requests. Nothing else: the issuer's
   * origin without its path is another resource on that host (RFC 9449 §4.3 check 9).
   * Read from ctx.config at first use: an ephemeral port's issuer is only known once listening.
   */
  urlsFor(path: string): readonly string[] {
    const hit = this.urls.get(path);
    if (hit !== undefined) return hit;
    const candidates = [`${this.config.issuer}${path}`];
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
   * lives until the proof's iat leaves the accepted window, after which the iat check refuses it anyway.
   * The key is dpopReplayKey's: the proof's own identity, never the client's text as such.
   */
  async spend(proof: VerifiedProof): Promise<void> {
    if (!(await this.replay.firstUse(dpopReplayKey(proof), Math.ceil(proof.iat) + this.config.dpop.proofMaxAge + 1))) {
      throw OAuthError.invalidDpopProof('The DPoP proof was already used (jti)', this.algs);
    }
  }

  /** Headers every token response carries: the nonce to use next, when nonces are on (RFC 9449 §8.2). */
  responseHeaders(): Record<string, string> | undefined {
    return this.nonces === undefined ? undefined : { 'dpop-nonce': this.nonces.current() };
  }
}

/**
 * The replay-guard key of a proof: `dpop:<iat>:<hash>`, the iat (rounded up, base36, fixed width) before a
 * SHA-256 of the key's thumbprint and the jti. A replayed proof is the same signed text, so it always maps to
 * the same key; a jti is unique per key and per iat (a client that reuses a jti under another key or in
 * another second signs a different proof, which is not a replay: RFC 9449 §11.1 stores jti "to prevent
 * multiple uses of the same DPoP proof"). The hash keeps a client-chosen jti of any content out of storage.
 *
 * Why the iat leads: the keys then arrive in (nearly) ascending order. In the store's B-tree (SQLite, and
 * PostgreSQL's index alike) each insert lands on the few rightmost pages instead of a random page of the whole
 * window's keys, so a commit writes ~3 pages to the WAL instead of one page per key, and a checkpoint copies a
 * handful of pages back. Measured on SQLite outside the server (bench/replay-keys.mjs, the checkpoint and the
 * sweep counted): ~13-16 against ~24-30 µs of CPU per key; in the server, ~2% more DPoP tokens per core
 * (docs/benchmarks.md), the rest being writeback the process never sees. It is the iat, signed by the client, and not the entry's expiry, which
 * depends on this node's proof_max_age: two nodes configured differently must still agree on the key.
 */
export function dpopReplayKey(proof: Pick<VerifiedProof, 'jkt' | 'jti' | 'iat'>): string {
  return `dpop:${Math.ceil(proof.iat).toString(36).padStart(7, '0')}:${hash('sha256', `${proof.jkt}:${proof.jti}`, 'base64url')}`;
}
