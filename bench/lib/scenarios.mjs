// Benchmark scenarios as data.
//
// A scenario is:
//   name, title, description, endpoint     – for reports
//   supports(target)                        – static capability filter (optional)
//   tesseraImport({ accessTokenFormat })    – the --import document Tessera is started with
//   tesseraEnv                              – extra environment for Tessera (optional)
//   tesseraDatabase                         – 'postgres': Tessera runs on a fresh PostgreSQL database
//                                             created for that process and dropped afterwards
//   side(state, ctx) -> { connections, rate, requests }
//                                           – optional second load stream run at the same time
//                                             (e.g. client_credentials beside the password grant)
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
  CLIENT_ID, CLIENT_SECRET, SCOPE, REQUEST_SCOPE, PASSWORD, USER_POOL_SIZE, ROTATE_CLIENTS, poolUsername,
  TOKEN_PATH, INTROSPECT_PATH, FORM_CONTENT_TYPE, basicAuthHeader, formBody,
} from './constants.mjs';
import { benchUsers } from './users.mjs';
import { seedClientId } from '../seed-large.mjs';
import { SkipError, postForm, describe, classifyToken, mapLimit } from './http.mjs';
import { proofPool } from './dpop-proofs.mjs';

const AUTH = basicAuthHeader(CLIENT_ID, CLIENT_SECRET);
const ADMIN_CLIENT_ID = 'bench-admin';
const ADMIN_CLIENT_SECRET = 'bench-admin-secret-0123456789abcdef0123456789';
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

