import { createLocalJWKSet, errors, type JWTVerifyGetKey } from 'jose';
import { jwksCertificateThumbprints } from '../mtls/client-certificate.js';
import { cacheLifetime, fetchJson, remoteUnavailable } from './fetch.js';

export interface KeySetOptions {
  /** Bound on one fetch (connect + body). */
  timeoutMs: number;
  /**
   * An unknown kid or certificate triggers a refetch at most once per this many seconds (protects the upstream
   * from junk kids and certificates).
   */
  cooldownSeconds: number;
  /** Named in 503 descriptions. */
  what: string;
  onFailure?: (reason: string) => void;
  /** Told a fetch got a JWK Set (after failures, the outage is over). */
  onAnswer?: () => void;
}

/** Freshness when the response has no Cache-Control max-age, and the clamp applied to what it says. */
const DEFAULT_TTL = 600;
const MIN_TTL = 30;
const MAX_TTL = 86_400;
/** If a refresh fails, keys that expired less than this long ago are still used (a provider blip is not an outage). */
const MAX_STALE = 3600;

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * A remote JWK Set (RFC 7517) with the behaviour jose's createRemoteJWKSet lacks: freshness follows the response's
 * Cache-Control max-age (clamped to [30 s, 1 day], 10 min when absent or no-cache), stale keys bridge a failed
 * refresh for up to an hour, and an unknown kid refetches at most once per cooldown interval. Key selection and
 * import stay jose's (createLocalJWKSet: kty/alg/use/key_ops matching, never a symmetric key). docs/adr/0005-federation.md.
 *
 * The same document also names certificates (RFC 8705 §2.2.2: a self_signed_tls_client_auth client registers its
 * certificates with jwks_uri): one fetch keeps both the keys and the certificate thumbprints, under the same
 * freshness rules, and an unknown certificate refetches like an unknown kid.
 */
export class RemoteKeySet {
  private local: LocalSet | undefined;
  /** x5t#S256 thumbprints of the certificates the document names (each key's x5c[0] and x5t#S256). */
  private thumbprints: ReadonlySet<string> = new Set();
  private freshUntil = 0;
  private staleUntil = 0;
  /** One cooldown for both unknown kids and unknown certificates: it protects one upstream document. */
  private lastUnknownFetch = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | undefined;
  /** Number of completed fetches (observability and tests). */
  fetches = 0;

  constructor(
    readonly url: string,
    private readonly opts: KeySetOptions,
    private readonly clockMs: () => number = Date.now,
  ) {}

  private reload(): Promise<void> {
    this.loading ??= this.fetchOnce().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async fetchOnce(): Promise<void> {
    const res = await fetchJson(this.url, { timeoutMs: this.opts.timeoutMs, what: this.opts.what, ...(this.opts.onFailure ? { onFailure: this.opts.onFailure } : {}) });
    this.fetches++;
    if (res.status !== 200) {
      this.opts.onFailure?.(`HTTP ${res.status}`);
      throw remoteUnavailable(this.opts.what);
    }
    let local: LocalSet;
    try {
      local = createLocalJWKSet(res.json as never);
    } catch {
      this.opts.onFailure?.('the response is not a JWK Set');
      throw remoteUnavailable(this.opts.what);
    }
    this.opts.onAnswer?.();
    const thumbprints = jwksCertificateThumbprints(res.json);
    const ttl = Math.min(MAX_TTL, Math.max(MIN_TTL, cacheLifetime(res.headers) ?? DEFAULT_TTL));
    const now = this.clockMs();
    this.local = local;
    this.thumbprints = thumbprints;
    this.freshUntil = now + ttl * 1000;
    this.staleUntil = this.freshUntil + MAX_STALE * 1000;
  }

  /**
   * Makes sure a document is held: loads when there is none or it is past its freshness; a failed refresh is
   * bridged by the document held while it is within the stale grace period. Whether this call saw a fetch complete.
   */
  private async current(): Promise<boolean> {
    if (this.local && this.clockMs() < this.freshUntil) return false;
    try {
      await this.reload();
      return true;
    } catch (err) {
      if (!this.local || this.clockMs() >= this.staleUntil) throw err;
      return false;
    }
  }

  /**
   * After a miss (unknown kid or certificate) in a document not just fetched: whether a refetch happened, so the
   * caller looks again. A refetch under way (another request saw the same new kid) is waited for rather than
   * failed; otherwise one is started unless one was made within the cooldown.
   */
  private async refetchAfterMiss(): Promise<boolean> {
    if (this.loading) {
      await this.loading;
      return true;
    }
    const now = this.clockMs();
    if (now - this.lastUnknownFetch < this.opts.cooldownSeconds * 1000) return false;
    this.lastUnknownFetch = now;
    await this.reload();
    return true;
  }

  /** A jose key resolver (jwtVerify's second argument). */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const justLoaded = await this.current();
    try {
      return await this.local!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || justLoaded) throw err;
      // Upstream may have rotated its keys since we fetched them (RFC 7517 §4.5: kid selects among keys).
      if (!(await this.refetchAfterMiss())) throw err;
      return await this.local!(header, token);
    }
  };

  /**
   * Whether the document names the certificate with this RFC 8705 §3.1 thumbprint (a key's x5c[0] or x5t#S256),
   * under the same freshness rules as getKey. A certificate it does not name refetches at most once per cooldown:
   * a client that just rotated its certificate works at once, a stream of junk certificates does not reach the
   * upstream more often than that. An unreachable document is 503 temporarily_unavailable, as for keys.
   */
  async hasCertificate(thumbprint: string): Promise<boolean> {
    const justLoaded = await this.current();
    if (this.thumbprints.has(thumbprint)) return true;
    if (justLoaded || !(await this.refetchAfterMiss())) return false;
    return this.thumbprints.has(thumbprint);
  }
}

/** The per-process key sets, shared by every provider and client that names the same URL with the same options. */
export class KeySetCache {
  private readonly sets = new Map<string, RemoteKeySet>();

  constructor(
    /** Told which URL failed and why, and which answered (the operator's log: once per state change). */
    private readonly health?: { failed(url: string, reason: string): void; answered(url: string): void },
    private readonly maxEntries = 1000,
  ) {}

  get(url: string, opts: KeySetOptions): RemoteKeySet {
    const key = `${opts.timeoutMs}|${opts.cooldownSeconds}|${url}`;
    let set = this.sets.get(key);
    if (!set) {
      if (this.sets.size >= this.maxEntries) {
        const oldest = this.sets.keys().next().value;
        if (oldest !== undefined) this.sets.delete(oldest);
      }
      const health = this.health;
      set = new RemoteKeySet(url, health && !opts.onFailure ? { ...opts, onFailure: (reason) => health.failed(url, reason), onAnswer: () => health.answered(url) } : opts);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Forgets every key set fetched from `url` (its provider or client changed). */
  drop(url: string): void {
    for (const [k, set] of this.sets) if (set.url === url) this.sets.delete(k);
  }
}
