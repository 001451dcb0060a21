import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';

/**
 * PostgreSQL and Redis for tests. Each suite gets its own throwaway database, so suites (and engineers) never
 * share state. When a service does not answer, suites skip with a SKIPPED line naming it; with
 * TESSERA_REQUIRE_SERVICES=1 (CI) a missing service is a failure instead.
 */
export const TEST_DATABASE_URL = process.env.TESSERA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const REQUIRE_SERVICES = process.env.TESSERA_REQUIRE_SERVICES === '1';

function tcpAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function postgresAvailable(): Promise<boolean> {
  const u = new URL(TEST_DATABASE_URL);
  if (!(await tcpAnswers(u.hostname, Number(u.port || 5432)))) return false;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisAvailable(): Promise<boolean> {
  const u = new URL(TEST_REDIS_URL);
  return tcpAnswers(u.hostname, Number(u.port || 6379));
}

/** Decides whether a service-backed suite runs; prints SKIPPED (or throws in CI) when it cannot. */
export async function requireService(name: 'PostgreSQL' | 'Redis', available: boolean, url: string): Promise<boolean> {
  if (available) return true;
  const what = `${name} at ${url.replace(/\/\/[^@]*@/, '//')}`;
  if (REQUIRE_SERVICES) throw new Error(`${what} is not answering and TESSERA_REQUIRE_SERVICES=1`);
  console.log(`SKIPPED: ${what} is not answering; set TESSERA_TEST_${name === 'Redis' ? 'REDIS' : 'DATABASE'}_URL to run this suite`);
  return false;
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates a fresh, uniquely named database on the test server and returns its URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `tessera_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}
