// Benchmark scenarios as data.
//
// A scenario is:
//   name, title, description, endpoint     – for reports
//   supports(target)                        – static capability filter (optional)
//   tesseraImport({ accessTokenFormat })    – the --import document Tessera is started with
//   tesseraEnv                              – extra environment for Tessera (optional)
//   setup(ctx) -> state                     – one-off requests before load (obtain tokens,
//                                             verify the endpoint); throws SkipError when the
//                                             target answers 404/400 (endpoint/grant missing)
//   beforeRun(state, ctx)                   – optional, before warm-up and before the measured
//                                             window (e.g. top up a refresh-token pool)
//   requests(state, ctx) -> autocannon requests[] (method, path, headers, body and optionally
//                                             setupRequest/onResponse for chained requests)
//   docNotes                                – extra text for docs/benchmarks.md (optional)
//
// ctx = { baseUrl, target, connections, debug, log }
import {
  CLIENT_ID, CLIENT_SECRET, SCOPE, REQUEST_SCOPE, USERNAME, PASSWORD,
  TOKEN_PATH, INTROSPECT_PATH, FORM_CONTENT_TYPE, basicAuthHeader, formBody,
} from './constants.mjs';
import { SkipError, postForm, describe, classifyToken, mapLimit } from './http.mjs';

const AUTH = basicAuthHeader(CLIENT_ID, CLIENT_SECRET);
const FORM_HEADERS = { 'content-type': FORM_CONTENT_TYPE, authorization: AUTH, accept: 'application/json' };

/** Thrown when setup got an unexpected (non 404/400) failure: reported as FAILED. */
export class SetupError extends Error {}

function tesseraClient({ accessTokenFormat, grantTypes }) {
  const client = {
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: grantTypes,
    scope: SCOPE,
    token_endpoint_auth_method: 'client_secret_basic',
  };
  if (accessTokenFormat === 'opaque') client.access_token_format = 'opaque';
  return client;
}

const BENCH_USER = { username: USERNAME, password: PASSWORD };

/** Raise SkipError for 404/400/405 ("not there / not supported"), SetupError otherwise. */
function failSetup(what, res) {
  const msg = `${what} answered ${describe(res)}`;
  if (res.status === 404 || res.status === 400 || res.status === 405) throw new SkipError(msg);
  throw new SetupError(msg);
}

function printToken(ctx, label, token) {
  const info = classifyToken(token);
  ctx.log(`  [debug] ${ctx.target.name} ${label}: ${token}`);
  if (info.format === 'jwt') {
    ctx.log(`  [debug]   JWT header ${JSON.stringify(info.header)}`);
    ctx.log(`  [debug]   JWT claims ${JSON.stringify(info.claims)}`);
  } else {
    ctx.log(`  [debug]   opaque token, ${info.length} chars`);
  }
}

async function clientCredentialsToken(ctx) {
  const res = await postForm(ctx.baseUrl, TOKEN_PATH, { grant_type: 'client_credentials', scope: REQUEST_SCOPE });
  if (res.status !== 200 || !res.json?.access_token) failSetup(`POST ${TOKEN_PATH} grant_type=client_credentials`, res);
  return res.json;
}

async function passwordToken(ctx) {
  const res = await postForm(ctx.baseUrl, TOKEN_PATH, {
    grant_type: 'password', username: USERNAME, password: PASSWORD, scope: REQUEST_SCOPE,
  });
  if (res.status !== 200 || !res.json?.access_token) failSetup(`POST ${TOKEN_PATH} grant_type=password`, res);
  return res.json;
}

/** Verify the token format the target issued against what it is supposed to issue. */
function checkFormat(ctx, token) {
  if (!ctx.target.expectFormat) return { format: 'fixed', alg: null, typ: null, tokenLength: token.length, formatMismatch: false };
  const info = classifyToken(token);
  const expected = ctx.target.expectFormat;
  const mismatch = expected && expected !== info.format;
  if (mismatch) ctx.log(`  WARNING ${ctx.target.name}: expected a ${expected} access token, got ${info.format}`);
  return {
    format: info.format,
    alg: info.header?.alg ?? null,
    typ: info.header?.typ ?? null,
    tokenLength: token.length,
    formatMismatch: Boolean(mismatch),
  };
}

