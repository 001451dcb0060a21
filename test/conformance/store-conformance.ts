import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/store/errors.js';
import type { AccessTokenRecord, NewClient, RefreshFamily, RefreshToken, Store, StoredEvent } from '../../src/store/types.js';
import { clientRegistrationCases } from './client-registration-conformance.js';
import { organizationDeletionCases } from './organization-deletion-conformance.js';
import { keyRetirementCases } from './key-retirement-conformance.js';
import { clientVersionCases } from './client-version-conformance.js';
import { recordVersionCases } from './record-version-conformance.js';

/**
 * The Store conformance suite, written once and run against every backend (test/conformance/*.test.ts).
 * Every backend must behave identically for every operation of every aggregate in src/store/types.ts.
 */
export interface OpenedStore {
  store: Store;
  cleanup(): Promise<void>;
}

const now = () => Math.floor(Date.now() / 1000);
let counter = 0;
/** Unique ids per test, so the tests share one database without seeing each other. */
const uid = (prefix: string) => `${prefix}-${(++counter).toString(36)}-${randomBytes(3).toString('hex')}`;

export function newClient(clientId: string, over: Partial<NewClient> = {}): NewClient {
  return {
    clientId,
    name: 'A client',
    secretHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    secretEncrypted: null,
    tokenEndpointAuthMethod: 'client_secret_basic',
    grantTypes: ['client_credentials', 'refresh_token'],
    scope: ['read', 'write'],
    defaultScope: ['read'],
    audience: ['https://api.example'],
    accessTokenTtl: 900,
    accessTokenFormat: 'jwt',
    refreshTokenTtl: 86400,
    refreshIdleTtl: 3600,
    refreshReuseInterval: 0,
    introspectAny: false,
    jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc' }] },
    jwksUri: null,
    rateLimit: { points: 10, duration: 60 },
    allowedResources: ['https://api.example', 'payments'],
    metadata: { plan: 'gold', limits: { seats: 5, regions: ['eu', 'us'] } },
    claims: { plan: '{{client.metadata.plan}}', tier: 2 },
    tokenHook: 'fail_closed',
    status: 'active',
    ...over,
  };
}

function hash(): string {
  return randomBytes(32).toString('hex');
}

