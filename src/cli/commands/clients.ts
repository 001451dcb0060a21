import type { Command } from 'commander';
import { CLIENT_FIELDS, describeClient, type ClientInput } from '../../admin/client-fields.js';
import { createClient, deleteClient, getClient, updateClient } from '../../admin/clients.js';
import { removeClientSecret, rotateClientSecret } from '../../admin/client-secrets.js';
import type { SecretView } from '../../admin/client-secret-view.js';
import { addApiKey, listApiKeys, removeApiKey } from '../../admin/api-keys.js';
import type { Config } from '../../config.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { addFieldFlags, inputFromFlags } from '../field-flags.js';
import { print, printTable } from '../output.js';

function options(config: Config, masterKey: Buffer) {
  return { masterKey, defaults: { accessTokenTtl: config.accessTokenTtl } };
}

/** For people: one line per secret (`secret 3fa1b2c4  current, no expiry, last used ...`) instead of a JSON array. */
function readable(view: Record<string, unknown>): Record<string, unknown> {
  const { secrets, ...rest } = view as { secrets?: SecretView[] };
  if (secrets === undefined) return view;
  const out: Record<string, unknown> = { ...rest };
  for (const s of secrets) {
    const expiry = s.expires_at === null ? 'no expiry' : `${s.expired ? 'expired' : 'expires'} ${s.expires_at}`;
    out[`secret ${s.secret_id}`] = `${s.current ? 'current' : 'kept'}, ${expiry}, last used ${s.last_used_at ?? 'never recorded'}`;
  }
  return out;
}

export function registerClientCommands(program: Command): void {
  const client = program.command('client').description('manage OAuth clients');

  storeOptions(addFieldFlags(client.command('create').description('create a client; prints its secret once'), CLIENT_FIELDS, 'create')).action(async (f: { json?: boolean; secret?: string }) => {
    await withAdmin(f, async ({ audit, store, config, masterKey, json }) => {
      const { client: created, secret } = await createClient(store, inputFromFlags<ClientInput>(CLIENT_FIELDS, 'create', f), { ...options(config, masterKey), audit });
      // A secret given with --secret is echoed like a generated one: the output is the record of what was set.
      const shown = secret ?? f.secret;
      print({ ...describeClient(created), ...(shown !== undefined ? { client_secret: shown } : {}) }, json);
      if (!json && shown !== undefined) process.stderr.write('The client secret is shown only once; store it now.\n');
    });
  });

  storeOptions(client.command('list').description('list clients').option('--limit <n>', 'at most n', '1000').option('--after <client_id>', 'page after this id')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      await withAdmin(f, async ({ store, json }) => {
        const list = await store.clients.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeClient), true);
        else printTable(['CLIENT_ID', 'STATUS', 'AUTH_METHOD', 'GRANT_TYPES', 'SCOPE'], list.map((c) => [c.clientId, c.status, c.tokenEndpointAuthMethod, c.grantTypes.join(','), c.scope.join(' ')]), 'No clients.');
      });
    },
  );

  storeOptions(client.command('show').description('show one client').argument('<client_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const c = await getClient(store, id);
      const keys = await listApiKeys(store, id);
      const view = { ...describeClient(c), ...(keys.length > 0 ? { api_keys: keys.map((k) => `${k.kind}:${k.publicKey}`) } : {}) };
      print(json ? view : readable(view), json);
    });
  });

  storeOptions(addFieldFlags(client.command('update').description('change a client').argument('<client_id>'), CLIENT_FIELDS, 'update')).action(async (id: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json, config, masterKey }) => {
      print(describeClient(await updateClient(store, id, inputFromFlags<ClientInput>(CLIENT_FIELDS, 'update', f), { ...options(config, masterKey), audit })), json);
    });
  });

  storeOptions(client.command('delete').description('delete a client (its refresh tokens stop working)').argument('<client_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json }) => {
      await deleteClient(store, id, {}, audit);
      print(json ? { deleted: id } : `deleted ${id}`, json);
    });
  });

  storeOptions(
    client
      .command('rotate-secret')
      .description('replace the client secret; prints the new one once')
      .argument('<client_id>')
      .option('--keep-old-for <duration>', 'keep the old secret working this long beside the new one (e.g. 24h, 90m, 7d; at most 90d)'),
  ).action(async (id: string, f: { json?: boolean; keepOldFor?: string }) => {
    await withAdmin(f, async ({ audit, store, json, masterKey }) => {
      const rotated = await rotateClientSecret(store, id, masterKey, { keepOldFor: f.keepOldFor, audit });
      const kept = rotated.kept ? { kept_secret_id: rotated.kept.secretId, kept_until: new Date(rotated.kept.expiresAt * 1000).toISOString() } : {};
      print({ client_id: id, client_secret: rotated.secret, secret_id: rotated.secretId, ...kept }, json);
      if (!json) process.stderr.write('The client secret is shown only once; store it now.\n');
    });
  });

  storeOptions(client.command('remove-secret').description('end the secret a rotation kept (--keep-old-for) before its time').argument('<client_id>').argument('<secret_id>')).action(
    async (id: string, secretId: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => {
        await removeClientSecret(store, id, secretId, audit);
        print(json ? { client_id: id, removed: secretId } : `removed secret ${secretId} from ${id}`, json);
      });
    },
  );

  storeOptions(client.command('add-key').description('register an API public key (Ed25519 hex or compressed secp256k1 hex) for request-signature auth').argument('<client_id>').argument('<public_key_hex>')).action(
    async (id: string, hex: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => {
        const key = await addApiKey(store, id, hex, audit);
        print({ client_id: id, kind: key.kind, public_key: key.publicKey }, json);
      });
    },
  );

  storeOptions(client.command('remove-key').description('remove an API public key').argument('<client_id>').argument('<public_key_hex>')).action(async (id: string, hex: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ audit, store, json }) => {
      const removed = await removeApiKey(store, id, hex, audit);
      print(json ? { removed } : `removed key from ${id}`, json);
    });
  });
}
