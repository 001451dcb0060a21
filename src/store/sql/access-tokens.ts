import type { AccessTokenRecord, AccessTokenStore } from '../types.js';
import type { AccessTokenRow } from './schema.js';
import { fromJson, num, splitScope, toJson, type SqlContext } from './context.js';
import { prepared } from './prepared.js';

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

// The opaque-token hot path, compiled once (sql/prepared.ts).
const insertToken = prepared<
  [hash: string, jti: string, clientId: string, subject: string, userId: string | null, orgId: string | null, familyId: string | null, scope: string, audience: string, claims: string | null, issuedAt: number, expiresAt: number],
  never
>(12, (c, hash, jti, clientId, subject, userId, orgId, familyId, scope, audience, claims, issuedAt, expiresAt) =>
  c.db.insertInto('access_tokens').values({ hash, jti, client_id: clientId, subject, user_id: userId, org_id: orgId, family_id: familyId, scope, audience, claims, issued_at: issuedAt, expires_at: expiresAt }),
);
const findByHash = prepared<[hash: string], AccessTokenRow>(1, (c, hash) => c.db.selectFrom('access_tokens').selectAll().where('hash', '=', hash));

export class SqlAccessTokenStore implements AccessTokenStore {
  constructor(private readonly ctx: SqlContext) {}

  async insertOpaque(t: AccessTokenRecord): Promise<void> {
    await insertToken(this.ctx, t.hash, t.jti, t.clientId, t.subject, t.userId, t.orgId, t.familyId, t.scope.join(' '), JSON.stringify(t.audience), toJson(t.claims), t.issuedAt, t.expiresAt);
  }

  async findOpaque(hash: string): Promise<AccessTokenRecord | undefined> {
    const row = (await findByHash(this.ctx, hash)).rows[0];
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
