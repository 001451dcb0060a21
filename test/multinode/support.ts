import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Real Tessera processes for the multi-node and fault suites: `node bin/tessera.js serve` from the compiled
 * dist/, on ephemeral ports, each with its own data dir; plus private PostgreSQL clusters and Redis servers
 * for the fault tests (the shared services are never stopped).
 */
const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/tessera.js');

/** Compiles src/ to dist/ once per run even when several suites (separate workers) ask at the same time. */
export async function ensureBuilt(): Promise<void> {
  const lock = join(tmpdir(), 'tessera-multinode-build.lock');
  const stamp = join(tmpdir(), 'tessera-multinode-build.stamp');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another suite is building; a lock older than 5 minutes is a leftover of a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone meanwhile */
      }
      await sleep(250);
    }
  }
  try {
    if (existsSync(stamp) && Date.now() - statSync(stamp).mtimeMs < 90_000) return;
    // The whole build (npm run build): tsc alone would leave dist/cli newer than the bundle, and bin/tessera.js
    // would then run the unbundled CLI (slower start-up) until the next build.
    await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT });
    await run(process.execPath, ['scripts/bundle.mjs'], { cwd: ROOT });
    writeFileSync(stamp, String(Date.now()));
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolvePort(port));
    });
  });
}

export function newMasterKey(): string {
  return randomBytes(32).toString('base64url');
}

export interface Node {
  url: string;
  proc: ChildProcess;
  logs: string[];
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts `tessera serve` and resolves when it logs "Tessera is serving" (with its URL). */
export async function startNode(env: Record<string, string>, args: string[] = []): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-node-'));
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...args], {
    cwd: ROOT,
    env: { ...process.env, TESSERA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start in 30 s:\n${logs.join('\n')}`)), 30_000);
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        if (logs.length > 2000) logs.shift();
        try {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'Tessera is serving' && rec.url) {
            clearTimeout(timer);
            resolveUrl(rec.url);
          }
        } catch {
          /* not JSON */
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString('utf8')));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code} before serving:\n${logs.join('\n')}`));
    });
  });
  let stopped = false;
  return {
    url,
    proc,
    logs,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(15_000).then(() => proc.kill('SIGKILL'))]);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a `tessera` CLI command; resolves with stdout. */
export async function cli(args: string[], env: Record<string, string>): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  try {
    const { stdout } = await run(process.execPath, [BIN, ...args, '--data-dir', dataDir], { cwd: ROOT, env: { ...process.env, TESSERA_LOG_LEVEL: 'warn', ...env } });
    return stdout;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const docDirs: string[] = [];
process.once('exit', () => {
  for (const d of docDirs) rmSync(d, { recursive: true, force: true });
});

export function writeDoc(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-doc-'));
  docDirs.push(dir);
  const file = join(dir, 'doc.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64');
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { raw: text };
  }
  return { status: res.status, headers: res.headers, body };
}

/** Polls check() until it returns true or the deadline passes; returns the elapsed ms, or -1 on timeout. */
export async function within(ms: number, check: () => Promise<boolean>, stepMs = 25): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) return -1;
    await sleep(stepMs);
  }
}

// ---- private PostgreSQL and Redis for the fault suites -------------------------------------------------

export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

async function asPostgres(cmd: string): Promise<string> {
  const { stdout } = await run('su', ['postgres', '-s', '/bin/sh', '-c', cmd]);
  return stdout;
}

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/** A throwaway PostgreSQL cluster in a temp dir on a free port (trust auth), owned by the postgres OS user. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const log = join(dir, 'log');
  const port = await freePort();
  await asPostgres(`${bin}/initdb -D ${data} -A trust -U postgres >/dev/null`);
  const opts = `"-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"`;
  const pgctl = (action: string) => asPostgres(`${bin}/pg_ctl -D ${data} -o ${opts} -l ${log} -w -t 30 ${action}`);
  await pgctl('start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start: async () => void (await pgctl('start')),
    stop: async () => void (await pgctl('-m fast stop')),
    restart: async () => void (await pgctl('-m fast restart')),
    async destroy() {
      await pgctl('-m immediate stop').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP: the server keeps its connections open but answers nothing (an unresponsive, not a dead, Redis). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
}

export function redisServerAvailable(): Promise<boolean> {
  return run('redis-server', ['--version']).then(
    () => true,
    () => false,
  );
}

/** A private redis-server on a free port (no persistence), started and stopped by PID. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const ok = await within(5000, () => new Promise<boolean>((r) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    }), 50);
    if (ok < 0) throw new Error('private redis-server did not start');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    },
    pause() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
  };
}
