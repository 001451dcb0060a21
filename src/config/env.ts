/* Settings from the environment: TESSERA_* scalars by config path, TESSERA_PROFILES, and the OTEL_* tracing variables. */
import type { Config } from './schema.js';
import { ConfigError } from './error.js';

type Parser = (raw: string, name: string) => unknown;
export const int: Parser = (raw, name) => {
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
export const workers: Parser = (raw, name) => (raw === 'auto' ? 'auto' : int(raw, name));
const boolOrAuto: Parser = (raw, name) => {
  if (raw === 'auto') return 'auto';
  if (/^(1|true|yes|on|0|false|no|off)$/i.test(raw)) return bool(raw, name);
  throw new ConfigError(`${name} must be auto, true or false, got "${raw}"`);
};
/** A list: comma- or space-separated (TESSERA_METRICS_PER_CLIENT=a,b). */
const list: Parser = (raw) => raw.split(/[\s,]+/).filter(Boolean);
const boolOrString: Parser = (raw) => (/^(true|false)$/i.test(raw) ? raw.toLowerCase() === 'true' : raw);

/** Scalar settings reachable from the environment; the key is the config path. */
export const ENV: ReadonlyArray<[string, string, Parser]> = [
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
