import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * Issue 18, item 14: the cluster primary (src/cli/cluster.ts) keeps restarting workers with backoff, even when
 * every worker dies at once (it used to exit 0 with the port gone: its restart timer was unref'd), and exits
 * non-zero with a clear message when workers crash-loop. Real processes from the build (`npm run build` first),
 * SQLite, two workers; worker PIDs come from their "Server listening at" lines (pino adds the pid).
 */
const BIN = resolve('bin/tessera.js');
const dir = mkdtempSync(join(tmpdir(), 'tessera-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Primary {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<number | null>;
  /** Calls fn for every JSON log line, past and future. */
  onLine(fn: (line: Record<string, unknown>) => void): void;
}

const started: Primary[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
});

let runs = 0;
function startPrimary(args: string[]): Primary {
  const proc = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--host', '127.0.0.1', '--data-dir', join(dir, `data-${++runs}`), ...args], {
    env: { ...process.env, TESSERA_LOG_LEVEL: 'info', TESSERA_MASTER_KEY: randomBytes(32).toString('base64url') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const listeners: Array<(line: Record<string, unknown>) => void> = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        const line = JSON.parse(text) as Record<string, unknown>;
        lines.push(line);
        for (const fn of listeners) fn(line);
      } catch {
        /* not JSON */
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => stderr.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const primary: Primary = {
    proc,
    lines,
    stderr,
    exited,
    onLine(fn) {
      for (const l of lines) fn(l);
      listeners.push(fn);
    },
  };
  started.push(primary);
  return primary;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the value once check() returns one, or fails after ms (with the logs, to see why). */
async function until<T>(ms: number, what: string, p: Primary, check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms:\n${p.lines.map((l) => JSON.stringify(l)).join('\n')}\n${p.stderr.join('\n')}`);
    await sleep(100);
  }
}

const workerPids = (p: Primary): number[] => [...new Set(p.lines.filter((l) => String(l.msg).startsWith('Server listening at') && l.pid !== p.proc.pid).map((l) => l.pid as number))];
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('serve --workers 2: the primary', () => {
  it('restarts both workers after both are killed at once (kill -9) and serves again on the same port', async () => {
    // A fixed port, as in production: with --port 0 the workers forked after all died would get a new one.
    const p = startPrimary(['--port', String(await freePort())]);
    const url = await until(45_000, 'serving', p, () => p.lines.find((l) => l.msg === 'Tessera is serving')?.url as string | undefined);
    const first = await until(30_000, 'two workers', p, () => (workerPids(p).length >= 2 ? workerPids(p) : undefined));
    for (const pid of first) process.kill(pid, 'SIGKILL');
    // The primary stays, forks two new workers, and the port answers again.
    await until(45_000, 'two new workers', p, () => (workerPids(p).filter((pid) => !first.includes(pid)).length >= 2 ? true : undefined));
    const status = await until(30_000, 'the port answering', p, async () => {
      const res = await fetch(`${url}/healthz`).catch(() => undefined);
      return res?.status;
    });
    expect(status).toBe(200);
    expect(workerPids(p).length).toBeGreaterThanOrEqual(4);
    for (const l of p.lines.filter((x) => String(x.msg).startsWith('Server listening at'))) expect(l.url).toBe(url);
    expect(p.proc.exitCode).toBeNull();
    expect(p.lines.filter((l) => l.msg === 'worker exited unexpectedly; restarting')).toHaveLength(2);
    const replacements = workerPids(p).filter((pid) => !first.includes(pid));
    p.proc.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    for (const pid of replacements) expect(alive(pid), `worker ${pid} outlived the primary`).toBe(false);
  }, 120_000);

  it('exits non-zero with a clear message when workers crash-loop (every worker killed as soon as it listens)', async () => {
    const p = startPrimary(['--port', '0']);
    let kills = 0;
    p.onLine((l) => {
      if (String(l.msg).startsWith('Server listening at') && l.pid !== p.proc.pid && typeof l.pid === 'number') {
        kills++;
        try {
          process.kill(l.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    });
    const code = await Promise.race([p.exited, sleep(90_000).then(() => 'still running')]);
    expect(code).toBe(1);
    const fatal = p.lines.find((l) => l.level === 60);
    expect(fatal?.msg).toMatch(/^workers are crash-looping \(\d+ exits within 60 s\); exiting so that the supervisor restarts Tessera$/);
    expect(kills).toBeGreaterThanOrEqual(6);
  }, 120_000);

  it('exits non-zero when workers cannot start (the port is taken): each worker says why in one line', async () => {
    const occupied = net.createServer();
    await new Promise<void>((r) => occupied.listen(0, '127.0.0.1', r));
    const port = (occupied.address() as net.AddressInfo).port;
    try {
      const p = startPrimary(['--port', String(port)]);
      const code = await Promise.race([p.exited, sleep(90_000).then(() => 'still running')]);
      expect(code).toBe(1);
      expect(p.lines.find((l) => l.level === 60)?.msg).toMatch(/workers in a row exited before listening; giving up/);
      expect(p.stderr.length).toBeGreaterThan(0);
      for (const line of p.stderr) expect(line).toBe(`tessera: start-up failed: cannot listen on 127.0.0.1:${port}: the port is already in use (EADDRINUSE)`);
    } finally {
      await new Promise<void>((r) => occupied.close(() => r()));
    }
  }, 120_000);
});
