import type { IfVersion, NewUser, User, UserListOptions, UserPatch, UserStore } from '../types.js';
import { ConflictError, isUniqueViolation, VersionConflictError } from '../errors.js';
import type { UserRow } from './schema.js';
import { fromJson, num, nowSeconds, splitScope, toJson, type SqlContext } from './context.js';

/** Usernames are unique case-insensitively; NFKC first so look-alike compositions collide too. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

function fromRow(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    passwordHash: r.password_hash,
    status: r.status as User['status'],
    scope: r.scope === null ? null : splitScope(r.scope),
    email: r.email,
    emailVerified: num(r.email_verified) === 1,
    metadata: fromJson<Record<string, unknown>>(r.metadata),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    version: num(r.version),
  };
}

function columns(u: Partial<NewUser>): Partial<UserRow> {
  const row: Partial<UserRow> = {};
  if (u.username !== undefined) {
    row.username = u.username;
    row.username_normalized = normalizeUsername(u.username);
  }
  if (u.passwordHash !== undefined) row.password_hash = u.passwordHash;
  if (u.status !== undefined) row.status = u.status;
  if (u.scope !== undefined) row.scope = u.scope === null ? null : u.scope.join(' ');
  if (u.email !== undefined) {
    row.email = u.email;
    row.email_normalized = u.email === null ? null : u.email.toLowerCase();
  }
  if (u.emailVerified !== undefined) row.email_verified = u.emailVerified ? 1 : 0;
  if (u.metadata !== undefined) row.metadata = toJson(u.metadata);
  return row;
}

/** Nothing matched: the user is gone (undefined), or a compare-and-set found another version (thrown). */
async function missingOrChanged(c: SqlContext, id: string, cond: IfVersion): Promise<undefined> {
  if (cond.ifVersion !== undefined && (await c.db.selectFrom('users').select('id').where('id', '=', id).executeTakeFirst())) throw new VersionConflictError(`user ${id}`);
  return undefined;
}

export class SqlUserStore implements UserStore {
  constructor(private readonly ctx: SqlContext) {}

  async get(id: string): Promise<User | undefined> {
    const row = await this.ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async getByUsername(username: string): Promise<User | undefined> {
    const row = await this.ctx.db.selectFrom('users').selectAll().where('username_normalized', '=', normalizeUsername(username)).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async getByEmail(email: string): Promise<User | undefined> {
    const row = await this.ctx.db.selectFrom('users').selectAll().where('email_normalized', '=', email.toLowerCase()).orderBy('created_at').executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(opts: UserListOptions = {}): Promise<User[]> {
    let q = this.ctx.db.selectFrom('users').selectAll().orderBy('username_normalized').limit(opts.limit ?? 1000);
    if (opts.after !== undefined) q = q.where('username_normalized', '>', normalizeUsername(opts.after));
    if (opts.username !== undefined) q = q.where('username_normalized', '=', normalizeUsername(opts.username));
    if (opts.email !== undefined) q = q.where('email_normalized', '=', opts.email.toLowerCase());
    if (opts.status !== undefined) q = q.where('status', '=', opts.status);
    return (await q.execute()).map(fromRow);
  }

  async create(user: NewUser): Promise<User> {
    const now = nowSeconds();
    const row = { ...(columns(user) as UserRow), id: user.id, created_at: now, updated_at: now, version: 1 };
    row.email ??= null;
    row.email_normalized ??= null;
    row.email_verified ??= 0;
    try {
      await this.ctx.tx(async (c) => {
        await c.db.insertInto('users').values(row).execute();
        await c.change('user', user.id, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user ${user.username}`);
      throw err;
    }
    return fromRow(row);
  }

  async update(id: string, patch: UserPatch, cond: IfVersion = {}): Promise<User | undefined> {
    const now = nowSeconds();
    try {
      return await this.ctx.tx(async (c) => {
        let q = c.db.updateTable('users').set((eb) => ({ ...columns(patch), updated_at: now, version: eb('version', '+', 1) })).where('id', '=', id);
        if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
        const res = await q.executeTakeFirst();
        if (Number(res.numUpdatedRows) === 0) return missingOrChanged(c, id, cond);
        await c.change('user', id, now);
        return fromRow(await c.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`user ${patch.username ?? id}`);
      throw err;
    }
  }

  async delete(id: string, cond: IfVersion = {}): Promise<boolean> {
    const now = nowSeconds();
    return this.ctx.tx(async (c) => {
      let q = c.db.deleteFrom('users').where('id', '=', id);
      if (cond.ifVersion !== undefined) q = q.where('version', '=', cond.ifVersion);
      const res = await q.executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) return (await missingOrChanged(c, id, cond)) ?? false;
      await c.db.updateTable('refresh_families').set({ status: 'revoked', revoked_at: now }).where('user_id', '=', id).where('status', '=', 'active').execute();
      await c.change('user', id, now);
      return true;
    });
  }
}
