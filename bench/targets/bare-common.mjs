// Logic shared by the two "bare" baseline targets (bare-fastify, bare-http).
// They do the minimum a real token route does: parse the Basic header,
// compare the client credentials, parse the form body, switch on grant_type
// and serialise a fixed JSON body with the RFC 6749 §5.1 cache headers.
// No crypto, no storage: this is the framework/HTTP floor.
import { parseArgs } from 'node:util';
import { timingSafeEqual } from 'node:crypto';
import { CLIENT_ID, CLIENT_SECRET, REQUEST_SCOPE } from '../lib/constants.mjs';

export function targetArgs() {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '0' },
    },
    strict: false,
  });
  return { host: values.host, port: Number(values.port) };
}

// A fixed, JWT-shaped access token (not signed by anything: baseline only).
const FIXED_ACCESS_TOKEN =
  'eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.' +
  Buffer.from(JSON.stringify({ iss: 'bare', sub: CLIENT_ID, aud: 'bench', scope: REQUEST_SCOPE, iat: 0, exp: 4102444800 })).toString('base64url') +
  '.' + 'A'.repeat(86);

export const TOKEN_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

const expected = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`);

/** Returns true when the Authorization header carries the bench client. */
export function checkBasic(header) {
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64');
  if (decoded.length !== expected.length) return false;
  // Values are form-encoded per RFC 6749 §2.3.1; the bench values contain no
  // characters that change under that encoding, so a byte compare is enough.
  return timingSafeEqual(decoded, expected);
}

export const INVALID_CLIENT = { status: 401, body: { error: 'invalid_client' }, headers: { 'www-authenticate': 'Basic realm="bare"' } };

// Refresh tokens rotate like a real server's: each one is single-use. A Set
// lookup is the only "state" (it lets the harness prove its chaining is right).
const liveRefreshTokens = new Set();
let refreshCounter = 0;
function newRefreshToken() {
  const rt = `bare-rt-${process.pid}-${++refreshCounter}`;
  liveRefreshTokens.add(rt);
  return rt;
}

/** Token endpoint logic: params is a URLSearchParams-like object (get()). */
export function tokenResponse(authorization, params) {
  if (!checkBasic(authorization)) return INVALID_CLIENT;
  const grant = params.get('grant_type');
  switch (grant) {
    case 'client_credentials':
      return { status: 200, body: { access_token: FIXED_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, scope: params.get('scope') || REQUEST_SCOPE } };
    case 'password':
      if (!params.get('username') || !params.get('password')) return { status: 400, body: { error: 'invalid_request' } };
      return { status: 200, body: { access_token: FIXED_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, refresh_token: newRefreshToken(), scope: params.get('scope') || REQUEST_SCOPE } };
    case 'refresh_token': {
      const rt = params.get('refresh_token');
      if (!rt) return { status: 400, body: { error: 'invalid_request' } };
      if (!liveRefreshTokens.delete(rt)) return { status: 400, body: { error: 'invalid_grant' } };
      return { status: 200, body: { access_token: FIXED_ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600, refresh_token: newRefreshToken(), scope: REQUEST_SCOPE } };
    }
    default:
      return { status: 400, body: { error: 'unsupported_grant_type' } };
  }
}

/** Introspection endpoint logic (RFC 7662), fixed answer. */
export function introspectResponse(authorization, params) {
  if (!checkBasic(authorization)) return INVALID_CLIENT;
  if (!params.get('token')) return { status: 400, body: { error: 'invalid_request' } };
  return { status: 200, body: { active: true, client_id: CLIENT_ID, scope: REQUEST_SCOPE, token_type: 'Bearer', exp: 4102444800, iat: 0 } };
}

export function onShutdown(close) {
  const stop = () => { close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
