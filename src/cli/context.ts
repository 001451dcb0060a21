import type { Command } from 'commander';
import { loadConfig, type Config, type ConfigFlags } from '../config.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { loadMasterKey } from '../keys/master-key.js';
import { userInfo } from 'node:os';
import type { AdminAudit } from '../admin/audit.js';
import { createDirectEvents } from '../observability/event-sinks.js';

/** Options every command that touches the store accepts. */
export function storeOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'data directory (SQLite database, master key file)')
    .option('--database-url <url>', 'postgres://... to use PostgreSQL instead of SQLite')
    .option('--redis-url <url>', "redis://... of the servers: they pick up this command's changes at once")
    .option('--config <file>', 'JSON config file')
    .option('--json', 'machine-readable output');
}

export interface CliStore {
  config: Config;
  store: Store;
  masterKey: Buffer;
  json: boolean;
  /** The CLI's actor (the OS user name), whose changes go straight to the audit table. */
  audit: AdminAudit;
}

/** Who runs the CLI: the OS user (SUDO_USER when run through sudo, so the person, not root, is named). */
export function cliActorName(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SUDO_USER) return env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/** Opens the configured store (migrating it), runs fn, and always closes it. */
export async function withStore<T>(flags: ConfigFlags & { json?: boolean }, fn: (s: CliStore) => Promise<T>): Promise<T> {
  const config = loadConfig(flags);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  let committed = false;
  const stopWatching = store.changes.onCommit(() => (committed = true));
  const events = createDirectEvents(store, config);
  const audit: AdminAudit = { events: events.hub, actor: { kind: 'cli', id: cliActorName() } };
  try {
    const masterKey = loadMasterKey(config.masterKey, config.dataDir).key;
    return await fn({ config, store, masterKey, json: flags.json === true, audit });
  } finally {
    stopWatching();
    // The audit events of what this command changed, before the store closes (also after a failure).
    await events.flush();
    // Servers follow the change feed every cacheSyncIntervalMs; with Redis they poll at once on a nudge, the one
    // a server sends after its own commits. Also after a failure: whatever was committed before it counts.
    if (committed && config.redisUrl) await nudgeServers(config.redisUrl, config.redisKeyPrefix);
    await store.close();
  }
}

async function nudgeServers(url: string, prefix: string): Promise<void> {
  // Loaded only here: a CLI run without Redis never pays for ioredis.
  const { publishChangeNudge } = await import('../redis/change-nudge.js');
  if (!(await publishChangeNudge(url, prefix, 2000))) {
    process.stderr.write('tessera: warning: Redis did not take the change nudge; running servers see the change at their next poll (cacheSyncIntervalMs)\n');
  }
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
