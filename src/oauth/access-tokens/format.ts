import type { Config } from '../../config.js';
import type { KeyRing } from '../../keys/key-ring.js';
import type { JwtSigner } from '../../keys/signing-thread.js';
import type { Client, Confirmation, Installation, Organization, Store, User } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import { getUser } from '../users.js';
import { OAuthError } from '../errors.js';

/** What an access token says, whatever its format. */
export interface AccessTokenClaims {
  client: Client;
  /** RFC 9068 §2.2: the resource owner, or the client id when there is none. */
  subject: string;
  scope: readonly string[];
  userId?: string | null;
  username?: string | null;
  /** The user record when the grant has it: claim templates read its metadata (oauth/claims.ts). */
  user?: User | null;
  orgId?: string | null;
  /** The organisation and installation records when the grant has them (org_implicit, its refresh): claim templates read them. */
  org?: Organization | null;
  installation?: Installation | null;
  /** The refresh-token family (login session) the token belongs to: revoking the family ends the token. */
  familyId?: string | null;
  /** Audiences the token is for (RFC 8707 resource / RFC 8693 audience); defaults per client/config. */
  audience?: readonly string[];
  /** Extra claims (e.g. the identity provider of a federated login). */
  extra?: Record<string, unknown> | null;
  /**
   * The token hook's claims when the grant already asked it (null: asked, nothing to add), so a grant that changes
   * state (starts or rotates a refresh family) asks before it does; undefined: the issuer asks (oauth/token-hook.ts).
   */
  hookClaims?: Record<string, unknown> | null;
  /** RFC 7800 §3.1: the key the token is bound to (the `cnf` claim; introspection returns it). */
  confirmation?: Confirmation | null;
}

/** An access token's `cnf` (RFC 7800): one member per binding (RFC 8705 §3.1 x5t#S256, RFC 9449 §6.1 jkt). */
export type { Confirmation } from '../../store/types.js';

/** One issued access token. TokenIssuer decides everything but `token`, which the client's format mints. */
export interface IssuedAccessToken {
  token: string;
  jti: string;
  issuedAt: number;
  expiresIn: number;
  expiresAt: number;
  audience: string[];
  format: AccessTokenFormat['name'];
  /** RFC 9449 §5: DPoP when bound to a DPoP key (confirmation.ts tokenTypeFor), else Bearer. */
  tokenType: 'Bearer' | 'DPoP';
}

/** What minting needs beyond the claims: the issuer's configuration, its keys and signer, the store. */
export interface IssuingServices {
  readonly config: Config;
  readonly keys: KeyRing;
  readonly store: Store;
  readonly signer: JwtSigner;
}

/** RFC 7662 §2.2: the whole answer for a token that is not active, or that the caller may not see. */
export const INACTIVE = '{"active":false}';

/**
 * One access-token format (ADR 0001): JWT (RFC 9068, self-contained, revoked by denylist) or opaque (a random
 * reference stored as its SHA-256, revoked by deletion). The format owns the three things that differ: issuing,
 * introspecting and revoking. TokenIssuer picks the client's format to issue; the introspection and revocation
 * endpoints pick by the token's shape, since a client may have changed format while its tokens live on.
 */
export interface AccessTokenFormat {
  readonly name: 'jwt' | 'opaque';
  /** Whether `token` has this format's shape (no verification, no look-up). */
  recognises(token: string): boolean;
  /**
   * Mints the token for `claims` into `issued` (whose times, jti and audience are decided) and resolves to it.
   * `extra` is every extension claim of the token (the grant's own, the client's template's and the hook's, merged
   * by the issuer), which the format must put beside, never over, the claims it sets itself.
   */
  issue(services: IssuingServices, claims: AccessTokenClaims, issued: IssuedAccessToken, extra: Readonly<Record<string, unknown>> | undefined): Promise<IssuedAccessToken>;
  /**
   * RFC 7662 §2.2: the serialised answer for `token` as `caller` sees it; undefined when no token of this format
   * is `token`, so the endpoint may look further (an opaque-shaped token may be a refresh token).
   */
  introspect(ctx: OAuthContext, caller: Client, token: string): string | undefined | Promise<string | undefined>;
  /**
   * RFC 7009 §2.1: revokes `token` if it was issued to `client`; resolves false when no token of this format is
   * `token`, and throws issuedToAnotherClient() for a valid token of another client. `onRevoked` is told what was revoked (a jti or a hash prefix, never the token) when something was.
   */
  revoke(ctx: OAuthContext, client: Client, token: string, onRevoked?: (details: Record<string, unknown>) => void): Promise<boolean>;
}

/**
 * RFC 7009 §2.1: the server "verifies whether the token was issued to the client making the revocation request. If
 * this validation fails, the request is refused and the client is informed of the error" (§2.2.1: an RFC 6749 §5.2
 * error). invalid_grant is the §5.2 code for a grant or refresh token "issued to another client". Only for a token
 * that is still valid: an expired or revoked one is an invalid token, 200 (§2.2).
 */
export function issuedToAnotherClient(): OAuthError {
  return OAuthError.invalidGrant('The token was not issued to this client');
}

/** Lets one caller see a token: its own client, or a client with the introspection permission (RFC 7662 §4). */
export function mayIntrospect(caller: Client, tokenClientId: string): boolean {
  return caller.clientId === tokenClientId || caller.introspectAny;
}

/** A token that names a user is active only while that user is (from the per-process cache in steady state). */
export async function userStillActive(ctx: OAuthContext, userId: string | null): Promise<{ ok: boolean; username?: string }> {
  if (userId === null) return { ok: true };
  const user = await getUser(ctx, userId);
  return user && user.status === 'active' ? { ok: true, username: user.username } : { ok: false };
}
