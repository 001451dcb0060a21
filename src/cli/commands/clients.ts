import type { Command } from 'commander';
import { randomToken } from '../../crypto/random.js';
import { hashSecret } from '../../crypto/password-hash.js';
import { seal } from '../../keys/seal.js';
import type { Client, ClientPatch } from '../../store/types.js';
import { AUTH_METHODS, checkClientInput, clientFields, type ClientInput } from '../client-input.js';
import { collect, storeOptions, withStore } from '../context.js';
import { CliError, print } from '../output.js';
import { parseApiPublicKey } from '../../oauth/client-auth/request-signature/index.js';

/** What the CLI shows of a client: never the secret hash. */
export function describeClient(c: Client): Record<string, unknown> {
  return {
    client_id: c.clientId,
    name: c.name ?? undefined,
    status: c.status,
    token_endpoint_auth_method: c.tokenEndpointAuthMethod,
    grant_types: c.grantTypes,
    scope: c.scope.join(' '),
    default_scope: c.defaultScope?.join(' '),
    audience: c.audience ?? undefined,
    access_token_ttl: c.accessTokenTtl,
    access_token_format: c.accessTokenFormat,
    refresh_token_ttl: c.refreshTokenTtl ?? undefined,
    refresh_idle_ttl: c.refreshIdleTtl ?? undefined,
    refresh_reuse_interval: c.refreshReuseInterval,
    introspect_any: c.introspectAny,
    rate_limit: c.rateLimit ?? undefined,
    jwks_uri: c.jwksUri ?? undefined,
    has_secret: c.secretHash !== null,
    created_at: new Date(c.createdAt * 1000).toISOString(),
    updated_at: new Date(c.updatedAt * 1000).toISOString(),
  };
}

interface ClientFlags {
  id?: string;
  name?: string;
  grant?: string[];
  scope?: string;
  defaultScope?: string;
  authMethod?: string;
  ttl?: string;
  format?: string;
  audience?: string[];
  refreshTtl?: string;
  refreshIdleTtl?: string;
  reuseInterval?: string;
  introspectAny?: boolean;
  rateLimit?: string;
  jwksUri?: string;
  status?: string;
  secret?: string;
}

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`${name} must be a non-negative integer`, 2);
  return Number(v);
}

function toInput(id: string, f: ClientFlags): ClientInput {
  if (f.authMethod !== undefined && !AUTH_METHODS.includes(f.authMethod as never)) throw new CliError(`--auth-method must be one of ${AUTH_METHODS.join(', ')}`, 2);
  if (f.format !== undefined && f.format !== 'jwt' && f.format !== 'opaque') throw new CliError('--format must be jwt or opaque', 2);
  let rateLimit: ClientInput['rate_limit'];
  if (f.rateLimit !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(f.rateLimit);
    if (!m) throw new CliError('--rate-limit must be POINTS/SECONDS, e.g. 100/60', 2);
    rateLimit = { points: Number(m[1]), duration: Number(m[2]) };
  }
  const input: ClientInput = { client_id: id };
  if (f.name !== undefined) input.name = f.name;
  if (f.grant !== undefined) input.grant_types = f.grant.flatMap((g) => g.split(',')).filter(Boolean);
  if (f.scope !== undefined) input.scope = f.scope;
  if (f.defaultScope !== undefined) input.default_scope = f.defaultScope;
  if (f.authMethod !== undefined) input.token_endpoint_auth_method = f.authMethod as ClientInput['token_endpoint_auth_method'];
  if (f.ttl !== undefined) input.access_token_ttl = int(f.ttl, '--ttl');
  if (f.format !== undefined) input.access_token_format = f.format as 'jwt' | 'opaque';
  if (f.audience !== undefined) input.audience = f.audience;
  if (f.refreshTtl !== undefined) input.refresh_token_ttl = int(f.refreshTtl, '--refresh-ttl');
  if (f.refreshIdleTtl !== undefined) input.refresh_idle_ttl = int(f.refreshIdleTtl, '--refresh-idle-ttl');
  if (f.reuseInterval !== undefined) input.refresh_reuse_interval = int(f.reuseInterval, '--reuse-interval');
  if (f.introspectAny !== undefined) input.introspect_any = f.introspectAny;
  if (rateLimit) input.rate_limit = rateLimit;
  if (f.jwksUri !== undefined) input.jwks_uri = f.jwksUri;
  if (f.status !== undefined) {
    if (f.status !== 'active' && f.status !== 'disabled') throw new CliError('--status must be active or disabled', 2);
    input.status = f.status;
  }
  if (f.secret !== undefined) input.client_secret = f.secret;
  return input;
}

