import { randomUUID } from 'node:crypto';
import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import { ConflictError } from '../store/errors.js';
import type { User } from '../store/types.js';
import { randomId } from '../crypto/random.js';
import type { ExternalIdentity } from './identity.js';
import type { Provider } from './providers.js';

async function linked(ctx: OAuthContext, id: ExternalIdentity): Promise<User | undefined> {
  const link = await ctx.store.userLinks.get(id.provider, id.subject);
  return link ? ctx.store.users.get(link.userId) : undefined;
}

/** Creates the link; when a concurrent request linked the same subject first, that link wins. */
async function link(ctx: OAuthContext, id: ExternalIdentity, user: User): Promise<User> {
  try {
    await ctx.store.userLinks.create({ provider: id.provider, subject: id.subject, userId: user.id });
    return user;
  } catch (err) {
    return raceWinner(ctx, id, err);
  }
}

/** A concurrent request created the link for this subject first: its user stands (anything else is rethrown). */
async function raceWinner(ctx: OAuthContext, id: ExternalIdentity, err: unknown): Promise<User> {
  if (!(err instanceof ConflictError)) throw err;
  const winner = await linked(ctx, id);
  if (!winner) throw err;
  return winner;
}

async function provision(ctx: OAuthContext, p: Provider, id: ExternalIdentity): Promise<User> {
  try {
    return await ctx.store.transaction(async (tx) => {
      const user = await tx.users.create({
        id: randomUUID(),
        // A generated name: the provider's subject is not a username and may not be unique across providers.
        username: `${p.name}-${randomId(9)}`,
        passwordHash: null,
        status: 'active',
        scope: null,
        email: id.emailVerified ? id.email : null,
        emailVerified: id.emailVerified,
      });
      await tx.userLinks.create({ provider: id.provider, subject: id.subject, userId: user.id });
      return user;
    });
  } catch (err) {
    // Two first logins of the same subject raced: the other transaction's user and link stand, ours rolled back.
    return raceWinner(ctx, id, err);
  }
}

/**
 * The local user for an external subject, in this order:
 * 1. an existing link (provider, subject) -> that user;
 * 2. link_verified_email: a local user whose email equals the provider's, when the provider says email_verified
 *    true AND the local user's email is verified too (an unverified address proves nothing on either side);
 * 3. auto_provision: a new user with a generated username and no password, linked to the subject;
 * otherwise invalid_grant. Disabled users never get tokens.
 */
export async function resolveLocalUser(p: Provider, id: ExternalIdentity, ctx: OAuthContext): Promise<User> {
  let user = await linked(ctx, id);
  if (!user && p.linkVerifiedEmail && id.email !== null && id.emailVerified) {
    const candidate = await ctx.store.users.getByEmail(id.email);
    if (candidate && candidate.emailVerified && candidate.email?.toLowerCase() === id.email.toLowerCase()) user = await link(ctx, id, candidate);
  }
  if (!user && p.autoProvision) user = await provision(ctx, p, id);
  if (!user) throw OAuthError.invalidGrant(`The ${p.name} account is not linked to a user of this service`);
  if (user.status !== 'active') throw OAuthError.invalidGrant('The user account is disabled');
  return user;
}
