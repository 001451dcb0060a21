import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { securePrivateFiles } from '../../src/store/data-files.js';
import { openSqliteStore } from '../../src/store/sqlite/open.js';
import { loadMasterKey } from '../../src/keys/master-key.js';
import { loadConfig } from '../../src/config.js';
import { startServer } from '../../src/http/server.js';

/**
 * Issue 18, item 11: the data directory is 0700 and every file in it (tessera.db, -wal, -shm, master.key) 0600,
 * whatever the process umask; files left world-readable by earlier versions are tightened at start-up, with a
 * warning naming the path. Checked with stat on real files.
 */
const roots: string[] = [];
afterEach(() => {
  for (const d of roots.splice(0)) rmSync(d, { recursive: true, force: true });
});

function root(): string {
  const d = mkdtempSync(join(tmpdir(), 'tessera-modes-'));
  roots.push(d);
  return d;
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('data file modes', () => {
  it('a new SQLite store gets a 0700 directory and 0600 database, -wal and -shm files, even with umask 000', async () => {
    const dataDir = join(root(), 'nested', 'data');
    const previous = process.umask(0);
    try {
      const store = await openSqliteStore(join(dataDir, 'tessera.db'), { backgroundCheckpoints: true });
      try {
        expect(mode(dataDir)).toBe('700');
        for (const f of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm']) expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
      } finally {
        await store.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  it('the master key file is 0600 in a 0700 directory it creates', () => {
    const dataDir = join(root(), 'keydir');
    const previous = process.umask(0);
    try {
      const key = loadMasterKey(undefined, dataDir);
      expect(key.created).toBe(true);
      expect(mode(dataDir)).toBe('700');
      expect(mode(join(dataDir, 'master.key'))).toBe('600');
    } finally {
      process.umask(previous);
    }
  });

  it('tightens a 0755 data directory and Tessera\'s 0644 files in it, leaves other files and subdirectories alone, and is idempotent', () => {
    const base = root();
    const dataDir = join(base, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (const f of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'master.key']) {
      writeFileSync(join(dataDir, f), 'x');
      chmodSync(join(dataDir, f), 0o644);
    }
    const other = join(dataDir, 'notes.txt');
    writeFileSync(other, 'x');
    chmodSync(other, 0o644);
    mkdirSync(join(dataDir, 'backups'));
    chmodSync(join(dataDir, 'backups'), 0o755);

    const changes = securePrivateFiles(dataDir);
    expect(changes.map((c) => [c.path, c.from, c.to]).sort()).toEqual(
      [
        [dataDir, '755', '700'],
        [join(dataDir, 'master.key'), '644', '600'],
        [join(dataDir, 'tessera.db'), '644', '600'],
        [join(dataDir, 'tessera.db-shm'), '644', '600'],
        [join(dataDir, 'tessera.db-wal'), '644', '600'],
      ].sort(),
    );
    expect(mode(dataDir)).toBe('700');
    for (const f of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'master.key']) expect(mode(join(dataDir, f))).toBe('600');
    expect(mode(other)).toBe('644');
    expect(mode(join(dataDir, 'backups'))).toBe('755');
    expect(securePrivateFiles(dataDir)).toEqual([]);
  });

  it('a sqlite: database outside the data dir is tightened with its -wal and -shm; a missing data dir stays missing', () => {
    const base = root();
    const file = join(base, 'elsewhere.db');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      writeFileSync(f, 'x');
      chmodSync(f, 0o644);
    }
    chmodSync(base, 0o755);
    const missing = join(base, 'no-such-dir');
    expect(securePrivateFiles(missing, [file]).map((c) => c.path)).toEqual([file, `${file}-wal`, `${file}-shm`]);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe('600');
    expect(() => statSync(missing)).toThrow();
    expect(mode(base)).toBe('755'); // the directory of a separate database is not ours to change
  });

  it('a server started on a pre-existing 0644 database tightens it and logs a warning naming each path, never the key', async () => {
    const dataDir = join(root(), 'data');
    // A data dir as earlier versions left it: 0755 with 0644 files.
    const first = await startServer(loadConfig({ port: '0', host: '127.0.0.1', dataDir }, { TESSERA_LOG_LEVEL: 'silent', TESSERA_SIGNING_THREAD: 'false' }), { logger: pino({ level: 'silent' }) });
    await first.close();
    chmodSync(dataDir, 0o755);
    for (const f of ['tessera.db', 'master.key']) chmodSync(join(dataDir, f), 0o644);
    const key = readFileSync(join(dataDir, 'master.key'), 'utf8').trim();

    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const second = await startServer(loadConfig({ port: '0', host: '127.0.0.1', dataDir }, { TESSERA_LOG_LEVEL: 'silent', TESSERA_SIGNING_THREAD: 'false' }), { logger: pino({ level: 'info' }, sink) });
    try {
      expect(mode(dataDir)).toBe('700');
      for (const f of ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'master.key']) expect([f, mode(join(dataDir, f))]).toEqual([f, '600']);
      const warned = lines.filter((l) => l.level === 40 && typeof l.path === 'string').map((l) => [l.path, l.mode, l.now]);
      expect(warned.sort()).toEqual(
        [
          [dataDir, '755', '700'],
          [join(dataDir, 'master.key'), '644', '600'],
          [join(dataDir, 'tessera.db'), '644', '600'],
        ].sort(),
      );
      expect(JSON.stringify(lines)).not.toContain(key);
    } finally {
      await second.close();
    }
  });
});
