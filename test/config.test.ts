import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig, parseProfiles } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(content: unknown): string {
  const p = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('defaults', () => {
    const c = loadConfig({}, {});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, signingAlg: 'ES256', accessTokenTtl: 3600, logRequests: false });
    expect(c.dataDir).toBe(resolve('./data'));
    expect(c.issuer).toBe('http://127.0.0.1:8080');
  });

  it('precedence: flags > env > file > defaults, per setting', () => {
    const f = file({ port: 1111, host: '127.0.0.2', accessTokenTtl: 100, dataDir: '/tmp/from-file', logLevel: 'warn' });
    const env = { TESSERA_PORT: '2222', TESSERA_HOST: '127.0.0.3', TESSERA_ACCESS_TOKEN_TTL: '200' };
    const c = loadConfig({ config: f, port: '3333' }, env);
    expect(c.port).toBe(3333); // flag
    expect(c.host).toBe('127.0.0.3'); // env over file
    expect(c.accessTokenTtl).toBe(200); // env over file
    expect(c.dataDir).toBe('/tmp/from-file'); // file over default
    expect(c.logLevel).toBe('warn'); // file over default
    expect(c.signingAlg).toBe(DEFAULTS.signingAlg); // default
  });

  it('the config file may come from TESSERA_CONFIG; --config wins over it', () => {
    const a = file({ port: 1001 });
    const b = file({ port: 1002 });
    expect(loadConfig({}, { TESSERA_CONFIG: a }).port).toBe(1001);
    expect(loadConfig({ config: b }, { TESSERA_CONFIG: a }).port).toBe(1002);
  });

  it('nested settings merge deeply (file sets one field, env another)', () => {
    const f = file({ rateLimit: { perClient: { points: 7, duration: 1 } } });
    const c = loadConfig({ config: f }, { TESSERA_RATE_LIMIT_IP_POINTS: '9' });
    expect(c.rateLimit).toEqual({ enabled: true, perClient: { points: 7, duration: 1 }, perIp: { points: 9, duration: 1 } });
  });

  it('failure throttles: the per-address and per-client counters have settings of their own, much looser by default', () => {
    const d = loadConfig({}, {});
    expect(d.loginThrottle.perAddress.freeAttempts).toBeGreaterThanOrEqual(10 * d.loginThrottle.freeAttempts);
    expect(d.clientAuthThrottle.perClient.freeAttempts).toBeGreaterThanOrEqual(10 * d.clientAuthThrottle.freeAttempts);
    const f = file({ loginThrottle: { perAddress: { baseDelayMs: 50 } }, clientAuthThrottle: { enabled: false } });
    const c = loadConfig({ config: f }, { TESSERA_LOGIN_THROTTLE_ADDRESS_FREE_ATTEMPTS: '40', TESSERA_CLIENT_AUTH_THROTTLE_CLIENT_MAX_DELAY_MS: '9000' });
    expect(c.loginThrottle).toEqual({ ...DEFAULTS.loginThrottle, perAddress: { ...DEFAULTS.loginThrottle.perAddress, freeAttempts: 40, baseDelayMs: 50 } });
    expect(c.clientAuthThrottle).toEqual({ ...DEFAULTS.clientAuthThrottle, enabled: false, perClient: { ...DEFAULTS.clientAuthThrottle.perClient, maxDelayMs: 9000 } });
  });

  it('registration: off with a safe allow-list by default; flag, environment lists and file set it; a bad method is refused', () => {
    expect(loadConfig({}, {}).registration).toEqual({ enabled: false, grantTypes: ['client_credentials', 'refresh_token'], authMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] });
    expect(loadConfig({ registration: true }, {}).registration.enabled).toBe(true);
    const env = loadConfig({}, { TESSERA_REGISTRATION_ENABLED: 'yes', TESSERA_REGISTRATION_GRANT_TYPES: 'client_credentials', TESSERA_REGISTRATION_AUTH_METHODS: 'private_key_jwt, client_secret_basic', TESSERA_REGISTRATION_SCOPES: 'read write' });
    expect(env.registration).toEqual({ enabled: true, grantTypes: ['client_credentials'], authMethods: ['private_key_jwt', 'client_secret_basic'], scopes: ['read', 'write'] });
    const fromFile = loadConfig({ config: file({ registration: { enabled: true, scopes: ['read'] } }) }, {});
    expect(fromFile.registration).toMatchObject({ enabled: true, scopes: ['read'], grantTypes: ['client_credentials', 'refresh_token'] });
    expect(configError(() => loadConfig({}, { TESSERA_REGISTRATION_AUTH_METHODS: 'request_signature' })).message).toMatch(/^invalid setting registration\.authMethods/);
    // self_signed_tls_client_auth registers with jwks or jwks_uri; tls_client_auth's certificate names are not registration metadata.
    expect(loadConfig({}, { TESSERA_REGISTRATION_AUTH_METHODS: 'self_signed_tls_client_auth' }).registration.authMethods).toEqual(['self_signed_tls_client_auth']);
    expect(configError(() => loadConfig({}, { TESSERA_REGISTRATION_AUTH_METHODS: 'tls_client_auth' })).message).toMatch(/^invalid setting registration\.authMethods/);
    expect(configError(() => loadConfig({}, { TESSERA_REGISTRATION_GRANT_TYPES: ' ' })).message).toMatch(/registration\.grantTypes/);
  });

  it('dpop: on without nonces by default; algorithms, nonces and windows from the environment; a MAC algorithm refused', () => {
    expect(loadConfig({}, {}).dpop).toEqual({ enabled: true, signingAlgs: ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'PS256'], proofMaxAge: 60, nonce: false, nonceLifetime: 300 });
    const c = loadConfig({}, { TESSERA_DPOP_SIGNING_ALGS: 'ES256, PS256', TESSERA_DPOP_NONCE: 'true', TESSERA_DPOP_NONCE_LIFETIME: '120', TESSERA_DPOP_PROOF_MAX_AGE: '30', TESSERA_DPOP_ENABLED: 'false' });
    expect(c.dpop).toEqual({ enabled: false, signingAlgs: ['ES256', 'PS256'], proofMaxAge: 30, nonce: true, nonceLifetime: 120 });
    expect(() => loadConfig({}, { TESSERA_DPOP_SIGNING_ALGS: 'ES256,HS256' })).toThrow(/invalid setting dpop\.signingAlgs/);
    expect(() => loadConfig({}, { TESSERA_DPOP_NONCE_LIFETIME: '1' })).toThrow(/dpop\.nonceLifetime/);
  });

  it('booleans from the environment', () => {
    expect(loadConfig({}, { TESSERA_LOG_REQUESTS: 'true' }).logRequests).toBe(true);
    expect(loadConfig({}, { TESSERA_LOG_REQUESTS: '0' }).logRequests).toBe(false);
    expect(configError(() => loadConfig({}, { TESSERA_LOG_REQUESTS: 'maybe' })).message).toMatch(/TESSERA_LOG_REQUESTS/);
  });

  it('signingThread: auto by default, true/false from the environment, anything else refused', () => {
    expect(loadConfig({}, {}).signingThread).toBe('auto');
    expect(loadConfig({}, { TESSERA_SIGNING_THREAD: 'false' }).signingThread).toBe(false);
    expect(loadConfig({}, { TESSERA_SIGNING_THREAD: 'on' }).signingThread).toBe(true);
    expect(loadConfig({}, { TESSERA_SIGNING_THREAD: 'auto' }).signingThread).toBe('auto');
    expect(configError(() => loadConfig({}, { TESSERA_SIGNING_THREAD: 'sometimes' })).message).toMatch(/TESSERA_SIGNING_THREAD must be auto, true or false/);
    expect(configError(() => loadConfig({ config: file({ signingThread: 'yes please' }) } as never, {})).message).toMatch(/signingThread/);
  });

  it('the issuer follows host and port, loses a trailing slash, and an explicit one wins', () => {
    expect(loadConfig({ host: '::1', port: '9000' }, {}).issuer).toBe('http://[::1]:9000');
    expect(loadConfig({ issuer: 'https://auth.example.com/' }, {}).issuer).toBe('https://auth.example.com');
  });

  it('an invalid setting is a ConfigError naming it', () => {
    expect(configError(() => loadConfig({ port: 'abc' }, {})).message).toMatch(/--port/);
    expect(configError(() => loadConfig({ port: '70000' }, {})).message).toMatch(/\bport\b/);
    expect(configError(() => loadConfig({}, { TESSERA_PORT: 'x' })).message).toMatch(/TESSERA_PORT/);
    expect(configError(() => loadConfig({}, { TESSERA_SIGNING_ALG: 'HS256' })).message).toMatch(/signingAlg/);
    expect(configError(() => loadConfig({}, { TESSERA_LOG_LEVEL: 'loud' })).message).toMatch(/logLevel/);
    expect(configError(() => loadConfig({ issuer: 'ftp://x' }, {})).message).toMatch(/issuer/);
    expect(configError(() => loadConfig({ config: file({ accessTokenTtl: 0 }) }, {})).message).toMatch(/accessTokenTtl/);
    expect(configError(() => loadConfig({ config: file({ unknownSetting: 1 }) }, {})).message).toMatch(/unknownSetting|root/);
    expect(configError(() => loadConfig({ config: file({ rateLimit: { perIp: { points: -1, duration: 1 } } }) }, {})).message).toMatch(/rateLimit\.perIp\.points/);
    expect(configError(() => loadConfig({}, { TESSERA_ACCESS_TOKEN_TTL: '999999999' })).message).toMatch(/accessTokenTtl/);
  });

  it('a malformed master key is an invalid setting (exit 2 at start), and the message does not echo it', () => {
    const e = configError(() => loadConfig({}, { TESSERA_MASTER_KEY: 'not-a-32-byte-key-SECRETVALUE' }));
    expect(e.message).toMatch(/masterKey/);
    expect(e.message).not.toContain('SECRETVALUE');
    const hex = 'ab'.repeat(32);
    expect(loadConfig({}, { TESSERA_MASTER_KEY: hex }).masterKey).toBe(hex);
    expect(loadConfig({}, { TESSERA_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') }).masterKey).toBeDefined();
  });

  it('an unreadable or non-object config file is a ConfigError naming the file', () => {
    expect(configError(() => loadConfig({ config: join(dir, 'missing.json') }, {})).message).toMatch(/missing\.json/);
    expect(configError(() => loadConfig({ config: file('{not json') }, {})).message).toMatch(/config file/);
    expect(configError(() => loadConfig({ config: file('[1]') }, {})).message).toMatch(/JSON object/);
  });

  it('profiles', () => {
    expect(parseProfiles(['cobo=/v2', 'smscx'])).toEqual({ cobo: { enabled: true, prefix: '/v2' }, smscx: { enabled: true, prefix: '' } });
    expect(configError(() => parseProfiles(['nope'])).message).toMatch(/nope/);
  });

  it('a profile prefix of "/" is the root and a trailing slash is dropped, from flags and from a config file', () => {
    expect(loadConfig({ profile: ['cobo=/', 'smscx=/smscx/'] }, {}).profiles).toEqual({ cobo: { enabled: true, prefix: '' }, smscx: { enabled: true, prefix: '/smscx' } });
    const cfg = loadConfig({ config: file(JSON.stringify({ profiles: { cobo: { enabled: true, prefix: '/' }, knetik: { enabled: true, prefix: '/a/b/' } } })) }, {});
    expect(cfg.profiles).toEqual({ cobo: { enabled: true, prefix: '' }, knetik: { enabled: true, prefix: '/a/b' } });
    expect(loadConfig({}, { TESSERA_PROFILES: 'knetik=/k/' }).profiles).toEqual({ knetik: { enabled: true, prefix: '/k' } });
    for (const bad of ['//', 'v2', '/v2//', '/a b', '/v2?x']) {
      expect(configError(() => loadConfig({ profile: [`cobo=${bad}`] }, {})).message, bad).toMatch(/profiles\.cobo\.prefix/);
    }
  });
});

describe('trustProxy', () => {
  it('is a list of proxy addresses / CIDRs from env, file or default (none)', () => {
    expect(loadConfig({}, {}).trustProxy).toEqual([]);
    expect(loadConfig({}, { TESSERA_TRUST_PROXY: 'false' }).trustProxy).toEqual([]);
    expect(loadConfig({}, { TESSERA_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,,::1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1', '::1']);
    expect(loadConfig({ config: file({ trustProxy: ['192.168.0.0/16', 'loopback'] }) }, {}).trustProxy).toEqual(['192.168.0.0/16', 'loopback']);
    expect(loadConfig({ config: file({ trustProxy: '172.16.0.0/12' }) }, {}).trustProxy).toEqual(['172.16.0.0/12']);
  });

  it('refuses true (every client could choose its own address) with a message saying what to do instead', () => {
    for (const load of [() => loadConfig({}, { TESSERA_TRUST_PROXY: 'true' }), () => loadConfig({ config: file({ trustProxy: true }) }, {})]) {
      const e = configError(load);
      expect(e.message).toMatch(/^invalid setting trustProxy: true would believe every client's own X-Forwarded-For; list the addresses or CIDRs of your proxies/);
    }
  });

  it('refuses an entry that is not an address, a CIDR or a known name', () => {
    expect(configError(() => loadConfig({}, { TESSERA_TRUST_PROXY: '10.0.0.0/8,proxy.internal' })).message).toMatch(/trustProxy: "proxy\.internal" is not an IP address/);
    expect(configError(() => loadConfig({}, { TESSERA_TRUST_PROXY: '2' })).message).toMatch(/trustProxy: "2"/);
  });
});

describe('http (connection deadlines and limits)', () => {
  it('defaults, env and file', () => {
    expect(loadConfig({}, {}).http).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000, maxConnectionsPerAddress: 256 });
    const env = { TESSERA_HTTP_HEADERS_TIMEOUT_MS: '500', TESSERA_HTTP_REQUEST_TIMEOUT_MS: '1500', TESSERA_HTTP_KEEP_ALIVE_TIMEOUT_MS: '4000', TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' };
    expect(loadConfig({}, env).http).toEqual({ headersTimeoutMs: 500, requestTimeoutMs: 1500, keepAliveTimeoutMs: 4000, maxConnectionsPerAddress: 0 });
    expect(loadConfig({ config: file({ http: { requestTimeoutMs: 60_000 } }) }, {}).http).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 60_000 });
  });

  it('refuses deadlines that would switch a check off or cannot hold', () => {
    expect(configError(() => loadConfig({}, { TESSERA_HTTP_REQUEST_TIMEOUT_MS: '0' })).message).toMatch(/http\.requestTimeoutMs/);
    expect(configError(() => loadConfig({}, { TESSERA_HTTP_HEADERS_TIMEOUT_MS: '0' })).message).toMatch(/http\.headersTimeoutMs/);
    expect(configError(() => loadConfig({}, { TESSERA_HTTP_HEADERS_TIMEOUT_MS: '20000', TESSERA_HTTP_REQUEST_TIMEOUT_MS: '10000' })).message).toBe('invalid setting http.headersTimeoutMs: exceeds http.requestTimeoutMs');
    expect(configError(() => loadConfig({}, { TESSERA_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '-1' })).message).toMatch(/http\.maxConnectionsPerAddress/);
    expect(configError(() => loadConfig({ config: file({ http: { idleMs: 1 } }) }, {})).message).toMatch(/http/);
  });
});

describe('Redis timeouts', () => {
  it('redisCommandTimeoutMs and redisBreakerThreshold: defaults, from the environment, and bounded', () => {
    expect(loadConfig({}, {})).toMatchObject({ redisCommandTimeoutMs: 200, redisBreakerThreshold: 3 });
    expect(loadConfig({}, { TESSERA_REDIS_COMMAND_TIMEOUT_MS: '50', TESSERA_REDIS_BREAKER_THRESHOLD: '5' })).toMatchObject({ redisCommandTimeoutMs: 50, redisBreakerThreshold: 5 });
    expect(() => loadConfig({}, { TESSERA_REDIS_COMMAND_TIMEOUT_MS: '0' })).toThrow(/redisCommandTimeoutMs/);
    expect(() => loadConfig({}, { TESSERA_REDIS_BREAKER_THRESHOLD: '0' })).toThrow(/redisBreakerThreshold/);
  });
});

describe('events.batchSize', () => {
  it('is capped at 1000: a SQLite flush runs on the event loop', () => {
    expect(loadConfig({}, { TESSERA_EVENTS_BATCH_SIZE: '1000' }).events.batchSize).toBe(1000);
    expect(() => loadConfig({}, { TESSERA_EVENTS_BATCH_SIZE: '1001' })).toThrow(/events\.batchSize/);
  });
});

describe('events.webhook', () => {
  const secret = 'a-webhook-secret-of-some-length';
  it('is off by default; url and secret from the environment or a file, with its type filter', () => {
    expect(loadConfig({}, {}).events.webhook).toEqual({ types: [], maxQueue: 10_000, batchSize: 100, timeoutMs: 5000, maxBackoffMs: 60_000, shutdownMs: 5000 });
    const env = { TESSERA_EVENTS_WEBHOOK_URL: 'https://siem.example/hook', TESSERA_EVENTS_WEBHOOK_SECRET: secret, TESSERA_EVENTS_WEBHOOK_TYPES: 'refresh.reuse_detected, admin.change', TESSERA_EVENTS_WEBHOOK_MAX_QUEUE: '50' };
    expect(loadConfig({}, env).events.webhook).toMatchObject({ url: 'https://siem.example/hook', secret, types: ['refresh.reuse_detected', 'admin.change'], maxQueue: 50 });
    const fromFile = loadConfig({ config: file({ events: { webhook: { url: 'http://127.0.0.1:9000/x', secret, timeoutMs: 1000 } } }) }, {});
    expect(fromFile.events.webhook).toMatchObject({ url: 'http://127.0.0.1:9000/x', timeoutMs: 1000, batchSize: 100 });
  });

  it('refuses a url without a secret, a secret without a url, a short secret, credentials in the url, and never echoes the secret', () => {
    expect(() => loadConfig({}, { TESSERA_EVENTS_WEBHOOK_URL: 'https://siem.example/hook' })).toThrow(/events\.webhook\.url: set events\.webhook\.secret/);
    expect(() => loadConfig({}, { TESSERA_EVENTS_WEBHOOK_SECRET: secret })).toThrow(/events\.webhook\.secret: set events\.webhook\.url/);
    expect(() => loadConfig({}, { TESSERA_EVENTS_WEBHOOK_URL: 'ftp://x/', TESSERA_EVENTS_WEBHOOK_SECRET: secret })).toThrow(/events\.webhook\.url/);
    expect(() => loadConfig({}, { TESSERA_EVENTS_WEBHOOK_URL: 'https://u:p@siem.example/', TESSERA_EVENTS_WEBHOOK_SECRET: secret })).toThrow(/no credentials/);
    expect(() => loadConfig({}, { TESSERA_EVENTS_WEBHOOK_URL: 'https://siem.example/', TESSERA_EVENTS_WEBHOOK_TYPES: 'nonsense', TESSERA_EVENTS_WEBHOOK_SECRET: secret })).toThrow(/events\.webhook\.types/);
    for (const short of ['short-secret']) {
      let message = '';
      try {
        loadConfig({}, { TESSERA_EVENTS_WEBHOOK_URL: 'https://siem.example/', TESSERA_EVENTS_WEBHOOK_SECRET: short });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/events\.webhook\.secret/);
      expect(message).not.toContain(short);
    }
  });
});

describe('the CLI on an invalid setting', () => {
  it('exits 2 with a message naming the setting', () => {
    const bin = resolve('bin/tessera.js');
    const r = spawnSync(process.execPath, [bin, 'serve', '--port', 'abc', '--data-dir', join(dir, 'data')], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--port/);
    const e = spawnSync(process.execPath, [bin, 'serve', '--data-dir', join(dir, 'data')], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, TESSERA_SIGNING_ALG: 'none' } });
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/signingAlg/);
  });

  it('tokenHook: off by default; a URL needs a secret, https or loopback http, and a bounded timeout', () => {
    expect(loadConfig({}, {}).tokenHook).toEqual({ timeoutMs: 500 });
    const on = loadConfig({}, { TESSERA_TOKEN_HOOK_URL: 'https://hooks.example/token', TESSERA_TOKEN_HOOK_SECRET: 'x'.repeat(32), TESSERA_TOKEN_HOOK_TIMEOUT_MS: '250' });
    expect(on.tokenHook).toEqual({ url: 'https://hooks.example/token', secret: 'x'.repeat(32), timeoutMs: 250 });
    expect(loadConfig({}, { TESSERA_TOKEN_HOOK_URL: 'http://127.0.0.1:9000/hook', TESSERA_TOKEN_HOOK_SECRET: 'x'.repeat(32) }).tokenHook.url).toBe('http://127.0.0.1:9000/hook');
    expect(configError(() => loadConfig({}, { TESSERA_TOKEN_HOOK_URL: 'https://hooks.example/token' })).message).toMatch(/tokenHook\.secret: required/);
    expect(configError(() => loadConfig({}, { TESSERA_TOKEN_HOOK_URL: 'http://hooks.example/token', TESSERA_TOKEN_HOOK_SECRET: 'x'.repeat(32) })).message).toMatch(/tokenHook\.url: must be an https URL/);
    expect(configError(() => loadConfig({}, { TESSERA_TOKEN_HOOK_URL: 'https://hooks.example/', TESSERA_TOKEN_HOOK_SECRET: 'short' })).message).toMatch(/tokenHook/);
    expect(configError(() => loadConfig({}, { TESSERA_TOKEN_HOOK_TIMEOUT_MS: '5' })).message).toMatch(/tokenHook\.timeoutMs/);
  });
});

