import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from '../../../src/store/sqlite/checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openWal(): { db: Database.Database; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ckpt-'));
  dirs.push(dir);
  const file = join(dir, 't.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('create table t (id integer primary key, v text)');
  return { db, file };
}

/** Rows in a copy of the main database file alone, without its WAL: what checkpoints have copied there. */
function rowsInMainFile(file: string): number {
  const copy = `${file}.copy-${Date.now()}`;
  copyFileSync(file, copy);
  const ro = new Database(copy, { readonly: true });
  try {
    return (ro.prepare('select count(*) as n from t').get() as { n: number }).n;
  } finally {
    ro.close();
    rmSync(copy, { force: true });
  }
}

/** Waits until the database file alone (without its WAL) holds `n` rows. */
function untilMainFileHas(file: string, n: number): Promise<void> {
  return vi.waitFor(() => expect(rowsInMainFile(file)).toBe(n), { timeout: 5000, interval: 20 });
}

describe('background WAL checkpoints', () => {
  it('copies committed WAL pages into the database file without the serving connection checkpointing', async () => {
    const { db, file } = openWal();
    const cp = startCheckpointer(db, file, 50)!;
    expect(cp).toBeDefined();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    const insert = db.prepare('insert into t (v) values (?)');
    for (let i = 0; i < 500; i++) insert.run(`row ${i}`);
    await untilMainFileHas(file, 500);
    await cp.stop();
    db.close();
  });

  it('checkpoints writes that come after an idle spell (it skips only ticks with nothing new)', async () => {
    const { db, file } = openWal();
    const cp = startCheckpointer(db, file, 20)!;
    const insert = db.prepare('insert into t (v) values (?)');
    insert.run('first');
    await untilMainFileHas(file, 1);
    await new Promise((r) => setTimeout(r, 200));
    insert.run('after the idle spell');
    await untilMainFileHas(file, 2);
    await cp.stop();
    db.close();
  });

  it('retries a checkpoint a reader held back, with no further write to prompt it', async () => {
    const { db, file } = openWal();
    const cp = startCheckpointer(db, file, 20)!;
    // The table itself reaches the database file first.
    await untilMainFileHas(file, 0);
    // A reader whose snapshot predates the inserts: frames past it cannot be copied while it stays open.
    const reader = new Database(file);
    reader.exec('BEGIN');
    reader.prepare('select count(*) from t').get();
    const insert = db.prepare('insert into t (v) values (?)');
    for (let i = 0; i < 50; i++) insert.run(`row ${i}`);
    await new Promise((r) => setTimeout(r, 200));
    expect(rowsInMainFile(file)).toBe(0);
    reader.exec('COMMIT');
    reader.close();
    await untilMainFileHas(file, 50);
    await cp.stop();
    db.close();
  });

  it('stop() ends the thread promptly, and again is harmless', async () => {
    const { db, file } = openWal();
    const cp = startCheckpointer(db, file, 10_000)!;
    const t0 = Date.now();
    await cp.stop();
    await cp.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    db.close();
  });

  it('stop() keeps the process alive until the thread has ended, though the thread is unref\'d (the build: dist/)', () => {
    // In a process with nothing else to wait for (a start-up that failed and is closing the store), awaiting
    // stop() used to let the event loop empty: Node exited with code 0 before the caller could report anything.
    const { db, file } = openWal();
    db.close();
    const program = `
      import Database from 'better-sqlite3';
      import { startCheckpointer } from ${JSON.stringify(resolve('dist/store/sqlite/checkpointer.js'))};
      const db = new Database(${JSON.stringify(file)});
      const cp = startCheckpointer(db, ${JSON.stringify(file)}, 50);
      await cp.stop();
      db.close();
      process.stdout.write('stopped');
      process.exitCode = 3;
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], { cwd: resolve('.'), encoding: 'utf8', timeout: 20_000 });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 3, stdout: 'stopped', stderr: '' });
  });

  it('a thread that cannot open the database dies quietly and the connection checkpoints on commit again', async () => {
    const { db } = openWal();
    const cp = startCheckpointer(db, join(tmpdir(), 'no-such-dir-tessera', 'x', 't.db'), 50)!;
    await vi.waitFor(() => expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000), { timeout: 5000, interval: 20 });
    await cp.stop();
    db.close();
  });
});
