import { Type } from '@sinclair/typebox';

/**
 * Route schemas document the API (OpenAPI 3.1) and nothing else: they neither validate nor serialise (app.ts's
 * schemaController). Requests are parsed strictly by the OAuth layer; responses are written with JSON.stringify.
 */
/**
 * The client authentication a route accepts, as OpenAPI security requirements: HTTP Basic (client_secret_basic,
 * RFC 6749 §2.3.1), or none in the header (a public client's client_id, or client_secret_post, in the body).
 * Swagger UI (/docs) shows its Authorize button for the `client_secret_basic` scheme (app.ts).
 */
export const CLIENT_AUTH_SECURITY: Array<Record<string, string[]>> = [{ client_secret_basic: [] }, {}];

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * One example per grant, offered by Swagger UI's example list; the default (the first) works as it stands once
 * the client is authorized with Basic. Placeholders in <angle brackets> stand for values of an earlier answer.
 */
export const TOKEN_REQUEST_EXAMPLES = {
  client_credentials: { summary: 'client_credentials (RFC 6749 §4.4)', value: { grant_type: 'client_credentials', scope: 'read' } },
  password: { summary: 'password (RFC 6749 §4.3)', value: { grant_type: 'password', username: 'ada', password: '<the password of ada>', scope: 'read' } },
  refresh_token: { summary: 'refresh_token (RFC 6749 §6)', value: { grant_type: 'refresh_token', refresh_token: '<the refresh_token of an earlier answer>' } },
  token_exchange: {
    summary: 'token exchange (RFC 8693)',
    value: { grant_type: TOKEN_EXCHANGE, subject_token: '<an access token of this server>', subject_token_type: ACCESS_TOKEN_TYPE, audience: 'https://api.example', scope: 'read' },
  },
  org_implicit: { summary: 'org_implicit (an installed app, for one organization)', value: { grant_type: 'org_implicit', org_id: 'acme', scope: 'read' } },
  jwt_bearer: {
    summary: 'JWT bearer assertion (RFC 7523 §2.1)',
    value: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: '<a JWT signed by a configured identity provider>', scope: 'read' },
  },
};

export const TokenRequestBody = Type.Object(
  {
    grant_type: Type.String({ description: `client_credentials, password, refresh_token, ${TOKEN_EXCHANGE}, urn:ietf:params:oauth:grant-type:jwt-bearer, org_implicit`, examples: ['client_credentials'] }),
    scope: Type.Optional(Type.String({ description: 'Space-delimited, case-sensitive scopes (RFC 6749 §3.3)', examples: ['read'] })),
    client_id: Type.Optional(Type.String({ description: 'a public client (auth method none), or client_secret_post; confidential clients use the Authorize button (Basic)' })),
    client_secret: Type.Optional(Type.String({ description: 'client_secret_post; prefer HTTP Basic' })),
    username: Type.Optional(Type.String({ description: 'password grant' })),
    password: Type.Optional(Type.String({ description: 'password grant' })),
    refresh_token: Type.Optional(Type.String({ description: 'refresh_token grant' })),
  },
  { additionalProperties: true, 'x-examples': TOKEN_REQUEST_EXAMPLES },
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
  {
    token: Type.String({ description: 'an access or refresh token issued to the calling client', examples: ['<the access_token or refresh_token to act on>'] }),
    token_type_hint: Type.Optional(Type.Union([Type.Literal('access_token'), Type.Literal('refresh_token')], { description: 'RFC 7009 §2.1 / RFC 7662 §2.1' })),
  },
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
