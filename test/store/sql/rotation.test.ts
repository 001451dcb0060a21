import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type LogEvent } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../../src/store/migrations/index.js';
import type { Database as Schema } from '../../../src/store/sql/schema.js';
import { SqlStore } from '../../../src/store/sql/store.js';
import { cachingDatabase } from '../../../src/store/sqlite/statement-cache.js';
import { syncTransactions } from '../../../src/store/sqlite/sync-transaction.js';
import type { Store } from '../../../src/store/types.js';
import { createTestDatabase, postgresAvailable, requireService, TEST_DATABASE_URL, type TestDatabase } from '../../support/services.js';

/**
 * The live refresh rotation is written per engine (src/store/sql/rotation/): PostgreSQL's one statement, SQLite's
 * synchronous transaction, and the Kysely steps inside a caller's transaction. Each keeps its statement count, and
 * all three render the one liveness rule, so they agree at its edge: a token or family whose end is `now` is dead.
 */
const pgAvailable = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

interface Engine {
  store: Store;
  /** Kysely's statements since the last call. */
  statements(): string[];
  close(): Promise<void>;
}

async function sqliteEngine(): Promise<Engine> {
  const raw = new Database(':memory:');
  const cached = cachingDatabase(raw);
  const seen: string[] = [];
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cached }), log: (e: LogEvent) => void (e.level === 'query' && seen.push(e.query.sql)) });
  await migrateToLatest(db, 'sqlite');
  const store = SqlStore.open(db, 'sqlite', async () => db.destroy(), syncTransactions(raw, cached, db as Kysely<unknown>));
  return { store, statements: () => seen.splice(0), close: () => store.close() };
}

async function postgresEngine(): Promise<Engine & { db: TestDatabase }> {
  const tdb = await createTestDatabase();
  const seen: string[] = [];
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: tdb.url, max: 4 }) }), log: (e: LogEvent) => void (e.level === 'query' && seen.push(e.query.sql)) });
  await migrateToLatest(db, 'postgres');
  const store = SqlStore.open(db, 'postgres', async () => db.destroy());
  return {
    store,
    db: tdb,
    statements: () => seen.splice(0),
    close: async () => {
      await store.close();
      await tdb.drop();
    },
  };
}

const T = 2_000_000_000;
const id = () => randomBytes(8).toString('hex');

async function family(store: Store, opts: { familyEnd?: number; tokenEnd?: number } = {}): Promise<string> {
  const first = id();
  await store.refreshTokens.createFamily(
    { familyId: id(), clientId: 'c', subject: 's', userId: null, orgId: null, installationId: null, scope: ['read'], claims: null, createdAt: T - 100, expiresAt: opts.familyEnd ?? T + 1000 },
    { hash: first, scope: ['read'], createdAt: T - 100, expiresAt: opts.tokenEnd ?? T + 600 },
  );
  return first;
}

const successor = () => ({ hash: id(), scope: ['read'], createdAt: T, expiresAt: T + 600 });

for (const [name, open, runs] of [
  ['SQLite', sqliteEngine, true],
  ['PostgreSQL', postgresEngine, pgAvailable],
] as const) {
  describe.runIf(runs)(`live refresh rotation: ${name}`, () => {
    let e: Engine;
    beforeAll(async () => {
      e = await open();
    }, 60_000);
    afterAll(async () => e?.close());

    it(name === 'SQLite' ? 'is one synchronous transaction: no Kysely statement' : 'is one statement', async () => {
      const first = await family(e.store);
      e.statements();
      expect((await e.store.refreshTokens.rotate(first, successor(), T, 0)).kind).toBe('rotated');
      const seen = e.statements();
      if (name === 'SQLite') expect(seen).toEqual([]);
      else expect(seen).toHaveLength(1);
    });

    for (const where of ['on its own', "inside a caller's transaction"] as const) {
      const rotate = (hash: string) => {
        const s = successor();
        return where === 'on its own' ? e.store.refreshTokens.rotate(hash, s, T, 0) : e.store.transaction((tx) => tx.refreshTokens.rotate(hash, s, T, 0));
      };

      it(`${where}: a token whose idle end is now is dead (invalid, its family untouched); a second before, it rotates`, async () => {
        const dead = await family(e.store, { tokenEnd: T });
        expect((await rotate(dead)).kind).toBe('invalid');
        expect((await e.store.refreshTokens.find(dead))!).toMatchObject({ token: { status: 'active' }, family: { status: 'active' } });
        expect((await rotate(await family(e.store, { tokenEnd: T + 1 }))).kind).toBe('rotated');
      });

      it(`${where}: a family whose absolute end is now is dead (invalid, the token not rotated); a second before, it rotates`, async () => {
        const dead = await family(e.store, { familyEnd: T });
        expect((await rotate(dead)).kind).toBe('invalid');
        expect((await e.store.refreshTokens.find(dead))!.token.status).toBe('active');
        expect((await rotate(await family(e.store, { familyEnd: T + 1 }))).kind).toBe('rotated');
      });

      it(`${where}: a revoked family's token does not rotate`, async () => {
        const first = await family(e.store);
        const rec = (await e.store.refreshTokens.find(first))!;
        await e.store.refreshTokens.revokeFamily(rec.family.familyId, T - 1);
        expect((await rotate(first)).kind).toBe('invalid');
      });
    }
  });
}
