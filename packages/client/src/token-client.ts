import { ClientAuthenticator, type ClientAuthMethod, type PrivateKeyInput } from './client-auth.js';
import { MetadataCache, type AuthorizationServerMetadata } from './discovery.js';
import { DiscoveryError, OAuthProtocolError, RefreshResponseLostError } from './errors.js';
import { DEFAULT_RETRY, errorFrom, requestMayHaveArrived, retryDelay, send, sleep, type FetchLike, type HttpResult, type HttpSettings, type RetryOptions } from './http.js';
import { TokenSession } from './token-session.js';
import { asksForNonce, DpopKey, DpopNonces } from './dpop.js';
import type { ExchangeParams, IntrospectionResponse, ManagedGrant, RequestOptions, ScopeInput, TargetOptions, TokenResponse, TokenResult } from './types.js';

export interface TokenClientOptions {
  /** The issuer identifier: endpoints come from its RFC 8414 metadata. Give this or tokenEndpoint. */
  issuer?: string;
  tokenEndpoint?: string;
  /** Override or supply (without an issuer) the RFC 7009 / RFC 7662 endpoints. */
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  clientId: string;
  clientSecret?: string;
  /** For private_key_jwt (RFC 7523): a CryptoKey, a private JWK, or a Node KeyObject. */
  privateKey?: PrivateKeyInput;
  privateKeyAlg?: string;
  privateKeyId?: string;
  /** Default: client_secret_basic with a secret, private_key_jwt with a key, none otherwise. */
  authMethod?: ClientAuthMethod;
  /** The grant getAccessToken() runs when it has no refresh token. Default: client_credentials for a confidential client. */
  grant?: ManagedGrant | null;
  fetch?: FetchLike;
  /**
   * Passed to fetch as `dispatcher` (Node's fetch is undici's): an undici `Agent({ connect: { cert, key } })`
   * presents a TLS client certificate, for authMethod tls_client_auth / self_signed_tls_client_auth and
   * certificate-bound access tokens (RFC 8705). The tokens it gets must be used over the same certificate.
   */
  dispatcher?: unknown;
  /**
   * This client presents a TLS client certificate (through `dispatcher` or `fetch`), so it sends to the metadata's
   * `mtls_endpoint_aliases` when there are any (RFC 8705 §5). Default: true with authMethod tls_client_auth or
   * self_signed_tls_client_auth; set it for certificate-bound tokens with another authMethod (client_secret_*,
   * private_key_jwt), which must go to the aliases too.
   */
  mtls?: boolean;
  /** Per attempt, including reading the body. Default 10 s. */
  timeoutMs?: number;
  /** Retries of 429 / 503 answers; `false` disables them. */
  retry?: RetryOptions | false;
  /**
   * Send a refresh whose answer was lost again, with the same refresh token, while the server still counts it as
   * a retry: `reuseIntervalSeconds` must be the client's `refresh_reuse_interval` on the server. Without it (the
   * default, matching the server's default of 0) a lost refresh is never sent again: RefreshResponseLostError.
   */
  refreshRetry?: { reuseIntervalSeconds: number };
  /** Renew cached tokens this long before they expire. Default 30 s (at most half a token's lifetime). */
  refreshSkewSeconds?: number;
  /** Assumed lifetime of a token response without expires_in. Default 300 s. */
  defaultExpiresInSeconds?: number;
  /**
   * DPoP (RFC 9449): `true` makes a non-extractable ES256 key on first use, or give your own DpopKey. Every token
   * request then carries a proof (so tokens come back bound, token_type DPoP), a use_dpop_nonce answer is retried
   * once with the server's nonce, and refreshes prove the same key (a public client's refresh token is bound to it).
   */
  dpop?: boolean | DpopKey;
}

type Endpoint = 'token_endpoint' | 'revocation_endpoint' | 'introspection_endpoint';

function scopeString(scope: ScopeInput | undefined): string | undefined {
  if (scope === undefined) return undefined;
  const s = typeof scope === 'string' ? scope.trim() : scope.join(' ');
  return s === '' ? undefined : s;
}

function list(v: string | readonly string[] | undefined): readonly string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

