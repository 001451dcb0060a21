import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AdminError } from '../admin/problems.js';
import { CliError } from './output.js';
import { registerServeCommand } from './commands/serve.js';
import { ConflictError } from '../store/errors.js';

function newProgram(): Command {
  return new Command('tessera').description('Tessera: an OAuth 2.0 token service').version('0.1.0').exitOverride().showHelpAfterError();
}

/** Every command. The administrative ones (and what they import) are loaded only when the CLI needs them. */
export async function buildProgram(): Promise<Command> {
  const program = newProgram();
  registerServeCommand(program);
  const [admin, clients, keys, users, idps, orgs, events] = await Promise.all([
    import('./commands/admin.js'),
    import('./commands/clients.js'),
    import('./commands/keys.js'),
    import('./commands/users.js'),
    import('./commands/idps.js'),
    import('./commands/orgs.js'),
    import('./commands/events.js'),
  ]);
  admin.registerAdminCommands(program);
  clients.registerClientCommands(program);
  keys.registerKeyCommands(program);
  users.registerUserCommands(program);
  idps.registerIdpCommands(program);
  orgs.registerOrgAndInstallCommands(program);
  events.registerEventCommands(program);
  return program;
}

/**
 * `tessera serve ...` registers only the serve command: start-up then skips loading the administrative
 * commands' modules (part of the issue-7 start-up budget). `tessera serve --help` still describes serve fully.
 */
async function programFor(argv: readonly string[]): Promise<Command> {
  if (argv[0] !== 'serve') return buildProgram();
  const program = newProgram();
  registerServeCommand(program);
  return program;
}

/** Runs the CLI. Exit codes: 0 ok, 1 failure, 2 invalid usage or configuration. */
export async function main(argv: string[]): Promise<void> {
  const program = await programFor(argv);
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
    if (err instanceof AdminError || err instanceof ConflictError) {
      process.stderr.write(`tessera: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`tessera: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
