import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryFailureThrottle } from '../../src/limits/memory-throttle.js';
import { RedisFailureThrottle } from '../../src/redis/failure-throttle.js';
import { clientAuthKeys, clientAuthPolicy, loginKeys, loginPolicy } from '../../src/limits/throttle-policy.js';
import type { FailureThrottle, ThrottleTicket } from '../../src/limits/types.js';
import { RedisConnection } from '../../src/redis/connection.js';
import { redisAvailable, requireService, TEST_REDIS_URL } from '../support/services.js';

const available = await requireService('Redis', await redisAvailable(), TEST_REDIS_URL);
const silent = pino({ level: 'silent' });
const prefix = () => `test:${randomBytes(6).toString('hex')}:`;

const LOGIN = loginPolicy({ enabled: true, freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, window: 60, perAddress: { freeAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 } });
const CLIENT_AUTH = clientAuthPolicy({ enabled: true, freeAttempts: 2, baseDelayMs: 100, maxDelayMs: 1000, window: 60, perClient: { freeAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });

describe.runIf(available)('RedisFailureThrottle', () => {
  const conns: RedisConnection[] = [];
  const connect = async (url = TEST_REDIS_URL, p = prefix()) => {
    const c = new RedisConnection(url, p, silent);
    await c.connect();
    conns.push(c);
    return c;
  };
  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close()));
  });

  it('gives the same answers as MemoryFailureThrottle for any sequence of reservations and settlements (both policies)', async () => {
    const event = fc.record({
      op: fc.constantFrom('reserve', 'reserve', 'reserve', 'fail', 'fail', 'succeed', 'cancel', 'peek', 'wait'),
      who: fc.constantFrom('ada', 'Ada', 'bob', 'svc'),
      ip: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
      ms: fc.integer({ min: 1, max: 70_000 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(event, { maxLength: 40 }), async (isLogin, events) => {
        let now = 1_000_000;
        const clock = () => now;
        const policy = isLogin ? LOGIN : CLIENT_AUTH;
        const keys = (who: string, ip: string) => (isLogin ? loginKeys(who, ip) : clientAuthKeys('client', who, ip));
        const conn = await connect();
        const memory = new MemoryFailureThrottle(policy, clock);
        const shared = new RedisFailureThrottle(conn, policy, clock);
        const open: Array<[ThrottleTicket, ThrottleTicket]> = [];
        try {
          for (const e of events) {
            if (e.op === 'wait') now += e.ms;
            else if (e.op === 'peek') expect(await shared.peek(keys(e.who, e.ip))).toEqual(await memory.peek(keys(e.who, e.ip)));
            else if (e.op === 'reserve') {
              const [m, r] = [await memory.reserve(keys(e.who, e.ip)), await shared.reserve(keys(e.who, e.ip))];
              expect(r.allowed).toBe(m.allowed);
              if (m.allowed && r.allowed) open.push([m.ticket, r.ticket]);
              else if (!m.allowed && !r.allowed) expect(r.decision).toEqual(m.decision);
            } else {
              const pair = open.shift();
              if (pair) for (const t of pair) await t[e.op as 'fail' | 'succeed' | 'cancel']();
            }
          }
        } finally {
          await conn.close();
        }
      }),
      { numRuns: 80 },
    );
  });

  it('reserves atomically across nodes: 80 parallel attempts for different usernames from one address on two nodes, only the allowance + 1 go ahead', async () => {
    const p = prefix();
    const nodes: FailureThrottle[] = [new RedisFailureThrottle(await connect(TEST_REDIS_URL, p), LOGIN), new RedisFailureThrottle(await connect(TEST_REDIS_URL, p), LOGIN)];
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => nodes[i % 2]!.reserve(loginKeys(`spray${i}`, '10.4.4.4'))));
    expect(results.filter((r) => r.allowed)).toHaveLength(LOGIN.dimensions[1]!.freeAttempts + 1);
  });

  it('failures recorded on one node slow the same pair on another; a success there resets it', async () => {
    const p = prefix();
    const a = new RedisFailureThrottle(await connect(TEST_REDIS_URL, p), LOGIN);
    const b = new RedisFailureThrottle(await connect(TEST_REDIS_URL, p), LOGIN);
    for (let i = 0; i < 3; i++) {
      const r = await a.reserve(loginKeys('carol', '10.1.1.1'));
      if (r.allowed) await r.ticket.fail();
    }
    expect(await b.peek(loginKeys('carol', '10.1.1.1'))).toBeDefined();
    expect(await b.peek(loginKeys('carol', '10.1.1.2'))).toBeUndefined();
    expect((await b.reserve(loginKeys('carol', '10.1.1.1'))).allowed).toBe(false);
  });

  it('failures older than the window are forgotten even before Redis expires the key', async () => {
    let now = 5_000_000;
    const t = new RedisFailureThrottle(await connect(), LOGIN, () => now);
    for (let i = 0; i < 4; i++) {
      const r = await t.reserve(loginKeys('erin', '10.3.3.3'));
      if (r.allowed) await r.ticket.fail();
    }
    expect(await t.peek(loginKeys('erin', '10.3.3.3'))).toBeDefined();
    now += LOGIN.windowMs + 1;
    expect(await t.peek(loginKeys('erin', '10.3.3.3'))).toBeUndefined();
  });

  it('Redis down -> the node throttles on its own, and reserves atomically there too', async () => {
    const t = new RedisFailureThrottle(await connect('redis://127.0.0.1:1'), LOGIN);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.reserve(loginKeys(`x${i}`, '10.2.2.2'))));
    expect(results.filter((r) => r.allowed)).toHaveLength(LOGIN.dimensions[1]!.freeAttempts + 1);
  });
});
