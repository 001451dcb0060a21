import { Type, type Static } from '@sinclair/typebox';

/* The configuration's shape (a TypeBox schema, checked once at start-up) and its defaults. */

const Limit = Type.Object({ points: Type.Integer({ minimum: 1 }), duration: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
// A failure throttle's second counter: free failures, then base delay doubled per failure up to the cap.
const Delays = Type.Object({ freeAttempts: Type.Integer({ minimum: 0 }), baseDelayMs: Type.Integer({ minimum: 1 }), maxDelayMs: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
/** A duration as operators write it (`30d`, `1h`, `90s`) or a number of seconds; parsed by duration.ts after the check. */
const Duration = Type.Union([Type.String({ minLength: 1 }), Type.Integer({ minimum: 0 })]);
// A mount prefix: '' or '/' for the root, else /segment[/segment...] with an optional trailing slash (dropped).
const Profile = Type.Object({ enabled: Type.Boolean(), prefix: Type.String({ pattern: '^(/[A-Za-z0-9._~-]+)*/?$' }) }, { additionalProperties: false });

/** The asymmetric JWS algorithms a DPoP proof may use (RFC 9449 §4.2; oauth/dpop/keys.ts verifies each). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export const ConfigSchema = Type.Object(
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

/** The settings as written (file, environment, flags), after the schema check and before loadConfig derives the rest. */
export type ConfigInput = Static<typeof ConfigSchema>;

export type Config = Omit<ConfigInput, 'trustProxy' | 'keys'> & {
  issuer: string;
  trustProxy: string[];
  /** In seconds; rotateEvery null when scheduled rotation is off. */
  keys: { rotateEvery: number | null; prePublish: number };
};

export const DEFAULTS: ConfigInput = {
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