export function runStoreConformance(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store conformance: ${name}`, () => {
    let opened: OpenedStore | undefined;
    let store: Store;

    beforeAll(async () => {
      opened = await open();
      store = opened.store;
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    async function family(over: Partial<Omit<RefreshFamily, 'status' | 'revokedAt'>> = {}, tokenOver: Partial<RefreshToken> = {}) {
      const clientId = over.clientId ?? uid('fc');
      if (!(await store.clients.get(clientId))) await store.clients.create(newClient(clientId));
      const t = now();
      const fam = { familyId: uid('fam'), clientId, subject: 'user-1', userId: null, orgId: null, installationId: null, scope: ['read', 'write'], claims: { idp: 'x' }, audience: null, createdAt: t, expiresAt: t + 3600, confirmation: null, ...over };
      const first = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600, ...tokenOver };
      await store.refreshTokens.createFamily(fam, first);
      return { fam, first };
    }

    clientRegistrationCases(() => store);
    organizationDeletionCases(() => store);
    keyRetirementCases(() => store);
    clientVersionCases(() => store);
    recordVersionCases(() => store);

    describe('basics', () => {
      it('ping answers and the dialect is named', async () => {
        await store.ping();
        expect(['sqlite', 'postgres']).toContain(store.dialect);
      });
    });

    describe('clients', () => {
      it('list searches client_id and name, case-insensitively and literally (no wildcards), with the cursor', async () => {
        const tag = uid('srch').replace(/[^a-z0-9]/gi, '');
        await store.clients.create(newClient(`${tag}-alpha`, { name: 'Billing Sync' }));
        await store.clients.create(newClient(`${tag}-beta`, { name: 'reports' }));
        await store.clients.create(newClient(`${tag}_gamma`, { name: '100% Billing' }));
        const ids = async (search: string, after?: string) => (await store.clients.list({ search, limit: 50, ...(after ? { after } : {}) })).map((c) => c.clientId);
        expect(await ids(tag.toUpperCase())).toEqual([`${tag}-alpha`, `${tag}-beta`, `${tag}_gamma`]);
        expect((await ids('billing')).filter((id) => id.startsWith(tag))).toEqual([`${tag}-alpha`, `${tag}_gamma`]);
        // '%' and '_' are themselves, not wildcards.
        expect(await ids(`${tag}_`)).toEqual([`${tag}_gamma`]);
        expect((await ids('100%')).filter((id) => id.startsWith(tag))).toEqual([`${tag}_gamma`]);
        expect(await ids(`${tag}%a`)).toEqual([]);
        expect(await ids(tag, `${tag}-alpha`)).toEqual([`${tag}-beta`, `${tag}_gamma`]);
      });

      it('create then get returns every field as written', async () => {
        const id = uid('c');
        const input = newClient(id);
        const created = await store.clients.create(input);
        const got = await store.clients.get(id);
        expect(got).toEqual(created);
        expect(got).toMatchObject(input);
        expect(got!.createdAt).toBeGreaterThan(0);
        expect(got!.updatedAt).toBe(got!.createdAt);
      });

      it('delegation and allowed_origins survive the round trip, and default to null', async () => {
        const id = uid('c');
        const input = newClient(id, { delegation: { actors: ['svc', '*'], may_act_for: ['u-1'] }, allowedOrigins: ['https://app.example', 'http://localhost:3000'] });
        await store.clients.create(input);
        expect(await store.clients.get(id)).toMatchObject({ delegation: input.delegation, allowedOrigins: input.allowedOrigins });
        const plain = uid('c');
        await store.clients.create(newClient(plain));
        expect(await store.clients.get(plain)).toMatchObject({ delegation: null, allowedOrigins: null });
        const updated = await store.clients.update(id, { delegation: null, allowedOrigins: ['https://other.example'] });
        expect(updated).toMatchObject({ delegation: null, allowedOrigins: ['https://other.example'] });
      });

      it('the mutual-TLS settings survive the round trip, and default to null and false', async () => {
        const id = uid('c');
        const input = newClient(id, { tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: 'CN=svc,O=Example\\, Inc.,C=DE', tlsClientCertificateBoundAccessTokens: true });
        await store.clients.create(input);
        expect(await store.clients.get(id)).toMatchObject({ tokenEndpointAuthMethod: 'tls_client_auth', tlsClientAuthSubjectDn: input.tlsClientAuthSubjectDn, tlsClientAuthSanDns: null, tlsClientCertificateBoundAccessTokens: true });
        const plain = uid('c');
        const created = await store.clients.create(newClient(plain));
        expect(created).toMatchObject({ tlsClientAuthSubjectDn: null, tlsClientAuthSanDns: null, tlsClientAuthSanUri: null, tlsClientAuthSanIp: null, tlsClientAuthSanEmail: null, tlsClientCertificateBoundAccessTokens: false });
        expect(await store.clients.get(plain)).toEqual(created);
        const updated = await store.clients.update(id, { tlsClientAuthSubjectDn: null, tlsClientAuthSanUri: 'spiffe://example.org/svc', tlsClientAuthSanIp: '10.0.0.7', tlsClientAuthSanEmail: 'svc@example.org', tlsClientAuthSanDns: 'svc.example.org', tlsClientCertificateBoundAccessTokens: false });
        expect(updated).toMatchObject({ tlsClientAuthSubjectDn: null, tlsClientAuthSanUri: 'spiffe://example.org/svc', tlsClientAuthSanIp: '10.0.0.7', tlsClientAuthSanEmail: 'svc@example.org', tlsClientAuthSanDns: 'svc.example.org', tlsClientCertificateBoundAccessTokens: false });
        expect(await store.clients.get(id)).toEqual(updated);
      });

      it('dpop_bound_access_tokens survives the round trip and defaults to false', async () => {
        const id = uid('c');
        await store.clients.create(newClient(id, { dpopBoundAccessTokens: true }));
        expect((await store.clients.get(id))!.dpopBoundAccessTokens).toBe(true);
        const plain = uid('c');
        await store.clients.create(newClient(plain));
        expect((await store.clients.get(plain))!.dpopBoundAccessTokens).toBe(false);
        expect((await store.clients.update(id, { dpopBoundAccessTokens: false }))!.dpopBoundAccessTokens).toBe(false);
      });

      it('allowedOrigins lists every client origin once (the CORS preflight index)', async () => {
        const o = `https://${uid('o')}.example`;
        await store.clients.create(newClient(uid('c'), { allowedOrigins: [o, 'https://shared.example'] }));
        await store.clients.create(newClient(uid('c'), { allowedOrigins: ['https://shared.example'] }));
        const all = await store.clients.allowedOrigins();
        expect(all).toContain(o);
        expect(all.filter((x) => x === 'https://shared.example')).toHaveLength(1);
      });

      it('null and empty values survive the round trip', async () => {
        const id = uid('c');
        const input = newClient(id, { name: null, secretHash: null, defaultScope: null, audience: null, scope: [], grantTypes: [], jwks: null, rateLimit: null, allowedResources: null, metadata: null, claims: null, tokenHook: null, refreshTokenTtl: null, refreshIdleTtl: null, introspectAny: true, tokenEndpointAuthMethod: 'none' });
        await store.clients.create(input);
        expect(await store.clients.get(id)).toMatchObject(input);
      });

      it('ids are exact: case and unicode matter', async () => {
        const id = uid('Case-É');
        await store.clients.create(newClient(id));
        expect(await store.clients.get(id.toLowerCase())).toBeUndefined();
        expect(await store.clients.get(id)).toBeDefined();
        expect(await store.clients.get(uid('missing'))).toBeUndefined();
      });

      it('a second create with the same id is a ConflictError and changes nothing', async () => {
        const id = uid('c');
        await store.clients.create(newClient(id, { name: 'first' }));
        await expect(store.clients.create(newClient(id, { name: 'second' }))).rejects.toBeInstanceOf(ConflictError);
        expect((await store.clients.get(id))!.name).toBe('first');
      });

      it('update patches only the given fields; unknown ids give undefined', async () => {
        const id = uid('c');
        await store.clients.create(newClient(id));
        const updated = await store.clients.update(id, { scope: ['x'], defaultScope: null, status: 'disabled', rateLimit: null });
        expect(updated).toMatchObject({ clientId: id, scope: ['x'], defaultScope: null, status: 'disabled', rateLimit: null, name: 'A client', accessTokenTtl: 900 });
        expect(await store.clients.get(id)).toEqual(updated);
        expect(await store.clients.update(uid('missing'), { name: 'x' })).toBeUndefined();
      });

      it('a new client without second-secret fields stores them as null; all six round-trip', async () => {
        const id = uid('c');
        const created = await store.clients.create(newClient(id));
        expect(created).toMatchObject({ secretExpiresAt: null, secretLastUsedAt: null, previousSecretHash: null, previousSecretEncrypted: null, previousSecretExpiresAt: null, previousSecretLastUsedAt: null });
        expect(await store.clients.get(id)).toEqual(created);
        const overlap = { secretExpiresAt: 2_000_000_000, secretLastUsedAt: 1_700_000_000, previousSecretHash: '$argon2id$old', previousSecretEncrypted: 'v1.sealed', previousSecretExpiresAt: 1_900_000_000, previousSecretLastUsedAt: 1_600_000_000 };
        const updated = await store.clients.update(id, overlap);
        expect(updated).toMatchObject(overlap);
        expect(await store.clients.get(id)).toEqual(updated);
      });

      it('update with ifSecretHash is a compare-and-set on the current secret, also under concurrency', async () => {
        const id = uid('c');
        const first = await store.clients.create(newClient(id));
        expect(await store.clients.update(id, { name: 'x' }, { ifSecretHash: 'not-the-hash' })).toBeUndefined();
        expect((await store.clients.get(id))!.name).toBe('A client');
        const start = await store.changes.latest();
        // Many writers that all read the same current hash: exactly one replaces it.
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.clients.update(id, { secretHash: `$argon2id$new-${i}`, previousSecretHash: first.secretHash }, { ifSecretHash: first.secretHash })));
        expect(results.filter((r) => r !== undefined)).toHaveLength(1);
        expect((await store.clients.get(id))!.previousSecretHash).toBe(first.secretHash);
        expect((await store.changes.since(start)).filter((c) => c.topic === 'client' && c.key === id)).toHaveLength(1);
        const pub = uid('c');
        await store.clients.create(newClient(pub, { secretHash: null, tokenEndpointAuthMethod: 'none' }));
        expect(await store.clients.update(pub, { name: 'p' }, { ifSecretHash: null })).toMatchObject({ name: 'p' });
        expect(await store.clients.update(pub, { name: 'q' }, { ifSecretHash: 'x' })).toBeUndefined();
        expect(await store.clients.update(uid('missing'), { name: 'x' }, { ifSecretHash: null })).toBeUndefined();
      });

      it('recordSecretUse sets the last use of the slot holding that hash, only forwards, without a change record', async () => {
        const id = uid('c');
        const created = await store.clients.create(newClient(id, { previousSecretHash: '$argon2id$old' }));
        const start = await store.changes.latest();
        await store.clients.recordSecretUse(id, created.secretHash!, 1000);
        await store.clients.recordSecretUse(id, '$argon2id$old', 500);
        let got = (await store.clients.get(id))!;
        expect(got).toMatchObject({ secretLastUsedAt: 1000, previousSecretLastUsedAt: 500, updatedAt: created.updatedAt });
        await store.clients.recordSecretUse(id, created.secretHash!, 900);
        await store.clients.recordSecretUse(id, '$argon2id$old', 700);
        await store.clients.recordSecretUse(id, '$argon2id$unknown', 5000);
        await store.clients.recordSecretUse(uid('missing'), created.secretHash!, 5000);
        got = (await store.clients.get(id))!;
        expect(got).toMatchObject({ secretLastUsedAt: 1000, previousSecretLastUsedAt: 700 });
        expect(await store.changes.since(start)).toEqual([]);
      });

      it('list pages in client_id order; count counts', async () => {
        const prefix = uid('page');
        const ids = [`${prefix}-b`, `${prefix}-a`, `${prefix}-c`];
        for (const id of ids) await store.clients.create(newClient(id));
        const all = (await store.clients.list({ limit: 10_000 })).map((c) => c.clientId).filter((id) => id.startsWith(prefix));
        expect(all).toEqual([...ids].sort());
        const after = await store.clients.list({ after: `${prefix}-a`, limit: 2 });
        expect(after.map((c) => c.clientId)).toEqual([`${prefix}-b`, `${prefix}-c`]);
        expect(await store.clients.count()).toBeGreaterThanOrEqual(3);
      });

      it('scopeSample: the distinct scope values of the sampled clients, sorted', async () => {
        const a = uid('sa');
        const b = uid('sb');
        await store.clients.create(newClient(uid('scopes-1'), { scope: [a, 'read'] }));
        await store.clients.create(newClient(uid('scopes-2'), { scope: [b, a] }));
        await store.clients.create(newClient(uid('scopes-3'), { scope: [] }));
        const all = await store.clients.scopeSample(10_000);
        expect(all).toEqual([...new Set(all)].sort());
        expect(all).toEqual(expect.arrayContaining([a, b, 'read']));
        expect(all).not.toContain('');
        // A limit samples that many clients: one client's scope, exactly.
        const one = await store.clients.scopeSample(1);
        const scopes = (await store.clients.list({ limit: 10_000 })).map((c) => [...new Set(c.scope)].sort().join(' '));
        expect(scopes).toContain(one.join(' '));
      });

      it('delete removes the client, revokes its refresh families and cascades its API keys', async () => {
        const { fam, first } = await family();
        await store.apiKeys.add({ publicKey: randomBytes(32).toString('hex'), clientId: fam.clientId, kind: 'ed25519' });
        expect(await store.clients.delete(fam.clientId)).toBe(true);
        expect(await store.clients.get(fam.clientId)).toBeUndefined();
        expect(await store.clients.delete(fam.clientId)).toBe(false);
        expect((await store.refreshTokens.find(first.hash))?.family.status ?? 'revoked').toBe('revoked');
        expect(await store.apiKeys.listForClient(fam.clientId)).toEqual([]);
      });

      it('delete announces each family it revokes with one family change in its transaction, as every revocation does', async () => {
        const clientId = uid('c');
        const [a, b, before] = [await family({ clientId }), await family({ clientId }), await family({ clientId })];
        const other = await family();
        const t = now();
        expect(await store.refreshTokens.revokeFamily(before.fam.familyId, t - 10)).toBe(true);
        // A rolled-back deletion revokes and announces nothing.
        const start = await store.changes.latest();
        await expect(
          store.transaction(async (tx) => {
            expect(await tx.clients.delete(clientId)).toBe(true);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.changes.latest()).toBe(start);
        expect(await store.clients.get(clientId)).toBeDefined();

        expect(await store.clients.delete(clientId)).toBe(true);
        const changes = await store.changes.since(start);
        const families = changes.filter((c) => c.topic === 'family');
        // The already revoked family is not announced again; another client's is untouched.
        expect(families.map((c) => c.key).sort()).toEqual([a.fam.familyId, b.fam.familyId].sort());
        expect(changes.filter((c) => c.topic === 'client').map((c) => c.key)).toEqual([clientId]);
        const at = families[0]!.at;
        expect(at).toBeGreaterThanOrEqual(t);
        for (const c of families) expect(c.at).toBe(at);
        const listed = await store.refreshTokens.listRevokedFamilies(t - 1);
        for (const f of [a, b]) expect(listed).toContainEqual({ familyId: f.fam.familyId, revokedAt: at });
        expect(listed.map((f) => f.familyId)).not.toContain(other.fam.familyId);
      });
    });

    describe('api keys', () => {
      it('add (normalised to lower case), get, listForClient, remove, conflict', async () => {
        const id = uid('c');
        await store.clients.create(newClient(id));
        const hex = randomBytes(32).toString('hex').toUpperCase();
        const key = await store.apiKeys.add({ publicKey: hex, clientId: id, kind: 'ed25519' });
        expect(key.publicKey).toBe(hex.toLowerCase());
        expect(await store.apiKeys.get(hex)).toMatchObject({ publicKey: hex.toLowerCase(), clientId: id, kind: 'ed25519' });
        const other = '02' + randomBytes(32).toString('hex');
        await store.apiKeys.add({ publicKey: other, clientId: id, kind: 'secp256k1' });
        expect((await store.apiKeys.listForClient(id)).map((k) => k.publicKey).sort()).toEqual([hex.toLowerCase(), other].sort());
        await expect(store.apiKeys.add({ publicKey: hex.toLowerCase(), clientId: id, kind: 'ed25519' })).rejects.toBeInstanceOf(ConflictError);
        expect(await store.apiKeys.remove(hex)).toBe(true);
        expect(await store.apiKeys.remove(hex)).toBe(false);
        expect(await store.apiKeys.get(hex)).toBeUndefined();
      });
    });

    describe('signing keys', () => {
      const key = (kid: string) => ({ kid, alg: 'ES256' as const, publicJwk: { kty: 'EC', kid }, privateKeyEncrypted: `v1.sealed.${kid}` });

      it('insert, list newest first, rotate retires every active key, deleteExpired drops retired keys past their window', async () => {
        const before = (await store.keys.list()).length;
        const a = uid('kid');
        await store.keys.insert({ ...key(a), status: 'active', retiredAt: null, publishUntil: null, createdAt: now() - 100 });
        const b = uid('kid');
        const publishUntil = now() - 1;
        const rotated = await store.keys.rotate(key(b), publishUntil);
        expect(rotated).toMatchObject({ kid: b, status: 'active', retiredAt: null, publishUntil: null });
        const list = await store.keys.list();
        expect(list.length).toBe(before + 2);
        expect(list[0]!.kid).toBe(b);
        const old = list.find((k) => k.kid === a)!;
        expect(old).toMatchObject({ status: 'retired', publishUntil });
        expect(old.retiredAt).not.toBeNull();
        expect(list.filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([b]);
        expect(list.find((k) => k.kid === b)!.publicJwk).toEqual({ kty: 'EC', kid: b });

        const c = uid('kid');
        await store.keys.rotate(key(c), now() + 3600);
        expect(await store.keys.deleteExpired(now())).toBeGreaterThanOrEqual(1);
        const kids = (await store.keys.list()).map((k) => k.kid);
        expect(kids).not.toContain(a);
        expect(kids).toContain(b); // retired, still inside its window
        expect(kids).toContain(c);
      });

      it('insertFirstActive inserts only when no key is active, also under concurrency', async () => {
        // A key is active from the previous test.
        expect(await store.keys.insertFirstActive(key(uid('kid')))).toBe(false);
        const results = await Promise.all(Array.from({ length: 5 }, () => store.keys.insertFirstActive(key(uid('kid')))));
        expect(results.every((r) => r === false)).toBe(true);
        expect((await store.keys.list()).filter((k) => k.status === 'active')).toHaveLength(1);
      });

      it('insertNextIfDue: one pending key, only when the signing key is old enough, also under concurrency', async () => {
        // Start from one active key activated at t0.
        const t0 = now() - 1000;
        const cur = uid('kid');
        await store.keys.rotate(key(cur), now() + 3600);
        await store.keys.insert({ ...key(uid('kid')), status: 'retired', retiredAt: t0, publishUntil: now() + 3600, createdAt: t0 - 10 });
        const activeNow = (await store.keys.list()).find((k) => k.kid === cur)!;
        const activated = activeNow.activatesAt ?? activeNow.createdAt;
        // Not due: the key activated after dueBefore.
        expect(await store.keys.insertNextIfDue(key(uid('kid')), { now: now(), activatesAt: now() + 60, dueBefore: activated - 1 })).toBeUndefined();
        // Due: of eight schedulers racing, exactly one inserts.
        const at = { now: now(), activatesAt: now() + 60, dueBefore: activated };
        const results = await Promise.all(Array.from({ length: 8 }, () => store.keys.insertNextIfDue(key(uid('kid')), at)));
        const inserted = results.filter((r) => r !== undefined);
        expect(inserted).toHaveLength(1);
        expect(inserted[0]).toMatchObject({ status: 'pending', activatesAt: at.activatesAt, createdAt: at.now, retiredAt: null, publishUntil: null });
        const list = await store.keys.list();
        expect(list.filter((k) => k.status === 'pending').map((k) => k.kid)).toEqual([inserted[0]!.kid]);
        expect(list.find((k) => k.kid === inserted[0]!.kid)).toEqual(inserted[0]);
        // A pending key exists: nothing more, however late.
        expect(await store.keys.insertNextIfDue(key(uid('kid')), { now: now(), activatesAt: now() + 60, dueBefore: now() + 10_000 })).toBeUndefined();
        // Not yet due for activation.
        expect(await store.keys.activateDue(now(), 600)).toBeUndefined();
        // The database itself holds at most one pending key.
        await expect(store.keys.insert({ ...key(uid('kid')), status: 'pending', retiredAt: null, publishUntil: null, activatesAt: now() + 5 })).rejects.toThrow();
      });

      it('activateDue: the due pending key becomes active once (compare-and-set), the keys it replaces retire at its activation', async () => {
        const pending = (await store.keys.list()).find((k) => k.status === 'pending')!;
        const replaced = (await store.keys.list()).filter((k) => k.status === 'active').map((k) => k.kid);
        const at = pending.activatesAt!;
        const results = await Promise.all(Array.from({ length: 6 }, () => store.keys.activateDue(at, 600)));
        const won = results.filter((r) => r !== undefined);
        expect(won).toHaveLength(1);
        expect(won[0]!.activated).toMatchObject({ kid: pending.kid, status: 'active', activatesAt: at });
        expect(won[0]!.retired.map((k) => k.kid).sort()).toEqual(replaced.sort());
        for (const r of won[0]!.retired) expect(r).toMatchObject({ status: 'retired', retiredAt: at, publishUntil: at + 600 });
        const list = await store.keys.list();
        expect(list.filter((k) => k.status === 'active').map((k) => k.kid)).toEqual([pending.kid]);
        expect(list.filter((k) => k.status === 'pending')).toEqual([]);
        for (const kid of replaced) expect(list.find((k) => k.kid === kid)).toMatchObject({ status: 'retired', retiredAt: at, publishUntil: at + 600 });
        expect(await store.keys.activateDue(at + 10, 600)).toBeUndefined();
        // The new key activated at `at`: the next one is due only once dueBefore reaches it.
        expect(await store.keys.insertNextIfDue(key(uid('kid')), { now: at, activatesAt: at + 60, dueBefore: at - 1 })).toBeUndefined();
        const next = await store.keys.insertNextIfDue(key(uid('kid')), { now: at, activatesAt: at + 60, dueBefore: at });
        expect(next?.status).toBe('pending');
        // A manual rotation supersedes it: active and pending keys both retire.
        const manual = uid('kid');
        const until = now() + 100;
        await store.keys.rotate(key(manual), until);
        const after = await store.keys.list();
        expect(after.filter((k) => k.status !== 'retired').map((k) => k.kid)).toEqual([manual]);
        expect(after.find((k) => k.kid === next!.kid)).toMatchObject({ status: 'retired', publishUntil: until });
      });

      it('each scheduled step publishes a key change', async () => {
        const since = await store.changes.latest();
        const t = now();
        const next = await store.keys.insertNextIfDue(key(uid('kid')), { now: t, activatesAt: t, dueBefore: t + 1 });
        expect(next).toBeDefined();
        await store.keys.activateDue(t, 60);
        const changes = (await store.changes.since(since, 100)).filter((c) => c.topic === 'key');
        expect(changes.map((c) => c.key)).toEqual([next!.kid, next!.kid]);
      });
    });

    describe('users', () => {
      const user = (id: string, username: string, over = {}) => ({ id, username, passwordHash: null, status: 'active' as const, scope: null, email: null, emailVerified: false, ...over });

      it('create, get, case-insensitive getByUsername, getByEmail, update, delete', async () => {
        const id = uid('u');
        const name = `Alice-${id}`;
        const created = await store.users.create(user(id, name, { email: `${id}@Example.com`, scope: ['read'], passwordHash: '$argon2id$x' }));
        expect(await store.users.get(id)).toEqual(created);
        expect((await store.users.getByUsername(name.toUpperCase()))?.id).toBe(id);
        expect((await store.users.getByUsername(name.toLowerCase()))?.username).toBe(name);
        expect((await store.users.getByEmail(`${id}@example.COM`))?.id).toBe(id);
        const updated = await store.users.update(id, { status: 'disabled', scope: null, emailVerified: true });
        expect(updated).toMatchObject({ status: 'disabled', scope: null, emailVerified: true, username: name });
        expect(await store.users.update(uid('missing'), { status: 'disabled' })).toBeUndefined();
        expect(await store.users.delete(id)).toBe(true);
        expect(await store.users.delete(id)).toBe(false);
        expect(await store.users.get(id)).toBeUndefined();
      });

      it('a user\'s metadata round-trips, is patched alone and may be cleared', async () => {
        const id = uid('u');
        const metadata = { roles: ['admin', 'billing'], tier: { level: 2 } };
        expect(await store.users.create({ ...user(id, `meta-${id}`), metadata })).toMatchObject({ metadata });
        expect((await store.users.get(id))!.metadata).toEqual(metadata);
        expect((await store.users.update(id, { metadata: { roles: [] } }))!.metadata).toEqual({ roles: [] });
        expect((await store.users.update(id, { status: 'disabled' }))!.metadata).toEqual({ roles: [] });
        expect((await store.users.update(id, { metadata: null }))!.metadata).toBeNull();
      });

      it('usernames are unique case-insensitively, on create and on rename', async () => {
        const base = `Bob-${uid('u')}`;
        await store.users.create(user(uid('u'), base));
        await expect(store.users.create(user(uid('u'), base.toUpperCase()))).rejects.toBeInstanceOf(ConflictError);
        const other = uid('u');
        await store.users.create(user(other, `${base}-2`));
        await expect(store.users.update(other, { username: base.toLowerCase() })).rejects.toBeInstanceOf(ConflictError);
        expect((await store.users.get(other))!.username).toBe(`${base}-2`);
      });

      it('list pages by username', async () => {
        const p = uid('list').toLowerCase();
        for (const n of ['c', 'a', 'b']) await store.users.create(user(uid('u'), `${p}-${n}`));
        const names = (await store.users.list({ limit: 100_000 })).map((u) => u.username).filter((n) => n.startsWith(p));
        expect(names).toEqual([`${p}-a`, `${p}-b`, `${p}-c`]);
        expect((await store.users.list({ after: `${p}-a`, limit: 1 })).map((u) => u.username)).toEqual([`${p}-b`]);
      });

      it('list filters by username and e-mail (case-insensitively) and by status', async () => {
        const p = uid('filter').toLowerCase();
        await store.users.create({ ...user(uid('u'), `${p}-a`), email: `${p}@Example.com` });
        await store.users.create({ ...user(uid('u'), `${p}-b`), email: `${p}@example.com`, status: 'disabled' });
        await store.users.create(user(uid('u'), `${p}-c`));
        const names = async (o: Parameters<typeof store.users.list>[0]) => (await store.users.list({ limit: 100_000, ...o })).map((u) => u.username).filter((n) => n.startsWith(p));
        expect(await names({ username: `${p.toUpperCase()}-B` })).toEqual([`${p}-b`]);
        expect(await names({ email: `${p}@EXAMPLE.com` })).toEqual([`${p}-a`, `${p}-b`]);
        expect(await names({ status: 'disabled' })).toEqual([`${p}-b`]);
        expect(await names({ email: `${p}@example.com`, status: 'active' })).toEqual([`${p}-a`]);
        expect(await names({ status: 'active', after: `${p}-a` })).toEqual([`${p}-c`]);
      });

      it('deleting a user revokes the user’s refresh families', async () => {
        const id = uid('u');
        await store.users.create(user(id, `carol-${id}`));
        const { first } = await family({ userId: id, subject: id });
        await store.users.delete(id);
        expect((await store.refreshTokens.find(first.hash))!.family.status).toBe('revoked');
      });
    });

    describe('refresh tokens', () => {
      it('createFamily and find return the family and its first token', async () => {
        const { fam, first } = await family();
        const rec = await store.refreshTokens.find(first.hash);
        expect(rec!.family).toEqual({ ...fam, status: 'active', revokedAt: null });
        expect(rec!.token).toEqual({ ...first, familyId: fam.familyId, status: 'active', rotatedAt: null });
        expect(await store.refreshTokens.find(hash())).toBeUndefined();
      });

      it('a family keeps the audience it was granted through find, rotate and a retried rotation (RFC 8707)', async () => {
        const audience = ['https://api.example/', 'payments'];
        const { fam, first } = await family({ audience });
        expect((await store.refreshTokens.find(first.hash))!.family.audience).toEqual(audience);
        const t = now();
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        const out = await store.refreshTokens.rotate(first.hash, next, t, 60);
        expect(out).toMatchObject({ kind: 'rotated', family: { familyId: fam.familyId, audience } });
        // The same token again inside the reuse interval: the judged path (not the engine's live statement).
        const retry = await store.refreshTokens.rotate(first.hash, { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 }, t, 60);
        expect(retry).toMatchObject({ kind: 'retried', family: { audience } });
        expect((await store.refreshTokens.getFamily(fam.familyId))!.audience).toEqual(audience);
      });

      it('keeps a family\'s confirmation (cnf) through find, rotate and getFamily', async () => {
        const cnf = { jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' };
        const { fam, first } = await family({ confirmation: cnf });
        expect((await store.refreshTokens.find(first.hash))!.family.confirmation).toEqual(cnf);
        const t = now();
        const out = await store.refreshTokens.rotate(first.hash, { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 }, t, 0);
        expect(out.kind === 'rotated' && out.family.confirmation).toEqual(cnf);
        expect((await store.refreshTokens.getFamily(fam.familyId))!.confirmation).toEqual(cnf);
        const { first: unbound } = await family();
        expect((await store.refreshTokens.find(unbound.hash))!.family.confirmation).toBeNull();
      });

      it('bindFamily binds an unbound family once (compare-and-set), even under concurrent binders', async () => {
        const { fam, first } = await family();
        const a = { jkt: 'a'.repeat(43) };
        const b = { jkt: 'b'.repeat(43) };
        const results = await Promise.all([a, b, a, b, a, b].map((cnf) => store.refreshTokens.bindFamily(fam.familyId, cnf)));
        // Every caller is told the one binding that won, and the family keeps it.
        expect(new Set(results.map((r) => r?.jkt)).size).toBe(1);
        const won = results[0]!;
        expect([a.jkt, b.jkt]).toContain(won.jkt);
        expect((await store.refreshTokens.find(first.hash))!.family.confirmation).toEqual(won);
        expect(await store.refreshTokens.bindFamily(fam.familyId, won.jkt === a.jkt ? b : a)).toEqual(won);
        // A family bound at its start keeps that binding; an unknown family answers null.
        const cnf = { jkt: 'c'.repeat(43) };
        const { fam: bound } = await family({ confirmation: cnf });
        expect(await store.refreshTokens.bindFamily(bound.familyId, a)).toEqual(cnf);
        expect(await store.refreshTokens.bindFamily('no-such-family', a)).toBeNull();
      });

      it('rotate: the presented token becomes rotated and the successor active', async () => {
        const { fam, first } = await family();
        const t = now();
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        const out = await store.refreshTokens.rotate(first.hash, next, t, 0);
        expect(out.kind).toBe('rotated');
        if (out.kind !== 'rotated') return;
        // The whole family as stored (claims, subject, ids): the grant builds the new access token from it.
        expect(out.family).toEqual({ ...fam, status: 'active', revokedAt: null });
        expect(out.previous).toMatchObject({ hash: first.hash, familyId: fam.familyId, status: 'rotated', rotatedAt: t, scope: first.scope });
        expect((await store.refreshTokens.find(first.hash))!.token).toMatchObject({ status: 'rotated', rotatedAt: t });
        expect((await store.refreshTokens.find(next.hash))!.token).toMatchObject({ status: 'active', familyId: fam.familyId, scope: ['read'] });
      });

      it('rotating a rotated token (outside the reuse interval) is reuse: the whole family is revoked', async () => {
        const { first } = await family();
        const next = { hash: hash(), scope: ['read'], createdAt: now(), expiresAt: now() + 600 };
        await store.refreshTokens.rotate(first.hash, next, now(), 0);
        const again = await store.refreshTokens.rotate(first.hash, { ...next, hash: hash() }, now(), 0);
        expect(again).toEqual({ kind: 'reused' });
        const rec = await store.refreshTokens.find(next.hash);
        expect(rec!.family.status).toBe('revoked');
        expect(rec!.token.status).toBe('revoked');
        expect((await store.refreshTokens.rotate(next.hash, { ...next, hash: hash() }, now(), 0)).kind).toBe('invalid');
      });

      it('within the reuse interval a rotated token is retried: the previous successor dies, a new one lives, the family stays', async () => {
        const { first } = await family();
        const t = now();
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        await store.refreshTokens.rotate(first.hash, next, t, 30);
        const retry = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        const out = await store.refreshTokens.rotate(first.hash, retry, t + 5, 30);
        expect(out.kind).toBe('retried');
        expect((await store.refreshTokens.find(next.hash))!.token.status).toBe('revoked');
        const rec = await store.refreshTokens.find(retry.hash);
        expect(rec!.token.status).toBe('active');
        expect(rec!.family.status).toBe('active');
        // Outside the interval it is reuse again.
        expect((await store.refreshTokens.rotate(first.hash, { ...retry, hash: hash() }, t + 100, 30)).kind).toBe('reused');
      });

      it('an expired token is invalid and does not revoke the family', async () => {
        const t = now();
        const { first } = await family({}, { expiresAt: t - 1 });
        expect((await store.refreshTokens.rotate(first.hash, { hash: hash(), scope: [], createdAt: t, expiresAt: t + 60 }, t, 0)).kind).toBe('invalid');
        expect((await store.refreshTokens.find(first.hash))!.family.status).toBe('active');
      });

      it('an expired family makes its tokens invalid', async () => {
        const t = now();
        const { first } = await family({ expiresAt: t - 1 });
        expect((await store.refreshTokens.rotate(first.hash, { hash: hash(), scope: [], createdAt: t, expiresAt: t + 60 }, t, 0)).kind).toBe('invalid');
        expect((await store.refreshTokens.find(first.hash))!.token.status).toBe('active');
      });

      it('an unknown token is invalid', async () => {
        expect((await store.refreshTokens.rotate(hash(), { hash: hash(), scope: [], createdAt: now(), expiresAt: now() + 60 }, now(), 0)).kind).toBe('invalid');
      });

      it('revokeFamily: true once, then false; its tokens stop rotating', async () => {
        const { fam, first } = await family();
        // One timestamp for the whole case: comparing two now() calls flakes across a second boundary.
        const t = now();
        expect(await store.refreshTokens.revokeFamily(fam.familyId, t)).toBe(true);
        expect(await store.refreshTokens.revokeFamily(fam.familyId, t)).toBe(false);
        const rec = await store.refreshTokens.find(first.hash);
        expect(rec!.family).toMatchObject({ status: 'revoked', revokedAt: t });
        expect(rec!.token.status).toBe('revoked');
        expect((await store.refreshTokens.rotate(first.hash, { hash: hash(), scope: [], createdAt: now(), expiresAt: now() + 60 }, now(), 0)).kind).toBe('invalid');
      });

      it('getFamily and listFamiliesByUser: a user\'s families in id order, paged, with when a token was last issued', async () => {
        const userId = uid('fu');
        const a = await family({ userId, subject: userId, familyId: `${userId}-a` });
        const b = await family({ userId, subject: userId, familyId: `${userId}-b` });
        await family({ userId: uid('other'), familyId: `${userId}-c` });
        expect(await store.refreshTokens.getFamily(a.fam.familyId)).toEqual({ ...a.fam, status: 'active', revokedAt: null });
        expect(await store.refreshTokens.getFamily(uid('none'))).toBeUndefined();
        const later = now() + 5;
        await store.refreshTokens.rotate(b.first.hash, { hash: hash(), scope: ['read'], createdAt: later, expiresAt: later + 600 }, later, 0);
        await store.refreshTokens.revokeFamily(a.fam.familyId, now());
        const all = await store.refreshTokens.listFamiliesByUser(userId);
        expect(all.map((f) => [f.familyId, f.status, f.lastUsedAt])).toEqual([
          [a.fam.familyId, 'revoked', a.first.createdAt],
          [b.fam.familyId, 'active', later],
        ]);
        expect(all[1]).toMatchObject({ clientId: b.fam.clientId, subject: userId, createdAt: b.fam.createdAt });
        expect((await store.refreshTokens.listFamiliesByUser(userId, { limit: 1 })).map((f) => f.familyId)).toEqual([a.fam.familyId]);
        expect((await store.refreshTokens.listFamiliesByUser(userId, { after: a.fam.familyId })).map((f) => f.familyId)).toEqual([b.fam.familyId]);
        expect(await store.refreshTokens.listFamiliesByUser(uid('nobody'))).toEqual([]);
      });

      it('listFamiliesByClient and revokeByClient: a client\'s families in id order, paged; all of them revoked at once, another client\'s untouched', async () => {
        const clientId = uid('fcl');
        const a = await family({ clientId, familyId: `${clientId}-a` });
        const b = await family({ clientId, familyId: `${clientId}-b` });
        const other = await family({ familyId: `${clientId}-c` });
        await store.refreshTokens.revokeFamily(a.fam.familyId, now());
        const all = await store.refreshTokens.listFamiliesByClient(clientId);
        expect(all.map((f) => [f.familyId, f.status, f.lastUsedAt])).toEqual([
          [a.fam.familyId, 'revoked', a.first.createdAt],
          [b.fam.familyId, 'active', b.first.createdAt],
        ]);
        expect((await store.refreshTokens.listFamiliesByClient(clientId, { limit: 1 })).map((f) => f.familyId)).toEqual([a.fam.familyId]);
        expect((await store.refreshTokens.listFamiliesByClient(clientId, { after: a.fam.familyId })).map((f) => f.familyId)).toEqual([b.fam.familyId]);
        expect(await store.refreshTokens.listFamiliesByClient(uid('nobody'))).toEqual([]);
        const t = now();
        expect(await store.refreshTokens.revokeByClient(clientId, t)).toBe(1);
        expect((await store.refreshTokens.find(b.first.hash))!.family).toMatchObject({ status: 'revoked', revokedAt: t });
        expect((await store.refreshTokens.find(other.first.hash))!.family.status).toBe('active');
        expect(await store.refreshTokens.revokeByClient(clientId, t)).toBe(0);
      });

      it('revokeByUser and an installation\'s revocation revoke exactly the matching active families (a client\'s deletion: see clients)', async () => {
        const userId = uid('u');
        const a = await family({ userId, subject: userId });
        const b = await family({ userId, subject: userId, clientId: a.fam.clientId });
        const other = await family();
        expect(await store.refreshTokens.revokeByUser(userId, now())).toBe(2);
        expect(await store.refreshTokens.revokeByUser(userId, now())).toBe(0);
        expect((await store.refreshTokens.find(b.first.hash))!.family.status).toBe('revoked');
        expect((await store.refreshTokens.find(other.first.hash))!.family.status).toBe('active');

        const orgId = uid('org');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        const instClient = uid('c');
        await store.clients.create(newClient(instClient));
        const inst = await store.installations.create({ id: uid('inst'), orgId, clientId: instClient, scope: ['read'], status: 'active', approvedAt: now(), revokedAt: null });
        const d = await family({ clientId: instClient, installationId: inst.id, orgId, subject: orgId });
        const sameClient = await family({ clientId: instClient });
        await store.installations.update(inst.id, { status: 'revoked', revokedAt: now() });
        expect((await store.refreshTokens.find(d.first.hash))!.family.status).toBe('revoked');
        expect((await store.refreshTokens.rotate(d.first.hash, { hash: hash(), scope: [], createdAt: now(), expiresAt: now() + 60 }, now(), 0)).kind).toBe('invalid');
        for (const f of [sameClient, other]) expect((await store.refreshTokens.find(f.first.hash))!.family.status).toBe('active');
      });

      it('every family revocation writes one family change in its transaction, and listRevokedFamilies sees it', async () => {
        const t = now();
        const start = await store.changes.latest();
        const byFamily = await family();
        const reused = await family();
        const userId = uid('u');
        const byUser = [await family({ userId, subject: userId }), await family({ userId, subject: userId })];
        const orgId = uid('org');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        const instClient = uid('c');
        await store.clients.create(newClient(instClient));
        const inst = await store.installations.create({ id: uid('inst'), orgId, clientId: instClient, scope: ['read'], status: 'active', approvedAt: t, revokedAt: null });
        const byInstallationUpdate = await family({ clientId: instClient, installationId: inst.id, orgId, subject: orgId });
        const untouched = await family({ clientId: instClient });
        const retried = await family();

        expect(await store.refreshTokens.revokeFamily(byFamily.fam.familyId, t)).toBe(true);
        expect(await store.refreshTokens.revokeFamily(byFamily.fam.familyId, t)).toBe(false); // no second change
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        expect((await store.refreshTokens.rotate(reused.first.hash, next, t, 0)).kind).toBe('rotated'); // no change
        expect((await store.refreshTokens.rotate(reused.first.hash, { ...next, hash: hash() }, t, 0)).kind).toBe('reused');
        await store.refreshTokens.rotate(retried.first.hash, { ...next, hash: hash() }, t, 30);
        expect((await store.refreshTokens.rotate(retried.first.hash, { ...next, hash: hash() }, t, 30)).kind).toBe('retried'); // no change
        expect(await store.refreshTokens.revokeByUser(userId, t)).toBe(2);
        await store.installations.update(inst.id, { status: 'revoked', revokedAt: t });

        const revoked = [byFamily, reused, ...byUser, byInstallationUpdate].map((f) => f.fam.familyId);
        const changed = (await store.changes.since(start)).filter((c) => c.topic === 'family');
        expect(changed.map((c) => c.key).sort()).toEqual([...revoked].sort());
        // The installation's cascade stamps the store's own clock (a loaded machine may tick past t meanwhile).
        for (const c of changed) expect(c.at - t, c.key).toBeGreaterThanOrEqual(0);
        for (const c of changed) expect(c.at - t, c.key).toBeLessThanOrEqual(5);
        const listed = await store.refreshTokens.listRevokedFamilies(t - 1);
        for (const familyId of revoked) {
          const at = listed.find((f) => f.familyId === familyId)?.revokedAt;
          expect(at, familyId).toBeGreaterThanOrEqual(t);
          expect(at, familyId).toBeLessThanOrEqual(t + 5);
        }
        const listedIds = listed.map((f) => f.familyId);
        for (const f of [untouched, retried]) expect(listedIds).not.toContain(f.fam.familyId);
        // Strictly after `since`: a node loading with since = t no longer needs these.
        expect((await store.refreshTokens.listRevokedFamilies(t)).map((f) => f.familyId)).not.toContain(byFamily.fam.familyId);
      });

      it('a rolled-back revocation writes no family change; a bulk revocation announces every family (beyond one INSERT batch)', async () => {
        const { fam } = await family();
        const before = await store.changes.latest();
        await expect(
          store.transaction(async (tx) => {
            await tx.refreshTokens.revokeFamily(fam.familyId, now());
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await store.changes.latest()).toBe(before);
        expect(await store.refreshTokens.listRevokedFamilies(now() - 60)).not.toContainEqual(expect.objectContaining({ familyId: fam.familyId }));

        const userId = uid('u');
        const many = 520;
        const t = now();
        const ids: string[] = [];
        for (let i = 0; i < many; i++) ids.push((await family({ userId, subject: userId })).fam.familyId);
        const start = await store.changes.latest();
        expect(await store.refreshTokens.revokeByUser(userId, t)).toBe(many);
        const keys: string[] = [];
        for (let seq = start; ; ) {
          const batch = await store.changes.since(seq, 1000);
          if (batch.length === 0) break;
          keys.push(...batch.filter((c) => c.topic === 'family').map((c) => c.key));
          seq = batch.at(-1)!.seq;
        }
        expect(keys.sort()).toEqual(ids.sort());
      }, 60_000);

      it('rotate inside a caller\'s transaction: the same outcome, and a rollback undoes it', async () => {
        const { fam, first } = await family();
        const t = now();
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        await expect(
          store.transaction(async (tx) => {
            const out = await tx.refreshTokens.rotate(first.hash, next, t, 0);
            expect(out).toMatchObject({ kind: 'rotated', family: { ...fam, status: 'active', revokedAt: null }, previous: { hash: first.hash } });
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect((await store.refreshTokens.find(first.hash))!.token.status).toBe('active');
        expect(await store.refreshTokens.find(next.hash)).toBeUndefined();
        const out = await store.transaction((tx) => tx.refreshTokens.rotate(first.hash, next, t, 0));
        expect(out).toMatchObject({ kind: 'rotated', family: { ...fam, status: 'active', revokedAt: null } });
        expect((await store.refreshTokens.find(next.hash))!.token).toMatchObject({ status: 'active', familyId: fam.familyId });
      });

      it('a rotation started while another caller\'s transaction is open is not part of it (its rollback keeps the rotation)', async () => {
        const { first } = await family();
        const { first: other } = await family();
        const t = now();
        const next = { hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 };
        let rotation: Promise<unknown> | undefined;
        await expect(
          store.transaction(async (tx) => {
            await tx.refreshTokens.revokeFamily((await tx.refreshTokens.find(other.hash))!.family.familyId, t);
            rotation = store.refreshTokens.rotate(first.hash, next, t, 0);
            await new Promise((r) => setTimeout(r, 20));
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        expect(await rotation).toMatchObject({ kind: 'rotated' });
        expect((await store.refreshTokens.find(first.hash))!.token.status).toBe('rotated');
        expect((await store.refreshTokens.find(next.hash))!.token.status).toBe('active');
        expect((await store.refreshTokens.find(other.hash))!.family.status).toBe('active');
      });

      it('50 concurrent rotations of one token: exactly one wins', async () => {
        const { first } = await family();
        const t = now();
        const successors = Array.from({ length: 50 }, () => ({ hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 }));
        const outcomes = await Promise.all(successors.map((s) => store.refreshTokens.rotate(first.hash, s, t, 0)));
        const winners = outcomes.filter((o) => o.kind === 'rotated');
        expect(winners).toHaveLength(1);
        for (const o of outcomes) expect(['rotated', 'reused', 'invalid']).toContain(o.kind);
        // The losers presented an already-rotated token: reuse, so the family is revoked and no successor lives.
        expect(outcomes.some((o) => o.kind === 'reused')).toBe(true);
        let active = 0;
        for (const s of successors) if ((await store.refreshTokens.find(s.hash))?.token.status === 'active') active++;
        expect(active).toBe(0);
        expect((await store.refreshTokens.find(first.hash))!.family.status).toBe('revoked');
      });

      it('50 concurrent rotations with a reuse interval: one rotation, the rest retries, one live successor at the end', async () => {
        const { first } = await family();
        const t = now();
        const successors = Array.from({ length: 50 }, () => ({ hash: hash(), scope: ['read'], createdAt: t, expiresAt: t + 600 }));
        const outcomes = await Promise.all(successors.map((s) => store.refreshTokens.rotate(first.hash, s, t, 60)));
        expect(outcomes.filter((o) => o.kind === 'rotated')).toHaveLength(1);
        expect(outcomes.filter((o) => o.kind === 'retried')).toHaveLength(49);
        let active = 0;
        for (const s of successors) if ((await store.refreshTokens.find(s.hash))?.token.status === 'active') active++;
        expect(active).toBe(1);
        expect((await store.refreshTokens.find(first.hash))!.family.status).toBe('active');
      });

      it('deleteExpired drops families past their absolute end with their tokens', async () => {
        const t = now();
        const { first } = await family({ expiresAt: t - 10 }, { expiresAt: t - 10 });
        const live = await family();
        expect(await store.refreshTokens.deleteExpired(t)).toBeGreaterThanOrEqual(1);
        expect(await store.refreshTokens.find(first.hash)).toBeUndefined();
        expect(await store.refreshTokens.find(live.first.hash)).toBeDefined();
      });
    });

    describe('access tokens and the JWT denylist', () => {
      const record = (over: Partial<AccessTokenRecord> = {}): AccessTokenRecord => ({
        hash: hash(), jti: uid('jti'), clientId: 'c', subject: 's', userId: 'u', orgId: null, familyId: null, scope: ['read', 'write'], audience: ['https://api'],
        claims: { username: 'alice' }, issuedAt: now(), expiresAt: now() + 600, ...over,
      });

      it('insertOpaque, findOpaque, deleteOpaque', async () => {
        const r = record();
        await store.accessTokens.insertOpaque(r);
        expect(await store.accessTokens.findOpaque(r.hash)).toEqual(r);
        expect(await store.accessTokens.deleteOpaque(r.hash)).toBe(true);
        expect(await store.accessTokens.deleteOpaque(r.hash)).toBe(false);
        expect(await store.accessTokens.findOpaque(r.hash)).toBeUndefined();
      });

      it('deleteOpaqueByFamily deletes the family’s tokens only', async () => {
        const familyId = uid('fam');
        const a = record({ familyId, claims: null, scope: [] });
        const b = record({ familyId });
        const c = record();
        for (const r of [a, b, c]) await store.accessTokens.insertOpaque(r);
        expect(await store.accessTokens.findOpaque(a.hash)).toEqual(a);
        expect(await store.accessTokens.deleteOpaqueByFamily(familyId)).toBe(2);
        expect(await store.accessTokens.findOpaque(b.hash)).toBeUndefined();
        expect(await store.accessTokens.findOpaque(c.hash)).toEqual(c);
      });

      it('denyJti is idempotent; isJtiDenied and listDeniedJtis see it until it expires', async () => {
        const jti = uid('jti');
        // One timestamp for the case: separate now() calls straddle a second boundary now and then.
        const t = now();
        await store.accessTokens.denyJti(jti, 'c', t + 60);
        await store.accessTokens.denyJti(jti, 'c', t + 60);
        expect(await store.accessTokens.isJtiDenied(jti)).toBe(true);
        expect(await store.accessTokens.isJtiDenied(uid('jti'))).toBe(false);
        expect(await store.accessTokens.listDeniedJtis(t)).toContainEqual({ jti, expiresAt: t + 60 });
        expect((await store.accessTokens.listDeniedJtis(t + 120)).map((x) => x.jti)).not.toContain(jti);
      });

      it('deleteExpired drops expired opaque tokens and denylist entries', async () => {
        const old = record({ expiresAt: now() - 5 });
        await store.accessTokens.insertOpaque(old);
        const jti = uid('jti');
        await store.accessTokens.denyJti(jti, 'c', now() - 5);
        expect(await store.accessTokens.deleteExpired(now())).toBeGreaterThanOrEqual(2);
        expect(await store.accessTokens.findOpaque(old.hash)).toBeUndefined();
        expect(await store.accessTokens.isJtiDenied(jti)).toBe(false);
      });
    });

    describe('replay', () => {
      it('remember: true the first time, false the second; an expired entry can be remembered again', async () => {
        const key = uid('nonce');
        expect(await store.replay.remember(key, now() + 60)).toBe(true);
        expect(await store.replay.remember(key, now() + 60)).toBe(false);
        const old = uid('nonce');
        expect(await store.replay.remember(old, now() - 5)).toBe(true);
        expect(await store.replay.remember(old, now() + 60)).toBe(true);
      });

      it('concurrent remembers of one key: exactly one true', async () => {
        const key = uid('nonce');
        const results = await Promise.all(Array.from({ length: 20 }, () => store.replay.remember(key, now() + 60)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('concurrent remembers of one expired key: exactly one takes it over', async () => {
        const key = uid('nonce');
        expect(await store.replay.remember(key, now() - 5)).toBe(true);
        const results = await Promise.all(Array.from({ length: 20 }, () => store.replay.remember(key, now() + 60)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('deleteExpired', async () => {
        await store.replay.remember(uid('nonce'), now() - 5);
        expect(await store.replay.deleteExpired(now())).toBeGreaterThanOrEqual(1);
      });

      it('many keys at once (more than one statement holds): each is first used exactly once, repeats are replays', async () => {
        const keys = Array.from({ length: 150 }, () => uid('burst'));
        // Every key asked three times in the same turn, interleaved, plus a fourth time afterwards.
        const asks = [...keys, ...keys, ...keys].map((k) => store.replay.remember(k, now() + 60).then((first) => ({ k, first })));
        const results = await Promise.all(asks);
        for (const k of keys) expect(results.filter((r) => r.k === k && r.first)).toHaveLength(1);
        const again = await Promise.all(keys.map((k) => store.replay.remember(k, now() + 60)));
        expect(again.every((first) => !first)).toBe(true);
      });

      it('a batch mixing live, expired and new keys answers each by its own state', async () => {
        const live = uid('live');
        const expired = uid('expired');
        expect(await store.replay.remember(live, now() + 60)).toBe(true);
        expect(await store.replay.remember(expired, now() - 5)).toBe(true);
        const fresh = uid('fresh');
        const [a, b, c] = await Promise.all([live, expired, fresh].map((k) => store.replay.remember(k, now() + 60)));
        expect([a, b, c]).toEqual([false, true, true]);
      });
    });

    describe('organizations and installations', () => {
      it('organizations: create, get, list, update, conflict', async () => {
        const id = uid('org');
        const created = await store.organizations.create({ id, name: 'Acme', status: 'active' });
        expect(await store.organizations.get(id)).toEqual(created);
        await expect(store.organizations.create({ id, name: 'Other', status: 'active' })).rejects.toBeInstanceOf(ConflictError);
        expect(await store.organizations.update(id, { name: 'Acme 2', status: 'disabled' })).toMatchObject({ id, name: 'Acme 2', status: 'disabled' });
        expect(await store.organizations.update(uid('org'), { name: 'x' })).toBeUndefined();
        expect((await store.organizations.list({ limit: 100_000 })).map((o) => o.id)).toContain(id);
        expect((await store.organizations.list({ after: id, limit: 100_000 })).map((o) => o.id)).not.toContain(id);
      });

      it('installations: create, get, find, list, update, conflict per (org, client)', async () => {
        const orgId = uid('org');
        const clientId = uid('c');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        await store.clients.create(newClient(clientId));
        const id = uid('inst');
        const created = await store.installations.create({ id, orgId, clientId, scope: ['read'], status: 'active', approvedAt: now(), revokedAt: null });
        expect(await store.installations.get(id)).toEqual(created);
        expect(await store.installations.find(orgId, clientId)).toEqual(created);
        expect(await store.installations.find(orgId, uid('c'))).toBeUndefined();
        await expect(store.installations.create({ id: uid('inst'), orgId, clientId, scope: [], status: 'active', approvedAt: null, revokedAt: null })).rejects.toBeInstanceOf(ConflictError);
        expect((await store.installations.list({ orgId })).map((i) => i.id)).toEqual([id]);
        expect((await store.installations.list({ clientId })).map((i) => i.id)).toEqual([id]);
        expect(await store.installations.update(id, { scope: ['read', 'write'] })).toMatchObject({ scope: ['read', 'write'], status: 'active' });
        expect(await store.installations.update(uid('inst'), { scope: [] })).toBeUndefined();
      });

      it('organizations keep a metadata object: stored as given, replaced whole, kept by other updates, cleared by null', async () => {
        const id = uid('org');
        const metadata = { tier: 'gold', limits: { seats: 5, regions: ['eu', 'us'] }, note: 'Zürich ✓', on: true, none: null };
        const created = await store.organizations.create({ id, name: 'Acme', status: 'active', metadata });
        expect(created.metadata).toEqual(metadata);
        expect((await store.organizations.get(id))!.metadata).toEqual(metadata);
        expect((await store.organizations.list({ limit: 100_000 })).find((o) => o.id === id)!.metadata).toEqual(metadata);
        const renamed = await store.organizations.update(id, { name: 'Acme 2' });
        expect(renamed).toMatchObject({ name: 'Acme 2', metadata, version: 2 });
        const replaced = await store.organizations.update(id, { metadata: { tier: 'silver' } });
        expect(replaced).toMatchObject({ name: 'Acme 2', metadata: { tier: 'silver' }, version: 3 });
        expect((await store.organizations.get(id))!.metadata).toEqual({ tier: 'silver' });
        expect((await store.organizations.update(id, { metadata: null }))!.metadata).toBeNull();
        expect((await store.organizations.get(id))!.metadata).toBeNull();
        // An organisation created without metadata has none (not an empty object).
        expect((await store.organizations.create({ id: uid('org'), name: 'Bare', status: 'active' })).metadata).toBeNull();
      });

      it('installations keep a metadata object: stored as given, replaced whole, kept by revocation, cleared by null', async () => {
        const orgId = uid('org');
        const clientId = uid('c');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        await store.clients.create(newClient(clientId));
        const id = uid('inst');
        const metadata = { plan: 'pro', seats: 12, features: ['sso'] };
        const created = await store.installations.create({ id, orgId, clientId, scope: ['read'], status: 'active', approvedAt: now(), revokedAt: null, metadata });
        expect(created.metadata).toEqual(metadata);
        expect((await store.installations.get(id))!.metadata).toEqual(metadata);
        expect((await store.installations.find(orgId, clientId))!.metadata).toEqual(metadata);
        expect((await store.installations.list({ orgId }))[0]!.metadata).toEqual(metadata);
        expect(await store.installations.update(id, { scope: [] })).toMatchObject({ scope: [], metadata });
        expect(await store.installations.update(id, { metadata: { plan: 'team' } })).toMatchObject({ scope: [], metadata: { plan: 'team' } });
        expect((await store.installations.update(id, { status: 'revoked', revokedAt: now() }))!.metadata).toEqual({ plan: 'team' });
        expect((await store.installations.update(id, { metadata: null }))!.metadata).toBeNull();
        expect((await store.installations.get(id))!.metadata).toBeNull();
      });

      it('a metadata write is announced on the change feed (caches that hold the record drop it)', async () => {
        const orgId = uid('org');
        const clientId = uid('c');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        await store.clients.create(newClient(clientId));
        const instId = uid('inst');
        await store.installations.create({ id: instId, orgId, clientId, scope: [], status: 'active', approvedAt: now(), revokedAt: null });
        const before = await store.changes.latest();
        await store.organizations.update(orgId, { metadata: { tier: 'gold' } });
        await store.installations.update(instId, { metadata: { plan: 'pro' } });
        const seen = (await store.changes.since(before)).map((c) => [c.topic, c.key]);
        expect(seen).toEqual(expect.arrayContaining([['org', orgId], ['installation', instId]]));
      });

      it('revoking an installation revokes its refresh families in the same step', async () => {
        const orgId = uid('org');
        const clientId = uid('c');
        await store.organizations.create({ id: orgId, name: 'Org', status: 'active' });
        await store.clients.create(newClient(clientId));
        const id = uid('inst');
        await store.installations.create({ id, orgId, clientId, scope: ['read'], status: 'active', approvedAt: now(), revokedAt: null });
        const { first } = await family({ clientId, installationId: id, orgId, subject: orgId });
        const other = await family({ clientId });
        const t = now();
        await store.installations.update(id, { status: 'revoked', revokedAt: t });
        expect((await store.installations.get(id))!).toMatchObject({ status: 'revoked', revokedAt: t });
        expect((await store.refreshTokens.find(first.hash))!.family.status).toBe('revoked');
        expect((await store.refreshTokens.find(other.first.hash))!.family.status).toBe('active');
      });
    });

    describe('identity providers and user links', () => {
      it('upsert creates then updates in place; list, get, delete', async () => {
        const name = uid('idp');
        const a = await store.identityProviders.upsert({ name, type: 'oidc', config: { issuer: 'https://a', nested: { x: [1, 2] } } });
        expect(a).toMatchObject({ name, type: 'oidc', config: { issuer: 'https://a', nested: { x: [1, 2] } } });
        const b = await store.identityProviders.upsert({ name, type: 'introspection', config: { url: 'https://b' } });
        expect(b).toMatchObject({ name, type: 'introspection', config: { url: 'https://b' }, createdAt: a.createdAt });
        expect(await store.identityProviders.get(name)).toEqual(b);
        expect((await store.identityProviders.list()).filter((p) => p.name === name)).toHaveLength(1);
        expect(await store.identityProviders.delete(name)).toBe(true);
        expect(await store.identityProviders.delete(name)).toBe(false);
        expect(await store.identityProviders.get(name)).toBeUndefined();
      });

      it('user links: create, get, listForUser, conflict, cascade on user delete', async () => {
        const userId = uid('u');
        await store.users.create({ id: userId, username: `link-${userId}`, passwordHash: null, status: 'active', scope: null, email: null, emailVerified: false });
        const link = await store.userLinks.create({ provider: 'google', subject: `sub-${userId}`, userId });
        expect(await store.userLinks.get('google', `sub-${userId}`)).toEqual(link);
        expect(await store.userLinks.get('facebook', `sub-${userId}`)).toBeUndefined();
        await store.userLinks.create({ provider: 'facebook', subject: `fb-${userId}`, userId });
        expect((await store.userLinks.listForUser(userId)).map((l) => l.provider)).toEqual(['facebook', 'google']);
        await expect(store.userLinks.create({ provider: 'google', subject: `sub-${userId}`, userId })).rejects.toBeInstanceOf(ConflictError);
        await store.users.delete(userId);
        expect(await store.userLinks.listForUser(userId)).toEqual([]);
      });
    });

    describe('change feed', () => {
      it('every mutation writes a change in order; since() reads them; prune drops old ones', async () => {
        const start = await store.changes.latest();
        const clientId = uid('c');
        await store.clients.create(newClient(clientId));
        await store.clients.update(clientId, { name: 'renamed' });
        const userId = uid('u');
        await store.users.create({ id: userId, username: `feed-${userId}`, passwordHash: null, status: 'active', scope: null, email: null, emailVerified: false });
        const orgId = uid('org');
        await store.organizations.create({ id: orgId, name: 'o', status: 'active' });
        const jti = uid('jti');
        await store.accessTokens.denyJti(jti, clientId, now() + 60);
        const idp = uid('idp');
        await store.identityProviders.upsert({ name: idp, type: 'oidc', config: {} });
        const kid = uid('kid');
        await store.keys.rotate({ kid, alg: 'ES256', publicJwk: {}, privateKeyEncrypted: 'v1.x' }, now() + 60);
        await store.clients.delete(clientId);

        const changes = await store.changes.since(start);
        const seen = changes.map((c) => `${c.topic}:${c.key}`);
        expect(seen).toEqual(expect.arrayContaining([`client:${clientId}`, `user:${userId}`, `org:${orgId}`, `jti:${jti}`, `idp:${idp}`, `key:${kid}`]));
        expect(seen.filter((s) => s === `client:${clientId}`).length).toBe(3);
        const seqs = changes.map((c) => c.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(await store.changes.latest()).toBe(seqs.at(-1));
        expect(await store.changes.since(await store.changes.latest())).toEqual([]);
        expect((await store.changes.since(start, 2)).length).toBe(2);
        for (const c of changes) expect(typeof c.at).toBe('number');

        expect(await store.changes.prune(now() + 10)).toBeGreaterThanOrEqual(changes.length);
        expect(await store.changes.since(start)).toEqual([]);
      });

      it('a failed create writes no change', async () => {
        const id = uid('c');
        await store.clients.create(newClient(id));
        const before = await store.changes.latest();
        await expect(store.clients.create(newClient(id))).rejects.toBeInstanceOf(ConflictError);
        expect(await store.changes.latest()).toBe(before);
      });

      it('onCommit fires after a committed mutation, not after a rolled-back one', async () => {
        let fired = 0;
        const off = store.changes.onCommit(() => fired++);
        await store.clients.create(newClient(uid('c')));
        expect(fired).toBeGreaterThanOrEqual(1);
        const after = fired;
        await store.transaction(async (tx) => {
          await tx.clients.create(newClient(uid('c')));
          throw new Error('roll back');
        }).catch(() => undefined);
        expect(fired).toBe(after);
        off();
        await store.clients.create(newClient(uid('c')));
        expect(fired).toBe(after);
      });
    });

    describe('events (audit trail)', () => {
      const ev = (over: Partial<StoredEvent> & { time: number }): StoredEvent => ({
        id: over.time.toString(16).padStart(12, '0') + randomBytes(5).toString('hex'),
        type: 'login.failed',
        clientId: null,
        subject: null,
        address: '127.0.0.1',
        requestId: 'req-1',
        actor: null,
        details: {},
        ...over,
      });

      it('inserts a batch and reads it back whole, in id order, with actor and details', async () => {
        const client = uid('evc');
        const t = Date.now();
        const a = ev({ time: t, type: 'client.auth_failed', clientId: client, details: { method: 'client_secret_basic', n: 1 } });
        const b = ev({ time: t + 1, type: 'admin.change', clientId: client, actor: { kind: 'cli', id: 'alice' }, details: { resource: 'client', action: 'update' } });
        await store.events.insertMany([b, a]);
        const got = await store.events.query({ clientId: client });
        expect(got).toEqual([a, b]);
      });

      it('skips an id already stored (a retried batch) without failing the rest', async () => {
        const client = uid('evd');
        const a = ev({ time: Date.now(), clientId: client });
        await store.events.insertMany([a]);
        const b = ev({ time: Date.now() + 1, clientId: client });
        await store.events.insertMany([a, b]);
        expect((await store.events.query({ clientId: client })).map((e) => e.id)).toEqual([a.id, b.id]);
      });

      it('filters by type, client, subject and time range, and pages by cursor', async () => {
        const client = uid('evf');
        const subject = uid('evs');
        const t = Date.now() - 10_000;
        const rows = Array.from({ length: 7 }, (_, i) => ev({ time: t + i * 1000, clientId: client, subject: i % 2 === 0 ? subject : null, type: i < 4 ? 'login.failed' : 'token.revoked' }));
        await store.events.insertMany(rows);
        expect((await store.events.query({ clientId: client, type: 'token.revoked' })).map((e) => e.id)).toEqual(rows.slice(4).map((e) => e.id));
        expect((await store.events.query({ clientId: client, subject })).map((e) => e.id)).toEqual([rows[0], rows[2], rows[4], rows[6]].map((e) => e!.id));
        expect((await store.events.query({ clientId: client, since: t + 2000, until: t + 5000 })).map((e) => e.id)).toEqual(rows.slice(2, 5).map((e) => e.id));
        const page1 = await store.events.query({ clientId: client, limit: 3 });
        const page2 = await store.events.query({ clientId: client, limit: 3, after: page1.at(-1)!.id });
        const page3 = await store.events.query({ clientId: client, limit: 3, after: page2.at(-1)!.id });
        expect([...page1, ...page2, ...page3].map((e) => e.id)).toEqual(rows.map((e) => e.id));
        expect(page3).toHaveLength(1);
      });

      it('inserts a batch larger than one statement, all of it, and a retry of it whole adds nothing', async () => {
        const client = uid('evb');
        const t = Date.now();
        const rows = Array.from({ length: 1200 }, (_, i) => ev({ time: t + i, clientId: client }));
        await store.events.insertMany(rows);
        expect(await store.events.query({ clientId: client, limit: 1000 })).toHaveLength(1000);
        await store.events.insertMany([...rows, ev({ time: t + 5000, clientId: client })]);
        const all = [...(await store.events.query({ clientId: client, limit: 1000 })), ...(await store.events.query({ clientId: client, limit: 1000, after: rows[999]!.id }))];
        expect(all).toHaveLength(1201);
      });

      it('inserts a multi-statement batch in one transaction: a failure in its last statement leaves none of it', async () => {
        const client = uid('evt');
        const t = Date.now();
        const rows = Array.from({ length: 700 }, (_, i) => ev({ time: t + i, clientId: client }));
        // A row the database refuses (NOT NULL type) in the second statement.
        const bad = { ...ev({ time: t + 800, clientId: client }), type: null as unknown as string };
        await expect(store.events.insertMany([...rows, bad])).rejects.toThrow();
        expect(await store.events.query({ clientId: client })).toEqual([]);
      });

      it('retention deletes only the events older than the cut-off', async () => {
        const client = uid('evr');
        const old = ev({ time: 1_000, clientId: client });
        const recent = ev({ time: Date.now(), clientId: client });
        await store.events.insertMany([old, recent]);
        expect(await store.events.deleteOlderThan(2_000)).toBeGreaterThanOrEqual(1);
        expect((await store.events.query({ clientId: client })).map((e) => e.id)).toEqual([recent.id]);
      });
    });

    describe('transactions', () => {
      it('everything written inside a failed transaction is rolled back, change rows included', async () => {
        const id = uid('c');
        const userId = uid('u');
        const before = await store.changes.latest();
        await expect(
          store.transaction(async (tx) => {
            await tx.clients.create(newClient(id));
            await tx.users.create({ id: userId, username: `tx-${userId}`, passwordHash: null, status: 'active', scope: null, email: null, emailVerified: false });
            expect(await tx.clients.get(id)).toBeDefined();
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.clients.get(id)).toBeUndefined();
        expect(await store.users.get(userId)).toBeUndefined();
        expect(await store.changes.latest()).toBe(before);
      });

      it('a conflict inside a transaction rolls back the writes before it', async () => {
        const existing = uid('c');
        await store.clients.create(newClient(existing));
        const fresh = uid('c');
        await expect(
          store.transaction(async (tx) => {
            await tx.clients.create(newClient(fresh));
            await tx.clients.create(newClient(existing));
          }),
        ).rejects.toBeInstanceOf(ConflictError);
        expect(await store.clients.get(fresh)).toBeUndefined();
      });

      it('a successful transaction commits everything and returns its value', async () => {
        const a = uid('c');
        const b = uid('c');
        const out = await store.transaction(async (tx) => {
          await tx.clients.create(newClient(a));
          await tx.clients.update(a, { name: 'in tx' });
          await tx.clients.create(newClient(b));
          return 42;
        });
        expect(out).toBe(42);
        expect((await store.clients.get(a))!.name).toBe('in tx');
        expect(await store.clients.get(b)).toBeDefined();
      });
    });
  });
}
