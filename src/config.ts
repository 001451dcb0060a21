import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { trustedProxyProblem } from './net/trusted-proxies.js';
import { parseDuration } from './duration.js';

/**
 * One validated configuration object, built once at start-up and passed down. Precedence:
 * command-line flags > TESSERA_* environment > config file (JSON) > defaults. Nothing deeper reads process.env.
 */
const Limit = Type.Object({ points: Type.Integer({ minimum: 1 }), duration: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
// A failure throttle's second counter: free failures, then base delay doubled per failure up to the cap.
const Delays = Type.Object({ freeAttempts: Type.Integer({ minimum: 0 }), baseDelayMs: Type.Integer({ minimum: 1 }), maxDelayMs: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
// A mount prefix: '' or '/' for the root, else /segment[/segment...] with an optional trailing slash (dropped).
/** A duration as operators write it (`30d`, `1h`, `90s`) or a number of seconds; parsed by duration.ts after the check. */
const Duration = Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })]);
const Profile = Type.Object({ enabled: Type.Boolean(), prefix: Type.String({ pattern: '^(/[A-Za-z0-9._~-]+)*/?$' }) }, { additionalProperties: false });

/** The asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.2; oauth/dpop/verify.ts implements each). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

/** The prefix routes are mounted under: no trailing slash, '' for the root. */
const mountPrefix = (prefix: string): string => prefix.replace(/\/$/, '');

