import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/crypto/token-hash.js';
import { handleRevocation } from '../../src/oauth/revocation-endpoint.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { getClient } from '../../src/oauth/context.js';
import { issueTokens } from '../../src/oauth/grants/issue-tokens.js';
import type { TokenRequest } from '../../src/oauth/token-request.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/** The revocation endpoint's rules, in the core (RFC 7009 §2): the HTTP route only adds limits and the 200. */
const SECRET = 'revocation-endpoint-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token'], scope: 'read', access_token_format: 'opaque' },
        { client_id: 'public', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' },
      ],
    },
  });
});
afterAll(async () => s?.stop());

function request(params: Record<string, string>, authorization?: string): TokenRequest {
  return { params: new Map(Object.entries(params)), authorization, headers: authorization ? { authorization } : {}, method: 'POST', path: '/oauth/revoke', rawQuery: '', rawBody: '', ip: '127.0.0.1', requestId: 'test' };
}
const noLimit = () => undefined;

describe('handleRevocation', () => {
  it('lets a public client revoke its own refresh token with its client_id (RFC 7009 §2.1), and its family with it', async () => {
    const client = (await getClient(s.ctx, 'public'))!;
    const body = await issueTokens(s.ctx, { client, subject: 'u1', scope: ['read'] });
    const admitted: string[] = [];
    await handleRevocation(request({ client_id: 'public', token: body.refresh_token! }), s.ctx, (c) => (admitted.push(c.clientId), undefined), null);
    expect(admitted).toEqual(['public']);
    const found = (await s.ctx.store.refreshTokens.find(hashToken(body.refresh_token!)))!;
    expect(found.family.status).not.toBe('active');
    expect(s.ctx.revokedFamilies.has(found.family.familyId)).toBe(true);
  });

  it("revoking an opaque access token by hint or without one; the family's opaque tokens go with a refresh token", async () => {
    const client = (await getClient(s.ctx, 'app'))!;
    const one = await issueTokens(s.ctx, { client, subject: 'u1', scope: ['read'] });
    await handleRevocation(request({ token: one.access_token, token_type_hint: 'access_token' }, basic('app', SECRET)), s.ctx, noLimit, null);
    expect(await s.ctx.store.accessTokens.findOpaque(hashToken(one.access_token))).toBeUndefined();
    const two = await issueTokens(s.ctx, { client, subject: 'u1', scope: ['read'] });
    await handleRevocation(request({ token: two.refresh_token! }, basic('app', SECRET)), s.ctx, noLimit, null);
    expect(await s.ctx.store.accessTokens.findOpaque(hashToken(two.access_token))).toBeUndefined();
  });

  it('requires authentication and the token parameter; an unknown token is no error (§2.2)', async () => {
    const code = async (p: Promise<void>) => p.then(() => 'ok', (err: unknown) => (err instanceof OAuthError ? err.code : 'other'));
    expect(await code(handleRevocation(request({ token: 'x' }), s.ctx, noLimit, null))).toBe('invalid_client');
    expect(await code(handleRevocation(request({}, basic('app', SECRET)), s.ctx, noLimit, null))).toBe('invalid_request');
    expect(await code(handleRevocation(request({ token: 'D'.repeat(43) }, basic('app', SECRET)), s.ctx, noLimit, null))).toBe('ok');
  });
});
