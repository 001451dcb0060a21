import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateSigningKey } from '../../src/keys/generate.js';
import { KeyRing } from '../../src/keys/key-ring.js';
import { KID_LOOKUP_LIMITS } from '../../src/keys/kid-lookup.js';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { signJwt } from '../support/sign-jwt.js';

/**
 * A node that has not yet seen a key rotated in elsewhere (its change feed polls once a minute here) must not
 * call that key's tokens inactive: it looks the kid up in the store once, and answers from the result. Made-up
 * kids cannot turn introspection requests into store reads beyond the look-up budget.
 */
const SECRET = 'unknown-kid-secret-0123456789';
let s: TestServer;

beforeAll(async () => {
  s = await startTestServer({ env: { TESSERA_CACHE_SYNC_INTERVAL_MS: '60000' }, doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] } });
});
afterAll(async () => s.stop());

const introspect = (token: string) => s.post('/oauth/introspect', { token }, { authorization: basic('svc', SECRET) });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** What another node, which already loaded the new key, issues: signed by the issuer's own code. */
async function tokenFromAnotherNode(): Promise<{ token: string; kid: string }> {
  const ring = new KeyRing(s.ctx.store, s.masterKey.key);
  await ring.reload();
  const iat = Math.floor(Date.now() / 1000);
  const claims = { iss: s.config.issuer, sub: 'svc', aud: s.config.issuer, client_id: 'svc', iat, exp: iat + 600, jti: randomBytes(12).toString('base64url'), scope: 'read' };
  return { token: signJwt(ring.active, claims), kid: ring.active.kid };
}

describe('introspection of a token signed with a key this node has not loaded yet', () => {
  it('looks the kid up once and answers active (and revocation finds the token too)', async () => {
    const before = s.ctx.keys.active.kid;
    await s.ctx.store.keys.rotate(await generateSigningKey('ES256', s.masterKey.key), Math.floor(Date.now() / 1000) + 3600);
    const { token, kid } = await tokenFromAnotherNode();
    expect(kid).not.toBe(before);
    expect(s.ctx.keys.get(kid)).toBeUndefined();
    const list = vi.spyOn(s.ctx.store.keys, 'list');
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, () => introspect(token)));
      for (const r of answers) expect(r.body).toMatchObject({ active: true, client_id: 'svc' });
      expect(list).toHaveBeenCalledTimes(1);
      expect(s.ctx.keys.get(kid)).toBeDefined();

      // A second rotation, then a revocation of a token signed with the newest key: it must not be ignored.
      await s.ctx.store.keys.rotate(await generateSigningKey('ES256', s.masterKey.key), Math.floor(Date.now() / 1000) + 3600);
      const next = await tokenFromAnotherNode();
      list.mockClear();
      expect((await s.post('/oauth/revoke', { token: next.token }, { authorization: basic('svc', SECRET) })).status).toBe(200);
      expect(list).toHaveBeenCalledTimes(1);
      expect((await introspect(next.token)).body).toEqual({ active: false });
      expect(list).toHaveBeenCalledTimes(1);
    } finally {
      list.mockRestore();
    }
  });

  it('made-up kids cost at most the look-up budget in store reads', async () => {
    const list = vi.spyOn(s.ctx.store.keys, 'list');
    try {
      const started = Date.now();
      const sig = randomBytes(64).toString('base64url');
      const payload = b64({ iss: s.config.issuer, client_id: 'svc', jti: 'x', exp: Math.floor(Date.now() / 1000) + 600 });
      // 150 different kids, then one kid 50 times.
      const kids = [...Array.from({ length: 150 }, () => randomBytes(32).toString('base64url')), ...Array<string>(50).fill('same-made-up-kid')];
      for (let i = 0; i < kids.length; i += 25) {
        const batch = kids.slice(i, i + 25).map((kid) => introspect(`${b64({ alg: 'ES256', kid, typ: 'at+jwt' })}.${payload}.${sig}`));
        for (const r of await Promise.all(batch)) expect(r.body).toEqual({ active: false });
      }
      const seconds = Math.ceil((Date.now() - started) / 1000) + 1;
      expect(list.mock.calls.length).toBeGreaterThan(0);
      expect(list.mock.calls.length).toBeLessThanOrEqual(KID_LOOKUP_LIMITS.maxPerSecond * seconds);
    } finally {
      list.mockRestore();
    }
  });
});
