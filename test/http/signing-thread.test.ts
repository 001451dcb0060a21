import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/** Tokens issued over HTTP while the signing thread batches overlapping requests (ADR 0009). */
const SECRET = 'thread-secret-123';
const servers: Record<string, TestServer> = {};

beforeAll(async () => {
  for (const [name, setting, alg] of [
    ['on-es256', 'true', 'ES256'],
    ['on-eddsa', 'true', 'EdDSA'],
    ['off', 'false', 'ES256'],
  ] as const) {
    servers[name] = await startTestServer({
      // 300 connections from one address: above the per-address connection cap's default (256).
      env: { TESSERA_SIGNING_THREAD: setting, TESSERA_SIGNING_ALG: alg, TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' },
      doc: { clients: [{ client_id: 'app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read write' }] },
    });
  }
}, 30_000);
afterAll(async () => Promise.all(Object.values(servers).map((s) => s.stop())));

describe('the signing thread over HTTP', () => {
  for (const name of ['on-es256', 'on-eddsa', 'off']) {
    it(`${name}: 300 overlapping token requests each get their own valid token`, async () => {
      const s = servers[name]!;
      expect(s.signingThread).toBe(name !== 'off');
      const scopes = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 'read' : i % 3 === 1 ? 'write' : 'read write'));
      const answers = await Promise.all(scopes.map((scope) => s.post('/oauth/token', { grant_type: 'client_credentials', scope }, { authorization: basic('app', SECRET) })));
      const jwks = createLocalJWKSet((await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as never);
      const jtis = new Set<string>();
      for (let i = 0; i < answers.length; i++) {
        expect(answers[i]!.status).toBe(200);
        const { payload } = await jwtVerify(answers[i]!.body.access_token as string, jwks, { issuer: s.config.issuer, typ: 'at+jwt' });
        // Each token carries the claims of its own request.
        expect(payload.scope).toBe(scopes[i]);
        jtis.add(payload.jti as string);
      }
      expect(jtis.size).toBe(300);
    });
  }
});
