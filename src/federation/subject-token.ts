import type { Client } from '../store/types.js';
import type { OAuthContext } from '../oauth/context.js';
import { OAuthError } from '../oauth/errors.js';
import type { Federation } from './federation.js';
import type { ExternalIdentity } from './identity.js';
import { introspectToken } from './introspection.js';
import { peekJwt } from '../oauth/jwt/verify.js';
import { verifyBearerAssertion } from './jwt-bearer.js';
import { verifyOidcToken } from './oidc.js';
import { providerAllowsClient, type IntrospectionProvider, type Provider } from './providers.js';

export type SubjectTokenKind = 'id_token' | 'jwt' | 'access_token';

export interface VerifiedSubject {
  provider: Provider;
  identity: ExternalIdentity;
}

/** Verifies `token` with one named provider, whatever its type (the KnetikCloud `grant_type=<provider>` path). */
export function verifyWithProvider(p: Provider, token: string, ctx: OAuthContext, federation: Federation): Promise<VerifiedSubject> {
  return federation.health.observe(p.name, ctx, () => verifyWith(p, token, ctx, federation));
}

async function verifyWith(p: Provider, token: string, ctx: OAuthContext, federation: Federation): Promise<VerifiedSubject> {
  switch (p.type) {
    case 'oidc':
      return { provider: p, identity: await verifyOidcToken(p, token, ctx, federation) };
    case 'jwt_bearer':
      return { provider: p, identity: await verifyBearerAssertion(p, token, ctx, federation) };
    case 'introspection':
      return { provider: p, identity: await introspectToken(p, token, ctx) };
  }
}

/**
 * The introspection provider for an opaque access token: the one introspection provider this client is
 * configured for, meaning the client lists the provider's name in its grant_types or the provider lists the
 * client in allowed_clients. None or several -> invalid_request (the client should use grant_type=<provider>).
 */
async function opaqueTokenProvider(client: Client, federation: Federation): Promise<IntrospectionProvider> {
  const all = await federation.providers.list();
  const mine = all.filter(
    (p): p is IntrospectionProvider =>
      p.type === 'introspection' && providerAllowsClient(p, client.clientId) && (client.grantTypes.includes(p.name) || (p.allowedClients?.includes(client.clientId) ?? false)),
  );
  if (mine.length === 1) return mine[0]!;
  if (mine.length === 0) throw OAuthError.invalidRequest('No identity provider is configured to validate opaque access tokens for this client');
  throw OAuthError.invalidRequest('Several identity providers could validate this access token; use grant_type=<provider name> to choose one');
}

/**
 * RFC 8693 §2.1: which provider validates a subject token.
 * - A JWT (id_token, jwt, or a JWT access token) is validated by the provider whose issuer equals its `iss`
 *   (exact string match): `oidc` providers for id_token and access_token, `oidc` or `jwt_bearer` for jwt. When
 *   several providers share an issuer (e.g. one Google project, two client ids), each is tried in turn.
 * - An opaque access token (or a JWT access token whose issuer is no provider's) goes to the client's
 *   introspection provider (see opaqueTokenProvider).
 * The token's claims never choose a provider the client may not use (allowed_clients). See docs/adr/0005-federation.md.
 */
export async function verifySubjectToken(token: string, kind: SubjectTokenKind, client: Client, ctx: OAuthContext, federation: Federation): Promise<VerifiedSubject> {
  const peek = peekJwt(token);
  if ((kind === 'id_token' || kind === 'jwt') && !peek) throw OAuthError.invalidGrant('The subject token is not a JWT');
  if (peek?.iss !== undefined) {
    const types = kind === 'jwt' ? (['oidc', 'jwt_bearer'] as const) : (['oidc'] as const);
    const candidates = (await federation.providers.byIssuer(peek.iss, types)).filter((p) => providerAllowsClient(p, client.clientId));
    let lastError: unknown;
    for (const p of candidates) {
      try {
        return await verifyWithProvider(p, token, ctx, federation);
      } catch (err) {
        // Another provider with the same issuer may accept it (a different audience); outages are not retried.
        if (!(err instanceof OAuthError) || err.code !== 'invalid_grant') throw err;
        lastError = err;
      }
    }
    if (lastError) throw lastError;
    if (kind !== 'access_token') throw OAuthError.invalidGrant('No identity provider of this service accepts tokens of that issuer');
  } else if (kind !== 'access_token') {
    throw OAuthError.invalidGrant('The subject token has no iss claim');
  }
  const p = await opaqueTokenProvider(client, federation);
  return { provider: p, identity: await federation.health.observe(p.name, ctx, () => introspectToken(p, token, ctx)) };
}