function clientFlags(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'display name')
    .option('--grant <type>', 'allowed grant type (repeatable or comma-separated)', collect)
    .option('--scope <scopes>', 'allowed scopes, space-delimited')
    .option('--default-scope <scopes>', 'scopes granted when a request names none (default: all allowed)')
    .option('--auth-method <method>', `token endpoint auth method: ${AUTH_METHODS.join(', ')}`)
    .option('--ttl <seconds>', 'access token lifetime')
    .option('--format <jwt|opaque>', 'access token format')
    .option('--audience <aud>', 'access token audience (repeatable)', collect)
    .option('--refresh-ttl <seconds>', 'absolute refresh-token family lifetime')
    .option('--refresh-idle-ttl <seconds>', 'refresh-token idle timeout')
    .option('--reuse-interval <seconds>', 'tolerated refresh-token reuse interval (lost-response retry)')
    .option('--introspect-any', 'may introspect tokens of other clients')
    .option('--rate-limit <points/seconds>', 'per-client rate limit, e.g. 100/60')
    .option('--jwks-uri <url>', 'client JWKS URL (private_key_jwt)')
    .option('--status <active|disabled>', 'client status');
}

export function registerClientCommands(program: Command): void {
  const client = program.command('client').description('manage OAuth clients');

  storeOptions(clientFlags(client.command('create').description('create a client; prints its secret once'))
    .option('--id <client_id>', 'client id (default: generated)')
    .option('--secret <secret>', 'use this secret instead of generating one'))
    .action(async (f: ClientFlags & { json?: boolean; dataDir?: string }) => {
      await withStore(f, async ({ store, config, masterKey, json }) => {
        const id = f.id ?? randomToken(12);
        const input = toInput(id, f);
        const method = input.token_endpoint_auth_method ?? 'client_secret_basic';
        const needsSecret = method === 'client_secret_basic' || method === 'client_secret_post' || method === 'client_secret_jwt';
        const secret = needsSecret ? (input.client_secret ?? randomToken(32)) : undefined;
        if (secret !== undefined) input.client_secret = secret;
        input.scope ??= '';
        const problems = checkClientInput(input, true);
        if (problems.length > 0) throw new CliError(problems.map(([k, m]) => `${k}: ${m}`).join('\n'), 2);
        const created = await store.clients.create({
          clientId: id,
          ...clientFields(input, { accessTokenTtl: config.accessTokenTtl }),
          secretHash: secret !== undefined ? await hashSecret(secret) : null,
          secretEncrypted: method === 'client_secret_jwt' && secret ? seal(masterKey, Buffer.from(secret), `client-secret:${id}`) : null,
        });
        print({ ...describeClient(created), ...(secret !== undefined ? { client_secret: secret } : {}) }, json);
        if (!json && secret !== undefined) process.stderr.write('The client secret is shown only once; store it now.\n');
      });
    });

  storeOptions(client.command('list').description('list clients').option('--limit <n>', 'at most n', '1000').option('--after <client_id>', 'page after this id')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        const list = await store.clients.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeClient), true);
        else for (const c of list) process.stdout.write(`${c.clientId}\t${c.status}\t${c.tokenEndpointAuthMethod}\t${c.grantTypes.join(',')}\t${c.scope.join(' ')}\n`);
      });
    },
  );

  storeOptions(client.command('show').description('show one client').argument('<client_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const c = await store.clients.get(id);
      if (!c) throw new CliError(`no client ${id}`);
      const keys = await store.apiKeys.listForClient(id);
      print({ ...describeClient(c), ...(keys.length > 0 ? { api_keys: keys.map((k) => `${k.kind}:${k.publicKey}`) } : {}) }, json);
    });
  });

  storeOptions(clientFlags(client.command('update').description('change a client').argument('<client_id>'))).action(async (id: string, f: ClientFlags & { json?: boolean }) => {
    await withStore(f, async ({ store, json, config }) => {
      const existing = await store.clients.get(id);
      if (!existing) throw new CliError(`no client ${id}`);
      const input = toInput(id, f);
      const merged: ClientInput = { ...input, token_endpoint_auth_method: input.token_endpoint_auth_method ?? existing.tokenEndpointAuthMethod, scope: input.scope ?? existing.scope.join(' ') };
      if (input.default_scope === undefined && existing.defaultScope) merged.default_scope = existing.defaultScope.join(' ');
      const problems = checkClientInput(merged, false);
      if (problems.length > 0) throw new CliError(problems.map(([k, m]) => `${k}: ${m}`).join('\n'), 2);
      const all = clientFields(input, { accessTokenTtl: config.accessTokenTtl });
      const patch: ClientPatch = {};
      const given = input as unknown as Record<string, unknown>;
      const map: Array<[string, keyof typeof all]> = [
        ['name', 'name'], ['grant_types', 'grantTypes'], ['scope', 'scope'], ['default_scope', 'defaultScope'], ['token_endpoint_auth_method', 'tokenEndpointAuthMethod'],
        ['access_token_ttl', 'accessTokenTtl'], ['access_token_format', 'accessTokenFormat'], ['audience', 'audience'], ['refresh_token_ttl', 'refreshTokenTtl'],
        ['refresh_idle_ttl', 'refreshIdleTtl'], ['refresh_reuse_interval', 'refreshReuseInterval'], ['introspect_any', 'introspectAny'], ['rate_limit', 'rateLimit'],
        ['jwks_uri', 'jwksUri'], ['status', 'status'],
      ];
      for (const [wire, key] of map) if (given[wire] !== undefined) (patch as Record<string, unknown>)[key] = all[key];
      const updated = await store.clients.update(id, patch);
      print(describeClient(updated!), json);
    });
  });

  storeOptions(client.command('delete').description('delete a client (its refresh tokens stop working)').argument('<client_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      if (!(await store.clients.delete(id))) throw new CliError(`no client ${id}`);
      print(json ? { deleted: id } : `deleted ${id}`, json);
    });
  });

  storeOptions(client.command('rotate-secret').description('replace the client secret; prints the new one once').argument('<client_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json, masterKey }) => {
      const c = await store.clients.get(id);
      if (!c) throw new CliError(`no client ${id}`);
      if (c.tokenEndpointAuthMethod === 'none') throw new CliError(`${id} is a public client and has no secret`);
      const secret = randomToken(32);
      await store.clients.update(id, {
        secretHash: await hashSecret(secret),
        ...(c.tokenEndpointAuthMethod === 'client_secret_jwt' ? { secretEncrypted: seal(masterKey, Buffer.from(secret), `client-secret:${id}`) } : {}),
      });
      print({ client_id: id, client_secret: secret }, json);
    });
  });

  storeOptions(client.command('add-key').description('register an API public key (Ed25519 hex or compressed secp256k1 hex) for request-signature auth').argument('<client_id>').argument('<public_key_hex>')).action(
    async (id: string, hex: string, f: { json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        if (!(await store.clients.get(id))) throw new CliError(`no client ${id}`);
        const parsed = parseApiPublicKey(hex);
        if (!parsed) throw new CliError('not an Ed25519 (64 hex) or compressed secp256k1 (66 hex) public key', 2);
        const key = await store.apiKeys.add({ publicKey: parsed.normalizedHex, clientId: id, kind: parsed.kind });
        print({ client_id: id, kind: key.kind, public_key: key.publicKey }, json);
      });
    },
  );

  storeOptions(client.command('remove-key').description('remove an API public key').argument('<client_id>').argument('<public_key_hex>')).action(async (id: string, hex: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const key = await store.apiKeys.get(hex.toLowerCase());
      if (!key || key.clientId !== id) throw new CliError(`client ${id} has no such key`);
      await store.apiKeys.remove(hex);
      print(json ? { removed: hex.toLowerCase() } : `removed key from ${id}`, json);
    });
  });
}
