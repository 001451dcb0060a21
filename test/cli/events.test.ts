import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { eventId } from '../../src/observability/events.js';
import type { StoredEvent } from '../../src/store/types.js';

/** `tessera events` as users run it: the built CLI (npm run build) in a child process, reading the store. */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-events-'));
const dataDir = join(dir, 'data');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tessera(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args, '--data-dir', dataDir], { env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

function ev(time: number, type: string, clientId: string | null, subject: string | null, details: Record<string, unknown> = {}): StoredEvent {
  return { id: eventId(time), time, type, clientId, subject, address: '10.0.0.7', requestId: 'req-1', actor: null, details };
}

async function insert(events: StoredEvent[]): Promise<void> {
  const store = await openSqliteStore(join(dataDir, 'tessera.db'));
  try {
    await store.events.insertMany(events);
  } finally {
    await store.close();
  }
}

const now = Date.now();
const old = ev(now - 3 * 86_400_000, 'login.failed', 'app', 'alice', { username: 'alice' });
const reuse = ev(now - 2 * 3_600_000, 'refresh.reuse_detected', 'app', 'bob', { family_id: 'fam-1', family_revoked: true });
const authFailed = ev(now - 60_000, 'client.auth_failed', 'other', null, { method: 'client_secret_basic', reason: 'invalid_client' });
const lines = (s: string) => s.split('\n').filter(Boolean);

describe('tessera events', () => {
  beforeAll(async () => {
    // The CLI creates the data dir and its master key on first use.
    expect((await tessera(['keys', 'list'])).code).toBe(0);
    await insert([old, reuse, authFailed]);
  }, 30_000);

  it('prints a table for people, oldest first', async () => {
    const r = await tessera(['events']);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^TIME\s+TYPE\s+CLIENT\s+SUBJECT\s+ADDRESS\s+ACTOR\s+DETAILS$/);
    expect(out.slice(1)).toHaveLength(3);
    expect(out[1]).toMatch(new RegExp(`^${new Date(old.time).toISOString()}\\s+login\\.failed\\s+app\\s+alice\\s+10\\.0\\.0\\.7\\s+-\\s+username=alice$`));
    expect(out[2]).toContain('family_id=fam-1 family_revoked=true');
  });

  it('--json prints one event per line in the admin API shape; filters by type, client, subject and time', async () => {
    const all = await tessera(['events', '--json']);
    expect(all.code, all.stderr).toBe(0);
    const parsed = lines(all.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.map((e) => e.id)).toEqual([old.id, reuse.id, authFailed.id]);
    expect(parsed[1]).toEqual({ id: reuse.id, time: new Date(reuse.time).toISOString(), type: 'refresh.reuse_detected', client_id: 'app', subject: 'bob', address: '10.0.0.7', request_id: 'req-1', actor: null, details: { family_id: 'fam-1', family_revoked: true } });

    const ids = async (args: string[]) => {
      const r = await tessera(['events', '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return lines(r.stdout).map((l) => (JSON.parse(l) as { id: string }).id);
    };
    expect(await ids(['--type', 'refresh.reuse_detected'])).toEqual([reuse.id]);
    expect(await ids(['--client', 'app'])).toEqual([old.id, reuse.id]);
    expect(await ids(['--subject', 'alice'])).toEqual([old.id]);
    expect(await ids(['--since', '1d'])).toEqual([reuse.id, authFailed.id]);
    expect(await ids(['--since', '1d', '--until', '30m'])).toEqual([reuse.id]);
    expect(await ids(['--until', new Date(reuse.time).toISOString()])).toEqual([old.id]);
    expect(await ids(['--limit', '2'])).toEqual([old.id, reuse.id]);
  });

  it('refuses bad input with exit code 2 and a message', async () => {
    for (const [args, message] of [
      [['--type', 'nope'], /--type must be one of client\.auth_failed/],
      [['--since', 'yesterday'], /--since must be an RFC 3339 date-time .* or a duration ago/],
      [['--since', '1h', '--until', '2h'], /--until must be later than --since/],
      [['--limit', '0'], /--limit must be an integer/],
      [['--follow', '--until', '1h'], /--follow .* takes no --until/],
    ] as const) {
      const r = await tessera(['events', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('--follow prints the backlog since --since, then new events as they are written, until SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'events', '--follow', '--json', '--since', '2m', '--data-dir', dataDir], { env: { ...process.env, TESSERA_LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('close', done));
    const seen = () => lines(stdout).map((l) => (JSON.parse(l) as { id: string }).id);
    const until = async (cond: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await until(() => seen().length >= 1);
      expect(seen()).toEqual([authFailed.id]);
      const fresh = ev(Date.now(), 'key.rotated', null, null, { kid: 'k2' });
      // Written late: an event whose time is a little before the last one seen (a batch from another node).
      const late = ev(Date.now() - 1500, 'login.throttled', 'app', 'carol');
      await insert([fresh]);
      await until(() => seen().includes(fresh.id));
      await insert([late]);
      await until(() => seen().includes(late.id));
      expect(seen()).toEqual([authFailed.id, fresh.id, late.id]);
      // Printed once each, across polls.
      await new Promise((r) => setTimeout(r, 1200));
      expect(seen()).toEqual([authFailed.id, fresh.id, late.id]);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 30_000);
});
