import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { AdminApiError, AdminClient, TokenClient } from '../src/index.js';

/** AdminClient's signing-key methods against a real Tessera. */
const SECRET = 'admin-secret-0123';
let server: TestServer;
let admin: AdminClient;

beforeAll(async () => {
  server = await startTestServer({ doc: { clients: [{ client_id: 'deployer', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin' }] } });
  const tokenClient = new TokenClient({ issuer: server.url, clientId: 'deployer', clientSecret: SECRET, grant: { type: 'client_credentials', scope: 'tessera:admin' } });
  admin = new AdminClient({ baseUrl: server.url, tokenClient });
});
afterAll(async () => {
  await server?.stop();
});

describe('AdminClient keys', () => {
  it('retires one of two active keys (with If-Match) and surfaces the 409 for the only active one', async () => {
    const extra = await generateSigningKey('ES256', server.masterKey.key);
    await server.ctx.store.keys.insert({ ...extra, status: 'active', retiredAt: null, publishUntil: null });
    const got = await admin.keys.get(extra.kid);
    const retired = await admin.keys.retire(extra.kid, { etag: got.etag! });
    expect(retired).toMatchObject({ kid: extra.kid, status: 'retired' });
    expect(typeof retired.published_until).toBe('string');
    const only = (await admin.keys.list()).find((k) => k.status === 'active')!;
    const err = await admin.keys.retire(only.kid).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdminApiError);
    expect((err as AdminApiError).status).toBe(409);
  });
});
