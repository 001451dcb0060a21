import { CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AdminError, AdminValidationError } from '../admin/problems.js';
import { ConflictError } from '../store/errors.js';
import { CliError, type CliErrorKind } from './output.js';

/** One failure of a CLI run, as the exit code and the --json error body describe it. */
export interface CliFailure {
  exitCode: number;
  error: CliErrorKind;
  message: string;
  problems?: ReadonlyArray<{ path: string; message: string }>;
}

/**
 * Exit codes (docs/cli.md, "Errors and exit codes"): 0 success; 1 the command ran and failed (a record not found,
 * a conflict, the database unreachable, anything unexpected); 2 the command was not run as given (unknown command
 * or option, a bad flag value, invalid input, invalid configuration).
 */
export function classify(err: unknown): CliFailure {
  if (err instanceof CommanderError) return { exitCode: 2, error: 'usage', message: err.message.replace(/^error: /, '') };
  if (err instanceof ConfigError) return { exitCode: 2, error: 'config', message: err.message };
  if (err instanceof CliError) return { exitCode: err.exitCode, error: err.kind, message: err.message, ...(err.problems ? { problems: err.problems } : {}) };
  if (err instanceof AdminValidationError) return { exitCode: 2, error: 'invalid', message: err.message, problems: err.problems };
  if (err instanceof AdminError) return { exitCode: 1, error: err.kind, message: err.message };
  if (err instanceof ConflictError) return { exitCode: 1, error: 'conflict', message: err.message };
  return { exitCode: 1, error: 'failed', message: err instanceof Error ? err.message : String(err) };
}

/** Writes the failure to stderr: one JSON object with --json, `tessera: message` otherwise. */
export function reportFailure(f: CliFailure, json: boolean): void {
  if (json) process.stderr.write(JSON.stringify({ error: f.error, message: f.message, exit_code: f.exitCode, ...(f.problems ? { problems: f.problems } : {}) }) + '\n');
  else process.stderr.write(`tessera: ${f.message}\n`);
}
