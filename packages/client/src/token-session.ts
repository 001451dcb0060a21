import { NoSessionError, OAuthError, RefreshResponseLostError, RefreshTokenRejectedError } from './errors.js';
import type { TokenResult } from './types.js';

export interface SessionSource {
  /** Runs the configured grant again, or undefined when there is none. */
  grant: ((signal?: AbortSignal) => Promise<TokenResult>) | undefined;
  refresh(refreshToken: string, signal?: AbortSignal): Promise<TokenResult>;
}

export interface SessionSettings {
  /** Renew this long before expiry (capped at half the token's lifetime so short tokens are still used). */
  refreshSkewSeconds: number;
  /** Assumed lifetime when a response has no expires_in (RFC 6749 §5.1 makes it only RECOMMENDED). */
  defaultExpiresInSeconds: number;
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * The cached token of a TokenClient. One renewal at a time (single flight): every caller that finds the token
 * stale while a renewal runs waits for that renewal. A caller's signal only stops that caller waiting.
 */
export class TokenSession {
  private current: TokenResult | undefined;
  private stale = false;
  private inflight: Promise<TokenResult> | undefined;
  private generation = 0;

  constructor(
    private readonly source: SessionSource,
    private readonly settings: SessionSettings,
  ) {}

  /** When the cached access token should be replaced (ms since the epoch). */
  private renewAt(t: TokenResult, now: number): number {
    const lifetimeMs = (t.expires_in ?? this.settings.defaultExpiresInSeconds) * 1000;
    const expiresAt = t.expiresAt ?? now + lifetimeMs;
    return expiresAt - Math.min(this.settings.refreshSkewSeconds * 1000, lifetimeMs / 2);
  }

  private usable(now: number): TokenResult | undefined {
    const t = this.current;
    if (!t || this.stale) return undefined;
    return now < this.renewAt(t, now) ? t : undefined;
  }

  async get(opts: { signal?: AbortSignal | undefined; forceRefresh?: boolean | undefined } = {}): Promise<TokenResult> {
    if (!opts.forceRefresh) {
      const t = this.usable(Date.now());
      if (t) return t;
    } else if (!this.inflight) {
      this.stale = true;
    }
    this.inflight ??= this.renew().finally(() => (this.inflight = undefined));
    return waitFor(this.inflight, opts.signal);
  }

  private async renew(): Promise<TokenResult> {
    const generation = this.generation;
    const previous = this.current;
    let next: TokenResult;
    if (previous?.refresh_token) {
      try {
        next = await this.source.refresh(previous.refresh_token);
      } catch (err) {
        if (err instanceof OAuthError && err.error === 'invalid_grant') {
          // RFC 9700 §4.14.2: a rejected (possibly replayed) refresh token ends the session; never retry it.
          if (this.generation === generation) this.clear();
          throw new RefreshTokenRejectedError(err);
        }
        if (err instanceof RefreshResponseLostError && this.generation === generation) {
          // The refresh token may be spent: never present it again (that would be reuse). The access token in
          // hand stays usable until it is due for renewal; then the grant runs, or NoSessionError says sign in.
          const { refresh_token: _spent, ...rest } = previous;
          this.current = rest as TokenResult;
        }
        throw err;
      }
      // RFC 6749 §6: without a new refresh token the old one stays valid; with one, the old one is spent.
      if (next.refresh_token === undefined) next = { ...next, refresh_token: previous.refresh_token };
    } else if (this.source.grant) {
      next = await this.source.grant();
    } else {
      throw new NoSessionError();
    }
    if (this.generation === generation) {
      this.current = next;
      this.stale = false;
    }
    return next;
  }

  set(tokens: TokenResult): void {
    this.generation++;
    this.current = tokens;
    this.stale = false;
  }

  /** Keeps the refresh token but makes the next get() renew (e.g. after a resource server said invalid_token). */
  invalidate(): void {
    this.stale = true;
  }

  clear(): void {
    this.generation++;
    this.current = undefined;
    this.stale = false;
  }

  peek(): TokenResult | undefined {
    return this.current;
  }
}
