import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisConnection } from '../../src/redis/connection.js';
import { RedisReplayGuard } from '../../src/redis/replay-guard.js';
import { StoreReplayGuard } from '../../src/oauth/replay-guard.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { redisAvailable, requireService, TEST_REDIS_URL } from '../support/services.js';

const available = await requireService('Redis', await redisAvailable(), TEST_REDIS_URL);
const silent = pino({ level: 'silent' });

describe.runIf(available)('RedisReplayGuard', () => {
  let dir: string;
  let store: Store;
  const conns: RedisConnection[] = [];
  const connect = async (url: string, prefix = `test:${randomBytes(6).toString('hex')}:`) => {
    const c = new RedisConnection(url, prefix, silent);
    await c.connect();
    conns.push(c);
    return c;
  };
  const later = () => Math.floor(Date.now() / 1000) + 60;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-replay-'));
    store = await openStore({ dataDir: dir });
  });
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a value once across nodes sharing Redis, and never after it expired', async () => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const a = new RedisReplayGuard(await connect(TEST_REDIS_URL, prefix), new StoreReplayGuard(store));
    const b = new RedisReplayGuard(await connect(TEST_REDIS_URL, prefix), new StoreReplayGuard(store));
    expect(await a.firstUse('jti-1', later())).toBe(true);
    expect(await b.firstUse('jti-1', later())).toBe(false);
    expect(await a.firstUse('jti-1', later())).toBe(false);
    expect(await b.firstUse('jti-2', later())).toBe(true);
    expect(await a.firstUse('jti-3', Math.floor(Date.now() / 1000) - 1)).toBe(false);
    // Nothing reached the store while Redis answered.
    expect(await new StoreReplayGuard(store).firstUse('jti-1', later())).toBe(true);
  });

  it('uses the store while Redis is down', async () => {
    const g = new RedisReplayGuard(await connect('redis://127.0.0.1:1'), new StoreReplayGuard(store));
    expect(await g.firstUse('down-1', later())).toBe(true);
    expect(await g.firstUse('down-1', later())).toBe(false);
  });

  it('a value first seen by the store during an outage cannot be replayed once Redis is back', async () => {
    const conn = await connect(TEST_REDIS_URL);
    const g = new RedisReplayGuard(conn, new StoreReplayGuard(store));
    // Simulate the outage with the connection's own readiness: disconnect, use, reconnect.
    const ended = new Promise((r) => conn.client.once('end', r));
    conn.client.disconnect();
    await ended;
    expect(conn.isReady).toBe(false);
    expect(await g.firstUse('outage-1', later())).toBe(true);
    await conn.client.connect();
    expect(conn.isReady).toBe(true);
    expect(await g.firstUse('outage-1', later())).toBe(false);
    expect(await g.firstUse('outage-2', later())).toBe(true);
    expect(await g.firstUse('outage-2', later())).toBe(false);
  });
});
