import { describe, expect, expectTypeOf, it } from 'vitest';
import * as sdk from '../src/index.js';
import {
  AdminApiError,
  createVerifier,
  OAuthError,
  TokenClient,
  VerificationError,
  type BearerOutcome,
  type IntrospectionResponse,
  type TokenClientOptions,
  type TokenResult,
  type TokenVerifier,
  type VerifiedToken,
  type VerificationErrorCode,
} from '../src/index.js';

// The assertions below are checked by the compiler (`npm run typecheck` runs packages/client/test/tsconfig.json):
// a change to the published types that breaks them fails CI before anyone installs the package.
describe('public API (types)', () => {
  it('TokenClient: constructor options and grant methods', () => {
    expectTypeOf(TokenClient).constructorParameters.toEqualTypeOf<[TokenClientOptions]>();
    expectTypeOf<TokenClientOptions>().toHaveProperty('clientId').toEqualTypeOf<string>();
    expectTypeOf<TokenClient['clientCredentials']>().returns.toEqualTypeOf<Promise<TokenResult>>();
    expectTypeOf<TokenClient['password']>().parameter(0).toMatchTypeOf<{ username: string; password: string }>();
    expectTypeOf<TokenClient['refresh']>().parameter(0).toEqualTypeOf<string>();
    expectTypeOf<TokenClient['getAccessToken']>().returns.toEqualTypeOf<Promise<string>>();
    expectTypeOf<TokenClient['introspect']>().returns.toEqualTypeOf<Promise<IntrospectionResponse>>();
    expectTypeOf<TokenClient['revoke']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<TokenClient['revoke']>().parameter(1).toEqualTypeOf<'access_token' | 'refresh_token' | undefined>();
  });

  it('token results carry the RFC 6749 §5.1 fields and an absolute expiry', () => {
    expectTypeOf<TokenResult>().toHaveProperty('access_token').toEqualTypeOf<string>();
    expectTypeOf<TokenResult>().toHaveProperty('token_type').toEqualTypeOf<string>();
    expectTypeOf<TokenResult>().toHaveProperty('expiresAt').toEqualTypeOf<number | undefined>();
    expectTypeOf<IntrospectionResponse>().toHaveProperty('active').toEqualTypeOf<boolean>();
  });

  it('verifier and RFC 6750 helpers', () => {
    expectTypeOf(createVerifier).returns.toEqualTypeOf<TokenVerifier>();
    expectTypeOf<TokenVerifier['verify']>().returns.toEqualTypeOf<Promise<VerifiedToken>>();
    expectTypeOf<VerifiedToken['format']>().toEqualTypeOf<'jwt' | 'opaque'>();
    expectTypeOf<VerifiedToken['scopes']>().toEqualTypeOf<string[]>();
    expectTypeOf<BearerOutcome>().toEqualTypeOf<{ ok: true; token: VerifiedToken } | { ok: false; refusal: sdk.BearerRefusal }>();
    expectTypeOf<VerificationError['error']>().toEqualTypeOf<VerificationErrorCode>();
  });

  it('errors are Error subclasses with the RFC 6749 §5.2 fields', () => {
    expectTypeOf<OAuthError>().toMatchTypeOf<Error>();
    expectTypeOf<OAuthError['error']>().toEqualTypeOf<string>();
    expectTypeOf<OAuthError['error_description']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<OAuthError['status']>().toEqualTypeOf<number>();
    expectTypeOf<AdminApiError>().toMatchTypeOf<Error>();
  });
});

describe('public API (runtime)', () => {
  it('exports exactly the documented values', () => {
    expect(Object.keys(sdk).sort()).toEqual(
      [
        'AdminApiError',
        'AdminClient',
        'DiscoveryError',
        'DpopKey',
        'DpopNonces',
        'MemoryReplayStore',
        'NoSessionError',
        'OAuthError',
        'OAuthProtocolError',
        'OAuthTimeoutError',
        'Paginated',
        'RefreshResponseLostError',
        'RefreshTokenRejectedError',
        'TOKEN_TYPE',
        'TokenClient',
        'VerificationError',
        'accessTokenHash',
        'actorChain',
        'authenticateBearer',
        'authenticateRequest',
        'bearerAuth',
        'bearerAuthHook',
        'certificateThumbprint',
        'challenge',
        'checkCertificateBinding',
        'checkScopes',
        'createDpopNonces',
        'createVerifier',
        'dpopChallenge',
        'fastifyBearerAuth',
        'htuOf',
        'metadataUrl',
        'verifyTokenHook',
      ].sort(),
    );
  });
});
