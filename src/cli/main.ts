import { Command, CommanderError } from 'commander';
import { registerServeCommand } from './commands/serve.js';
import { classify, reportFailure } from './errors.js';
import { addNegations } from './negatable.js';

/**
 * With --json, a usage error is reported once, as the JSON body on stderr (main), so commander's own text and
 * the help it would print after it stay out of the way. Set before the commands are added: they inherit it.
 */
function newProgram(json = false): Command {
  const program = new Command('tessera').description('Tessera: an OAuth 2.0 token service').version('0.1.0').exitOverride();
  return json ? program.configureOutput({ outputError: () => undefined }) : program.showHelpAfterError();
}

/** Every command. The administrative ones (and what they import) are loaded only when the CLI needs them. */
export async function buildProgram(json = false): Promise<Command> {
  const program = newProgram(json);
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
  addNegations(program);
  return program;
}

/**
 * `tessera serve ...` registers only the serve command: start-up then skips loading the administrative
 * commands' modules (part of the issue-7 start-up budget). `tessera serve --help` still describes serve fully.
 */
async function programFor(argv: readonly string[], json: boolean): Promise<Command> {
  if (argv[0] !== 'serve') return buildProgram(json);
  const program = newProgram(json);
  registerServeCommand(program);
  addNegations(program);
  return program;
}

/** Runs the CLI. Exit codes: 0 ok, 1 failure, 2 invalid usage or configuration (src/cli/errors.ts). */
export async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  // `tessera client list | head -1`: a reader that stops early is no failure (exit quietly, as cat or ls do).
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const program = await programFor(argv, json);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    // --help and --version end through exitOverride too, with exit code 0 and their output already written.
    if (err instanceof CommanderError && err.exitCode === 0) process.exit(0);
    const failure = classify(err);
    // Commander has printed its message already (text mode); with --json the body below is the only output.
    if (!(err instanceof CommanderError) || json) reportFailure(failure, json);
    process.exit(failure.exitCode);
  }
}
