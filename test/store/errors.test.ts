import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDependencyFailure, isUniqueViolation } from '../../src/store/errors.js';
import { postgresAvailable, requireService, TEST_DATABASE_URL } from '../support/services.js';

const available = await requireService('PostgreSQL', await postgresAvailable(), TEST_DATABASE_URL);

async function errorOf(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('isDependencyFailure', () => {
  it('is false for non-errors and for errors of the request itself', () => {
    expect(isDependencyFailure(null)).toBe(false);
    expect(isDependencyFailure('ECONNREFUSED')).toBe(false);
    expect(isDependencyFailure(new Error('boom'))).toBe(false);
    expect(isDependencyFailure({ code: '23505' })).toBe(false);
  });

  it('is true for a refused connection (node-postgres, nothing listening)', async () => {
    const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', connectionTimeoutMillis: 1000 });
    expect(isDependencyFailure(await errorOf(() => c.connect()))).toBe(true);
  });

  it('is true for a pool that cannot get a connection in time', async () => {
    // 10.255.255.1 is not routed here: the connect times out instead of being refused.
    const pool = new pg.Pool({ connectionString: 'postgres://postgres@10.255.255.1:5432/postgres', connectionTimeoutMillis: 200 });
    pool.on('error', () => undefined);
    expect(isDependencyFailure(await errorOf(() => pool.query('select 1')))).toBe(true);
    await pool.end();
  });

  describe.runIf(available)('against the real server', () => {
    it('is true when the server terminates the backend (57P01, as in a fast shutdown)', async () => {
      const victim = new pg.Client({ connectionString: TEST_DATABASE_URL });
      victim.on('error', () => undefined);
      await victim.connect();
      const pid = (await victim.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      const pending = errorOf(() => victim.query('select pg_sleep(5)'));
      await new Promise((r) => setTimeout(r, 200));
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.end();
      const err = await pending;
      expect(isDependencyFailure(err)).toBe(true);
      // The next query on the dead client fails the same way.
      expect(isDependencyFailure(await errorOf(() => victim.query('select 1')))).toBe(true);
      await victim.end().catch(() => undefined);
    });

    it('is true for a statement timeout (57014) and false for a unique violation or a syntax error', async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query('set statement_timeout = 50');
        expect(isDependencyFailure(await errorOf(() => c.query('select pg_sleep(1)')))).toBe(true);
        await c.query('set statement_timeout = 0');
        await c.query('create temporary table t (id int primary key)');
        await c.query('insert into t values (1)');
        const dup = await errorOf(() => c.query('insert into t values (1)'));
        expect(isUniqueViolation(dup)).toBe(true);
        expect(isDependencyFailure(dup)).toBe(false);
        expect(isDependencyFailure(await errorOf(() => c.query('selec 1')))).toBe(false);
      } finally {
        await c.end();
      }
    });
  });
});
