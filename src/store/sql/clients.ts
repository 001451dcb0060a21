import type { Client, ClientPatch, ClientStore, ClientUpdateCondition, DelegationPolicy, IfVersion, NewClient } from '../types.js';
import { ConflictError, isUniqueViolation, VersionConflictError } from '../errors.js';
import { revokeFamiliesWhere } from './refresh-tokens.js';
import type { ClientRow } from './schema.js';
import { sql } from 'kysely';
import { fromJson, num, numOrNull, nowSeconds, splitScope, toJson, type SqlContext } from './context.js';

function clientFromRow(r: ClientRow): Client {
  return {
    clientId: r.client_id,
    name: r.name,
    secretHash: r.secret_hash,
    secretEncrypted: r.secret_encrypted,
    secretExpiresAt: numOrNull(r.secret_expires_at),
    secretLastUsedAt: numOrNull(r.secret_last_used_at),
    previousSecretHash: r.previous_secret_hash,
    previousSecretEncrypted: r.previous_secret_encrypted,
    previousSecretExpiresAt: numOrNull(r.previous_secret_expires_at),
    previousSecretLastUsedAt: numOrNull(r.previous_secret_last_used_at),
    tokenEndpointAuthMethod: r.token_endpoint_auth_method as Client['tokenEndpointAuthMethod'],
    grantTypes: JSON.parse(r.grant_types) as string[],
    scope: splitScope(r.scope),
    defaultScope: r.default_scope === null ? null : splitScope(r.default_scope),
    audience: fromJson<string[]>(r.audience),
    accessTokenTtl: num(r.access_token_ttl),
    accessTokenFormat: r.access_token_format as Client['accessTokenFormat'],
    refreshTokenTtl: numOrNull(r.refresh_token_ttl),
    refreshIdleTtl: numOrNull(r.refresh_idle_ttl),
    refreshReuseInterval: num(r.refresh_reuse_interval),
    introspectAny: num(r.introspect_any) === 1,
    jwks: fromJson<unknown>(r.jwks),
    jwksUri: r.jwks_uri,
    rateLimit: fromJson<Client['rateLimit']>(r.rate_limit),
    delegation: fromJson<DelegationPolicy>(r.delegation),
    allowedOrigins: fromJson<string[]>(r.allowed_origins),
    allowedResources: fromJson<string[]>(r.allowed_resources),
    metadata: fromJson<Record<string, unknown>>(r.metadata),
    claims: fromJson<Record<string, unknown>>(r.claims),
    tokenHook: r.token_hook as Client['tokenHook'],
    tlsClientAuthSubjectDn: r.tls_client_auth_subject_dn,
    tlsClientAuthSanDns: r.tls_client_auth_san_dns,
    tlsClientAuthSanUri: r.tls_client_auth_san_uri,
    tlsClientAuthSanIp: r.tls_client_auth_san_ip,
    tlsClientAuthSanEmail: r.tls_client_auth_san_email,
    tlsClientCertificateBoundAccessTokens: num(r.tls_client_certificate_bound_access_tokens) === 1,
    dpopBoundAccessTokens: num(r.dpop_bound_access_tokens) === 1,
    status: r.status as Client['status'],
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

function columns(c: Partial<NewClient>): Partial<ClientRow> {
  const row: Partial<ClientRow> = {};
  if (c.name !== undefined) row.name = c.name;
  if (c.secretHash !== undefined) row.secret_hash = c.secretHash;
  if (c.secretEncrypted !== undefined) row.secret_encrypted = c.secretEncrypted;
  if (c.secretExpiresAt !== undefined) row.secret_expires_at = c.secretExpiresAt;
  if (c.secretLastUsedAt !== undefined) row.secret_last_used_at = c.secretLastUsedAt;
  if (c.previousSecretHash !== undefined) row.previous_secret_hash = c.previousSecretHash;
  if (c.previousSecretEncrypted !== undefined) row.previous_secret_encrypted = c.previousSecretEncrypted;
  if (c.previousSecretExpiresAt !== undefined) row.previous_secret_expires_at = c.previousSecretExpiresAt;
  if (c.previousSecretLastUsedAt !== undefined) row.previous_secret_last_used_at = c.previousSecretLastUsedAt;
  if (c.tokenEndpointAuthMethod !== undefined) row.token_endpoint_auth_method = c.tokenEndpointAuthMethod;
  if (c.grantTypes !== undefined) row.grant_types = JSON.stringify(c.grantTypes);
  if (c.scope !== undefined) row.scope = c.scope.join(' ');
  if (c.defaultScope !== undefined) row.default_scope = c.defaultScope === null ? null : c.defaultScope.join(' ');
  if (c.audience !== undefined) row.audience = toJson(c.audience);
  if (c.accessTokenTtl !== undefined) row.access_token_ttl = c.accessTokenTtl;
  if (c.accessTokenFormat !== undefined) row.access_token_format = c.accessTokenFormat;
  if (c.refreshTokenTtl !== undefined) row.refresh_token_ttl = c.refreshTokenTtl;
  if (c.refreshIdleTtl !== undefined) row.refresh_idle_ttl = c.refreshIdleTtl;
  if (c.refreshReuseInterval !== undefined) row.refresh_reuse_interval = c.refreshReuseInterval;
  if (c.introspectAny !== undefined) row.introspect_any = c.introspectAny ? 1 : 0;
  if (c.jwks !== undefined) row.jwks = toJson(c.jwks);
  if (c.jwksUri !== undefined) row.jwks_uri = c.jwksUri;
  if (c.rateLimit !== undefined) row.rate_limit = toJson(c.rateLimit);
  if (c.delegation !== undefined) row.delegation = toJson(c.delegation);
  if (c.allowedOrigins !== undefined) row.allowed_origins = toJson(c.allowedOrigins);
  if (c.allowedResources !== undefined) row.allowed_resources = toJson(c.allowedResources);
  if (c.metadata !== undefined) row.metadata = toJson(c.metadata);
  if (c.claims !== undefined) row.claims = toJson(c.claims);
  if (c.tokenHook !== undefined) row.token_hook = c.tokenHook;
  if (c.tlsClientAuthSubjectDn !== undefined) row.tls_client_auth_subject_dn = c.tlsClientAuthSubjectDn;
  if (c.tlsClientAuthSanDns !== undefined) row.tls_client_auth_san_dns = c.tlsClientAuthSanDns;
  if (c.tlsClientAuthSanUri !== undefined) row.tls_client_auth_san_uri = c.tlsClientAuthSanUri;
  if (c.tlsClientAuthSanIp !== undefined) row.tls_client_auth_san_ip = c.tlsClientAuthSanIp;
  if (c.tlsClientAuthSanEmail !== undefined) row.tls_client_auth_san_email = c.tlsClientAuthSanEmail;
  if (c.tlsClientCertificateBoundAccessTokens !== undefined) row.tls_client_certificate_bound_access_tokens = c.tlsClientCertificateBoundAccessTokens ? 1 : 0;
  if (c.dpopBoundAccessTokens !== undefined) row.dpop_bound_access_tokens = c.dpopBoundAccessTokens ? 1 : 0;
  if (c.status !== undefined) row.status = c.status;
  return row;
}

/** A new client's second-secret columns when it names none. */
const NO_OVERLAP = {
  secret_expires_at: null,
  secret_last_used_at: null,
  previous_secret_hash: null,
  previous_secret_encrypted: null,
  previous_secret_expires_at: null,
  previous_secret_last_used_at: null,
} satisfies Partial<ClientRow>;

/** A new client's mutual-TLS columns when it names none (not a tls_client_auth client, no binding asked for). */
const NO_MTLS = {
  tls_client_auth_subject_dn: null,
  tls_client_auth_san_dns: null,
  tls_client_auth_san_uri: null,
  tls_client_auth_san_ip: null,
  tls_client_auth_san_email: null,
  tls_client_certificate_bound_access_tokens: 0,
} satisfies Partial<ClientRow>;

export class SqlClientStore implements ClientStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(clientId: string): Promise<Client | undefined> {
    const row = await this.ctx.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row ? clientFromRow(row) : undefined;
  }

  async list(opts: { limit?: number; after?: string; search?: string } = {}): Promise<Client[]> {
    let q = this.ctx.db.selectFrom('clients').selectAll().orderBy('client_id').limit(opts.limit ?? 1000);
    if (opts.after !== undefined) q = q.where('client_id', '>', opts.after);
    if (opts.search !== undefined && opts.search !== '') {
      // LIKE with the operator's text escaped: '%' and '_' match themselves (ESCAPE is standard SQL, both engines).
      const pattern = `%${opts.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) => eb.or([sql<boolean>`lower(client_id) like ${pattern} escape '\\'`, sql<boolean>`lower(coalesce(name, '')) like ${pattern} escape '\\'`]));
    }
    return (await q.execute()).map(clientFromRow);
  }

  async scopeSample(limit: number): Promise<string[]> {
    // DISTINCT over the sampled rows: clients mostly share a few scope strings, so few rows come back.
    const sample = this.ctx.db.selectFrom('clients').select('scope').limit(limit).as('sample');
    const rows = await this.ctx.db.selectFrom(sample).select('sample.scope').distinct().execute();
    const all = new Set<string>();
    for (const r of rows) for (const s of splitScope(r.scope)) all.add(s);
    return [...all].sort();
  }

  async allowedOrigins(): Promise<string[]> {
    // Only the column, only the clients that set it: few rows, whatever the number of clients.
    const rows = await this.ctx.db.selectFrom('clients').select('allowed_origins').where('allowed_origins', 'is not', null).execute();
    const all = new Set<string>();
    for (const r of rows) for (const o of fromJson<string[]>(r.allowed_origins) ?? []) all.add(o);
    return [...all].sort();
  }

  async count(): Promise<number> {
    const r = await this.ctx.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return num(r.n);
  }

  async create(client: NewClient): Promise<Client> {
    const now = nowSeconds();
    const row = { ...NO_OVERLAP, ...NO_MTLS, ...(columns(client) as ClientRow), client_id: client.clientId, created_at: now, updated_at: now, version: 1 };
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('clients').values(row).execute();
        await c.change('client', client.clientId, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`client ${client.clientId}`);
      throw err;
    }
    return clientFromRow(row);
  }

  async update(clientId: string, patch: ClientPatch, cond: ClientUpdateCondition = {}): Promise<Client | undefined> {
    const now = nowSeconds();
    const expected = cond.ifSecretHash;
    return this.ctx.tx(async (c) => {
      let q = c.db
        .updateTable('clients')
        .set((eb) => ({ ...columns(patch), updated_at: now, version: eb('version', '+', 1) }))
        .where('client_id', '=', clientId);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      if (expected !== undefined) q = expected === null ? q.where('secret_hash', 'is', null) : q.where('secret_hash', '=', expected);
      const res = await q.executeTakeFirst();
      // A secret compare-and-set that lost answers undefined (the caller re-reads); a version one throws.
      if (Number(res.numUpdatedRows) === 0) return expected !== undefined ? undefined : this.missingOrChanged(c, clientId, cond);
      await c.change('client', clientId, now);
      const row = await c.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
      return clientFromRow(row);
    });
  }

  async recordSecretUse(clientId: string, secretHash: string, at: number): Promise<void> {
    // Two single-row updates by primary key, each a no-op unless its slot holds this hash and an older use:
    // a rotation that moved the secret to the other slot between the use and the flush is followed.
    await this.ctx.db
      .updateTable('clients')
      .set({ secret_last_used_at: at })
      .where('client_id', '=', clientId)
      .where('secret_hash', '=', secretHash)
      .where((eb) => eb.or([eb('secret_last_used_at', 'is', null), eb('secret_last_used_at', '<', at)]))
      .execute();
    await this.ctx.db
      .updateTable('clients')
      .set({ previous_secret_last_used_at: at })
      .where('client_id', '=', clientId)
      .where('previous_secret_hash', '=', secretHash)
      .where((eb) => eb.or([eb('previous_secret_last_used_at', 'is', null), eb('previous_secret_last_used_at', '<', at)]))
      .execute();
  }

  /** Nothing matched: the client is gone (undefined), or a compare-and-set found another version (thrown). */
  private async missingOrChanged(c: SqlContext, clientId: string, cond: IfVersion): Promise<undefined> {
    if (cond.ifVersion !== undefined && (await c.db.selectFrom('clients').select('client_id').where('client_id', '=', clientId).executeTakeFirst())) throw new VersionConflictError(`client ${clientId}`);
    return undefined;
  }

  async delete(clientId: string, cond: IfVersion = {}): Promise<boolean> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      let q = c.db.deleteFrom('clients').where('client_id', '=', clientId);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return (await this.missingOrChanged(c, clientId, cond)) ?? false;
      // A deleted client's refresh tokens must stop working at once, like any other revocation, and every node's
      // revoked-family set must hear of each family (their JWT access tokens name it in `sid`).
      await revokeFamiliesWhere(c, 'client_id', clientId, now);
      await c.change('client', clientId, now);
      return true;
    });
  }
}