const ConfigSchema = Type.Object(
  {
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 0, maximum: 65535 }),
    /** HOST:PORT ([v6]:PORT) of a listener of its own for the admin API, which the public listener then lacks. */
    adminListen: Type.Optional(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\]]+):[0-9]{1,5}$' })),
    /** The issuer identifier (RFC 8414 §2): https URL without query or fragment. */
    issuer: Type.Optional(Type.String({ pattern: '^https?://[^?#]+$' })),
    dataDir: Type.String({ minLength: 1 }),
    databaseUrl: Type.Optional(Type.String({ pattern: '^(postgres(ql)?|sqlite):' })),
    databasePoolSize: Type.Integer({ minimum: 1, maximum: 200 }),
    /** PostgreSQL: run hot statements as named prepared statements (off for PgBouncer transaction pooling < 1.21). */
    databasePreparedStatements: Type.Boolean(),
    /** How long (ms) start-up keeps retrying a database that is not reachable yet before exiting non-zero; 0 = no retry. */
    databaseStartupRetryMs: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    redisUrl: Type.Optional(Type.String({ pattern: '^rediss?://' })),
    /** Prefix of every Redis key and channel, so several deployments (or test runs) can share one Redis. */
    redisKeyPrefix: Type.String({ pattern: '^[A-Za-z0-9:_.-]{1,64}$' }),
    /** No Redis command waits longer than this (ms) for its answer; the per-node fallback decides instead. */
    redisCommandTimeoutMs: Type.Integer({ minimum: 10, maximum: 10_000 }),
    /** Redis command timeouts in a row after which Redis is treated as down until a background PING answers. */
    redisBreakerThreshold: Type.Integer({ minimum: 1, maximum: 1000 }),
    /** 32 bytes, hex or base64/base64url (keys/master-key.ts decodes it); checked here so a bad key exits 2 at start. */
    masterKey: Type.Optional(Type.String({ pattern: '^\\s*([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\\s*$' })),
    signingAlg: Type.Union([Type.Literal('ES256'), Type.Literal('EdDSA'), Type.Literal('RS256')]),
    /** Default access-token lifetime (seconds) for clients without their own. */
    accessTokenTtl: Type.Integer({ minimum: 1 }),
    /** Upper bound on any access-token lifetime; retired keys stay published this long. */
    maxAccessTokenTtl: Type.Integer({ minimum: 60 }),
    /**
     * Automatic signing-key rotation (docs/tokens.md, "Signing-key rotation"): a new key every rotateEvery
     * (absent or "off": never), published in the JWKS prePublish before it signs.
     */
    keys: Type.Object({ rotateEvery: Type.Optional(Duration), prePublish: Duration }, { additionalProperties: false }),
    /** The `aud` of access tokens when a client has no audience of its own (default: the issuer). */
    accessTokenAudience: Type.Optional(Type.String({ minLength: 1 })),
    refreshTokenTtl: Type.Integer({ minimum: 60 }),
    refreshIdleTtl: Type.Integer({ minimum: 60 }),
    clockSkew: Type.Integer({ minimum: 0, maximum: 600 }),
    /** private_key_jwt / client_secret_jwt: a client assertion's exp may be at most this many seconds away. */
    clientAssertionMaxLifetime: Type.Integer({ minimum: 10, maximum: 3600 }),
    rateLimit: Type.Object(
      {
        enabled: Type.Boolean(),
        perClient: Limit,
        perIp: Limit,
      },
      { additionalProperties: false },
    ),
    loginThrottle: Type.Object(
      {
        enabled: Type.Boolean(),
        /** Failures allowed before delays start. */
        freeAttempts: Type.Integer({ minimum: 0 }),
        /** Base delay (ms), doubled per further failure, capped at maxDelayMs. */
        baseDelayMs: Type.Integer({ minimum: 1 }),
        maxDelayMs: Type.Integer({ minimum: 1 }),
        /** Failures are forgotten after this many seconds without one. */
        window: Type.Integer({ minimum: 1 }),
        /** Per source address, whatever the username: much looser, since everyone behind one address shares it. */
        perAddress: Delays,
      },
      { additionalProperties: false },
    ),
    /** Failed client authentication (RFC 6749 §10.10), per (client, address); perClient: from addresses that failed. */
    clientAuthThrottle: Type.Object(
      {
        enabled: Type.Boolean(),
        freeAttempts: Type.Integer({ minimum: 0 }),
        baseDelayMs: Type.Integer({ minimum: 1 }),
        maxDelayMs: Type.Integer({ minimum: 1 }),
        window: Type.Integer({ minimum: 1 }),
        perClient: Delays,
      },
      { additionalProperties: false },
    ),
    /** Addresses / CIDRs of the proxies whose X-Forwarded-For is believed (a list, or one comma-separated string). */
    trustProxy: Type.Union([Type.Boolean(), Type.String(), Type.Array(Type.String())]),
    /**
     * Tessera terminates TLS itself (docs/sender-constrained.md): PEM files of the listener's certificate (chain)
     * and key, and the CA bundle that client certificates of tls_client_auth must chain to (RFC 8705 §2.1).
     */
    tls: Type.Object(
      {
        cert: Type.Optional(Type.String({ minLength: 1 })),
        key: Type.Optional(Type.String({ minLength: 1 })),
        clientCa: Type.Optional(Type.String({ minLength: 1 })),
      },
      { additionalProperties: false },
    ),
    /** Mutual TLS behind a TLS-terminating proxy, and the RFC 8705 §5 endpoint aliases. */
    mtls: Type.Object(
      {
        /** The header a trusted proxy (trustProxy) puts the client certificate in: PEM, URL-encoded PEM, base64 DER or Envoy XFCC. */
        certificateHeader: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,64}$' })),
        /** Base URL of a host name where clients present certificates (RFC 8705 §5 mtls_endpoint_aliases), e.g. https://mtls.auth.example. */
        aliasBaseUrl: Type.Optional(Type.String({ pattern: '^https://[^?#]+$' })),
      },
      { additionalProperties: false },
    ),
    /** Deadlines and limits of client connections (docs/deployment.md, "Slow and flooding clients"). */
    http: Type.Object(
      {
        /** The request line and headers must have arrived this long after the request began. */
        headersTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        /** The whole request, body included, must have arrived this long after it began. */
        requestTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
        /** An idle keep-alive connection is closed after this long. */
        keepAliveTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000 }),
        /** Connections one source address may hold open per process (0: no limit); trusted proxies are exempt. */
        maxConnectionsPerAddress: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
      },
      { additionalProperties: false },
    ),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    /** One line per request at info (request id, method, route, status, client_id, grant_type, duration); ~5 us a request. */
    logRequests: Type.Boolean(),
    /** pretty: human lines (for a terminal); json: one JSON object a line (for a log shipper); auto: pretty on a TTY. */
    logFormat: Type.Union([Type.Literal('auto'), Type.Literal('pretty'), Type.Literal('json')]),
    /**
     * OpenTelemetry tracing, from the standard OTEL_* environment only (readTracing): which exporter the SDK starts
     * ('none': the SDK is never loaded), the service name, and the sampling ratio (OTEL_TRACES_SAMPLER_ARG).
     */
    tracing: Type.Object(
      {
        exporter: Type.Union([Type.Literal('none'), Type.Literal('otlp'), Type.Literal('console')]),
        serviceName: Type.String({ minLength: 1 }),
        sampleRatio: Type.Number({ minimum: 0, maximum: 1 }),
      },
      { additionalProperties: false },
    ),
    workers: Type.Union([Type.Integer({ minimum: 1, maximum: 64 }), Type.Literal('auto')]),
    /** argon2id verifications running at once per process ('auto': one per core this process may use). */
    kdfConcurrency: Type.Union([Type.Integer({ minimum: 1, maximum: 64 }), Type.Literal('auto')]),
    /**
     * Admission of KDFs that requests ask for (crypto/kdf-gate.ts): at most maxQueue wait for a slot, none longer
     * than maxWaitMs (then 503), and one source address holds at most perAddress queued or running (then 429).
     */
    kdf: Type.Object(
      {
        maxQueue: Type.Integer({ minimum: 1, maximum: 100_000 }),
        maxWaitMs: Type.Integer({ minimum: 1, maximum: 60_000 }),
        perAddress: Type.Integer({ minimum: 1, maximum: 10_000 }),
      },
      { additionalProperties: false },
    ),
    /** Sign JWTs on a thread of their own ('auto': when a core is left beyond the workers; ADR 0009). */
    signingThread: Type.Union([Type.Boolean(), Type.Literal('auto')]),
    cacheSyncIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000 }),
    /** Window (ms) within which a request-signature nonce (BIZ-API-NONCE) is accepted. */
    signatureWindowMs: Type.Integer({ minimum: 1000 }),
    profiles: Type.Object({ cobo: Type.Optional(Profile), knetik: Type.Optional(Profile), smscx: Type.Optional(Profile) }, { additionalProperties: false }),
    importFile: Type.Optional(Type.String()),
    /** Prometheus metrics at /metrics (observability/metrics.ts; docs/operations.md "Metrics"). */
    metrics: Type.Object(
      {
        enabled: Type.Boolean(),
        /** Serve /metrics without a bearer token (a scraper on a trusted network; else tessera:metrics or tessera:admin). */
        public: Type.Boolean(),
        /** Clients whose token counts carry a client_id label; every other client is counted without one. */
        perClient: Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 100, uniqueItems: true }),
      },
      { additionalProperties: false },
    ),
    /** The web console at /console (docs/console.md): served, and its public client tessera-console ensured at start-up. */
    console: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
    /** DPoP sender-constrained tokens at the token endpoint (RFC 9449; docs/sender-constrained.md). */
    dpop: Type.Object(
      {
        /** Accept DPoP proofs and issue DPoP-bound tokens (off: a DPoP header is refused, metadata stays silent). */
        enabled: Type.Boolean(),
        /** dpop_signing_alg_values_supported: the algorithms a proof may use. */
        signingAlgs: Type.Array(Type.Union(DPOP_ALGORITHMS.map((a) => Type.Literal(a))), { minItems: 1, uniqueItems: true }),
        /** A proof's iat may be at most this many seconds old (and at most clockSkew ahead). */
        proofMaxAge: Type.Integer({ minimum: 5, maximum: 3600 }),
        /** Require a server nonce in every proof (RFC 9449 §8): DPoP-Nonce header, use_dpop_nonce error. */
        nonce: Type.Boolean(),
        /** A nonce is valid for one to two of these windows (seconds); every node derives the same one. */
        nonceLifetime: Type.Integer({ minimum: 10, maximum: 86_400 }),
      },
      { additionalProperties: false },
    ),
    /** The audit trail of security events (docs/operations.md, "Audit events"). */
    events: Type.Object(
      {
        /** token.issued is the hot path: off (default), a sampled fraction (issuedSampleRate), or all. */
        issued: Type.Union([Type.Literal('off'), Type.Literal('sampled'), Type.Literal('all')]),
        issuedSampleRate: Type.Number({ minimum: 0, maximum: 1 }),
        /** Events older than this many days are deleted by the periodic cleanup. */
        retentionDays: Type.Integer({ minimum: 1, maximum: 36_500 }),
        /** The audit table is written in batches: at most this long after an event, or once batchSize are queued. */
        flushIntervalMs: Type.Integer({ minimum: 10, maximum: 900 }),
        /**
         * At most 1000: on SQLite a flush runs on the event loop (500 events measured at ~2.5-3.5 ms, 1000 at ~9 ms),
         * so a bigger batch would become a latency tail for the requests it delays.
         */
        batchSize: Type.Integer({ minimum: 1, maximum: 1000 }),
        /** Events waiting for the table beyond this are dropped (and counted). */
        maxQueue: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        /** JSON lines of every event: 'stdout' or 'file:/path' (appended). */
        stream: Type.Optional(Type.String({ pattern: '^(stdout|file:.+)$' })),
        /** Signed POSTs of each node's events to an operator's URL (observability/webhook-sink.ts); on when url is set. */
        webhook: Type.Object(
          {
            url: Type.Optional(Type.String({ pattern: '^https?://' })),
            /** The HMAC-SHA256 key receivers verify Tessera-Signature with (never logged). */
            secret: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
            /** Only these event types; empty: every type (names checked against the hub's list where it is built). */
            types: Type.Array(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$' }), { uniqueItems: true, maxItems: 100 }),
            maxQueue: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
            batchSize: Type.Integer({ minimum: 1, maximum: 10_000 }),
            timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000 }),
            maxBackoffMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
            shutdownMs: Type.Integer({ minimum: 0, maximum: 120_000 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    /**
     * The token hook (oauth/token-hook.ts, docs/tokens.md): an HTTP endpoint called before issuance for clients
     * that opt in (client field token_hook), which may add claims. Off while url is unset.
     */
    tokenHook: Type.Object(
      {
        url: Type.Optional(Type.String({ pattern: '^https?://' })),
        /** HMAC-SHA256 key the request is signed with; at least 32 characters. */
        secret: Type.Optional(Type.String({ minLength: 32 })),
        timeoutMs: Type.Integer({ minimum: 10, maximum: 10_000 }),
      },
      { additionalProperties: false },
    ),
    /**
     * RFC 7591/7592 dynamic client registration (docs/admin-api.md): off unless enabled. Self-registered clients
     * may use only the listed grant types and authentication methods, and (when `scopes` is set) only those
     * scopes; without `scopes`, any scope but Tessera's own management scopes (tessera:*).
     */
    registration: Type.Object(
      {
        enabled: Type.Boolean(),
        grantTypes: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
        // self_signed_tls_client_auth registers its certificates with jwks or jwks_uri, which registration maps
        // (RFC 8705 §2.2.2); tls_client_auth's certificate names are not registration metadata here.
        authMethods: Type.Array(Type.Union(['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none', 'self_signed_tls_client_auth'].map((m) => Type.Literal(m))), { minItems: 1 }),
        scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type Config = Omit<Static<typeof ConfigSchema>, 'trustProxy' | 'keys'> & {
  issuer: string;
  trustProxy: string[];
  /** In seconds; rotateEvery null when scheduled rotation is off. */
  keys: { rotateEvery: number | null; prePublish: number };
};

export const DEFAULTS: Static<typeof ConfigSchema> = {
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  databasePoolSize: 10,
  databasePreparedStatements: true,
  databaseStartupRetryMs: 30_000,
  redisKeyPrefix: 'tessera:',
  redisCommandTimeoutMs: 200,
  redisBreakerThreshold: 3,
  signingAlg: 'ES256',
  accessTokenTtl: 3600,
  maxAccessTokenTtl: 7 * 86400,
  keys: { prePublish: '1h' },
  refreshTokenTtl: 30 * 86400,
  refreshIdleTtl: 14 * 86400,
  clockSkew: 60,
  clientAssertionMaxLifetime: 300,
  rateLimit: { enabled: true, perClient: { points: 5000, duration: 1 }, perIp: { points: 10000, duration: 1 } },
  loginThrottle: { enabled: true, freeAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, window: 900, perAddress: { freeAttempts: 100, baseDelayMs: 500, maxDelayMs: 30_000 } },
  clientAuthThrottle: { enabled: true, freeAttempts: 20, baseDelayMs: 500, maxDelayMs: 30_000, window: 900, perClient: { freeAttempts: 200, baseDelayMs: 500, maxDelayMs: 30_000 } },
  trustProxy: false,
  tls: {},
  mtls: {},
  // Keep-alive outlives the 60 s idle timeout of common load balancers (nginx upstream keepalive, AWS ALB), so the
  // balancer, not Tessera, closes an idle connection and never sends a request into one being closed.
  http: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnectionsPerAddress: 256 },
  logLevel: 'info',
  logRequests: false,
  logFormat: 'auto',
  tracing: { exporter: 'none', serviceName: 'tessera', sampleRatio: 1 },
  workers: 1,
  kdfConcurrency: 'auto',
  kdf: { maxQueue: 128, maxWaitMs: 1000, perAddress: 32 },
  signingThread: 'auto',
  cacheSyncIntervalMs: 250,
  signatureWindowMs: 300_000,
  profiles: {},
  metrics: { enabled: true, public: false, perClient: [] },
  console: { enabled: true },
  events: { issued: 'off', issuedSampleRate: 0.01, retentionDays: 90, flushIntervalMs: 100, batchSize: 500, maxQueue: 10_000, webhook: { types: [], maxQueue: 10_000, batchSize: 100, timeoutMs: 5000, maxBackoffMs: 60_000, shutdownMs: 5000 } },
  tokenHook: { timeoutMs: 500 },
  // Machine clients only (client_credentials and refresh), authenticated by a secret or a key: never a public client.
  registration: { enabled: false, grantTypes: ['client_credentials', 'refresh_token'], authMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] },
  dpop: { enabled: true, signingAlgs: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256'], proofMaxAge: 60, nonce: false, nonceLifetime: 300 },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Parser = (raw: string, name: string) => unknown;
const int: Parser = (raw, name) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return Number(raw);
};
const str: Parser = (raw) => raw;
const num: Parser = (raw, name) => {
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) throw new ConfigError(`${name} must be a number, got "${raw}"`);
  return Number(raw);
};
const bool: Parser = (raw, name) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
};
const workers: Parser = (raw, name) => (raw === 'auto' ? 'auto' : int(raw, name));
const boolOrAuto: Parser = (raw, name) => {
  if (raw === 'auto') return 'auto';
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(raw)) return bool(raw, name);
  throw new ConfigError(`${name} must be auto, true or false, got "${raw}"`);
};
/** A list: comma- or space-separated (TESSERA_METRICS_PER_CLIENT=a,b). */
const list: Parser = (raw) => raw.split(/[\s,]+/).filter(Boolean);
const boolOrString: Parser = (raw) => (/^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw);

/** Scalar settings reachable from the environment; the key is the config path. */
const ENV: ReadonlyArray<[string, string, Parser]> = [
  ['host', 'TESSERA_HOST', str],
  ['port', 'TESSERA_PORT', int],
  ['adminListen', 'TESSERA_ADMIN_LISTEN', str],
  ['issuer', 'TESSERA_ISSUER', str],
  ['dataDir', 'TESSERA_DATA_DIR', str],
  ['databaseUrl', 'TESSERA_DATABASE_URL', str],
  ['databasePoolSize', 'TESSERA_DATABASE_POOL_SIZE', int],
  ['databasePreparedStatements', 'TESSERA_DATABASE_PREPARED_STATEMENTS', bool],
  ['databaseStartupRetryMs', 'TESSERA_DATABASE_STARTUP_RETRY_MS', int],
  ['redisUrl', 'TESSERA_REDIS_URL', str],
  ['redisKeyPrefix', 'TESSERA_REDIS_KEY_PREFIX', str],
  ['redisCommandTimeoutMs', 'TESSERA_REDIS_COMMAND_TIMEOUT_MS', int],
  ['redisBreakerThreshold', 'TESSERA_REDIS_BREAKER_THRESHOLD', int],
  ['masterKey', 'TESSERA_MASTER_KEY', str],
  ['signingAlg', 'TESSERA_SIGNING_ALG', str],
  ['accessTokenTtl', 'TESSERA_ACCESS_TOKEN_TTL', int],
  ['maxAccessTokenTtl', 'TESSERA_MAX_ACCESS_TOKEN_TTL', int],
  ['keys.rotateEvery', 'TESSERA_KEYS_ROTATE_EVERY', str],
  ['keys.prePublish', 'TESSERA_KEYS_PRE_PUBLISH', str],
  ['accessTokenAudience', 'TESSERA_ACCESS_TOKEN_AUDIENCE', str],
  ['refreshTokenTtl', 'TESSERA_REFRESH_TOKEN_TTL', int],
  ['refreshIdleTtl', 'TESSERA_REFRESH_IDLE_TTL', int],
  ['clockSkew', 'TESSERA_CLOCK_SKEW', int],
  ['clientAssertionMaxLifetime', 'TESSERA_CLIENT_ASSERTION_MAX_LIFETIME', int],
  ['rateLimit.enabled', 'TESSERA_RATE_LIMIT_ENABLED', bool],
  ['rateLimit.perClient.points', 'TESSERA_RATE_LIMIT_CLIENT_POINTS', int],
  ['rateLimit.perClient.duration', 'TESSERA_RATE_LIMIT_CLIENT_DURATION', int],
  ['rateLimit.perIp.points', 'TESSERA_RATE_LIMIT_IP_POINTS', int],
  ['rateLimit.perIp.duration', 'TESSERA_RATE_LIMIT_IP_DURATION', int],
  ['loginThrottle.enabled', 'TESSERA_LOGIN_THROTTLE_ENABLED', bool],
  ['loginThrottle.freeAttempts', 'TESSERA_LOGIN_THROTTLE_FREE_ATTEMPTS', int],
  ['loginThrottle.baseDelayMs', 'TESSERA_LOGIN_THROTTLE_BASE_DELAY_MS', int],
  ['loginThrottle.maxDelayMs', 'TESSERA_LOGIN_THROTTLE_MAX_DELAY_MS', int],
  ['loginThrottle.window', 'TESSERA_LOGIN_THROTTLE_WINDOW', int],
  ['loginThrottle.perAddress.freeAttempts', 'TESSERA_LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS', int],
  ['loginThrottle.perAddress.baseDelayMs', 'TESSERA_LOGIN_THROTTLE_ADDRESS_BASE_DELAY_MS', int],
  ['loginThrottle.perAddress.maxDelayMs', 'TESSERA_LOGIN_THROTTLE_ADDRESS_MAX_DELAY_MS', int],
  ['clientAuthThrottle.enabled', 'TESSERA_CLIENT_AUTH_THROTTLE_ENABLED', bool],
  ['clientAuthThrottle.freeAttempts', 'TESSERA_CLIENT_AUTH_THROTTLE_FREE_ATTEMPTS', int],
  ['clientAuthThrottle.baseDelayMs', 'TESSERA_CLIENT_AUTH_THROTTLE_BASE_DELAY_MS', int],
  ['clientAuthThrottle.maxDelayMs', 'TESSERA_CLIENT_AUTH_THROTTLE_MAX_DELAY_MS', int],
  ['clientAuthThrottle.window', 'TESSERA_CLIENT_AUTH_THROTTLE_WINDOW', int],
  ['clientAuthThrottle.perClient.freeAttempts', 'TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_FREE_ATTEMPTS', int],
  ['clientAuthThrottle.perClient.baseDelayMs', 'TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_BASE_DELAY_MS', int],
  ['clientAuthThrottle.perClient.maxDelayMs', 'TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_MAX_DELAY_MS', int],
  ['trustProxy', 'TESSERA_TRUST_PROXY', boolOrString],
  ['tls.cert', 'TESSERA_TLS_CERT', str],
  ['tls.key', 'TESSERA_TLS_KEY', str],
  ['tls.clientCa', 'TESSERA_TLS_CLIENT_CA', str],
  ['mtls.certificateHeader', 'TESSERA_MTLS_CERTIFICATE_HEADER', str],
  ['mtls.aliasBaseUrl', 'TESSERA_MTLS_ALIAS_BASE_URL', str],
  ['http.headersTimeoutMs', 'TESSERA_HTTP_HEADERS_TIMEOUT_MS', int],
  ['http.requestTimeoutMs', 'TESSERA_HTTP_REQUEST_TIMEOUT_MS', int],
  ['http.keepAliveTimeoutMs', 'TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS', int],
  ['http.maxConnectionsPerAddress', 'TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS', int],
  ['logLevel', 'TESSERA_LOG_LEVEL', str],
  ['logRequests', 'TESSERA_LOG_REQUESTS', bool],
  ['logFormat', 'TESSERA_LOG_FORMAT', str],
  ['workers', 'TESSERA_WORKERS', workers],
  ['kdfConcurrency', 'TESSERA_KDF_CONCURRENCY', workers],
  ['kdf.maxQueue', 'TESSERA_KDF_MAX_QUEUE', int],
  ['kdf.maxWaitMs', 'TESSERA_KDF_MAX_WAIT_MS', int],
  ['kdf.perAddress', 'TESSERA_KDF_PER_ADDRESS', int],
  ['signingThread', 'TESSERA_SIGNING_THREAD', boolOrAuto],
  ['cacheSyncIntervalMs', 'TESSERA_CACHE_SYNC_INTERVAL_MS', int],
  ['signatureWindowMs', 'TESSERA_SIGNATURE_WINDOW_MS', int],
  ['metrics.enabled', 'TESSERA_METRICS_ENABLED', bool],
  ['metrics.public', 'TESSERA_METRICS_PUBLIC', bool],
  ['metrics.perClient', 'TESSERA_METRICS_PER_CLIENT', list],
  ['console.enabled', 'TESSERA_CONSOLE_ENABLED', bool],
  ['dpop.enabled', 'TESSERA_DPOP_ENABLED', bool],
  ['dpop.signingAlgs', 'TESSERA_DPOP_SIGNING_ALGS', list],
  ['dpop.proofMaxAge', 'TESSERA_DPOP_PROOF_MAX_AGE', int],
  ['dpop.nonce', 'TESSERA_DPOP_NONCE', bool],
  ['dpop.nonceLifetime', 'TESSERA_DPOP_NONCE_LIFETIME', int],
  ['events.issued', 'TESSERA_EVENTS_ISSUED', str],
  ['events.issuedSampleRate', 'TESSERA_EVENTS_ISSUED_SAMPLE_RATE', num],
  ['events.retentionDays', 'TESSERA_EVENTS_RETENTION_DAYS', int],
  ['events.flushIntervalMs', 'TESSERA_EVENTS_FLUSH_INTERVAL_MS', int],
  ['events.batchSize', 'TESSERA_EVENTS_BATCH_SIZE', int],
  ['events.maxQueue', 'TESSERA_EVENTS_MAX_QUEUE', int],
  ['events.stream', 'TESSERA_EVENTS_STREAM', str],
  ['tokenHook.url', 'TESSERA_TOKEN_HOOK_URL', str],
  ['tokenHook.secret', 'TESSERA_TOKEN_HOOK_SECRET', str],
  ['tokenHook.timeoutMs', 'TESSERA_TOKEN_HOOK_TIMEOUT_MS', int],
  ['registration.enabled', 'TESSERA_REGISTRATION_ENABLED', bool],
  ['registration.grantTypes', 'TESSERA_REGISTRATION_GRANT_TYPES', list],
  ['registration.authMethods', 'TESSERA_REGISTRATION_AUTH_METHODS', list],
  ['registration.scopes', 'TESSERA_REGISTRATION_SCOPES', list],
  ['events.webhook.url', 'TESSERA_EVENTS_WEBHOOK_URL', str],
  ['events.webhook.secret', 'TESSERA_EVENTS_WEBHOOK_SECRET', str],
  ['events.webhook.types', 'TESSERA_EVENTS_WEBHOOK_TYPES', list],
  ['events.webhook.maxQueue', 'TESSERA_EVENTS_WEBHOOK_MAX_QUEUE', int],
  ['events.webhook.batchSize', 'TESSERA_EVENTS_WEBHOOK_BATCH_SIZE', int],
  ['events.webhook.timeoutMs', 'TESSERA_EVENTS_WEBHOOK_TIMEOUT_MS', int],
  ['events.webhook.maxBackoffMs', 'TESSERA_EVENTS_WEBHOOK_MAX_BACKOFF_MS', int],
  ['events.webhook.shutdownMs', 'TESSERA_EVENTS_WEBHOOK_SHUTDOWN_MS', int],
];

/** Flags as commander hands them over (camelCase option names). */
export interface ConfigFlags {
  port?: string;
  host?: string;
  adminListen?: string;
  dataDir?: string;
  issuer?: string;
  config?: string;
  databaseUrl?: string;
  redisUrl?: string;
  workers?: string;
  logFormat?: string;
  import?: string;
  profile?: string[];
  /** --metrics-public: /metrics without a token. */
  metricsPublic?: boolean;
  /** --registration: turn on dynamic client registration (RFC 7591). */
  registration?: boolean;
  /** --keys-rotate-every 30d, --keys-pre-publish 1h. */
  keysRotateEvery?: string;
  keysPrePublish?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof obj[p] !== 'object' || obj[p] === null) obj[p] = {};
    obj = obj[p] as Record<string, unknown>;
  }
  obj[parts.at(-1)!] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/**
 * The trusted proxies as a list. `true` is refused: it trusts every hop, so the leftmost X-Forwarded-For entry,
 * which the client writes itself, would become its address for rate limits and login throttles.
 */
function trustedProxies(value: boolean | string | string[]): string[] {
  if (value === true) {
    throw new ConfigError(
      'invalid setting trustProxy: true would believe every client\'s own X-Forwarded-For; list the addresses or CIDRs of your proxies instead, e.g. TESSERA_TRUST_PROXY=10.0.0.0/8,127.0.0.1 (docs/deployment.md)',
    );
  }
  const entries = value === false ? [] : (typeof value === 'string' ? value.split(',') : value).map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const problem = trustedProxyProblem(entry);
    if (problem) throw new ConfigError(`invalid setting trustProxy: ${problem}`);
  }
  return entries;
}

/**
 * TLS and mutual-TLS settings that cannot work together: a certificate without its key, client CAs without a
 * listener or a header to use them, a certificate header that no proxy may send (it would be ignored always).
 */
function tlsProblems(cfg: Static<typeof ConfigSchema>, trustProxy: readonly string[]): void {
  if ((cfg.tls.cert === undefined) !== (cfg.tls.key === undefined)) throw new ConfigError('invalid setting tls: cert and key go together (--tls-cert and --tls-key)');
  if (cfg.tls.clientCa !== undefined && cfg.tls.cert === undefined && cfg.mtls.certificateHeader === undefined) {
    throw new ConfigError('invalid setting tls.clientCa: client certificates reach Tessera only on its own TLS listener (tls.cert, tls.key) or in mtls.certificateHeader from a trusted proxy');
  }
  if (cfg.mtls.certificateHeader !== undefined && trustProxy.length === 0) {
    throw new ConfigError('invalid setting mtls.certificateHeader: the header is believed only from the trusted proxies, and trustProxy lists none (docs/deployment.md)');
  }
  if (cfg.mtls.certificateHeader !== undefined && /^(x-forwarded-for|authorization|host|content-type|content-length|dpop)$/i.test(cfg.mtls.certificateHeader)) {
    throw new ConfigError(`invalid setting mtls.certificateHeader: "${cfg.mtls.certificateHeader}" is a header with another meaning`);
  }
  if (cfg.mtls.aliasBaseUrl !== undefined && cfg.tls.cert === undefined && cfg.mtls.certificateHeader === undefined) {
    throw new ConfigError('invalid setting mtls.aliasBaseUrl: client certificates reach Tessera only on its own TLS listener (tls.cert, tls.key) or in mtls.certificateHeader from a trusted proxy');
  }
  for (const [name, path] of Object.entries(cfg.tls)) {
    if (path === undefined) continue;
    try {
      readFileSync(path);
    } catch (err) {
      throw new ConfigError(`invalid setting tls.${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
}

/** `--profile cobo=/v2`, `--profile smscx`, env TESSERA_PROFILES="cobo=/v2,knetik". */
export function parseProfiles(specs: readonly string[]): Record<string, { enabled: boolean; prefix: string }> {
  const out: Record<string, { enabled: boolean; prefix: string }> = {};
  for (const spec of specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)) {
    const [name, prefix = ''] = spec.split('=') as [string, string?];
    if (!['cobo', 'knetik', 'smscx'].includes(name)) throw new ConfigError(`profile "${name}" is unknown (cobo, knetik, smscx)`);
    out[name] = { enabled: true, prefix };
  }
  return out;
}

/** Whether an OTEL_* variable is set to something (the spec treats an empty value as unset). */
const set = (env: NodeJS.ProcessEnv, name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);

/**
 * Tracing from the standard OpenTelemetry variables (opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables):
 * OTEL_SDK_DISABLED=true wins; else OTEL_TRACES_EXPORTER names the exporter (otlp, console, none), and without it an
 * OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or ..._TRACES_ENDPOINT) turns the OTLP exporter on. Nothing set: no
 * tracing, and the SDK is never loaded. The exporter itself reads the other OTEL_EXPORTER_OTLP_* variables
 * (headers, timeout). Undefined when the environment says nothing, so a config file's `tracing` still counts.
 */
export function readTracing(env: NodeJS.ProcessEnv): Partial<Config['tracing']> | undefined {
  const out: Partial<Config['tracing']> = {};
  const service = set(env, 'OTEL_SERVICE_NAME');
  if (service) out.serviceName = service;
  const sampler = set(env, 'OTEL_TRACES_SAMPLER');
  const arg = set(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (sampler && !['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'].includes(sampler)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER=${sampler} is not supported (parentbased_traceidratio, traceidratio, always_on, always_off and their parentbased_ forms)`);
  }
  if (sampler?.endsWith('always_off')) out.sampleRatio = 0;
  else if (sampler?.endsWith('traceidratio') && arg !== undefined) {
    const ratio = Number(arg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1, got "${arg}"`);
    out.sampleRatio = ratio;
  }
  if (set(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { ...out, exporter: 'none' };
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL']) {
    const protocol = set(env, name);
    // The bundled exporter speaks OTLP over HTTP; a gRPC collector port would silently receive nothing.
    if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf') throw new ConfigError(`${name}=${protocol} is not supported: Tessera exports OTLP over HTTP (http/json); point it at the collector's HTTP port (4318)`);
  }
  const exporters = set(env, 'OTEL_TRACES_EXPORTER');
  if (exporters) {
    const names = exporters.split(',').map((e) => e.trim()).filter(Boolean);
    const unknown = names.find((n) => !['otlp', 'console', 'none'].includes(n));
    if (unknown) throw new ConfigError(`OTEL_TRACES_EXPORTER=${unknown} is not supported (otlp, console or none)`);
    if (names.length > 1 && names.includes('none')) throw new ConfigError('OTEL_TRACES_EXPORTER cannot name none with another exporter');
    if (names.length > 1) throw new ConfigError('OTEL_TRACES_EXPORTER names one exporter at a time here (otlp, console or none)');
    return { ...out, exporter: names[0] as Config['tracing']['exporter'] };
  }
  if (set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') || set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')) return { ...out, exporter: 'otlp' };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** events.webhook: a URL needs its secret and the reverse; the messages never repeat the secret. */
function webhookProblem(w: Static<typeof ConfigSchema>['events']['webhook']): void {
  if (w.url === undefined && w.secret === undefined) return;
  if (w.url === undefined) throw new ConfigError('invalid setting events.webhook.secret: set events.webhook.url (TESSERA_EVENTS_WEBHOOK_URL) too, or remove the secret');
  if (w.secret === undefined) throw new ConfigError('invalid setting events.webhook.url: set events.webhook.secret (TESSERA_EVENTS_WEBHOOK_SECRET), at least 16 characters, that receivers verify the signature with');
  let u: URL;
  try {
    u = new URL(w.url);
  } catch {
    throw new ConfigError('invalid setting events.webhook.url: not a URL');
  }
  if (u.username || u.password) throw new ConfigError('invalid setting events.webhook.url: put no credentials in the URL (the signature authenticates Tessera)');
}

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): Config {
  let merged: Record<string, unknown> = structuredClone(DEFAULTS) as unknown as Record<string, unknown>;

  const file = flags.config ?? env.TESSERA_CONFIG;
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${file}: ${(err as Error).message}`);
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a JSON object`);
    merged = deepMerge(merged, parsed as Record<string, unknown>);
  }

  const fromEnv: Record<string, unknown> = {};
  for (const [path, name, parse] of ENV) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') setPath(fromEnv, path, parse(raw, name));
  }
  if (env.TESSERA_PROFILES) fromEnv.profiles = parseProfiles([env.TESSERA_PROFILES]);
  const tracing = readTracing(env);
  if (tracing) fromEnv.tracing = tracing;
  merged = deepMerge(merged, fromEnv);

  const fromFlags: Record<string, unknown> = {};
  if (flags.port !== undefined) fromFlags.port = int(flags.port, '--port');
  if (flags.host !== undefined) fromFlags.host = flags.host;
  if (flags.adminListen !== undefined) fromFlags.adminListen = flags.adminListen;
  if (flags.dataDir !== undefined) fromFlags.dataDir = flags.dataDir;
  if (flags.issuer !== undefined) fromFlags.issuer = flags.issuer;
  if (flags.databaseUrl !== undefined) fromFlags.databaseUrl = flags.databaseUrl;
  if (flags.redisUrl !== undefined) fromFlags.redisUrl = flags.redisUrl;
  if (flags.workers !== undefined) fromFlags.workers = workers(flags.workers, '--workers');
  if (flags.logFormat !== undefined) fromFlags.logFormat = flags.logFormat;
  if (flags.import !== undefined) fromFlags.importFile = flags.import;
  if (flags.profile && flags.profile.length > 0) fromFlags.profiles = parseProfiles(flags.profile);
  if (flags.metricsPublic === true) fromFlags.metrics = { public: true };
  if (flags.registration === true) fromFlags.registration = { enabled: true };
  if (flags.keysRotateEvery !== undefined || flags.keysPrePublish !== undefined) {
    fromFlags.keys = { ...(flags.keysRotateEvery !== undefined ? { rotateEvery: flags.keysRotateEvery } : {}), ...(flags.keysPrePublish !== undefined ? { prePublish: flags.keysPrePublish } : {}) };
  }
  const tls: Record<string, string> = {};
  if (flags.tlsCert !== undefined) tls.cert = flags.tlsCert;
  if (flags.tlsKey !== undefined) tls.key = flags.tlsKey;
  if (flags.tlsClientCa !== undefined) tls.clientCa = flags.tlsClientCa;
  if (Object.keys(tls).length > 0) fromFlags.tls = tls;
  merged = deepMerge(merged, fromFlags);

  if (!Value.Check(ConfigSchema, merged)) {
    const first = [...Value.Errors(ConfigSchema, merged)][0];
    const where = first ? first.path.replace(/^\//, '').replace(/\//g, '.') || '(root)' : '(root)';
    throw new ConfigError(`invalid setting ${where}: ${first?.message ?? 'invalid'}`);
  }
  const cfg = merged as Static<typeof ConfigSchema>;
  cfg.dataDir = resolve(cfg.dataDir);
  for (const profile of Object.values(cfg.profiles)) if (profile) profile.prefix = mountPrefix(profile.prefix);
  if (cfg.accessTokenTtl > cfg.maxAccessTokenTtl) throw new ConfigError('invalid setting accessTokenTtl: exceeds maxAccessTokenTtl');
  // Node refuses a header deadline beyond the request's; the headers are part of the request.
  if (cfg.http.headersTimeoutMs > cfg.http.requestTimeoutMs) throw new ConfigError('invalid setting http.headersTimeoutMs: exceeds http.requestTimeoutMs');
  if (cfg.adminListen !== undefined && Number(cfg.adminListen.slice(cfg.adminListen.lastIndexOf(':') + 1)) > 65535) throw new ConfigError('invalid setting adminListen: the port must be 0-65535');
  if (cfg.tokenHook.url !== undefined) {
    // The hook sees subjects and claims: https, or http to this machine only; and never unsigned.
    const u = new URL(cfg.tokenHook.url);
    const loopback = u.hostname === 'localhost' || u.hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(u.hostname);
    if (u.username || u.password || u.hash || (u.protocol === 'http:' && !loopback)) throw new ConfigError('invalid setting tokenHook.url: must be an https URL (http only for loopback hosts), without credentials or fragment');
    if (cfg.tokenHook.secret === undefined) throw new ConfigError('invalid setting tokenHook.secret: required when tokenHook.url is set (the request is HMAC-signed)');
  }
  webhookProblem(cfg.events.webhook);
  const trustProxy = trustedProxies(cfg.trustProxy);
  const keys = keySchedule(cfg.keys);
  tlsProblems(cfg, trustProxy);
  const issuer = (cfg.issuer ?? `${cfg.tls.cert ? 'https' : 'http'}://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${cfg.port}`).replace(/\/+$/, '');
  return { ...cfg, issuer, trustProxy, keys };
}

