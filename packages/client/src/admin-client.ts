import { AdminApiError, problemFrom } from './admin-error.js';
import { DEFAULT_RETRY, send, type FetchLike, type HttpResult, type HttpSettings, type RetryOptions } from './http.js';
import type { TokenClient } from './token-client.js';
import type {
  AdminClientCreated,
  AdminClientFields,
  AdminClientPatch,
  AdminClientView,
  AdminUserCreate,
  AdminUserCreated,
  AdminUserPatch,
  AdminUserView,
  ApiKeyView,
  ClientSessionsRevoked,
  EventQuery,
  EventView,
  FamilyView,
  IdentityProviderFields,
  IdentityProviderPatch,
  IdentityProviderView,
  InstallationCreate,
  InstallationPatch,
  InstallationView,
  ListOptions,
  OrganizationFields,
  OrganizationPatch,
  OrganizationView,
  Page,
  PasswordSet,
  SecretRotated,
  SigningAlg,
  SigningKeyView,
  Tagged,
  UserListFilter,
  UserSessionsRevoked,
  WriteOptions,
} from './admin-types.js';

export interface AdminClientOptions {
  /** The issuer, or the admin listener's URL (`--admin-listen`); `/admin/v1` is appended unless already there. */
  baseUrl: string;
  /** Gets the bearer token (client_credentials with scope `tessera:admin`, or `tessera:admin:read` to read only) and caches it. */
  tokenClient: TokenClient;
  fetch?: FetchLike;
  /** Per attempt, including reading the body. Default 10 s. */
  timeoutMs?: number;
  /** Retries of 429 / 503 answers (the server did not act on them); `false` disables them. */
  retry?: RetryOptions | false;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Query = Record<string, string | number | undefined>;
interface Call {
  query?: Query | undefined;
  body?: unknown;
  /** PATCH bodies are RFC 7396 merge patches. */
  contentType?: string;
  etag?: string | undefined;
  signal?: AbortSignal | undefined;
}

const seg = encodeURIComponent;

/**
 * Every page of a list, fetched as it is consumed: `for await (const c of admin.clients.list())` walks the items,
 * `.pages()` the pages. The server's cursor points after the last id seen, so records created or deleted while
 * walking neither repeat nor shift the pages.
 */
export class Paginated<T> implements AsyncIterable<T> {
  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>, private readonly start: string | undefined) {}

  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let cursor = this.start;
    for (;;) {
      const page = await this.fetchPage(cursor);
      yield page;
      if (page.next === null || page.next === undefined) return;
      cursor = page.next;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every item, in one array (for short lists). */
  async all(): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this) out.push(item);
    return out;
  }
}

/**
 * A typed client of Tessera's admin API (/admin/v1, docs/admin-api.md), authenticated by Tessera's own access
 * token: the TokenClient gets it (client_credentials) and caches it until shortly before it expires. Refusals
 * throw AdminApiError with the RFC 9457 problem. Writes that take `If-Match` take an optional `etag` (from a
 * get or patch), and a stale one is refused with status 412.
 */
export class AdminClient {
  private readonly base: string;
  private readonly http: HttpSettings;
  private readonly tokens: TokenClient;