export const scenarios = {
  client_credentials: {
    name: 'client_credentials',
    title: 'Client credentials grant',
    endpoint: `POST ${TOKEN_PATH} grant_type=client_credentials&scope=${REQUEST_SCOPE}`,
    description:
      'Each request is a fresh client_credentials token request authenticated with client_secret_basic ' +
      '(RFC 6749 §4.4, §2.3.1). JWT or opaque access token depending on the target.',
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] })],
    }),
    async setup(ctx) {
      const json = await clientCredentialsToken(ctx);
      if (ctx.debug) printToken(ctx, 'access_token', json.access_token);
      return { token: checkFormat(ctx, json.access_token) };
    },
    requests: () => [{
      method: 'POST',
      path: TOKEN_PATH,
      headers: FORM_HEADERS,
      body: formBody({ grant_type: 'client_credentials', scope: REQUEST_SCOPE }),
    }],
  },

  introspection: {
    name: 'introspection',
    title: 'Token introspection (RFC 7662)',
    endpoint: `POST ${INTROSPECT_PATH} token=<access token>`,
    description:
      'One access token is obtained with client_credentials during setup; every request introspects it ' +
      'with client_secret_basic. The target must answer active=true for its own token, otherwise the ' +
      'scenario is skipped for that target (oidc-provider cannot introspect JWT access tokens).',
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] })],
    }),
    async setup(ctx) {
      const json = await clientCredentialsToken(ctx);
      const token = json.access_token;
      const res = await postForm(ctx.baseUrl, INTROSPECT_PATH, { token });
      if (res.status !== 200) failSetup(`POST ${INTROSPECT_PATH}`, res);
      if (res.json?.active !== true) throw new SkipError(`POST ${INTROSPECT_PATH} answered ${describe(res)} (token not active)`);
      if (ctx.debug) {
        printToken(ctx, 'access_token', token);
        ctx.log(`  [debug]   introspection: ${res.text}`);
      }
      return { accessToken: token, token: checkFormat(ctx, token) };
    },
    requests: (state) => [{
      method: 'POST',
      path: INTROSPECT_PATH,
      headers: FORM_HEADERS,
      body: formBody({ token: state.accessToken }),
    }],
  },

  password: {
    name: 'password',
    title: 'Resource owner password grant',
    endpoint: `POST ${TOKEN_PATH} grant_type=password`,
    description:
      'Each request is a password grant for one imported user (includes the password hash verification, ' +
      'so it is expected to be far slower than client_credentials).',
    supports: (target) => target.grants.includes('password'),
    // Tessera counts a login as failed until the KDF succeeds, so 32 concurrent correct logins trip the
    // failed-login throttle (429). The bench measures the grant, not the throttle.
    tesseraEnv: { TESSERA_LOGIN_THROTTLE_ENABLED: 'false' },
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials', 'password', 'refresh_token'] })],
      users: [BENCH_USER],
    }),
    async setup(ctx) {
      const json = await passwordToken(ctx);
      if (ctx.debug) printToken(ctx, 'access_token', json.access_token);
      return { token: checkFormat(ctx, json.access_token) };
    },
    requests: () => [{
      method: 'POST',
      path: TOKEN_PATH,
      headers: FORM_HEADERS,
      body: formBody({ grant_type: 'password', username: USERNAME, password: PASSWORD, scope: REQUEST_SCOPE }),
    }],
  },

  refresh: {
    name: 'refresh',
    title: 'Refresh token grant with rotation',
    endpoint: `POST ${TOKEN_PATH} grant_type=refresh_token`,
    description:
      'Refresh tokens rotate: every request spends a refresh token that was returned by an earlier ' +
      'response and never reuses one. Setup obtains a pool of 2 x connections refresh tokens with the ' +
      'password grant; each response pushes its new refresh_token back into the pool (FIFO), each request ' +
      'takes one out. A failed refresh loses its chain (counted as an error).',
    supports: (target) => target.grants.includes('password') && target.grants.includes('refresh_token'),
    tesseraEnv: { TESSERA_LOGIN_THROTTLE_ENABLED: 'false' },
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials', 'password', 'refresh_token'] })],
      users: [BENCH_USER],
    }),
    async setup(ctx) {
      const first = await passwordToken(ctx);
      if (!first.refresh_token) throw new SkipError(`POST ${TOKEN_PATH} grant_type=password issued no refresh_token`);
      // Verify one rotation by hand before load.
      const res = await postForm(ctx.baseUrl, TOKEN_PATH, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      if (res.status !== 200 || !res.json?.refresh_token) failSetup(`POST ${TOKEN_PATH} grant_type=refresh_token`, res);
      const rotated = res.json.refresh_token !== first.refresh_token;
      if (!rotated) ctx.log(`  WARNING ${ctx.target.name}: refresh_token was not rotated`);
      if (ctx.debug) printToken(ctx, 'refresh_token', res.json.refresh_token);
      const state = { pool: [res.json.refresh_token], exhausted: 0, failed: 0, rotated, token: checkFormat(ctx, res.json.access_token) };
      return state;
    },
    async beforeRun(state, ctx) {
      // Tokens in flight when a run stops are lost; top the pool up each time.
      const want = Math.max(16, 2 * ctx.connections) - state.pool.length;
      if (want <= 0) return;
      const got = await mapLimit(Array.from({ length: want }), 8, async () => (await passwordToken(ctx)).refresh_token);
      for (const t of got) if (t) state.pool.push(t);
    },
    requests: (state) => [{
      method: 'POST',
      path: TOKEN_PATH,
      headers: FORM_HEADERS,
      setupRequest(req) {
        let rt = state.pool.shift();
        if (rt === undefined) {
          state.exhausted++;
          rt = 'pool-exhausted'; // will fail and be counted as an error
        }
        return { ...req, body: formBody({ grant_type: 'refresh_token', refresh_token: rt }) };
      },
      onResponse(status, body) {
        if (status !== 200) { state.failed++; return; }
        try {
          const rt = JSON.parse(body).refresh_token;
          if (rt) state.pool.push(rt);
          else state.failed++;
        } catch {
          state.failed++;
        }
      },
    }],
  },
};

export const scenarioNames = Object.keys(scenarios);
