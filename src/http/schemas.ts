import { Type } from '@sinclair/typebox';

/**
 * Route schemas document the API (OpenAPI 3.1) and nothing else: they neither validate nor serialise (app.ts's
 * schemaController). Requests are parsed strictly by the OAuth layer; responses are written with JSON.stringify.
 */
export const TokenRequestBody = Type.Object(
  {
    grant_type: Type.String({ description: 'client_credentials, password, refresh_token, token exchange, jwt-bearer, ...' }),
    scope: Type.Optional(Type.String({ description: 'Space-delimited, case-sensitive scopes (RFC 6749 §3.3)' })),
    client_id: Type.Optional(Type.String()),
    client_secret: Type.Optional(Type.String({ description: 'client_secret_post; prefer HTTP Basic' })),
    username: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
    refresh_token: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

export const TokenResponseBody = Type.Object({
  access_token: Type.String(),
  // A plain string for the serialiser (an anyOf of literals would be checked per response on the hot path);
  // the values are the TokenResponse type's.
  token_type: Type.String({ description: 'Bearer, or DPoP for a token bound to the DPoP proof key (RFC 9449 §5)', examples: ['Bearer', 'DPoP'] }),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
  issued_token_type: Type.Optional(Type.String()),
});

export const OAuthErrorBody = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
});

export const RevocationRequestBody = Type.Object(
  { token: Type.String(), token_type_hint: Type.Optional(Type.String()) },
  { additionalProperties: true },
);

export const IntrospectionRequestBody = RevocationRequestBody;

export const IntrospectionResponseBody = Type.Object(
  {
    active: Type.Boolean(),
    scope: Type.Optional(Type.String()),
    client_id: Type.Optional(Type.String()),
    username: Type.Optional(Type.String()),
    token_type: Type.Optional(Type.String()),
    exp: Type.Optional(Type.Integer()),
    iat: Type.Optional(Type.Integer()),
    nbf: Type.Optional(Type.Integer()),
    sub: Type.Optional(Type.String()),
    aud: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    iss: Type.Optional(Type.String()),
    jti: Type.Optional(Type.String()),
    org_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

/** No Fastify validation: the OAuth layer parses strictly itself; the schema still documents the route (app.ts). */
export const documentOnly = () => (data: unknown) => ({ value: data });
