import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getClient } from '../../../src/oauth/context.js';
import { INACTIVE } from '../../../src/oauth/access-tokens/format.js';
import { jwtAccessTokens } from '../../../src/oauth/access-tokens/jwt.js';
import { readOwnAccessToken } from '../../../src/oauth/own-jwt.js';
import type { Client } from '../../../src/store/types.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** The JWT access-token format (ADR 0001): issue signs RFC 9068 claims, introspect answers from the cache, revoke denies the jti. */
let clock = 1_900_000_000;
let s: TestServer;
let app: Client;
let other: Client;
let resourceServer: Client;

beforeAll(async () => {
  const client = (client_id: string, extra: Record<string, unknown> = {}) => ({ client_id, client_secret: 'jwt-format-secret-123', grant_types: ['client_credentials'], scope: 'read write', ...extra });
  s = await startTestServer({ now: () => clock, doc: { clients: [client('app'), client('other'), client('rs', { introspect_any: true })] } });
  const byId = async (id: string): Promise<Client> => (await getClient(s.ctx, id))!;
  [app, other, resourceServer] = [await byId('app'), await byId('other'), await byId('rs')];
});
afterAll(async () => s?.stop());

const issue = (claims: Partial<Parameters<typeof s.ctx.issuer.issue>[0]> = {}) => s.ctx.issuer.issue({ client: app, subject: 'app', scope: ['read'], ...claims });

describe('jwtAccessTokens', () => {
  it('is the default format and recognises the JWT shape only', async () => {
    expect((await issue()).format).toBe('jwt');
    expect(jwtAccessTokens.recognises('a.b.c')).toBe(true);
    expect(jwtAccessTokens.recognises('A'.repeat(43))).toBe(false);
  });

  it('signs the RFC 9068 §2.2 claims, extensions never overriding them, and names the family in sid', async () => {
    const at = await issue({ subject: 'u1', userId: 'u1', username: 'ada', orgId: 'acme', familyId: 'fam-1', scope: ['read', 'write'], extra: { idp: 'corp', iss: 'https://evil.example', sub: 'x', scope: 'admin', org_id: 'evil', sid: 'other', jti: 'mine' } });
    const own = readOwnAccessToken(s.ctx, at.token)!;
    expect(own.payload).toEqual({
      idp: 'corp', iss: s.config.issuer, sub: 'u1', aud: s.config.issuer, client_id: 'app', iat: clock, exp: clock + 3600, jti: at.jti,
      scope: 'read write', org_id: 'acme', username: 'ada', sid: 'fam-1',
    });
    expect(at).toMatchObject({ issuedAt: clock, expiresIn: 3600, expiresAt: clock + 3600 });
    // No scope, org, user or family: no such claims; several audiences: an array.
    const bare = readOwnAccessToken(s.ctx, (await issue({ scope: [], audience: ['https://a.example', 'https://b.example'] })).token)!.payload;
    expect(bare.aud).toEqual(['https://a.example', 'https://b.example']);
    for (const claim of ['scope', 'org_id', 'username', 'sid']) expect(bare[claim]).toBeUndefined();
  });

  it("answers a cached token of the caller's own synchronously, and re-checks the caller every time", async () => {
    const { token } = await issue();
    const first = await jwtAccessTokens.introspect(s.ctx, app, token);
    expect(JSON.parse(first)).toMatchObject({ active: true, client_id: 'app', token_type: 'Bearer', nbf: clock });
    // The steady state of the hot path: a string, not a promise.
    expect(jwtAccessTokens.introspect(s.ctx, app, token)).toBe(first);
    expect(s.ctx.introspectionCache.get(token)).toBeDefined();
    expect(await jwtAccessTokens.introspect(s.ctx, other, token)).toBe(INACTIVE);
    expect(JSON.parse(await jwtAccessTokens.introspect(s.ctx, resourceServer, token)).active).toBe(true);
  });

  it('answers inactive for a token that is not ours, has expired, or whose family was revoked', async () => {
    expect(jwtAccessTokens.introspect(s.ctx, app, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).toBe(INACTIVE);
    const expiring = await issue();
    const family = await issue({ familyId: 'fam-gone' });
    for (const t of [expiring, family]) expect(JSON.parse(await jwtAccessTokens.introspect(s.ctx, app, t.token)).active).toBe(true);
    s.ctx.revokedFamilies.add('fam-gone', clock);
    expect(jwtAccessTokens.introspect(s.ctx, app, family.token)).toBe(INACTIVE);
    clock += 3600;
    try {
      expect(jwtAccessTokens.introspect(s.ctx, app, expiring.token)).toBe(INACTIVE);
      expect(s.ctx.introspectionCache.get(expiring.token)).toBeUndefined();
    } finally {
      clock -= 3600;
    }
  });

  it("revokes its own client's token by denying its jti, and leaves another client's alone", async () => {
    const mine = await issue();
    const theirs = await s.ctx.issuer.issue({ client: other, subject: 'other', scope: [] });
    expect(await jwtAccessTokens.revoke(s.ctx, app, mine.token)).toBe(true);
    expect(s.ctx.denylist.has(mine.jti)).toBe(true);
    expect(await jwtAccessTokens.introspect(s.ctx, app, mine.token)).toBe(INACTIVE);
    // Another client's valid token is refused (RFC 7009 §2.1), a JWT that is not ours is decided (true); nothing revoked.
    await expect(jwtAccessTokens.revoke(s.ctx, app, theirs.token)).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
    expect(await jwtAccessTokens.revoke(s.ctx, app, 'a.b.c')).toBe(true);
    expect(s.ctx.denylist.has(theirs.jti)).toBe(false);
    expect(JSON.parse(await jwtAccessTokens.introspect(s.ctx, other, theirs.token)).active).toBe(true);
  });
});
