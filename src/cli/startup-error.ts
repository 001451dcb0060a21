import { ConfigError, type Config } from '../config.js';
import { CliError } from './output.js';
import { AdminValidationError, formatProblem } from '../admin/problems.js';

/** Import-document problems shown on the start-up line; the rest are counted. */
const MAX_PROBLEMS = 5;

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s',
  EACCES: 'permission denied (ports below 1024 need privileges)',
};

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, '; ').trim();

/**
 * A failed `tessera serve` start-up as one line for stderr and an exit code: 2 for an invalid configuration
 * (as every command), 1 otherwise. Supervisors and people read the line; the code tells a supervisor to
 * restart or to stop trying.
 */
export function startupFailure(err: unknown, config: Pick<Config, 'host' | 'port' | 'importFile'>): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ConfigError) return new CliError(oneLine(err.message), 2);
  const e = (err ?? {}) as { code?: unknown; syscall?: unknown; message?: unknown };
  // The import document's problems, with their JSON paths (src/admin).
  if (config.importFile && err instanceof AdminValidationError) {
    const file = config.importFile;
    const problems = err.problems.map(formatProblem).map((p) => (p.startsWith(`${file}: `) ? p.slice(file.length + 2) : p));
    const more = problems.length > MAX_PROBLEMS ? `; and ${problems.length - MAX_PROBLEMS} more (\`tessera import ${file}\` lists them all)` : '';
    return new CliError(`start-up failed: --import ${file}: ${problems.slice(0, MAX_PROBLEMS).map(oneLine).join('; ')}${more}`, 1);
  }
  // 'bind' in a cluster worker, whose socket the primary opens.
  if ((e.syscall === 'listen' || e.syscall === 'bind') && typeof e.code === 'string') {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return new CliError(`start-up failed: cannot listen on ${host}:${config.port}: ${LISTEN_REASONS[e.code] ?? oneLine(String(e.message))} (${e.code})`, 1);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new CliError(`start-up failed: ${oneLine(message)}`, 1);
}
