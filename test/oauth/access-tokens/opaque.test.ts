import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/crypto/token-hash.js';
import { getClient } from '../../../src/oauth/context.js';
import { INACTIVE } from '../../../src/oauth/access-tokens/format.js';
import { opaqueAccessTokens } from '../../../src/oauth/access-tokens/opaque.js';
import type { Client } from '../../../src/store/types.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** The opaque access-token format (ADR 0001): a random reference stored as its SHA-256, revoked by deletion. */
const clock = 1_900_000_000;
let s: TestServer;
let app: Client;
let other: Client;
let resourceServer: Client;

beforeAll(async () => {
  const client = (client_id: string, extra: Record<string, unknown> = {}) => ({ client_id, client_secret: 'opaque-format-secret-123', grant_types: ['client_credentials'], scope: 'read write', access_token_format: 'opaque', ...extra });
  s = await startTestServer({ now: () => clock, doc: { clients: [client('app'), client('other'), client('rs', { introspect_any: true })] } });
  const byId = async (id: string): Promise<Client> => (await getClient(s.ctx, id))!;
  [app, other, resourceServer] = [await byId('app'), await byId('other'), await byId('rs')];
});
afterAll(async () => s?.stop());

const issue = (claims: Partial<Parameters<typeof s.ctx.issuer.issue>[0]> = {}) => s.ctx.issuer.issue({ client: app, subject: 'app', scope: ['read'], ...claims });

describe('opaqueAccessTokens', () => {
  it("is the client's format when it asks for opaque; recognises the stored-token shape", async () => {
    const at = await issue();
    expect(at.format).toBe('opaque');
    expect(at.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(opaqueAccessTokens.recognises(at.token)).toBe(true);
    expect(opaqueAccessTokens.recognises('a.b.c')).toBe(false);
    expect(opaqueAccessTokens.recognises('short')).toBe(false);
  });

  it('stores only the hash, with the family, the user and the extension claims', async () => {
    const at = await issue({ subject: 'u1', userId: null, username: 'ada', orgId: 'acme', familyId: 'fam-1', extra: { idp: 'corp' } });
    const record = (await s.ctx.store.accessTokens.findOpaque(hashToken(at.token)))!;
    expect(record).toMatchObject({ jti: at.jti, clientId: 'app', subject: 'u1', orgId: 'acme', familyId: 'fam-1', scope: ['read'], claims: { idp: 'corp', username: 'ada' }, issuedAt: clock, expiresAt: clock + 3600 });
    expect(JSON.stringify(record)).not.toContain(at.token);
  });

  it('introspects what it stored, to its client or a client with the permission only', async () => {
    const at = await issue({ orgId: 'acme', familyId: 'fam-2' });
    expect(JSON.parse((await opaqueAccessTokens.introspect(s.ctx, app, at.token))!)).toEqual({
      active: true, iss: s.config.issuer, sub: 'app', aud: s.config.issuer, client_id: 'app', scope: 'read', org_id: 'acme', sid: 'fam-2',
      iat: clock, nbf: clock, exp: clock + 3600, jti: at.jti, token_type: 'Bearer',
    });
    expect(JSON.parse((await opaqueAccessTokens.introspect(s.ctx, resourceServer, at.token))!).active).toBe(true);
    expect(await opaqueAccessTokens.introspect(s.ctx, other, at.token)).toBe(INACTIVE);
    s.ctx.revokedFamilies.add('fam-2', clock);
    expect(await opaqueAccessTokens.introspect(s.ctx, app, at.token)).toBe(INACTIVE);
    // Not one of its tokens: undefined, so the endpoint looks further (a refresh token has the same shape).
    expect(await opaqueAccessTokens.introspect(s.ctx, app, 'B'.repeat(43))).toBeUndefined();
  });

  it("revokes its own client's token by deleting it; another client's stays", async () => {
    const at = await issue();
    // RFC 7009 §2.1: another client's valid token is refused, and stays.
    await expect(opaqueAccessTokens.revoke(s.ctx, other, at.token)).rejects.toMatchObject({ code: 'invalid_grant', status: 400 });
    expect(await s.ctx.store.accessTokens.findOpaque(hashToken(at.token))).toBeDefined();
    expect(await opaqueAccessTokens.revoke(s.ctx, app, at.token)).toBe(true);
    expect(await s.ctx.store.accessTokens.findOpaque(hashToken(at.token))).toBeUndefined();
    expect(await opaqueAccessTokens.revoke(s.ctx, app, 'C'.repeat(43))).toBe(false);
  });
});
