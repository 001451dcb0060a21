import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { randomToken } from '../../crypto/random.js';
import { hashSecret } from '../../crypto/password-hash.js';
import { isValidScopeToken } from '../../oauth/scope.js';
import type { Store, User } from '../../store/types.js';
import { storeOptions, withStore } from '../context.js';
import { CliError, print } from '../output.js';

const MIN_PASSWORD = 8;

/** What the CLI shows of a user: never the password hash. */
export function describeUser(u: User): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    status: u.status,
    // null = no user-level restriction (the client's scope applies alone).
    scope: u.scope === null ? null : u.scope.join(' '),
    email: u.email ?? undefined,
    email_verified: u.emailVerified,
    has_password: u.passwordHash !== null,
    created_at: new Date(u.createdAt * 1000).toISOString(),
    updated_at: new Date(u.updatedAt * 1000).toISOString(),
  };
}

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

/** The password to set: given, read from stdin, or generated (then shown once). */
async function choosePassword(f: PasswordFlags): Promise<{ password: string; generated: boolean }> {
  if (f.password !== undefined && f.passwordStdin) throw new CliError('give --password or --password-stdin, not both', 2);
  const given = f.passwordStdin ? await readStdin() : f.password;
  if (given === undefined) return { password: randomToken(18), generated: true };
  if ([...given].length < MIN_PASSWORD) throw new CliError(`the password must be at least ${MIN_PASSWORD} characters`, 2);
  return { password: given, generated: false };
}

function parseUserScope(raw: string | undefined): string[] | null | undefined {
  if (raw === undefined) return undefined;
  const list = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
  for (const s of list) if (!isValidScopeToken(s)) throw new CliError(`"${s}" is not a valid scope token (RFC 6749 §3.3)`, 2);
  return [...new Set(list)];
}

function checkUsername(username: string): void {
  if (username.length < 1 || username.length > 255 || username.trim() !== username || /\p{Cc}/u.test(username)) {
    throw new CliError('--username must be 1-255 characters, without control characters or surrounding spaces', 2);
  }
}

/** A user by id or by (case-insensitive) username. */
async function findUser(store: Store, ref: string): Promise<User> {
  const user = (await store.users.get(ref)) ?? (await store.users.getByUsername(ref));
  if (!user) throw new CliError(`no user ${ref}`);
  return user;
}

function passwordOptions(cmd: Command): Command {
  return cmd
    .option('--password <password>', `the password (at least ${MIN_PASSWORD} characters; visible in shell history, prefer --password-stdin)`)
    .option('--password-stdin', 'read the password from standard input');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage users (resource owners for the password grant)');

  storeOptions(passwordOptions(user.command('create').description('create a user; a generated password is printed once'))
    .requiredOption('--username <username>', 'unique, case-insensitive')
    .option('--id <id>', 'user id (default: a random UUID); becomes the sub of their tokens')
    .option('--scope <scopes>', 'scopes this user may be granted, space-delimited (default: no user-level restriction)')
    .option('--email <email>', 'e-mail address')
    .option('--email-verified', 'mark the e-mail address as verified')
    .option('--disabled', 'create the user disabled'))
    .action(async (f: PasswordFlags & { username: string; id?: string; scope?: string; email?: string; emailVerified?: boolean; disabled?: boolean; json?: boolean }) => {
      checkUsername(f.username);
      if (f.email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(f.email)) throw new CliError('--email is not an e-mail address', 2);
      const scope = parseUserScope(f.scope) ?? null;
      const { password, generated } = await choosePassword(f);
      const passwordHash = await hashSecret(password);
      await withStore(f, async ({ store, json }) => {
        const created = await store.users.create({
          id: f.id ?? randomUUID(),
          username: f.username,
          passwordHash,
          status: f.disabled ? 'disabled' : 'active',
          scope,
          email: f.email ?? null,
          emailVerified: f.emailVerified === true,
        });
        print({ ...describeUser(created), ...(generated ? { password } : {}) }, json);
        if (!json && generated) process.stderr.write('The password is shown only once; store it now.\n');
      });
    });

  storeOptions(user.command('list').description('list users').option('--limit <n>', 'at most n', '1000').option('--after <username>', 'page after this username')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      if (!/^\d+$/.test(f.limit) || Number(f.limit) < 1) throw new CliError('--limit must be a positive integer', 2);
      await withStore(f, async ({ store, json }) => {
        const list = await store.users.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeUser), true);
        else for (const u of list) process.stdout.write(`${u.id}\t${u.username}\t${u.status}\t${u.scope === null ? '*' : u.scope.join(' ')}\n`);
      });
    },
  );

  storeOptions(user.command('show').description('show one user (by id or username)').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => print(describeUser(await findUser(store, ref)), json));
  });

  storeOptions(user.command('disable').description('disable a user; their refresh tokens stop working').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const u = await findUser(store, ref);
      const updated = await store.users.update(u.id, { status: 'disabled' });
      const revoked = await store.refreshTokens.revokeByUser(u.id, Math.floor(Date.now() / 1000));
      print({ ...describeUser(updated!), revoked_refresh_token_families: revoked }, json);
    });
  });

  storeOptions(user.command('enable').description('enable a disabled user').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const u = await findUser(store, ref);
      print(describeUser((await store.users.update(u.id, { status: 'active' }))!), json);
    });
  });

  storeOptions(passwordOptions(user.command('set-password').description('set a new password (generated and printed once when none is given); signs the user out everywhere').argument('<user>'))
    .option('--keep-sessions', 'keep the existing refresh tokens working'))
    .action(async (ref: string, f: PasswordFlags & { keepSessions?: boolean; json?: boolean }) => {
      const { password, generated } = await choosePassword(f);
      const passwordHash = await hashSecret(password);
      await withStore(f, async ({ store, json }) => {
        const u = await findUser(store, ref);
        await store.users.update(u.id, { passwordHash });
        const revoked = f.keepSessions ? 0 : await store.refreshTokens.revokeByUser(u.id, Math.floor(Date.now() / 1000));
        print({ id: u.id, username: u.username, revoked_refresh_token_families: revoked, ...(generated ? { password } : {}) }, json);
        if (!json && generated) process.stderr.write('The password is shown only once; store it now.\n');
      });
    });

  storeOptions(user.command('delete').description('delete a user; their refresh tokens stop working').argument('<user>')).action(async (ref: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const u = await findUser(store, ref);
      if (!(await store.users.delete(u.id))) throw new CliError(`no user ${ref}`);
      print(json ? { deleted: u.id, username: u.username } : `deleted ${u.username} (${u.id})`, json);
    });
  });
}
