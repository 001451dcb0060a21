import type { AccessTokenRecord, AccessTokenStore } from '../types.js';
import type { AccessTokenRow } from './schema.js';
import { fromJson, num, splitScope, toJson, type SqlContext } from './context.js';

function fromRow(r: AccessTokenRow): AccessTokenRecord {
  return {
    hash: r.hash,
    jti: r.jti,
    clientId: r.client_id,
    subject: r.subject,
    userId: r.user_id,
    orgId: r.org_id,
    familyId: r.family_id,
    scope: splitScope(r.scope),
    audience: JSON.parse(r.audience) as string[],
    claims: fromJson<Record<string, unknown>>(r.claims),
    issuedAt: num(r.issued_at),
    expiresAt: num(r.expires_at),
  };
}

export class SqlAccessTokenStore implements AccessTokenStore {
  constructor(private readonly ctx: SqlContext) {}

  async insertOpaque(t: AccessTokenRecord): Promise<void> {
    await this.ctx.db
      .insertInto('access_tokens')
      .values({
        hash: t.hash,
        jti: t.jti,
        client_id: t.clientId,
        subject: t.subject,
        user_id: t.userId,
        org_id: t.orgId,
        family_id: t.familyId,
        scope: t.scope.join(' '),
        audience: JSON.stringify(t.audience),
        claims: toJson(t.claims),
        issued_at: t.issuedAt,
        expires_at: t.expiresAt,
      })
      .execute();
  }

  async findOpaque(hash: string): Promise<AccessTokenRecord | undefined> {
    const row = await this.ctx.db.selectFrom('access_tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async deleteOpaque(hash: string): Promise<boolean> {
    const res = await this.ctx.db.deleteFrom('access_tokens').where('hash', '=', hash).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async deleteOpaqueByFamily(familyId: string): Promise<number> {
    const res = await this.ctx.db.deleteFrom('access_tokens').where('family_id', '=', familyId).executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async denyJti(jti: string, clientId: string, expiresAt: number): Promise<void> {
    await this.ctx.tx(async (c) => {
      await c.db.insertInto('revoked_jtis').values({ jti, client_id: clientId, expires_at: expiresAt }).onConflict((oc) => oc.column('jti').doNothing()).execute();
      await c.change('jti', jti, Math.floor(Date.now() / 1000));
    });
  }

  async isJtiDenied(jti: string): Promise<boolean> {
    const row = await this.ctx.db.selectFrom('revoked_jtis').select('jti').where('jti', '=', jti).executeTakeFirst();
    return row !== undefined;
  }

  async listDeniedJtis(now: number): Promise<Array<{ jti: string; expiresAt: number }>> {
    const rows = await this.ctx.db.selectFrom('revoked_jtis').select(['jti', 'expires_at']).where('expires_at', '>', now).execute();
    return rows.map((r) => ({ jti: r.jti, expiresAt: num(r.expires_at) }));
  }

  async deleteExpired(now: number): Promise<number> {
    const a = await this.ctx.db.deleteFrom('access_tokens').where('expires_at', '<', now).executeTakeFirst();
    const b = await this.ctx.db.deleteFrom('revoked_jtis').where('expires_at', '<', now).executeTakeFirst();
    return Number(a.numDeletedRows) + Number(b.numDeletedRows);
  }
}
