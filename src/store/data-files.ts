import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreLocation } from './open.js';

/**
 * The data directory holds the SQLite database (with its -wal and -shm files, which carry every page written
 * since the last checkpoint: refresh-token hashes, sealed signing keys) and master.key, which unseals the
 * signing keys. Only the service's own user may read them: the directory is 0700 and every file Tessera writes
 * there 0600, whatever the process umask.
 */
const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;

/** Creates a directory (and missing parents) as 0700. An existing directory is left to securePrivateFiles(). */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates an empty file as 0600 unless it exists, so that the program that fills it (SQLite) finds it with
 * that mode. SQLite creates the -wal and -shm files with the mode of the database file (os_unix.c,
 * findCreateFileMode), so a 0600 database gives 0600 companions whatever the process umask.
 */
export function createPrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
}

export interface ModeChange {
  path: string;
  /** The previous permission bits, octal (e.g. "644"). */
  from: string;
  to: string;
  /** Set when chmod failed (not the owner, read-only file system): the path stays as it was. */
  error?: string;
}

const octal = (mode: number) => (mode & 0o777).toString(8);

function tighten(path: string, wanted: number, out: ModeChange[]): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    return; // gone meanwhile (a -shm removed by a closing connection)
  }
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(path, wanted);
    out.push({ path, from: octal(mode), to: octal(wanted) });
  } catch (err) {
    out.push({ path, from: octal(mode), to: octal(wanted), error: (err as NodeJS.ErrnoException).code ?? 'failed' });
  }
}

/** Tessera's own files in the data dir: the SQLite database, its companions, and the master key. */
const OWN_FILES = ['tessera.db', 'tessera.db-wal', 'tessera.db-shm', 'tessera.db-journal', 'master.key'];

/**
 * Takes group and other permissions away from the data directory and Tessera's files in it (data dirs made by
 * earlier versions were 0755 with 0644 files), and from the given database files elsewhere (a
 * `sqlite:/path/file.db` with its -wal and -shm). Other files someone put in the data dir are not Tessera's to
 * change. Symbolic links are followed, as SQLite and the key loader follow them. Returns what it changed, for
 * the start-up log; never throws for a path it cannot change. A missing data directory is left missing.
 */
export function securePrivateFiles(dataDir: string, elsewhere: readonly string[] = []): ModeChange[] {
  const out: ModeChange[] = [];
  if (existsSync(dataDir)) {
    tighten(dataDir, PRIVATE_DIR_MODE, out);
    for (const name of OWN_FILES) if (existsSync(join(dataDir, name))) tighten(join(dataDir, name), PRIVATE_FILE_MODE, out);
  }
  for (const file of elsewhere) for (const path of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) if (existsSync(path)) tighten(path, PRIVATE_FILE_MODE, out);
  return out;
}

/** A `sqlite:/path` database outside the data dir: its file and companions are secured too. */
function separateSqliteFile(loc: StoreLocation): string[] {
  const file = loc.databaseUrl?.startsWith('sqlite:') ? loc.databaseUrl.slice('sqlite:'.length) : ':memory:';
  return file === ':memory:' ? [] : [file];
}

/** Restricts the store's files (securePrivateFiles) and logs one warning per path changed or left as it was. */
export function secureDataFiles(loc: StoreLocation, logger: { warn(fields: object, msg: string): void }): void {
  for (const c of securePrivateFiles(loc.dataDir, separateSqliteFile(loc))) {
    if (c.error) logger.warn({ path: c.path, mode: c.from, error: c.error }, `could not restrict ${c.path} to its owner (mode ${c.from}): other users may read it`);
    else logger.warn({ path: c.path, mode: c.from, now: c.to }, `restricted ${c.path} to its owner (mode ${c.from} -> ${c.to}): it was open to other users`);
  }
}
