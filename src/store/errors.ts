/** A create collided with an existing record (primary key or unique index). */
export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what} already exists`);
    this.name = 'ConflictError';
  }
}

/** A compare-and-set write (ifVersion) found the record changed since the caller read it. */
export class VersionConflictError extends Error {
  constructor(what: string) {
    super(`${what} has changed since it was read`);
    this.name = 'VersionConflictError';
  }
}

interface CodedError {
  code?: unknown;
  errno?: unknown;
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as CodedError | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENETUNREACH']);

/**
 * True when an error means "the database is not reachable or not serving right now": the request should get
 * 503 temporarily_unavailable and a retry may succeed. PostgreSQL class 08 (connection), 57P0x (shutdown),
 * 53xxx (resources); SQLite busy/locked; pool timeouts; sockets closed under us. Checked against real
 * node-postgres errors while a server was stopped and restarted (test/multinode/postgres-fault.test.ts).
 */
export function isDependencyFailure(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as CodedError & { message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code)) return true;
  if (/^(08|57P|53)/.test(code)) return true;
  // Statement timeout (the pool sets one), deadlock and serialisation failure: the database is overloaded or
  // raced; nothing was committed, so a retry may succeed.
  if (code === '57014' || code === '40P01' || code === '40001') return true;
  // A prepared plan invalidated by a migration applied meanwhile (store/postgres/prepared.ts discards the connection).
  if (code === '0A000' && /cached plan must not change result type/.test(String(e.message))) return true;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_IOERR') return true;
  const message = typeof e.message === 'string' ? e.message : '';
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i.test(message)) return true;
  if (e.name === 'DependencyUnavailableError') return true;
  return false;
}

/**
 * A short, public description of a dependency failure for /readyz: the error code (ECONNREFUSED, 57P01, ...)
 * and never the message, which may name hosts, ports, users or SQL.
 */
export function publicFailureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_]{2,32}$/.test(code) ? `unreachable (${code})` : 'unreachable';
}
