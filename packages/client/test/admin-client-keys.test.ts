import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/support/server.js';
import { generateSigningKey } from '../../../src/keys/generate.js';
import { AdminApiError, AdminClient } from '../src/index.js';
import { DEPLOYER, deployerAdmin } from './support.js';

/** AdminClient's signing-key methods against a real Tessera. */
let server: TestServer;
let admin: AdminClient;

beforeAll(async () => {
  server = await startTestServer({ doc: { clients: [DEPLOYER] } });
  admin = deployerAdmin(server.url);
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
