import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { basic, startTestServer, type TestServer } from '../../support/server.js';
import { hashSecret } from '../../../src/crypto/password-hash.js';
import { passwordScope } from '../../../src/oauth/grants/password.js';
import type { Client } from '../../../src/store/types.js';

const SECRET = 'confidential-secret-123';
const PASSWORD = 'p@ss word+&=1';
let s: TestServer;
let adaId: string;

// Every request claims its own source address (X-Forwarded-For from 127.0.0.1, a trusted proxy here), so
// failures in one test never throttle another.
let ipSeq = 0;
const freshIp = () => `198.51.100.${++ipSeq}`;

async function login(form: Record<string, string>, headers: Record<string, string> = {}, ip = freshIp()) {
  return s.post('/oauth/token', { grant_type: 'password', ...form }, { 'x-forwarded-for': ip, ...headers });
}

beforeAll(async () => {
  s = await startTestServer({
    // A long base delay keeps the throttling assertions independent of how loaded the machine is.
    // Parallel guesses from one address are admitted to the KDF beyond its default per-address share (32) and wait
    // (1 s), so the throttles, not the KDF gate, decide these tests.
    env: { TESSERA_TRUST_PROXY: '127.0.0.1', TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS: '20000', TESSERA_LOGIN_THROTTLE_MAX_DELAY_MS: '60000', TESSERA_KDF_PER_ADDRESS: '128', TESSERA_KDF_MAX_WAIT_MS: '60000' },
    doc: {
      clients: [
        { client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read write admin', default_scope: 'read write' },
        { client_id: 'backend', client_secret: SECRET, grant_types: ['password'], scope: 'read write' },
        { client_id: 'machine', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' },
      ],
      users: [
        { username: 'Ada', password: PASSWORD, email: 'ada@example.com' },
        { username: 'readonly', password: PASSWORD, scope: 'read' },
        { username: 'gone', password: PASSWORD, status: 'disabled' },
        { username: 'nopass' },
        { username: 'prehashed', password_hash: await hashSecret('hashed-elsewhere') },
      ],
    },
  });
  adaId = (await s.ctx.store.users.getByUsername('ada'))!.id;
});
afterAll(async () => s.stop());

describe('password grant (RFC 6749 §4.3)', () => {
  it('issues a JWT for a public client, with the user id as sub and the username claim, plus a refresh token', async () => {
    const r = await login({ client_id: 'web', username: 'Ada', password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(typeof r.body.refresh_token).toBe('string');
    const jwks = (await (await fetch(s.url + '/.well-known/jwks.json')).json()) as { keys: [] };
    const { payload } = await jwtVerify(r.body.access_token as string, createLocalJWKSet(jwks), { issuer: s.config.issuer, typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: adaId, username: 'Ada', client_id: 'web', scope: 'read write' });
  });

  it('works for a confidential client with Basic auth, without a refresh token when refresh_token is not allowed', async () => {
    const r = await login({ username: 'ada', password: PASSWORD }, { authorization: basic('backend', SECRET) });
    expect(r.status).toBe(200);
    expect(r.body.refresh_token).toBeUndefined();
    expect(decodeJwt(r.body.access_token as string).client_id).toBe('backend');
  });

  it('matches usernames case-insensitively', async () => {
    for (const username of ['ADA', 'ada', 'aDa']) {
      const r = await login({ client_id: 'web', username, password: PASSWORD });
      expect(r.status).toBe(200);
      expect(decodeJwt(r.body.access_token as string).sub).toBe(adaId);
    }
  });

  it('accepts an imported argon2 password_hash', async () => {
    const r = await login({ client_id: 'web', username: 'prehashed', password: 'hashed-elsewhere' });
    expect(r.status).toBe(200);
  });

  it.each([
    ['a wrong password', 'Ada', 'wrong password'],
    ['an unknown user', 'nobody', PASSWORD],
    ['a disabled user', 'gone', PASSWORD],
    ['a user without a password', 'nopass', PASSWORD],
    ['a password that differs only in case', 'Ada', PASSWORD.toUpperCase()],
  ])('answers %s with the same 400 invalid_grant', async (_what, username, password) => {
    const r = await login({ client_id: 'web', username, password });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error: 'invalid_grant', error_description: 'The username or password is incorrect' });
  });

  it('rejects missing username or password with invalid_request', async () => {
    expect((await login({ client_id: 'web', password: PASSWORD })).body.error).toBe('invalid_request');
    expect((await login({ client_id: 'web', username: 'Ada' })).body.error).toBe('invalid_request');
  });

  it('refuses a client that may not use the password grant', async () => {
    const r = await login({ username: 'Ada', password: PASSWORD }, { authorization: basic('machine', SECRET) });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('unauthorized_client');
  });

  it('refuses a wrong client secret with invalid_client before looking at the user', async () => {
    const r = await login({ username: 'Ada', password: PASSWORD }, { authorization: basic('backend', 'not-the-secret') });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  describe('scope = requested ∩ client ∩ user', () => {
    it('grants a requested subset', async () => {
      const r = await login({ client_id: 'web', username: 'Ada', password: PASSWORD, scope: 'admin' });
      expect(r.body.scope).toBe('admin');
    });

    it('caps the default scope by the user allowance', async () => {
      const r = await login({ client_id: 'web', username: 'readonly', password: PASSWORD });
      expect(r.status).toBe(200);
      expect(r.body.scope).toBe('read');
    });

    it('refuses scope beyond the user allowance with invalid_scope', async () => {
      const r = await login({ client_id: 'web', username: 'readonly', password: PASSWORD, scope: 'read write' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_scope');
    });

    it('refuses scope beyond the client allowance with invalid_scope (before any password is tried)', async () => {
      const r = await login({ client_id: 'web', username: 'Ada', password: 'wrong', scope: 'read delete' });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_scope');
    });
  });

  describe('failed-login throttling', () => {
    it('answers 429 with Retry-After after repeated failures, without telling whether the user exists', async () => {
      const ip = freshIp();
      for (const username of ['Ada', 'nobody']) {
        const statuses: number[] = [];
        let last: Awaited<ReturnType<typeof login>> | undefined;
        for (let i = 0; i < 8; i++) {
          last = await login({ client_id: 'web', username, password: 'guess-' + i }, {}, ip);
          statuses.push(last.status);
        }
        // Five free attempts, the sixth fails and starts a delay, the next ones are refused at once.
        expect(statuses.slice(0, 6)).toEqual([400, 400, 400, 400, 400, 400]);
        expect(statuses.slice(6)).toEqual([429, 429]);
        expect(last!.body.error).toBe('too_many_requests');
        expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    });

    it('refuses even the right password while throttled, and the real user still logs in from another address', async () => {
      const attacker = freshIp();
      for (let i = 0; i < 6; i++) await login({ client_id: 'web', username: 'readonly', password: 'guess-' + i }, {}, attacker);
      const blocked = await login({ client_id: 'web', username: 'readonly', password: PASSWORD }, {}, attacker);
      expect(blocked.status).toBe(429);
      const elsewhere = await login({ client_id: 'web', username: 'readonly', password: PASSWORD }, {}, freshIp());
      expect(elsewhere.status).toBe(200);
    });

    it('does not lock out people sharing an address with a guesser: 60 failures for other names, then the right password from there', async () => {
      const shared = freshIp();
      const guesses = await Promise.all(Array.from({ length: 60 }, (_, i) => login({ client_id: 'web', username: `someone-${i}`, password: 'guess' }, {}, shared)));
      expect(guesses.every((r) => r.status === 400)).toBe(true);
      // The per-address counter is much looser than the per-(username, address) one (loginThrottle.perAddress).
      expect((await login({ client_id: 'web', username: 'Ada', password: PASSWORD }, {}, shared)).status).toBe(200);
    });

    it("serves a user's parallel right logins from one address (more than the allowance): none is taken for a failure", async () => {
      const ip = freshIp();
      const results = await Promise.all(Array.from({ length: 16 }, () => login({ client_id: 'web', username: 'Ada', password: PASSWORD }, {}, ip)));
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 16 }, () => 200));
    });

    it('counts parallel guesses: a burst cannot slip past the throttle', async () => {
      const ip = freshIp();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login({ client_id: 'web', username: 'Ada', password: 'burst-' + i }, {}, ip)));
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((x) => x === 400)).toHaveLength(6);
      expect(statuses.filter((x) => x === 429)).toHaveLength(14);
    });
  });

  it('stops a user disabled since (the per-process user cache follows the change feed)', async () => {
    await s.ctx.store.users.create({ id: 'u-later', username: 'later', passwordHash: await hashSecret(PASSWORD), status: 'active', scope: null, email: null, emailVerified: false });
    expect((await login({ client_id: 'web', username: 'later', password: PASSWORD })).status).toBe(200);
    await s.ctx.store.users.update('u-later', { status: 'disabled' });
    await expect.poll(async () => (await login({ client_id: 'web', username: 'later', password: PASSWORD })).status, { timeout: 10_000, interval: 100 }).toBe(400);
  });
});

describe('passwordScope (unit)', () => {
  const client = { scope: ['read', 'write', 'admin'], defaultScope: ['read', 'write'] } as unknown as Client;
  it.each<[string[] | undefined, string[] | null, string[] | string]>([
    [undefined, null, ['read', 'write']],
    [undefined, ['read', 'admin'], ['read']],
    [undefined, [], []],
    [['admin'], null, ['admin']],
    [['read'], ['read'], ['read']],
    [['write'], ['read'], 'invalid_scope'],
    [['delete'], null, 'invalid_scope'],
  ])('requested %j, user scope %j -> %j', (requested, userScope, expected) => {
    if (typeof expected === 'string') {
      expect(() => passwordScope(requested, client, { scope: userScope })).toThrow(expect.objectContaining({ code: expected }));
    } else {
      expect(passwordScope(requested, client, { scope: userScope })).toEqual(expected);
    }
  });
});
