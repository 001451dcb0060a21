import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { ImportError } from './import-document.js';
import { CliError } from './output.js';
import { registerServeCommand } from './commands/serve.js';
import { registerClientCommands } from './commands/clients.js';
import { registerKeyCommands } from './commands/keys.js';
import { registerUserCommands } from './commands/users.js';
import { registerIdpCommands } from './commands/idps.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerOrgAndInstallCommands } from './commands/orgs.js';
import { ConflictError } from '../store/errors.js';

export function buildProgram(): Command {
  const program = new Command('tessera')
    .description('Tessera: an OAuth 2.0 token service')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError();
  registerServeCommand(program);
  registerAdminCommands(program);
  registerClientCommands(program);
  registerKeyCommands(program);
  registerUserCommands(program);
  registerIdpCommands(program);
  registerOrgAndInstallCommands(program);
  return program;
}

/** Runs the CLI. Exit codes: 0 ok, 1 failure, 2 invalid usage or configuration. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(2);
    }
    if (err instanceof CliError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(err.exitCode);
    }
    if (err instanceof ImportError || err instanceof ConflictError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
