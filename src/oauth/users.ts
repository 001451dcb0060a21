import type { OAuthContext } from './context.js';
import type { User } from '../store/types.js';

/** Usernames compare case-insensitively after NFKC (the store's unique key uses the same normalisation). */
export function normalizeUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/**
 * normalised username -> user id, per server (ctx.usernames). The records themselves live in ctx.users (keyed by
 * id and invalidated by the change feed); this index only remembers which id a name pointed to, and every hit is
 * re-checked against the (fresh) record, so a rename or a delete-and-recreate never serves the wrong user. It
 * therefore needs no invalidation of its own.
 */
export type UsernameIndex = Map<string, string>;
const MAX_INDEX_ENTRIES = 100_000;

export function getUser(ctx: OAuthContext, id: string): Promise<User | undefined> {
  return ctx.users.get(id, (key) => ctx.store.users.get(key));
}

export async function findUserByUsername(ctx: OAuthContext, username: string): Promise<User | undefined> {
  const key = normalizeUsername(username);
  const index = ctx.usernames;
  const knownId = index.get(key);
  if (knownId !== undefined) {
    const user = await getUser(ctx, knownId);
    if (user && normalizeUsername(user.username) === key) return user;
    index.delete(key);
  }
  const found = await ctx.store.users.getByUsername(username);
  if (!found) return undefined;
  if (index.size >= MAX_INDEX_ENTRIES) index.clear();
  index.set(key, found.id);
  // Load through the cache so a concurrent invalidation is honoured (RecordCache's generation check).
  return (await getUser(ctx, found.id)) ?? undefined;
}
