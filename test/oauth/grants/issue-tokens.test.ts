import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/crypto/token-hash.js';
import { getClient } from '../../../src/oauth/context.js';
import { issueTokens, tokenResponse, type GrantedTokens } from '../../../src/oauth/grants/issue-tokens.js';
import type { IssuedAccessToken } from '../../../src/oauth/access-tokens/format.js';
import type { Client } from '../../../src/store/types.js';
import { startTestServer, type TestServer } from '../../support/server.js';

/** issueTokens: the one tail of every grant that starts or continues a refresh-token family. */
const SECRET = 'issue-tokens-secret-123';
let s: TestServer;

beforeAll(async () => {
  const client = (client_id: string, extra: Record<string, unknown> = {}) => ({ client_id, client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read write', ...extra });
  s = await startTestServer({
    doc: {
      clients: [
        client('jwt-app'),
        client('opaque-app', { access_token_format: 'opaque' }),
        client('jwt-norefresh', { grant_types: ['password'] }),
        client('opaque-norefresh', { grant_types: ['password'], access_token_format: 'opaque' }),
      ],
      users: [{ id: 'u-ada', username: 'Ada', password: 'correct horse battery' }],
    },
  });
});
afterAll(async () => s?.stop());

const clientOf = async (id: string): Promise<Client> => (await getClient(s.ctx, id))!;
const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** The family an access token names: `sid` in a JWT, the stored record's family of an opaque token. */
async function familyNamedBy(client: Client, accessToken: string): Promise<string | null | undefined> {
  if (client.accessTokenFormat !== 'opaque') return payload(accessToken).sid as string | undefined;
  return (await s.ctx.store.accessTokens.findOpaque(hashToken(accessToken)))!.familyId;
}

describe('issueTokens', () => {
  it.each(['jwt-app', 'opaque-app'])('starts a family for a client that may refresh, and its first access token names it (%s)', async (id) => {
    const client = await clientOf(id);
    const granted: GrantedTokens = { client, subject: 'u-ada', userId: 'u-ada', username: 'Ada', scope: ['read'], extra: { idp: 'corp' } };
    const body = await issueTokens(s.ctx, granted);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read' });
    const found = (await s.ctx.store.refreshTokens.find(hashToken(body.refresh_token!)))!;
    expect(found.family).toMatchObject({ clientId: id, subject: 'u-ada', userId: 'u-ada', scope: ['read'], claims: { idp: 'corp' } });
    expect(granted.familyId).toBe(found.family.familyId);
    expect(await familyNamedBy(client, body.access_token)).toBe(found.family.familyId);
    // The family's claims go into the access token too.
    const seen = await s.post('/oauth/introspect', { token: body.access_token }, { authorization: 'Basic ' + Buffer.from(`${id}:${SECRET}`).toString('base64') });
    expect(seen.body).toMatchObject({ active: true, idp: 'corp', username: 'Ada', sid: found.family.familyId });
  });

  it.each(['jwt-norefresh', 'opaque-norefresh'])('starts no family for a client without refresh_token (%s)', async (id) => {
    const client = await clientOf(id);
    const body = await issueTokens(s.ctx, { client, subject: 'u-ada', userId: 'u-ada', scope: ['read', 'write'] });
    expect(body.refresh_token).toBeUndefined();
    expect(Object.keys(body)).toEqual(['access_token', 'token_type', 'expires_in', 'scope']);
    expect(await familyNamedBy(client, body.access_token) ?? null).toBeNull();
  });

  it.each(['jwt-app', 'opaque-app'])('continues the family a refresh rotated: its id, its successor token, no new family (%s)', async (id) => {
    const client = await clientOf(id);
    const start = await issueTokens(s.ctx, { client, subject: 'u-ada', userId: 'u-ada', scope: ['read'] });
    const family = (await s.ctx.store.refreshTokens.find(hashToken(start.refresh_token!)))!.family;
    const rotated = await s.ctx.refreshTokens.rotate(start.refresh_token!, client, undefined);
    const body = await issueTokens(s.ctx, { client, subject: 'u-ada', userId: 'u-ada', scope: rotated.scope }, rotated);
    expect(body.refresh_token).toBe(rotated.token);
    expect(await familyNamedBy(client, body.access_token)).toBe(family.familyId);
    expect((await s.ctx.store.refreshTokens.find(hashToken(rotated.token)))!.family.familyId).toBe(family.familyId);
  });

  it('puts RFC 8693 issued_token_type right after the access token', async () => {
    const body = await issueTokens(s.ctx, { client: await clientOf('jwt-app'), subject: 'u-ada', scope: ['read'] }, undefined, 'urn:ietf:params:oauth:token-type:access_token');
    expect(Object.keys(body)).toEqual(['access_token', 'issued_token_type', 'token_type', 'expires_in', 'scope', 'refresh_token']);
    expect(body.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
  });
});

describe('tokenResponse (RFC 6749 §5.1)', () => {
  const at = { token: 'at', jti: 'j', issuedAt: 0, expiresIn: 60, expiresAt: 60, audience: ['aud'], format: 'jwt', tokenType: 'Bearer' } satisfies IssuedAccessToken;

  it('answers in the order clients have seen, with the refresh token last when there is one', () => {
    expect(JSON.stringify(tokenResponse(at, ['a', 'b']))).toBe('{"access_token":"at","token_type":"Bearer","expires_in":60,"scope":"a b"}');
    expect(JSON.stringify(tokenResponse(at, [], 'rt'))).toBe('{"access_token":"at","token_type":"Bearer","expires_in":60,"scope":"","refresh_token":"rt"}');
    expect(JSON.stringify(tokenResponse(at, ['a'], undefined, 'urn:x'))).toBe('{"access_token":"at","issued_token_type":"urn:x","token_type":"Bearer","expires_in":60,"scope":"a"}');
  });
});
