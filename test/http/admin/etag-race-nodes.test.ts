import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../../support/services.js';
import { startTestServer, type TestServer } from '../../support/server.js';
import { ADMIN_CLIENTS, call, tokenOf } from './helpers.js';

/**
 * If-Match across nodes: two servers on one database, each with its own process-local state. The ETag check and
 * the write are one compare-and-set in the store (the version of clients, users, organizations, installations and identity providers), so of writers
 * holding one ETag exactly one wins whichever nodes they reach; a per-node lock alone would let one winner per
 * node through.
 */
async function twoNodes(databaseUrl: string): Promise<{ nodes: [TestServer, TestServer]; token: string }> {
  const env = { TESSERA_DATABASE_URL: databaseUrl, TESSERA_MASTER_KEY: randomBytes(32).toString('hex'), TESSERA_ISSUER: 'https://auth.race.test' };
  const a = await startTestServer({ doc: { clients: ADMIN_CLIENTS }, env });
  const b = await startTestServer({ env });
  return { nodes: [a, b], token: await tokenOf(a, 'admin') };
}

function races(backend: string, open: () => Promise<{ url: string; cleanup(): Promise<void> } | undefined>): void {
  describe(`If-Match races across two nodes (${backend})`, () => {
    let nodes: [TestServer, TestServer] | undefined;
    let token = '';
    let cleanup: (() => Promise<void>) | undefined;
    beforeAll(async () => {
      const db = await open();
      if (!db) return;
      cleanup = db.cleanup;
      ({ nodes, token } = await twoNodes(db.url));
    }, 60_000);
    afterAll(async () => {
      for (const n of nodes ?? []) await n.stop();
      await cleanup?.();
    });
    const api = (node: number, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => call(nodes![node]!.url, method, `/admin/v1${path}`, { token, ...opts });

    it('many PATCHes with one ETag, spread over both nodes: exactly one 200, the rest 412', async ({ skip }) => {
      if (!nodes) skip();
      expect((await api(0, 'POST', '/clients', { body: { client_id: 'race', grant_types: ['client_credentials'], scope: 'a b c d e f g h' } })).status).toBe(201);
      for (let round = 0; round < 4; round++) {
        const etag = (await api(round % 2, 'GET', '/clients/race')).headers.get('etag')!;
        const scopes = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((x) => (round % 2 === 0 || x === 'h' ? x : `${x} h`));
        const answers = await Promise.all(scopes.map((scope, i) => api(i % 2, 'PATCH', '/clients/race', { body: { scope }, headers: { 'if-match': etag } })));
        const won = answers.filter((r) => r.status === 200);
        expect(answers.map((r) => r.status).sort()).toEqual([200, ...Array.from({ length: scopes.length - 1 }, () => 412)]);
        expect((await api(0, 'GET', '/clients/race')).body.scope).toBe(won[0]!.body.scope);
      }
    });

    it('a DELETE and PATCHes with one ETag on both nodes: one wins, the rest 412 or 404', async ({ skip }) => {
      if (!nodes) skip();
      await api(1, 'POST', '/clients', { body: { client_id: 'race2', grant_types: ['client_credentials'], scope: 'read' } });
      const etag = (await api(0, 'GET', '/clients/race2')).headers.get('etag')!;
      const answers = await Promise.all([api(0, 'DELETE', '/clients/race2', { headers: { 'if-match': etag } }), ...[0, 1, 0, 1].map((n, i) => api(n, 'PATCH', '/clients/race2', { body: { name: `n${i}` }, headers: { 'if-match': etag } }))]);
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 200 || s === 204)).toHaveLength(1);
      for (const s of statuses) expect([200, 204, 404, 412]).toContain(s);
    });

    it('users: many PATCHes with one ETag over both nodes, exactly one 200; a stale ETag DELETE is 412', async ({ skip }) => {
      if (!nodes) skip();
      const created = await api(0, 'POST', '/users', { body: { username: 'racer', password: 'correct horse battery staple' } });
      expect(created.status).toBe(201);
      const path = `/users/${encodeURIComponent(created.body.id as string)}`;
      for (let round = 0; round < 3; round++) {
        const etag = (await api(round % 2, 'GET', path)).headers.get('etag')!;
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api(i % 2, 'PATCH', path, { body: { email: `r${round}w${i}@example.com` }, headers: { 'if-match': etag } })));
        const won = answers.filter((r) => r.status === 200);
        expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
        expect((await api(1, 'GET', path)).body.email).toBe(won[0]!.body.email);
      }
      const stale = (await api(0, 'GET', path)).headers.get('etag')!;
      expect((await api(1, 'PATCH', path, { body: { email: 'later@example.com' } })).status).toBe(200);
      expect((await api(0, 'DELETE', path, { headers: { 'if-match': stale } })).status).toBe(412);
      expect((await api(1, 'GET', path)).body.email).toBe('later@example.com');
      const fresh = (await api(0, 'GET', path)).headers.get('etag')!;
      const deletes = await Promise.all([0, 1, 0, 1].map((n) => api(n, 'DELETE', path, { headers: { 'if-match': fresh } })));
      expect(deletes.filter((r) => r.status === 204)).toHaveLength(1);
      for (const r of deletes) expect([204, 404, 412]).toContain(r.status);
      expect((await api(0, 'GET', path)).status).toBe(404);
    });

    it('organizations: many PATCHes with one ETag over both nodes, exactly one 200; DELETEs with one ETag, one 204', async ({ skip }) => {
      if (!nodes) skip();
      expect((await api(1, 'POST', '/organizations', { body: { id: 'race-org', name: 'Race' } })).status).toBe(201);
      for (let round = 0; round < 3; round++) {
        const etag = (await api(round % 2, 'GET', '/organizations/race-org')).headers.get('etag')!;
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api(i % 2, 'PATCH', '/organizations/race-org', { body: { name: `r${round}w${i}` }, headers: { 'if-match': etag } })));
        const won = answers.filter((r) => r.status === 200);
        expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
        expect((await api(0, 'GET', '/organizations/race-org')).body.name).toBe(won[0]!.body.name);
      }
      const etag = (await api(1, 'GET', '/organizations/race-org')).headers.get('etag')!;
      const answers = await Promise.all([
        ...[0, 1, 0, 1].map((n) => api(n, 'DELETE', '/organizations/race-org', { headers: { 'if-match': etag } })),
        ...[1, 0].map((n, i) => api(n, 'PATCH', '/organizations/race-org', { body: { name: `last${i}` }, headers: { 'if-match': etag } })),
      ]);
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((st) => st === 200 || st === 204)).toHaveLength(1);
      for (const st of statuses) expect([200, 204, 404, 412]).toContain(st);
    });

    it('identity providers: one create wins over both nodes; PATCHes with one ETag, exactly one 200; a stale DELETE is 412', async ({ skip }) => {
      if (!nodes) skip();
      const provider = (issuer: string) => ({ name: 'race-idp', type: 'oidc', issuer, jwks_uri: `${issuer}/jwks`, audiences: ['tessera'] });
      const creates = await Promise.all([0, 1, 0, 1].map((n, i) => api(n, 'POST', '/identity-providers', { body: provider(`https://c${i}.example.com`) })));
      expect(creates.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
      for (let round = 0; round < 3; round++) {
        const etag = (await api(round % 2, 'GET', '/identity-providers/race-idp')).headers.get('etag')!;
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api(i % 2, 'PATCH', '/identity-providers/race-idp', { body: { issuer: `https://r${round}w${i}.example.com` }, headers: { 'if-match': etag } })));
        const won = answers.filter((r) => r.status === 200);
        expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
        expect((await api(1, 'GET', '/identity-providers/race-idp')).body.issuer).toBe(won[0]!.body.issuer);
      }
      const stale = (await api(0, 'GET', '/identity-providers/race-idp')).headers.get('etag')!;
      expect((await api(1, 'PATCH', '/identity-providers/race-idp', { body: { audiences: ['other'] } })).status).toBe(200);
      expect((await api(0, 'DELETE', '/identity-providers/race-idp', { headers: { 'if-match': stale } })).status).toBe(412);
      const fresh = (await api(1, 'GET', '/identity-providers/race-idp')).headers.get('etag')!;
      const deletes = await Promise.all([0, 1, 0, 1].map((n) => api(n, 'DELETE', '/identity-providers/race-idp', { headers: { 'if-match': fresh } })));
      expect(deletes.filter((r) => r.status === 204)).toHaveLength(1);
      for (const r of deletes) expect([204, 404, 412]).toContain(r.status);
    });

    it('installations: PATCHes with one ETag over both nodes, exactly one 200; revoke and DELETE with one ETag, one wins', async ({ skip }) => {
      if (!nodes) skip();
      expect((await api(0, 'POST', '/clients', { body: { client_id: 'race-app', grant_types: ['org_implicit'], scope: 's0 s1 s2 s3 s4 s5 s6 s7' } })).status).toBe(201);
      expect((await api(1, 'POST', '/organizations', { body: { id: 'race-inst-org', name: 'Race' } })).status).toBe(201);
      expect((await api(0, 'POST', '/organizations/race-inst-org/installations', { body: { client_id: 'race-app', scope: 's0' } })).status).toBe(201);
      const path = '/organizations/race-inst-org/installations/race-app';
      for (let round = 0; round < 3; round++) {
        const etag = (await api(round % 2, 'GET', path)).headers.get('etag')!;
        const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => api(i % 2, 'PATCH', path, { body: { scope: `s${i} s${(i + round + 1) % 8}` }, headers: { 'if-match': etag } })));
        const won = answers.filter((r) => r.status === 200);
        expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
        expect((await api(1, 'GET', path)).body.scope).toBe(won[0]!.body.scope);
      }
      const etag = (await api(0, 'GET', path)).headers.get('etag')!;
      const answers = await Promise.all([
        ...[0, 1].map((n) => api(n, 'POST', `${path}/revoke`, { headers: { 'if-match': etag } })),
        ...[1, 0].map((n) => api(n, 'DELETE', path, { headers: { 'if-match': etag } })),
        ...[0, 1].map((n, i) => api(n, 'PATCH', path, { body: { scope: `s${i}` }, headers: { 'if-match': etag } })),
      ]);
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((st) => st === 200 || st === 204)).toHaveLength(1);
      for (const st of statuses) expect([200, 204, 404, 409, 412]).toContain(st);
    });
  });
}

races('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-race-'));
  return { url: `sqlite:${join(dir, 'shared.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

races('PostgreSQL', async () => {
  if (!(await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL))) return undefined;
  const db: TestDatabase = await createTestDatabase();
  return { url: db.url, cleanup: () => db.drop() };
});
