import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { keySchedule, tlsProblems, tokenHookProblem, trustedProxies, webhookProblem } from './config/checks.js';
import { ENV, int, parseProfiles, readTracing, workers } from './config/env.js';
import { ConfigError } from './config/error.js';
import { ConfigSchema, DEFAULTS, type Config, type ConfigInput } from './config/schema.js';

/*
 * One validated configuration object, built once at start-up and passed down. Precedence:
 * command-line flags > TESSERA_* environment > config file (JSON) > defaults. Nothing deeper reads process.env.
 */
export { ConfigError } from './config/error.js';
export { DEFAULTS, DPOP_ALGORITHMS, type Config } from './config/schema.js';
export { parseProfiles, readTracing } from './config/env.js';

/** The prefix routes are mounted under: no trailing slash, '' for the root. */
const mountPrefix = (prefix: string): string => prefix.replace(/\/$/, '');

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
  const cfg = merged as ConfigInput;
  cfg.dataDir = resolve(cfg.dataDir);
  for (const profile of Object.values(cfg.profiles)) if (profile) profile.prefix = mountPrefix(profile.prefix);
  if (cfg.accessTokenTtl > cfg.maxAccessTokenTtl) throw new ConfigError('invalid setting accessTokenTtl: exceeds maxAccessTokenTtl');
  // Node refuses a header deadline beyond the request's; the headers are part of the request.
  if (cfg.http.headersTimeoutMs > cfg.http.requestTimeoutMs) throw new ConfigError('invalid setting http.headersTimeoutMs: exceeds http.requestTimeoutMs');
  if (cfg.adminListen !== undefined && Number(cfg.adminListen.slice(cfg.adminListen.lastIndexOf(':') + 1)) > 65535) throw new ConfigError('invalid setting adminListen: the port must be 0-65535');
  tokenHookProblem(cfg.tokenHook);
  webhookProblem(cfg.events.webhook);
  const trustProxy = trustedProxies(cfg.trustProxy);
  const keys = keySchedule(cfg.keys);
  tlsProblems(cfg, trustProxy);
  const issuer = (cfg.issuer ?? `${cfg.tls.cert ? 'https' : 'http'}://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${cfg.port}`).replace(/\/+$/, '');
  return { ...cfg, issuer, trustProxy, keys };
}
