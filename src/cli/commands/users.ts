import type { Command } from 'commander';
import { describeUser, MIN_PASSWORD, USER_FIELDS, type UserInput } from '../../admin/user-fields.js';
import { createUser, deleteUser, disableUser, enableUser, findUser, setUserPassword } from '../../admin/users.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { addFieldFlags, inputFromFlags } from '../field-flags.js';
import { CliError, print, printTable } from '../output.js';
import { PromptAborted, promptNewPassword } from '../password-prompt.js';
import type { User } from '../../store/types.js';

interface PasswordFlags {
  password?: string;
  passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the terminator of `echo` / a here-string, not part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * The password given on the command line or on stdin; undefined = let the service generate one. On a terminal,
 * --password-stdin prompts twice without echoing; piped, it reads all of stdin.
 */
async function givenPassword(f: PasswordFlags): Promise<string | undefined> {
  if (f.password !== undefined && f.passwordStdin) throw new CliError('give --password or --password-stdin, not both', 2);
  if (!f.passwordStdin) return f.password;
  if (!process.stdin.isTTY) return readStdin();
  try {
    return await promptNewPassword(process.stdin, process.stderr);
  } catch (err) {
    // Cancelled (Ctrl-C, Ctrl-D): nothing was run. Two different entries: invalid input, like a short password.
    throw err instanceof PromptAborted ? new CliError(err.message, 1) : new CliError((err as Error).message, 2, 'invalid');
  }
}

function passwordOptions(cmd: Command): Command {
  return cmd
    .option('--password <password>', `the password (at least ${MIN_PASSWORD} characters; visible in shell history, prefer --password-stdin)`)
    .option('--password-stdin', 'read the password from standard input (on a terminal: prompt twice, without echo)');
}

/**
 * A user as the text output shows it: a null scope (no user-level restriction) is `*` in `show` and `list`
 * alike; --json keeps null, as the admin API does.
 */
function userText(u: User): Record<string, unknown> {
  const d = describeUser(u);
  return { ...d, scope: d.scope ?? '*' };
}

function describe(u: User, json: boolean): Record<string, unknown> {
  return json ? describeUser(u) : userText(u);
}

function shownOnce(json: boolean, password: string | undefined): void {
  if (!json && password !== undefined) process.stderr.write('The password is shown only once; store it now.\n');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users (resource owners for the password grant)');

  storeOptions(passwordOptions(addFieldFlags(user.command('create').description('create a user; a generated password is printed once'), USER_FIELDS, 'create'))).action(
    async (f: PasswordFlags & { json?: boolean }) => {
      const password = await givenPassword(f);
      const input = { ...inputFromFlags<UserInput>(USER_FIELDS, 'create', f), ...(password !== undefined ? { password } : {}) };
      await withAdmin(f, async ({ audit, store, json }) => {
        const created = await createUser(store, input, audit);
        print({ ...describe(created.user, json), ...(created.password !== undefined ? { password: created.password } : {}) }, json);
        shownOnce(json, created.password);
      });
    },
  );

  storeOptions(user.command('list').description('list users').option('--limit <n>', 'at most n', '1000').option('--after <username>', 'page after this username')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      if (!/^\d+$/.test(f.limit) || Number(f.limit) < 1) throw new CliError('--limit must be a positive integer', 2);
      await withAdmin(f, async ({ store, json }) => {
        const list = await store.users.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeUser), true);
        else printTable(['ID', 'USERNAME', 'STATUS', 'SCOPE'], list.map(userText).map((u) => [u.id, u.username, u.status, u.scope].map(String)), 'No users.');
      });
    },
  );

  storeOptions(user.command('show').description('show one user (by id or username)').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => print(describe(await findUser(store, ref), json), json));
  });

  storeOptions(user.command('disable').description('disable a user; their refresh tokens stop working').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json }) => {
      const { user: disabled, revoked } = await disableUser(store, ref, audit);
      print({ ...describe(disabled, json), revoked_refresh_token_families: revoked }, json);
    });
  });

  storeOptions(user.command('enable').description('enable a disabled user').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json }) => print(describe(await enableUser(store, ref, audit), json), json));
  });

  storeOptions(passwordOptions(user.command('set-password').description('set a new password (generated and printed once when none is given); signs the user out everywhere').argument('<user>'))
    .option('--keep-sessions', 'keep the existing refresh tokens working'))
    .action(async (ref: string, f: PasswordFlags & { keepSessions?: boolean; json?: boolean }) => {
      const password = await givenPassword(f);
      await withAdmin(f, async ({ audit, store, json }) => {
        const r = await setUserPassword(store, ref, { ...(password !== undefined ? { password } : {}), keepSessions: f.keepSessions === true }, audit);
        print({ id: r.user.id, username: r.user.username, revoked_refresh_token_families: r.revoked, ...(r.password !== undefined ? { password: r.password } : {}) }, json);
        shownOnce(json, r.password);
      });
    });

  storeOptions(user.command('delete').description('delete a user; their refresh tokens stop working').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json }) => {
      const u = await deleteUser(store, ref, audit);
      print(json ? { deleted: u.id, username: u.username } : `deleted ${u.username} (${u.id})`, json);
    });
  });
}
