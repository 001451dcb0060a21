import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateClient, supportedAuthMethods } from '../../../src/oauth/client-auth/index.js';
import { clientSecretBasic } from '../../../src/oauth/client-auth/client-secret-basic.js';
import { clientSecretPost } from '../../../src/oauth/client-auth/client-secret-post.js';
import { noneAuth } from '../../../src/oauth/client-auth/none.js';
import { methodAllowed } from '../../../src/oauth/client-auth/types.js';
import { OAuthError } from '../../../src/oauth/errors.js';
import type { TokenRequest } from '../../../src/oauth/token-request.js';
import { hashSecret } from '../../../src/crypto/password-hash.js';
import { basic, startTestServer, type TestServer } from '../../support/server.js';

/** The client authenticators against a real store and context (no HTTP). */
const SECRET = 'client-auth-secret';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({
    doc: {
      clients: [
        { client_id: 'basic', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'post', client_secret: SECRET, token_endpoint_auth_method: 'client_secret_post', grant_types: ['client_credentials'], scope: 'read' },
        { client_id: 'pub', token_endpoint_auth_method: 'none', grant_types: ['refresh_token'], scope: 'read' },
        { client_id: 'off', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read', status: 'disabled' },
      ],
    },
  });
});
afterAll(async () => s.stop());

function req(params: Record<string, string>, authorization?: string): TokenRequest {
  return { params: new Map(Object.entries(params)), authorization, headers: {}, method: 'POST', path: '/oauth/token', rawQuery: '', rawBody: '', ip: '127.0.0.1', requestId: 'r' };
}

async function failure(p: Promise<unknown>): Promise<OAuthError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(OAuthError);
  return err as OAuthError;
}

describe('authenticateClient', () => {
  it('client_secret_basic', async () => {
    const out = await authenticateClient(req({}, basic('basic', SECRET)), s.ctx);
    expect(out).toMatchObject({ method: 'client_secret_basic', client: { clientId: 'basic' } });
  });

  it('client_secret_post', async () => {
    const out = await authenticateClient(req({ client_id: 'post', client_secret: SECRET }), s.ctx);
    expect(out).toMatchObject({ method: 'client_secret_post', client: { clientId: 'post' } });
  });

  it('a secret client may send its secret either way (RFC 6749 §2.3.1)', async () => {
    expect((await authenticateClient(req({ client_id: 'basic', client_secret: SECRET }), s.ctx)).client.clientId).toBe('basic');
    expect((await authenticateClient(req({}, basic('post', SECRET)), s.ctx)).client.clientId).toBe('post');
  });

  it('none: a public client identified by client_id', async () => {
    expect(await authenticateClient(req({ client_id: 'pub' }), s.ctx)).toMatchObject({ method: 'none', client: { clientId: 'pub' } });
  });

  it('a confidential client cannot pass as public by omitting its secret', async () => {
    const e = await failure(authenticateClient(req({ client_id: 'basic' }), s.ctx));
    expect(e.code).toBe('invalid_client');
  });

  it('a public client presenting a secret fails', async () => {
    expect((await failure(authenticateClient(req({ client_id: 'pub', client_secret: 'whatever-1' }), s.ctx))).code).toBe('invalid_client');
  });

  it('two methods -> invalid_request', async () => {
    expect((await failure(authenticateClient(req({ client_id: 'basic', client_secret: SECRET }, basic('basic', SECRET)), s.ctx))).code).toBe('invalid_request');
  });

  it('client_secret without client_id -> invalid_request', async () => {
    expect((await failure(authenticateClient(req({ client_secret: SECRET }), s.ctx))).code).toBe('invalid_request');
  });

  it('every invalid_client carries the Basic challenge: nothing sent, Basic tried, secret in the body, public client', async () => {
    const refusals = [
      await failure(authenticateClient(req({}), s.ctx)),
      await failure(authenticateClient(req({}, basic('basic', 'nope-nope')), s.ctx)),
      await failure(authenticateClient(req({ client_id: 'post', client_secret: 'nope-nope' }), s.ctx)),
      await failure(authenticateClient(req({ client_id: 'basic' }), s.ctx)),
      await failure(authenticateClient(req({}, 'Bearer abc'), s.ctx)),
    ];
    for (const e of refusals) {
      expect(e.status).toBe(401);
      expect(e.code).toBe('invalid_client');
      expect(e.headers['www-authenticate']).toBe('Basic realm="tessera", charset="UTF-8"');
    }
  });

  it('disabled and unknown clients fail exactly like a wrong secret', async () => {
    const a = await failure(authenticateClient(req({}, basic('off', SECRET)), s.ctx));
    const b = await failure(authenticateClient(req({}, basic('ghost', SECRET)), s.ctx));
    const c = await failure(authenticateClient(req({}, basic('basic', 'bad-secret')), s.ctx));
    expect([a, b].map((e) => [e.code, e.status, e.description, e.headers])).toEqual([c, c].map((e) => [e.code, e.status, e.description, e.headers]));
  });

  it('a changed secret takes effect once the change is published (cache invalidation)', async () => {
    await s.ctx.store.clients.update('basic', { secretHash: await hashSecret('rotated-secret') });
    s.ctx.changes.publish('client', 'basic');
    expect((await failure(authenticateClient(req({}, basic('basic', SECRET)), s.ctx))).code).toBe('invalid_client');
    expect((await authenticateClient(req({}, basic('basic', 'rotated-secret')), s.ctx)).client.clientId).toBe('basic');
  });

  it('supportedAuthMethods lists the registered methods and none', () => {
    expect(supportedAuthMethods()).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'none']));
  });
});

describe('matches and methodAllowed', () => {
  it('each authenticator recognises only its own credentials', () => {
    expect(clientSecretBasic.matches(req({}, 'Basic abc'))).toBe(true);
    expect(clientSecretBasic.matches(req({}, 'Bearer abc'))).toBe(false);
    expect(clientSecretPost.matches(req({ client_secret: 'x' }))).toBe(true);
    expect(clientSecretPost.matches(req({ client_id: 'x' }))).toBe(false);
    expect(noneAuth.matches(req({ client_id: 'x' }))).toBe(true);
  });

  it('secret methods need a secret hash; others need the registered method', async () => {
    const c = (await s.ctx.store.clients.get('post'))!;
    expect(methodAllowed(c, 'client_secret_basic')).toBe(true);
    expect(methodAllowed({ ...c, secretHash: null }, 'client_secret_post')).toBe(false);
    expect(methodAllowed(c, 'none')).toBe(false);
    expect(methodAllowed((await s.ctx.store.clients.get('pub'))!, 'none')).toBe(true);
  });
});
