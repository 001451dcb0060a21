import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveLocalUser } from '../../src/federation/user-mapping.js';
import type { OidcProvider } from '../../src/federation/providers.js';
import type { ExternalIdentity } from '../../src/federation/identity.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../support/services.js';

function provider(overrides: Partial<OidcProvider> = {}): OidcProvider {
  return {
    type: 'oidc',
    name: 'acme',
    allowedClients: null,
    autoProvision: false,
    linkVerifiedEmail: false,
    timeoutMs: 1000,
    issuer: 'https://acme.example',
    issuers: ['https://acme.example'],
    jwksUri: null,
    jwks: { keys: [] },
    algorithms: ['ES256'],
    cooldownSeconds: 30,
    audiences: ['x'],
    maxTokenAge: null,
    ...overrides,
  };
}

function identity(subject: string, extra: Partial<ExternalIdentity> = {}): ExternalIdentity {
  return { provider: 'acme', subject, email: null, emailVerified: false, ...extra };
}

const backends: Array<[string, () => Promise<{ env: Record<string, string>; db?: TestDatabase } | undefined>]> = [
  ['SQLite', async () => ({ env: {} })],
  [
    'PostgreSQL',
    async () => {
      if (!(await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL))) return undefined;
      const db = await createTestDatabase();
      return { env: { TESSERA_DATABASE_URL: db.url }, db };
    },
  ],
];

describe.each(backends)('resolveLocalUser on %s', (_name, setup) => {
  let s: TestServer | undefined;
  let db: TestDatabase | undefined;

  beforeAll(async () => {
    const b = await setup();
    if (!b) return;
    db = b.db;
    s = await startTestServer({
      env: b.env,
      doc: {
        users: [
          { username: 'verified', email: 'v@example.com', email_verified: true },
          { username: 'unverified', email: 'u@example.com', email_verified: false },
        ],
      },
    });
  }, 30_000);

  afterAll(async () => {
    await s?.stop();
    await db?.drop();
  });

  it('provisions exactly one user when first logins of one subject race', async (t) => {
    if (!s) return t.skip();
    const p = provider({ autoProvision: true });
    const users = await Promise.all(Array.from({ length: 8 }, () => resolveLocalUser(p, identity('racer'), s!.ctx)));
    expect(new Set(users.map((u) => u.id)).size).toBe(1);
    expect(await s.ctx.store.userLinks.listForUser(users[0]!.id)).toHaveLength(1);
    const all = await s.ctx.store.users.list();
    expect(all.filter((u) => u.username.startsWith('acme-'))).toHaveLength(1);
  });

  it('refuses an unlinked subject without auto-provisioning, and creates nothing', async (t) => {
    if (!s) return t.skip();
    const before = (await s.ctx.store.users.list()).length;
    await expect(resolveLocalUser(provider(), identity('nobody'), s.ctx)).rejects.toMatchObject({ code: 'invalid_grant' });
    expect((await s.ctx.store.users.list()).length).toBe(before);
  });

  it('links by email only with both sides verified and the option on', async (t) => {
    if (!s) return t.skip();
    const verified = await s.ctx.store.users.getByUsername('verified');
    await expect(resolveLocalUser(provider(), identity('e1', { email: 'v@example.com', emailVerified: true }), s.ctx)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(resolveLocalUser(provider({ linkVerifiedEmail: true }), identity('e1', { email: 'v@example.com', emailVerified: false }), s.ctx)).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(resolveLocalUser(provider({ linkVerifiedEmail: true }), identity('e2', { email: 'u@example.com', emailVerified: true }), s.ctx)).rejects.toMatchObject({ code: 'invalid_grant' });
    const linked = await resolveLocalUser(provider({ linkVerifiedEmail: true }), identity('e1', { email: 'V@example.com', emailVerified: true }), s.ctx);
    expect(linked.id).toBe(verified!.id);
    expect(await s.ctx.store.userLinks.get('acme', 'e1')).toMatchObject({ userId: verified!.id });
  });

  it('gives an auto-provisioned user the email only when verified', async (t) => {
    if (!s) return t.skip();
    const p = provider({ autoProvision: true });
    expect(await resolveLocalUser(p, identity('n1', { email: 'n1@example.com', emailVerified: false }), s.ctx)).toMatchObject({ email: null, emailVerified: false, passwordHash: null });
    expect(await resolveLocalUser(p, identity('n2', { email: 'n2@example.com', emailVerified: true }), s.ctx)).toMatchObject({ email: 'n2@example.com', emailVerified: true });
  });
});