/**
 * An OAuth 2.0 client for Tessera (or any RFC 6749 server): one method per grant, RFC 7009 revocation,
 * RFC 7662 introspection, and a managed, cached token via getAccessToken().
 */
export class TokenClient {
  private readonly http: HttpSettings;
  private readonly auth: ClientAuthenticator;
  private readonly metadata: MetadataCache | undefined;
  private readonly session: TokenSession;
  private readonly grant: ManagedGrant | null;
  private dpopKey: Promise<DpopKey> | undefined;
  /** Nonces servers gave this client (token endpoint and resource servers), per origin. */
  readonly dpopNonces = new DpopNonces();

  constructor(private readonly options: TokenClientOptions) {
    if (!options.clientId) throw new TypeError('clientId is required');
    if (!options.issuer && !options.tokenEndpoint) throw new TypeError('give issuer (for RFC 8414 discovery) or tokenEndpoint');
    const retry = options.retry === false ? { ...DEFAULT_RETRY, maxRetries: 0 } : { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
    const baseFetch = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
    const dispatcher = options.dispatcher;
    const fetchImpl: FetchLike = dispatcher === undefined ? baseFetch : (input, init) => baseFetch(input, { ...init, dispatcher } as RequestInit);
    if ((options.authMethod === 'tls_client_auth' || options.authMethod === 'self_signed_tls_client_auth') && dispatcher === undefined && options.fetch === undefined) {
      throw new TypeError(`authMethod ${options.authMethod} needs a dispatcher that presents the client certificate (or a fetch that does)`);
    }
    this.http = { fetch: fetchImpl, timeoutMs: options.timeoutMs ?? 10_000, retry };
    this.auth = new ClientAuthenticator(options);
    this.metadata = options.issuer ? new MetadataCache(this.http, options.issuer) : undefined;
    if (options.dpop instanceof DpopKey) this.dpopKey = Promise.resolve(options.dpop);
    this.grant = options.grant !== undefined ? options.grant : this.auth.method === 'none' ? null : { type: 'client_credentials' };
    this.session = new TokenSession(
      { grant: this.grant ? (signal) => this.runGrant(this.grant!, signal) : undefined, refresh: (rt, signal) => this.refresh(rt, { signal }) },
      { refreshSkewSeconds: options.refreshSkewSeconds ?? 30, defaultExpiresInSeconds: options.defaultExpiresInSeconds ?? 300 },
    );
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /** The DPoP key (made on first use with `dpop: true`); undefined when DPoP is off. */
  dpop(): Promise<DpopKey> | undefined {
    if (this.dpopKey === undefined && this.options.dpop === true) {
      this.dpopKey = DpopKey.generate();
      this.dpopKey.catch(() => (this.dpopKey = undefined));
    }
    return this.dpopKey;
  }

  /**
   * Headers for a request to a resource server with the managed token: `Authorization: DPoP <token>` and a proof
   * bound to it (ath, with the server's last nonce) for a DPoP-bound token, else `Authorization: Bearer <token>`.
   */
  async authorizationHeaders(method: string, url: string, opts: RequestOptions = {}): Promise<Record<string, string>> {
    const tokens = await this.session.get(opts);
    const key = this.dpop();
    const bound = tokens.token_type.toLowerCase() === 'dpop';
    // RFC 9449 §7.1: a DPoP-bound token goes in the DPoP scheme with a proof; sent as Bearer it is refused (and
    // shown to a server that should not see it unproven). A Bearer token stays Bearer even with DPoP on (§5).
    if (bound && key === undefined) throw new TypeError('the token is DPoP-bound (token_type DPoP) but this client has no DPoP key: configure dpop');
    if (key === undefined || !bound) return { authorization: `Bearer ${tokens.access_token}` };
    const nonce = this.dpopNonces.get(url);
    const proof = await (await key).proof({ method, url, accessToken: tokens.access_token, ...(nonce !== undefined ? { nonce } : {}) });
    return { authorization: `DPoP ${tokens.access_token}`, dpop: proof };
  }

  /**
   * fetch() for a resource server with the managed token (authorizationHeaders); a 401 asking for a DPoP nonce
   * (RFC 9449 §9) is sent again once with it. The body must be replayable (a string, not a stream).
   */
  async fetchResource(url: string, init: RequestInit = {}): Promise<Response> {
    const method = init.method ?? 'GET';
    for (let attempt = 0; ; attempt++) {
      const headers = new Headers(init.headers);
      for (const [k, v] of Object.entries(await this.authorizationHeaders(method, url))) headers.set(k, v);
      const res = await this.http.fetch(url, { ...init, method, headers });
      if (this.dpopKey !== undefined) this.dpopNonces.remember(url, res.headers);
      if (attempt > 0 || !asksForNonce(res.status, res.headers, undefined)) return res;
    }
  }

  /** The RFC 8414 metadata (only with an issuer). Discovered once, on first use. */
  discover(): Promise<AuthorizationServerMetadata> {
    if (!this.metadata) return Promise.reject(new DiscoveryError('no issuer configured'));
    return this.metadata.get();
  }

  private async endpoint(name: Endpoint): Promise<string> {
    const explicit = { token_endpoint: this.options.tokenEndpoint, revocation_endpoint: this.options.revocationEndpoint, introspection_endpoint: this.options.introspectionEndpoint }[name];
    if (explicit) return explicit;
    if (!this.metadata) throw new DiscoveryError(`no ${name} configured and no issuer to discover it from`);
    const metadata = await this.metadata.get();
    // RFC 8705 §5: "An OAuth client intending to do mutual TLS (for OAuth client authentication and/or to acquire or
    // use certificate-bound tokens) ... MUST use the alias URL of the endpoint within the mtls_endpoint_aliases".
    const mtls = this.options.mtls ?? (this.auth.method === 'tls_client_auth' || this.auth.method === 'self_signed_tls_client_auth');
    const alias = mtls ? metadata.mtls_endpoint_aliases?.[name] : undefined;
    const url = typeof alias === 'string' ? alias : metadata[name];
    if (typeof url !== 'string') throw new DiscoveryError(`the authorization server metadata has no ${name}`);
    return url;
  }

  /** POSTs an authenticated form (RFC 6749 §3.2, RFC 7009 §2.1, RFC 7662 §2.1) with retries. */
  private async post(name: Endpoint, params: URLSearchParams, signal?: AbortSignal, http = this.http): Promise<{ url: string; result: HttpResult }> {
    const url = await this.endpoint(name);
    const audience = name === 'token_endpoint' ? url : await this.endpoint('token_endpoint');
    // RFC 9449 §5: proofs go to the token endpoint only; each attempt (a retry included) gets a fresh one.
    const key = name === 'token_endpoint' ? this.dpop() : undefined;
    const result = await send(
      http,
      url,
      async () => {
        const { headers, params: authParams } = await this.auth.apply(audience);
        const body = new URLSearchParams(params);
        for (const [k, v] of Object.entries(authParams)) body.set(k, v);
        const nonce = this.dpopNonces.get(url);
        const dpop: Record<string, string> = key === undefined ? {} : { dpop: await (await key).proof({ method: 'POST', url, ...(nonce !== undefined ? { nonce } : {}) }) };
        return { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers, ...dpop }, body: body.toString() };
      },
      signal,
      // RFC 9449 §8.2: a DPoP-Nonce on any answer (a retried 429/503 too) goes into the next token request's proof.
      key === undefined ? undefined : (r) => this.dpopNonces.remember(url, r.headers),
    );
    return { url, result };
  }

  /** Sends a token request and validates the RFC 6749 §5.1 response. */
  requestToken(params: Record<string, string | readonly string[] | undefined>, opts: RequestOptions = {}): Promise<TokenResult> {
    return this.tokenRequest(params, opts, this.http);
  }

  private async tokenRequest(params: Record<string, string | readonly string[] | undefined>, opts: RequestOptions, http: HttpSettings): Promise<TokenResult> {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) for (const item of v === undefined ? [] : list(v)) form.append(k, item);
    const started = Date.now();
    let { url, result } = await this.post('token_endpoint', form, opts.signal, http);
    // RFC 9449 §8: the server wants its nonce in the proof; it just gave it (remembered by post): once more.
    if (this.dpopKey !== undefined && asksForNonce(result.status, result.headers, result.body)) ({ url, result } = await this.post('token_endpoint', form, opts.signal, http));
    if (result.status < 200 || result.status > 299) throw errorFrom(url, result);
    const b = result.body as Record<string, unknown> | undefined;
    const bad = (why: string) => new OAuthProtocolError(`invalid token response from ${url}: ${why}`, result.status, result.requestId);
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw bad('not a JSON object');
    if (typeof b.access_token !== 'string' || b.access_token === '') throw bad('no access_token');
    if (typeof b.token_type !== 'string') throw bad('no token_type');
    // RFC 9449 §5: token_type DPoP (case-insensitive) says the token is bound to the key of the request's proof. A
    // request without a proof cannot have been bound: the client could not use it (Bearer is refused for it).
    // Bearer to a DPoP request is allowed (§5: the server may decline to bind the access token) and used as Bearer.
    if (b.token_type.toLowerCase() === 'dpop' && this.dpopKey === undefined) throw bad('token_type DPoP, but the request carried no DPoP proof');
    let expiresIn: number | undefined;
    if (b.expires_in !== undefined && b.expires_in !== null) {
      expiresIn = typeof b.expires_in === 'string' ? Number(b.expires_in) : (b.expires_in as number);
      if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn < 0) throw bad('expires_in is not a non-negative number');
    }
    if (b.refresh_token !== undefined && typeof b.refresh_token !== 'string') throw bad('refresh_token is not a string');
    if (b.scope !== undefined && typeof b.scope !== 'string') throw bad('scope is not a string');
    const response = { ...b, expires_in: expiresIn } as TokenResponse;
    if (expiresIn === undefined) delete response.expires_in;
    return { ...response, expiresAt: expiresIn === undefined ? undefined : started + expiresIn * 1000 };
  }

  /** RFC 6749 §4.4. */
  clientCredentials(p: { scope?: ScopeInput; audience?: string | readonly string[]; resource?: string | readonly string[] } & RequestOptions = {}): Promise<TokenResult> {
    return this.requestToken({ grant_type: 'client_credentials', scope: scopeString(p.scope), audience: p.audience, resource: p.resource }, p);
  }

  /** RFC 6749 §4.3 (legacy; RFC 9700 §2.4 advises against it for new deployments). */
  password(p: { username: string; password: string; scope?: ScopeInput } & TargetOptions & RequestOptions): Promise<TokenResult> {
    return this.requestToken({ grant_type: 'password', username: p.username, password: p.password, scope: scopeString(p.scope), audience: p.audience, resource: p.resource }, p);
  }

  /**
   * RFC 6749 §6. The server may rotate the refresh token: always keep the one in the result.
   *
   * A refresh whose answer is lost (the request may have arrived: a connection broken after sending, a timeout)
   * is not sent again, since the server may have rotated the token and would take a second presentation for
   * reuse and revoke the family (RFC 9700 §4.14.2): it throws RefreshResponseLostError. With `refreshRetry`
   * (the server's reuse interval for this client) it is sent again, with the usual backoff and `retry.maxRetries`,
   * as long as each attempt ends inside that interval, counted from the first attempt. 429 and 503 answers are
   * retried as for every request (the server did not rotate).
   */
  async refresh(refreshToken: string, p: { scope?: ScopeInput } & TargetOptions & RequestOptions = {}): Promise<TokenResult> {
    // RFC 8707 §2.2: resource / audience narrow this access token within what the refresh token was granted.
    const params = { grant_type: 'refresh_token', refresh_token: refreshToken, scope: scopeString(p.scope), audience: p.audience, resource: p.resource };
    const started = Date.now();
    // The server measures its interval in whole seconds from the rotation, which came after `started`: ending each
    // attempt a second before the interval ends keeps it a retry whatever the rounding.
    const deadline = started + (this.options.refreshRetry?.reuseIntervalSeconds ?? 0) * 1000 - 1000;
    let http = this.http;
    for (let n = 0; ; n++) {
      try {
        return await this.tokenRequest(params, p, http);
      } catch (err) {
        if (!requestMayHaveArrived(err)) throw err;
        const delay = retryDelay(n, undefined, this.http.retry);
        if (delay === undefined || Date.now() + delay >= deadline) throw new RefreshResponseLostError(err);
        await sleep(delay, p.signal);
        // This attempt must end (answer or abort) before the interval does.
        http = { ...this.http, timeoutMs: Math.min(this.http.timeoutMs, deadline - Date.now()) };
        if (http.timeoutMs <= 0) throw new RefreshResponseLostError(err);
      }
    }
  }

  /** RFC 8693 token exchange. */
  exchange(p: ExchangeParams): Promise<TokenResult> {
    return this.requestToken(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: p.subjectToken,
        subject_token_type: p.subjectTokenType,
        actor_token: p.actorToken,
        actor_token_type: p.actorTokenType,
        audience: p.audience,
        resource: p.resource,
        scope: scopeString(p.scope),
        requested_token_type: p.requestedTokenType,
      },
      p,
    );
  }

  /** Tessera's organization token (the Cobo `org_implicit` grant), as a standard form POST. */
  orgToken(p: { orgId: string; scope?: ScopeInput } & TargetOptions & RequestOptions): Promise<TokenResult> {
    return this.requestToken({ grant_type: 'org_implicit', org_id: p.orgId, scope: scopeString(p.scope), audience: p.audience, resource: p.resource }, p);
  }

  /** RFC 7009. Also forgets the managed session when it holds this token. */
  async revoke(token: string, hint?: 'access_token' | 'refresh_token', opts: RequestOptions = {}): Promise<void> {
    const form = new URLSearchParams({ token });
    if (hint) form.set('token_type_hint', hint);
    const current = this.session.peek();
    if (current && (current.access_token === token || current.refresh_token === token)) this.session.clear();
    const { url, result } = await this.post('revocation_endpoint', form, opts.signal);
    // RFC 7009 §2.2: 200 whether or not the token was valid.
    if (result.status !== 200) throw errorFrom(url, result);
  }

  /** RFC 7662. */
  async introspect(token: string, hint?: 'access_token' | 'refresh_token', opts: RequestOptions = {}): Promise<IntrospectionResponse> {
    const form = new URLSearchParams({ token });
    if (hint) form.set('token_type_hint', hint);
    const { url, result } = await this.post('introspection_endpoint', form, opts.signal);
    if (result.status !== 200) throw errorFrom(url, result);
    const b = result.body as Record<string, unknown> | undefined;
    if (!b || typeof b !== 'object' || typeof b.active !== 'boolean') throw new OAuthProtocolError(`invalid introspection response from ${url}`, result.status, result.requestId);
    return b as IntrospectionResponse;
  }

  private runGrant(g: ManagedGrant, signal?: AbortSignal): Promise<TokenResult> {
    switch (g.type) {
      case 'client_credentials':
        return this.clientCredentials({ ...g, ...(signal ? { signal } : {}) });
      case 'org_implicit':
        return this.orgToken({ ...g, ...(signal ? { signal } : {}) });
      case 'token_exchange':
        return this.exchange({ ...g, ...(signal ? { signal } : {}) });
    }
  }

  /**
   * A valid access token: the cached one, or a new one (refresh token when there is one, else the managed grant),
   * renewed `refreshSkewSeconds` ahead of expiry. Concurrent callers share one request.
   */
  async getAccessToken(opts: RequestOptions & { forceRefresh?: boolean } = {}): Promise<string> {
    return (await this.session.get(opts)).access_token;
  }

  /** Like getAccessToken() but the whole token result (scope, refresh token, expiry). */
  getTokenSet(opts: RequestOptions & { forceRefresh?: boolean } = {}): Promise<TokenResult> {
    return this.session.get(opts);
  }

  /** Makes getAccessToken() manage these tokens, e.g. `client.setTokens(await client.password({...}))`. */
  setTokens(tokens: TokenResult): void {
    this.session.set(tokens);
  }

  /** Renew on the next getAccessToken() (keeps the refresh token): use when a resource server rejects the token. */
  invalidate(): void {
    this.session.invalidate();
  }

  /** Forgets the cached tokens. */
  clearTokens(): void {
    this.session.clear();
  }
}
