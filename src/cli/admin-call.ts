import { AdminError, AdminValidationError } from '../admin/problems.js';
import { withStore, type CliStore } from './context.js';
import type { ConfigFlags } from '../config.js';
import { CliError } from './output.js';

/** An admin service's refusal as the CLI reports it: invalid input exits 2, anything else it refuses exits 1. */
function cliError(err: unknown): unknown {
  if (err instanceof AdminValidationError) return new CliError(err.message, 2, 'invalid', err.problems);
  if (err instanceof AdminError) return new CliError(err.message, 1, err.kind);
  return err;
}

/** withStore for commands that call the admin services (src/admin). */
export async function withAdmin<T>(flags: ConfigFlags & { json?: boolean }, fn: (s: CliStore) => Promise<T>): Promise<T> {
  try {
    return await withStore(flags, fn);
  } catch (err) {
    throw cliError(err);
  }
}