async function passwordToken(ctx, userIndex = 0) {
  const res = await postForm(ctx.baseUrl, TOKEN_PATH, {
    grant_type: 'password', username: poolUsername(userIndex), password: PASSWORD, scope: REQUEST_SCOPE,
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
    supports: (target) => !target.seed,
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] })],
    }),
    async setup(ctx) {
      const json = await clientCredentialsToken(ctx);
      if (ctx.debug) printToken(ctx, 'access_token', json.access_token);
      return { token: checkFormat(ctx, json.access_token) };
    },
    requests: () => [clientCredentialsRequest()],
  },

  client_credentials_claims: {
    name: 'client_credentials_claims',
    title: 'Client credentials grant, client with a three-claim template',
    endpoint: `POST ${TOKEN_PATH} grant_type=client_credentials&scope=${REQUEST_SCOPE}`,
    description:
      'As client_credentials, but the client carries metadata and a claims template of three claims (a whole ' +
      'metadata value, a nested one, and text around a reference: docs/tokens.md "Custom claims"), so every token ' +
      'carries plan, seats and tenant. Issue 23\'s guard: >= 95% of client_credentials. Tessera targets only.',
    supports: (target) => target.kind === 'subject' && !target.seed,
    // The reference variant (BENCH_BASELINE_REFERENCE, bench/lib/targets.mjs): the same client without the template.
    tesseraImport: ({ accessTokenFormat, reference }) => ({
      clients: [reference ? tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] }) : {
        ...tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] }),
        metadata: { plan: 'gold', limits: { seats: 5 } },
        claims: { plan: '{{client.metadata.plan}}', seats: '{{client.metadata.limits.seats}}', tenant: 'tenant-{{client.id}}' },
      }],
    }),
    async setup(ctx) {
      const json = await clientCredentialsToken(ctx);
      const info = classifyToken(json.access_token);
      if (!ctx.target.reference && info.format === 'jwt' && (info.claims?.plan !== 'gold' || info.claims?.seats !== 5 || info.claims?.tenant !== `tenant-${CLIENT_ID}`)) {
        throw new SetupError(`the token lacks the template's claims: ${JSON.stringify(info.claims)}`);
      }
      if (ctx.debug) printToken(ctx, 'access_token', json.access_token);
      return { token: checkFormat(ctx, json.access_token) };
    },
    requests: () => [clientCredentialsRequest()],
  },

  client_credentials_two_secrets: {
    name: 'client_credentials_two_secrets',
    title: 'Client credentials grant, client with two active secrets',
    endpoint: `POST ${TOKEN_PATH} grant_type=client_credentials&scope=${REQUEST_SCOPE} (the kept secret)`,
    description:
      'As client_credentials, but during setup the client\'s secret is rotated through the admin API with ' +
      'keep_old_for 24h, so it holds two active secrets, and the load authenticates with the kept (old) one: ' +
      'a verified-secret cache hit that must match the second secret. Issue 23\'s guard: no measurable cost ' +
      'against client_credentials. Tessera targets only.',
    supports: (target) => target.kind === 'subject' && !target.seed,
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [
        tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] }),
        { client_id: ADMIN_CLIENT_ID, client_secret: ADMIN_CLIENT_SECRET, grant_types: ['client_credentials'], scope: 'tessera:admin', token_endpoint_auth_method: 'client_secret_basic' },
      ],
    }),
    async setup(ctx) {
      // The reference variant (BENCH_BASELINE_REFERENCE): the client keeps its one secret.
      if (ctx.target.reference) return { token: checkFormat(ctx, (await clientCredentialsToken(ctx)).access_token) };
      const adminAuth = basicAuthHeader(ADMIN_CLIENT_ID, ADMIN_CLIENT_SECRET);
      const tokenRes = await fetch(`${ctx.baseUrl}${TOKEN_PATH}`, { method: 'POST', headers: { 'content-type': FORM_CONTENT_TYPE, authorization: adminAuth }, body: formBody({ grant_type: 'client_credentials', scope: 'tessera:admin' }) });
      const adminToken = (await tokenRes.json().catch(() => ({}))).access_token;
      if (tokenRes.status !== 200 || !adminToken) failSetup('the admin client\'s token request', { status: tokenRes.status, text: '', json: {} });
      const rotated = await fetch(`${ctx.baseUrl}/admin/v1/clients/${CLIENT_ID}/secret`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ keep_old_for: '24h' }) });
      const body = await rotated.json().catch(() => ({}));
      if (rotated.status !== 200 || !body.kept_secret_id) failSetup(`POST /admin/v1/clients/${CLIENT_ID}/secret`, { status: rotated.status, text: JSON.stringify(body), json: body });
      // Both secrets work; the load uses the kept one (CLIENT_SECRET, in FORM_HEADERS).
      const withNew = await fetch(`${ctx.baseUrl}${TOKEN_PATH}`, { method: 'POST', headers: { 'content-type': FORM_CONTENT_TYPE, authorization: basicAuthHeader(CLIENT_ID, body.client_secret) }, body: formBody({ grant_type: 'client_credentials', scope: REQUEST_SCOPE }) });
      if (withNew.status !== 200) failSetup('client_credentials with the new secret', { status: withNew.status, text: '', json: {} });
      const json = await clientCredentialsToken(ctx);
      return { token: checkFormat(ctx, json.access_token) };
    },
    requests: () => [clientCredentialsRequest()],
  },

  client_credentials_dpop: dpopScenario({ name: 'client_credentials_dpop', alg: 'EdDSA' }),
  client_credentials_dpop_es256: dpopScenario({ name: 'client_credentials_dpop_es256', alg: 'ES256' }),
  client_credentials_dpop_ps256: dpopScenario({ name: 'client_credentials_dpop_ps256', alg: 'PS256' }),

  introspection: {
    name: 'introspection',
    title: 'Token introspection (RFC 7662)',
    endpoint: `POST ${INTROSPECT_PATH} token=<access token>`,
    description:
      'One access token is obtained with client_credentials during setup; every request introspects it ' +
      'with client_secret_basic. The target must answer active=true for its own token, otherwise the ' +
      'scenario is skipped for that target (oidc-provider cannot introspect JWT access tokens).',
    supports: (target) => !target.seed,
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
    title: 'Resource owner password grant (pool of 200 users)',
    endpoint: `POST ${TOKEN_PATH} grant_type=password`,
    description:
      `Each request is a password grant for the next of ${USER_POOL_SIZE} imported users (round-robin), so ` +
      'includes one argon2id verification (m=19 MiB, t=2, p=1) per request. Tessera runs with its failed-login ' +
      'throttle ENABLED: an attempt counts against its (username, source IP) allowance while it is being checked, ' +
      'so a burst of guesses cannot slip past the throttle, which is why the load is spread over a pool of users ' +
      '(many parallel logins of one user from one IP would meet the throttle, not measure login throughput).',
    supports: (target) => target.grants.includes('password') && !target.seed,
    tesseraImport: passwordImport,
    setup: passwordSetup,
    requests: (state) => [passwordRequest(state)],
  },

  password_mixed: {
    name: 'password_mixed',
    title: 'Password grant with client_credentials traffic beside it',
    endpoint: `POST ${TOKEN_PATH} grant_type=password + grant_type=client_credentials`,
    description:
      'Two autocannon instances in the same process, at the same time, against one server: the password grant ' +
      `(pool of ${USER_POOL_SIZE} users, login throttle enabled) at the scenario's connection count, and ` +
      'client_credentials on 8 further connections, paced to BENCH_SIDE_RATE requests/s in total (default 1,000; ' +
      '0 = as fast as possible). The main table is the password stream; the client_credentials stream is in the ' +
      '"beside" table. cpu µs/req divides server CPU by the requests of both streams.',
    supports: (target) => target.grants.includes('password') && !target.seed,
    tesseraImport: passwordImport,
    setup: passwordSetup,
    requests: (state) => [passwordRequest(state)],
    side: () => ({
      label: 'client_credentials',
      connections: Number(process.env.BENCH_SIDE_CONNECTIONS ?? 8),
      rate: Number(process.env.BENCH_SIDE_RATE ?? 1000),
      requests: () => [clientCredentialsRequest()],
    }),
  },

  refresh: refreshScenario({
    name: 'refresh',
    title: 'Refresh token grant with rotation (SQLite)',
    store: 'SQLite (the default store in the data directory)',
  }),

  refresh_pg: refreshScenario({
    name: 'refresh_pg',
    title: 'Refresh token grant with rotation (PostgreSQL)',
    store: 'PostgreSQL 127.0.0.1:5432 (TESSERA_DATABASE_URL to a fresh database `bench_<random>` created for ' +
      'each server process and dropped afterwards)',
    tesseraDatabase: 'postgres',
    supports: (target) => target.kind === 'subject' && !target.seed,
  }),

  client_credentials_many: {
    name: 'client_credentials_many',
    title: `Client credentials rotating over ${ROTATE_CLIENTS.toLocaleString('en-US')} clients of a seeded store`,
    endpoint: `POST ${TOKEN_PATH} grant_type=client_credentials (client_secret_basic, ${ROTATE_CLIENTS} different clients)`,
    description:
      'Tessera started on a data directory seeded by `bench/seed-large.mjs` (no import). The scenario draws ' +
      `${ROTATE_CLIENTS.toLocaleString('en-US')} client ids at random (fixed seed) from the store and rotates over ` +
      'them request by request, so the per-process client cache and secret-verification cache are exercised with ' +
      'many keys. Before the warm-up every sampled client makes one token request (the first request of a client ' +
      'pays one argon2id verification of its secret, ~22 ms; later ones hit the verification cache), so the ' +
      'measured window compares the steady state of a 1,000,000-client store with a 1,000-client one. ' +
      'The "start-up ms" column is process spawn to the first `GET /healthz` 200; "RSS MB" is VmRSS after the run.',
    supports: (target) => Boolean(target.seed),
    tesseraImport: null,
    async setup(ctx) {
      const { seed } = ctx.target;
      const ids = sampleClientIds(seed.clients, Math.min(ROTATE_CLIENTS, seed.clients));
      const headers = ids.map((id) => ({ ...FORM_HEADERS, authorization: basicAuthHeader(id, seed.secret) }));
      const res = await postForm(ctx.baseUrl, TOKEN_PATH, { grant_type: 'client_credentials', scope: REQUEST_SCOPE }, { auth: headers[0].authorization });
      if (res.status !== 200 || !res.json?.access_token) failSetup(`POST ${TOKEN_PATH} grant_type=client_credentials (seeded client ${ids[0]})`, res);
      if (ctx.debug) printToken(ctx, 'access_token', res.json.access_token);
      return { ids, headers, next: 0, primed: false, token: checkFormat(ctx, res.json.access_token) };
    },
    async beforeRun(state, ctx) {
      if (state.primed) return;
      const t0 = Date.now();
      const failed = (await mapLimit(state.headers, 4, async (h) => {
        const res = await postForm(ctx.baseUrl, TOKEN_PATH, { grant_type: 'client_credentials', scope: REQUEST_SCOPE }, { auth: h.authorization, timeoutMs: 60_000 });
        return res.status === 200 ? 0 : 1;
      })).reduce((a, b) => a + b, 0);
      if (failed) throw new SetupError(`priming: ${failed} of ${state.headers.length} sampled clients could not get a token`);
      ctx.log(`    primed ${state.headers.length} clients in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      state.primed = true;
    },
    requests: (state) => [{
      ...clientCredentialsRequest(),
      setupRequest(req) {
        const headers = state.headers[state.next++ % state.headers.length];
        return { ...req, headers };
      },
    }],
  },
};

/**
 * client_credentials with a DPoP proof signed with `alg` on every request (RFC 9449): one proof verification
 * and one replay-guard write per request, a DPoP-bound token back. The proofs come from a pool signed before
 * each phase (dpop-proofs.mjs), so the load generator's signatures do not take CPU from the server.
 */
function dpopScenario({ name, alg }) {
  return {
    name,
    title: `Client credentials grant, DPoP-bound (RFC 9449), ${alg} proofs`,
    endpoint: `POST ${TOKEN_PATH} grant_type=client_credentials&scope=${REQUEST_SCOPE} + DPoP proof (${alg})`,
    description:
      `As client_credentials, but every request carries a fresh DPoP proof (${alg}, a new jti and iat each time) ` +
      'and gets a DPoP-bound token (token_type DPoP, cnf.jkt): one proof verification and one replay-guard write ' +
      'per request. Server nonces off (the default). The proofs are signed before each phase, by one thread per ' +
      'core, so that the load generator spends no CPU on signatures during the window (a client signs on its own ' +
      'machine); a request that finds the pool empty signs its own, and the run reports how many. Tessera only.',
    supports: (target) => target.kind === 'subject' && !target.seed,
    tesseraImport: ({ accessTokenFormat }) => ({
      clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials'] })],
    }),
    async setup(ctx) {
      // The reference variant (BENCH_BASELINE_REFERENCE): bearer client_credentials, no proof.
      if (ctx.target.reference) return { proofs: null, token: checkFormat(ctx, (await clientCredentialsToken(ctx)).access_token) };
      const proofs = proofPool({ alg, htu: `${ctx.baseUrl}${TOKEN_PATH}` });
      await proofs.fill(0);
      const res = await fetch(`${ctx.baseUrl}${TOKEN_PATH}`, { method: 'POST', headers: { ...FORM_HEADERS, dpop: proofs.next() }, body: formBody({ grant_type: 'client_credentials', scope: REQUEST_SCOPE }) });
      const json = await res.json().catch(() => ({}));
      if (res.status !== 200 || json.token_type !== 'DPoP') failSetup(`POST ${TOKEN_PATH} with a DPoP proof`, { status: res.status, text: JSON.stringify(json), json });
      return { proofs, token: checkFormat(ctx, json.access_token) };
    },
    async beforeRun(state, _ctx, phase) {
      if (state.proofs) await state.proofs.fill(phase.seconds);
    },
    report: (state) => (state.proofs ? { dpopAlg: alg, proofsSignedDuringRun: state.proofs.signedDuringRun } : null),
    requests: (state) => [{
      ...clientCredentialsRequest(),
      // A fresh proof per request (autocannon calls this before each one).
      ...(state.proofs ? { setupRequest: (req) => ({ ...req, headers: { ...req.headers, dpop: state.proofs.next() } }) } : {}),
    }],
  };
}

function clientCredentialsRequest() {
  return {
    method: 'POST',
    path: TOKEN_PATH,
    headers: FORM_HEADERS,
    body: formBody({ grant_type: 'client_credentials', scope: REQUEST_SCOPE }),
  };
}

async function passwordImport({ accessTokenFormat }) {
  return {
    clients: [tesseraClient({ accessTokenFormat, grantTypes: ['client_credentials', 'password', 'refresh_token'] })],
    users: await benchUsers(USER_POOL_SIZE),
  };
}

async function passwordSetup(ctx) {
  const json = await passwordToken(ctx, 0);
  if (ctx.debug) printToken(ctx, 'access_token', json.access_token);
  return { next: 1, token: checkFormat(ctx, json.access_token) };
}

/** Password grant for the next user of the pool (shared counter: round-robin across all connections). */
function passwordRequest(state) {
  return {
    method: 'POST',
    path: TOKEN_PATH,
    headers: FORM_HEADERS,
    body: formBody({ grant_type: 'password', username: poolUsername(0), password: PASSWORD, scope: REQUEST_SCOPE }),
    setupRequest(req) {
      const username = poolUsername(state.next++);
      return { ...req, body: formBody({ grant_type: 'password', username, password: PASSWORD, scope: REQUEST_SCOPE }) };
    },
  };
}

function refreshScenario({ name, title, store, tesseraDatabase, supports }) {
  return {
    name,
    title,
    endpoint: `POST ${TOKEN_PATH} grant_type=refresh_token`,
    description:
      `Store: ${store}. Refresh tokens rotate and reuse detection is always on: every request spends a refresh ` +
      'token that was returned by an earlier response and never reuses one. Setup obtains a pool of 2 x ' +
      `connections refresh tokens with the password grant (spread over ${USER_POOL_SIZE} users, login throttle ` +
      'enabled); each response pushes its new refresh_token back into the pool (FIFO), each request takes one ' +
      'out. A failed refresh loses its chain (counted as an error).',
    supports: supports ?? ((target) => target.grants.includes('password') && target.grants.includes('refresh_token') && !target.seed),
    tesseraDatabase,
    tesseraImport: passwordImport,
    async setup(ctx) {
      const first = await passwordToken(ctx, 0);
      if (!first.refresh_token) throw new SkipError(`POST ${TOKEN_PATH} grant_type=password issued no refresh_token`);
      // Verify one rotation by hand before load.
      const res = await postForm(ctx.baseUrl, TOKEN_PATH, { grant_type: 'refresh_token', refresh_token: first.refresh_token });
      if (res.status !== 200 || !res.json?.refresh_token) failSetup(`POST ${TOKEN_PATH} grant_type=refresh_token`, res);
      const rotated = res.json.refresh_token !== first.refresh_token;
      if (!rotated) ctx.log(`  WARNING ${ctx.target.name}: refresh_token was not rotated`);
      if (ctx.debug) printToken(ctx, 'refresh_token', res.json.refresh_token);
      return { pool: [res.json.refresh_token], nextUser: 1, exhausted: 0, failed: 0, rotated, token: checkFormat(ctx, res.json.access_token) };
    },
    async beforeRun(state, ctx) {
      // Tokens in flight when a run stops are lost; top the pool up each time.
      const want = Math.max(16, 2 * ctx.connections) - state.pool.length;
      if (want <= 0) return;
      const got = await mapLimit(Array.from({ length: want }), 8, async () => (await passwordToken(ctx, state.nextUser++)).refresh_token);
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
  };
}

/** `count` distinct seeded client ids out of `total`, drawn with a fixed-seed PRNG (same sample every run). */
function sampleClientIds(total, count) {
  let x = 0x9e3779b9;
  const rand = () => {
    // xorshift32
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
  const picked = new Set();
  if (count >= total) {
    const all = Array.from({ length: total }, (_, i) => i);
    for (let i = all.length - 1; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [all[i], all[j]] = [all[j], all[i]]; }
    return all.map(seedClientId);
  }
  while (picked.size < count) picked.add(Math.floor(rand() * total));
  return [...picked].map(seedClientId);
}

export const scenarioNames = Object.keys(scenarios);