describe('keys (scheduled signing-key rotation)', () => {
  it('off by default, pre-publication 1h; durations from file, env and flags, flags winning', () => {
    expect(loadConfig({}, {}).keys).toEqual({ rotateEvery: null, prePublish: 3600 });
    const f = file({ keys: { rotateEvery: '30d', prePublish: 7200 } });
    expect(loadConfig({ config: f }, {}).keys).toEqual({ rotateEvery: 30 * 86_400, prePublish: 7200 });
    expect(loadConfig({ config: f }, { TESSERA_KEYS_ROTATE_EVERY: '7d', TESSERA_KEYS_PRE_PUBLISH: '15m' }).keys).toEqual({ rotateEvery: 7 * 86_400, prePublish: 900 });
    expect(loadConfig({ config: f, keysRotateEvery: '3s', keysPrePublish: '1s' }, { TESSERA_KEYS_ROTATE_EVERY: '7d' }).keys).toEqual({ rotateEvery: 3, prePublish: 1 });
    expect(loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: 'off' }).keys.rotateEvery).toBeNull();
  });

  it('refuses a pre-publication as long as the rotation period or longer', () => {
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '1h' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '1h' })).toThrow('invalid setting keys.prePublish: must be shorter than keys.rotateEvery (3600s >= 3600s)');
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '10m', TESSERA_KEYS_PRE_PUBLISH: '1h' })).toThrow(/must be shorter than keys.rotateEvery/);
    expect(loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '61m' }).keys).toEqual({ rotateEvery: 3660, prePublish: 3600 });
  });

  it('refuses bad durations, zero and unknown fields with the setting named', () => {
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '30 days' })).toThrow('invalid setting keys.rotateEvery: "30 days" is not a duration (e.g. 90s, 15m, 1h, 30d, or a number of seconds)');
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '-5s' })).toThrow(/keys.rotateEvery: "-5s" is not a duration/);
    expect(() => loadConfig({ keysPrePublish: '1w' }, {})).toThrow(/keys.prePublish: "1w" is not a duration/);
    expect(() => loadConfig({}, { TESSERA_KEYS_ROTATE_EVERY: '0' })).toThrow(/keys.rotateEvery: must be at least 1s/);
    expect(() => loadConfig({}, { TESSERA_KEYS_PRE_PUBLISH: '0s' })).toThrow(/keys.prePublish: must be at least 1s/);
    expect(() => loadConfig({ config: file({ keys: { rotateEvery: 1.5 } }) }, {})).toThrow(/invalid setting keys.rotateEvery/);
    expect(() => loadConfig({ config: file({ keys: { rotateEvry: '30d' } }) }, {})).toThrow(/invalid setting keys/);
  });
});