/**
 * keys.rotateEvery and keys.prePublish in seconds. The new key must be published for a while before it signs
 * (prePublish at least 1 s), and that window must end before the next rotation would start (prePublish below
 * rotateEvery), or two keys would be pending at once.
 */
function keySchedule(keys: { rotateEvery?: string | number; prePublish: string | number }): Config['keys'] {
  const duration = (name: string, value: string | number): number => {
    const seconds = parseDuration(value);
    if (seconds === undefined) throw new ConfigError(`invalid setting ${name}: "${value}" is not a duration (e.g. 90s, 15m, 1h, 30d, or a number of seconds)`);
    return seconds;
  };
  const prePublish = duration('keys.prePublish', keys.prePublish);
  if (prePublish < 1) throw new ConfigError('invalid setting keys.prePublish: must be at least 1s (resource servers need the new key in their JWKS cache before it signs)');
  const raw = keys.rotateEvery;
  if (raw === undefined || (typeof raw === 'string' && /^\s*off\s*$/i.test(raw))) return { rotateEvery: null, prePublish };
  const rotateEvery = duration('keys.rotateEvery', raw);
  if (rotateEvery < 1) throw new ConfigError('invalid setting keys.rotateEvery: must be at least 1s (leave it out, or "off", for no scheduled rotation)');
  if (prePublish >= rotateEvery) throw new ConfigError(`invalid setting keys.prePublish: must be shorter than keys.rotateEvery (${prePublish}s >= ${rotateEvery}s)`);
  return { rotateEvery, prePublish };
}
