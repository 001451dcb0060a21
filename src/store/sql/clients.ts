import type { Client, ClientPatch, ClientStore, IfVersion, NewClient } from '../types.js';
import { ConflictError, isUniqueViolation, VersionConflictError } from '../errors.js';
import { revokeFamiliesWhere } from './refresh-tokens.js';
import type { ClientRow } from './schema.js';
import { fromJson, num, numOrNull, nowSeconds, splitScope, toJson, type SqlContext } from './context.js';

function clientFromRow(r: ClientRow): Client {
  return {
    clientId: r.client_id,
    name: r.name,
    secretHash: r.secret_hash,
    secretEncrypted: r.secret_encrypted,
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
  if (c.status !== undefined) row.status = c.status;
  return row;
}

export class SqlClientStore implements ClientStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(clientId: string): Promise<Client | undefined> {
    const row = await this.ctx.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
    return row ? clientFromRow(row) : undefined;
  }

  async list(opts: { limit?: number; after?: string } = {}): Promise<Client[]> {
    let q = this.ctx.db.selectFrom('clients').selectAll().orderBy('client_id').limit(opts.limit ?? 1000);
    if (opts.after !== undefined) q = q.where('client_id', '>', opts.after);
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

  async count(): Promise<number> {
    const r = await this.ctx.db.selectFrom('clients').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return num(r.n);
  }

  async create(client: NewClient): Promise<Client> {
    const now = nowSeconds();
    const row = { ...(columns(client) as ClientRow), client_id: client.clientId, created_at: now, updated_at: now, version: 1 };
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

  async update(clientId: string, patch: ClientPatch, cond: IfVersion = {}): Promise<Client | undefined> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      let q = c.db
        .updateTable('clients')
        .set((eb) => ({ ...columns(patch), updated_at: now, version: eb('version', '+', 1) }))
        .where('client_id', '=', clientId);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) return this.missingOrChanged(c, clientId, cond);
      await c.change('client', clientId, now);
      const row = await c.db.selectFrom('clients').selectAll().where('client_id', '=', clientId).executeTakeFirstOrThrow();
      return clientFromRow(row);
    });
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
