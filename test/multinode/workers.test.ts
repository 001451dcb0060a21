import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, ensureBuilt, newMasterKey, post, sleep, startNode, within, writeDoc, type Node } from './support.js';

/**
 * `tessera serve --workers 2` on SQLite: the primary prepares the store once and forks workers that share the
 * port; a killed worker is replaced; SIGTERM drains in-flight requests and every process exits cleanly.
 */
const SECRET = 'workers-secret-0123456789';
const PASSWORD = 'workers password';
const doc = {
  clients: [{ client_id: 'app', client_secret: SECRET, grant_types: ['password', 'refresh_token', 'client_credentials'], scope: 'read offline_access' }],
  users: [{ username: 'erin', password: PASSWORD }],
};

let node: Node;

beforeAll(async () => {
  await ensureBuilt();
  node = await startNode({ TESSERA_MASTER_KEY: newMasterKey() }, ['--workers', '2', '--import', writeDoc(doc)]);
}, 120_000);

afterAll(async () => node?.stop(), 60_000);

const login = () => post(`${node.url}/oauth/token`, { grant_type: 'password', username: 'erin', password: PASSWORD, scope: 'read offline_access' }, { authorization: basic('app', SECRET) });

function workerPids(): number[] {
  const pids = new Set<number>();
  for (const l of node.logs) {
    try {
      const r = JSON.parse(l) as { msg?: string; pid?: number };
      if (r.msg?.startsWith('Server listening') && r.pid && r.pid !== node.proc.pid) pids.add(r.pid);
    } catch {
      /* not JSON */
    }
  }
  return [...pids];
}

describe('serve --workers 2 (SQLite)', () => {
  it('says at start-up that limits are per worker without Redis', () => {
    expect(node.logs.some((l) => l.includes('rate limits and failed-login throttling are per worker without Redis'))).toBe(true);
    expect(node.logs.filter((l) => l.includes('created the first signing key'))).toHaveLength(1);
    expect(node.logs.filter((l) => l.includes('applied the import document'))).toHaveLength(1);
  });

  it('serves concurrent writes from both workers on one SQLite file (WAL + busy timeout), no 5xx', async () => {
    await within(10_000, async () => workerPids().length >= 2, 100);
    const logins = await Promise.all(Array.from({ length: 8 }, login));
    expect(logins.map((r) => r.status)).toEqual(Array(8).fill(200));
    const refreshed = await Promise.all(logins.map((r) => post(`${node.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: r.body.refresh_token as string }, { authorization: basic('app', SECRET) })));
    expect(refreshed.map((r) => r.status)).toEqual(Array(8).fill(200));
  });

  it('replaces a worker that dies', async () => {
    const before = workerPids();
    expect(before.length).toBeGreaterThanOrEqual(2);
    process.kill(before[0]!, 'SIGKILL');
    expect(await within(15_000, async () => workerPids().length > before.length, 100)).toBeGreaterThanOrEqual(0);
    expect(node.logs.some((l) => l.includes('worker exited unexpectedly; restarting'))).toBe(true);
    expect((await login()).status).toBe(200);
  });

  it('on SIGTERM finishes in-flight requests, then every process exits with 0', async () => {
    const pids = workerPids();
    const inflight = Array.from({ length: 3 }, login);
    await sleep(50);
    const exited = new Promise<number | null>((r) => node.proc.once('exit', (code) => r(code)));
    node.proc.kill('SIGTERM');
    const results = await Promise.all(inflight);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await exited).toBe(0);
    for (const pid of pids) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      expect(alive, `worker ${pid} outlived the primary`).toBe(false);
    }
  });
});