  constructor(options: AdminClientOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    if (!options.tokenClient) throw new TypeError('tokenClient is required');
    const trimmed = options.baseUrl.replace(/\/+$/, '');
    this.base = trimmed.endsWith('/admin/v1') ? trimmed : `${trimmed}/admin/v1`;
    const retry = options.retry === false ? { ...DEFAULT_RETRY, maxRetries: 0 } : { ...DEFAULT_RETRY, ...(options.retry ?? {}) };
    this.http = { fetch: options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init)), timeoutMs: options.timeoutMs ?? 10_000, retry };
    this.tokens = options.tokenClient;
  }

  /** Sends one request; a 401 (the cached token revoked or expired early) gets one new token and one more try. */
  private async request(method: Method, path: string, call: Call = {}): Promise<HttpResult> {
    let url = this.base + path;
    const query = Object.entries(call.query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
    if (query.length > 0) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}`;
    const once = async (forceRefresh: boolean): Promise<HttpResult> => {
      const token = await this.tokens.getAccessToken({ forceRefresh, ...(call.signal ? { signal: call.signal } : {}) });
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json, application/problem+json' };
      if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json';
      if (call.etag !== undefined) headers['if-match'] = call.etag;
      const body = call.body === undefined ? undefined : JSON.stringify(call.body);
      return send(this.http, url, () => ({ method, headers, ...(body === undefined ? {} : { body }) }), call.signal);
    };
    let result = await once(false);
    if (result.status === 401) result = await once(true);
    if (result.status >= 400) throw new AdminApiError(problemFrom(result.status, result.body), result.requestId);
    return result;
  }

  private async json<T>(method: Method, path: string, call?: Call): Promise<T> {
    return (await this.request(method, path, call)).body as T;
  }

  private async tagged<T>(method: Method, path: string, call?: Call): Promise<Tagged<T>> {
    const r = await this.request(method, path, call);
    return { value: r.body as T, etag: r.headers.get('etag') ?? undefined };
  }

  private paginated<T>(path: string, opts: ListOptions & { signal?: AbortSignal } = {}, filter: Query = {}): Paginated<T> {
    return new Paginated<T>((cursor) => this.json<Page<T>>('GET', path, { query: { ...filter, limit: opts.limit, cursor }, signal: opts.signal }), opts.cursor);
  }

  private patchCall(body: unknown, opts: WriteOptions): Call {
    return { body, contentType: 'application/merge-patch+json', etag: opts.etag, signal: opts.signal };
  }

  private async none(method: Method, path: string, call?: Call): Promise<void> {
    await this.request(method, path, call);
  }

  readonly clients = {
    /** `search`: only clients whose client_id or name contains it (case-insensitive). */
    list: (opts: ListOptions & { search?: string; signal?: AbortSignal } = {}): Paginated<AdminClientView> => this.paginated('/clients', opts, { q: opts.search }),
    /** 201 with the stored client and, for a secret auth method, the `client_secret` shown this once. */
    create: (fields: AdminClientFields, opts: { signal?: AbortSignal } = {}): Promise<AdminClientCreated> => this.json('POST', '/clients', { body: fields, signal: opts.signal }),
    get: (id: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<AdminClientView>> => this.tagged('GET', `/clients/${seg(id)}`, { signal: opts.signal }),
    patch: (id: string, patch: AdminClientPatch, opts: WriteOptions = {}): Promise<Tagged<AdminClientView>> => this.tagged('PATCH', `/clients/${seg(id)}`, this.patchCall(patch, opts)),
    delete: (id: string, opts: WriteOptions = {}): Promise<void> => this.none('DELETE', `/clients/${seg(id)}`, { etag: opts.etag, signal: opts.signal }),
    /**
     * The new secret, shown this once. The old one stops working, unless `keepOldFor` (seconds, or "90m", "24h",
     * "7d"; at most 90 days) keeps it working beside the new one for that long; a 409 while an earlier kept secret
     * is still live (remove it with removeSecret first).
     */
    rotateSecret: (id: string, opts: { keepOldFor?: number | string; signal?: AbortSignal } = {}): Promise<SecretRotated> =>
      this.json('POST', `/clients/${seg(id)}/secret`, { ...(opts.keepOldFor !== undefined ? { body: { keep_old_for: opts.keepOldFor } } : {}), signal: opts.signal }),
    /** Ends the secret a rotation kept for an overlap before its time; the current secret cannot be removed (409). */
    removeSecret: (id: string, secretId: string, opts: { signal?: AbortSignal } = {}): Promise<void> => this.none('DELETE', `/clients/${seg(id)}/secrets/${seg(secretId)}`, { signal: opts.signal }),
    families: (id: string, opts?: ListOptions & { signal?: AbortSignal }): Paginated<FamilyView> => this.paginated(`/clients/${seg(id)}/families`, opts),
    /** Revokes every refresh-token family of the client; it stays active. */
    revokeSessions: (id: string, opts: { signal?: AbortSignal } = {}): Promise<ClientSessionsRevoked> => this.json('POST', `/clients/${seg(id)}/revoke-sessions`, { signal: opts.signal }),
    apiKeys: {
      list: async (id: string, opts: { signal?: AbortSignal } = {}): Promise<ApiKeyView[]> => (await this.json<{ items: ApiKeyView[] }>('GET', `/clients/${seg(id)}/api-keys`, { signal: opts.signal })).items,
      /** An Ed25519 (64 hex) or compressed secp256k1 (66 hex) public key. */
      add: (id: string, publicKey: string, opts: { signal?: AbortSignal } = {}): Promise<ApiKeyView> => this.json('POST', `/clients/${seg(id)}/api-keys`, { body: { public_key: publicKey }, signal: opts.signal }),
      remove: (id: string, publicKey: string, opts: { signal?: AbortSignal } = {}): Promise<void> => this.none('DELETE', `/clients/${seg(id)}/api-keys/${seg(publicKey)}`, { signal: opts.signal }),
    },
  };

  readonly users = {
    list: (opts: ListOptions & UserListFilter & { signal?: AbortSignal } = {}): Paginated<AdminUserView> => this.paginated('/users', opts, { username: opts.username, email: opts.email, status: opts.status }),
    /** Without password or password_hash one is generated and returned this once as `password`. */
    create: (fields: AdminUserCreate, opts: { signal?: AbortSignal } = {}): Promise<AdminUserCreated> => this.json('POST', '/users', { body: fields, signal: opts.signal }),
    get: (id: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<AdminUserView>> => this.tagged('GET', `/users/${seg(id)}`, { signal: opts.signal }),
    patch: (id: string, patch: AdminUserPatch, opts: WriteOptions = {}): Promise<Tagged<AdminUserView>> => this.tagged('PATCH', `/users/${seg(id)}`, this.patchCall(patch, opts)),
    delete: (id: string, opts: WriteOptions = {}): Promise<void> => this.none('DELETE', `/users/${seg(id)}`, { etag: opts.etag, signal: opts.signal }),
    /** No password: one is generated and returned once. Signs the user out everywhere unless `keep_sessions`. */
    setPassword: (id: string, body: { password?: string; keep_sessions?: boolean } = {}, opts: { signal?: AbortSignal } = {}): Promise<PasswordSet> => this.json('POST', `/users/${seg(id)}/password`, { body, signal: opts.signal }),
    revokeSessions: (id: string, opts: { signal?: AbortSignal } = {}): Promise<UserSessionsRevoked> => this.json('POST', `/users/${seg(id)}/revoke-sessions`, { signal: opts.signal }),
    families: (id: string, opts?: ListOptions & { signal?: AbortSignal }): Paginated<FamilyView> => this.paginated(`/users/${seg(id)}/families`, opts),
  };

  readonly families = {
    /** Revokes one sign-in session (409 if already revoked). */
    revoke: (familyId: string, opts: { signal?: AbortSignal } = {}): Promise<void> => this.none('DELETE', `/families/${seg(familyId)}`, { signal: opts.signal }),
  };

  readonly organizations = {
    list: (opts?: ListOptions & { signal?: AbortSignal }): Paginated<OrganizationView> => this.paginated('/organizations', opts),
    create: (fields: OrganizationFields, opts: { signal?: AbortSignal } = {}): Promise<OrganizationView> => this.json('POST', '/organizations', { body: fields, signal: opts.signal }),
    get: (id: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<OrganizationView>> => this.tagged('GET', `/organizations/${seg(id)}`, { signal: opts.signal }),
    patch: (id: string, patch: OrganizationPatch, opts: WriteOptions = {}): Promise<Tagged<OrganizationView>> => this.tagged('PATCH', `/organizations/${seg(id)}`, this.patchCall(patch, opts)),
    /** 409 while it has installations, unless `cascade` (they go too, their refresh tokens stop working). */
    delete: (id: string, opts: WriteOptions & { cascade?: boolean } = {}): Promise<void> => this.none('DELETE', `/organizations/${seg(id)}`, { query: { cascade: opts.cascade ? 'true' : undefined }, etag: opts.etag, signal: opts.signal }),
    installations: {
      list: (orgId: string, opts?: ListOptions & { signal?: AbortSignal }): Paginated<InstallationView> => this.paginated(`/organizations/${seg(orgId)}/installations`, opts),
      create: (orgId: string, body: InstallationCreate, opts: { signal?: AbortSignal } = {}): Promise<InstallationView> => this.json('POST', `/organizations/${seg(orgId)}/installations`, { body, signal: opts.signal }),
      get: (orgId: string, clientId: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<InstallationView>> => this.tagged('GET', `/organizations/${seg(orgId)}/installations/${seg(clientId)}`, { signal: opts.signal }),
      patch: (orgId: string, clientId: string, patch: InstallationPatch, opts: WriteOptions = {}): Promise<Tagged<InstallationView>> => this.tagged('PATCH', `/organizations/${seg(orgId)}/installations/${seg(clientId)}`, this.patchCall(patch, opts)),
      revoke: (orgId: string, clientId: string, opts: WriteOptions = {}): Promise<InstallationView> => this.json('POST', `/organizations/${seg(orgId)}/installations/${seg(clientId)}/revoke`, { etag: opts.etag, signal: opts.signal }),
      /** Deletes the installation; its refresh tokens stop working at once. */
      delete: (orgId: string, clientId: string, opts: WriteOptions = {}): Promise<void> => this.none('DELETE', `/organizations/${seg(orgId)}/installations/${seg(clientId)}`, { etag: opts.etag, signal: opts.signal }),
    },
  };

  readonly identityProviders = {
    list: (opts?: ListOptions & { signal?: AbortSignal }): Paginated<IdentityProviderView> => this.paginated('/identity-providers', opts),
    /** Secrets are taken in clear, stored sealed and read back as "(sealed)". */
    create: (fields: IdentityProviderFields, opts: { signal?: AbortSignal } = {}): Promise<IdentityProviderView> => this.json('POST', '/identity-providers', { body: fields, signal: opts.signal }),
    get: (name: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<IdentityProviderView>> => this.tagged('GET', `/identity-providers/${seg(name)}`, { signal: opts.signal }),
    /** Merge patch; an absent secret keeps the stored one; `name` and `type` cannot change. */
    patch: (name: string, patch: IdentityProviderPatch, opts: WriteOptions = {}): Promise<Tagged<IdentityProviderView>> => this.tagged('PATCH', `/identity-providers/${seg(name)}`, this.patchCall(patch, opts)),
    delete: (name: string, opts: WriteOptions = {}): Promise<void> => this.none('DELETE', `/identity-providers/${seg(name)}`, { etag: opts.etag, signal: opts.signal }),
  };

  /**
   * The audit trail (`GET /events`, tessera:admin:read suffices), oldest first, page by page as it is consumed:
   * `for await (const e of admin.events({ type: 'refresh.reuse_detected', since: new Date(Date.now() - 3600_000) }))`.
   * The walk ends at the last page; a malformed filter is an AdminApiError with status 400.
   */
  events(query: EventQuery & ListOptions & { signal?: AbortSignal } = {}): Paginated<EventView> {
    const instant = (d: Date | string | undefined): string | undefined => (d instanceof Date ? d.toISOString() : d);
    return this.paginated('/events', query, { type: query.type, client_id: query.clientId, subject: query.subject, since: instant(query.since), until: instant(query.until) });
  }

  readonly keys = {
    /** Active first, then newest; public parts only. Not paged (the list is short). */
    list: async (opts: { signal?: AbortSignal } = {}): Promise<SigningKeyView[]> => (await this.json<{ items: SigningKeyView[] }>('GET', '/keys', { signal: opts.signal })).items,
    get: (kid: string, opts: { signal?: AbortSignal } = {}): Promise<Tagged<SigningKeyView>> => this.tagged('GET', `/keys/${seg(kid)}`, { signal: opts.signal }),
    /** A new active key (default alg: the server's signingAlg); the old one is retired and stays published until its tokens expire. */
    rotate: (opts: { alg?: SigningAlg; signal?: AbortSignal } = {}): Promise<SigningKeyView> => this.json('POST', '/keys/rotate', { ...(opts.alg ? { body: { alg: opts.alg } } : {}), signal: opts.signal }),
    /** Retires one of several active keys without rotating (409 for the only active one); it stays published until its tokens expire. */
    retire: (kid: string, opts: WriteOptions = {}): Promise<SigningKeyView> => this.json('POST', `/keys/${seg(kid)}/retire`, { etag: opts.etag, signal: opts.signal }),
  };
}
