import type { Command } from 'commander';
import {
  createOrganization,
  deleteInstallation,
  deleteOrganization,
  describeInstallation,
  describeOrganization,
  getInstallation,
  getOrganization,
  INSTALLATION_METADATA_FIELD,
  installClient,
  ORGANIZATION_METADATA_FIELD,
  revokeInstallation,
  setOrganizationStatus,
  updateInstallation,
  updateOrganization,
} from '../../admin/organizations.js';
import { addFieldFlags, inputFromFlags } from '../field-flags.js';
import { withAdmin } from '../admin-call.js';
import { storeOptions } from '../context.js';
import { CliError, print, printTable } from '../output.js';

function warn(warnings: string[]): void {
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
}

function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('manage organizations (the tenants that install apps)');

  storeOptions(
    addFieldFlags(org.command('create').description('create an organization').option('--id <id>', 'organization id (default: a random UUID)').requiredOption('--name <name>', 'display name'), ORGANIZATION_METADATA_FIELD, 'create'),
  ).action(async (f: { id?: string; name: string; json?: boolean }) => {
    const { metadata } = inputFromFlags<{ metadata: Record<string, unknown> }>(ORGANIZATION_METADATA_FIELD, 'create', f);
    await withAdmin(f, async ({ audit, store, json }) => {
      print(describeOrganization(await createOrganization(store, { ...(f.id !== undefined ? { id: f.id } : {}), name: f.name, ...(metadata !== undefined ? { metadata } : {}) }, audit)), json);
    });
  });

  storeOptions(
    addFieldFlags(
      org.command('update').description('rename an organization or replace its metadata (the whole object)').argument('<id>').option('--name <name>', 'display name'),
      ORGANIZATION_METADATA_FIELD,
      'update',
    ),
  ).action(async (id: string, f: { name?: string; json?: boolean }) => {
    const { metadata } = inputFromFlags<{ metadata: Record<string, unknown> }>(ORGANIZATION_METADATA_FIELD, 'update', f);
    if (f.name === undefined && metadata === undefined) throw new CliError('give --name or --metadata', 2);
    await withAdmin(f, async ({ audit, store, json }) => {
      print(describeOrganization(await updateOrganization(store, id, { ...(f.name !== undefined ? { name: f.name } : {}), ...(metadata !== undefined ? { metadata } : {}) }, audit)), json);
    });
  });

  storeOptions(org.command('list').description('list organizations').option('--limit <n>', 'at most n', '1000').option('--after <id>', 'page after this id')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      if (!/^\d+$/.test(f.limit)) throw new CliError('--limit must be a non-negative integer', 2);
      await withAdmin(f, async ({ store, json }) => {
        const list = await store.organizations.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeOrganization), true);
        else printTable(['ID', 'STATUS', 'NAME'], list.map((o) => [o.id, o.status, o.name]), 'No organizations.');
      });
    },
  );

  storeOptions(org.command('show').description('show an organization and its installations').argument('<id>')).action(async (id: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const o = await getOrganization(store, id);
      const installations = (await store.installations.list({ orgId: id })).map((i) => `${i.id} ${i.clientId} ${i.status} [${i.scope.join(' ')}]`);
      print({ ...describeOrganization(o), installations }, json);
    });
  });

  for (const [name, status, what] of [
    ['disable', 'disabled', 'disable an organization: no org token is issued or refreshed for it until it is enabled'],
    ['enable', 'active', 'enable a disabled organization'],
  ] as const) {
    storeOptions(org.command(name).description(what).argument('<id>')).action(async (id: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => print(describeOrganization(await setOrganizationStatus(store, id, status, audit)), json));
    });
  }

  storeOptions(
    org
      .command('delete')
      .description('delete an organization; refused while it has installations unless --cascade')
      .argument('<id>')
      .option('--cascade', 'delete its installations too (their refresh tokens stop working)'),
  ).action(async (id: string, f: { cascade?: boolean; json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      await deleteOrganization(store, id, { cascade: f.cascade === true });
      print(json ? { deleted: id } : `deleted ${id}`, json);
    });
  });
}

function registerInstallCommands(program: Command): void {
  const install = program.command('install').description('manage app installations (an organization approving scopes for a client)');

  storeOptions(
    addFieldFlags(install
      .command('create')
      .description('install a client in an organization with approved scopes (re-activates a revoked installation)')
      .requiredOption('--org <org_id>', 'organization id')
      .requiredOption('--client <client_id>', 'client id of the app')
      .requiredOption('--scope <scopes>', 'approved scopes, space-delimited (a subset of the client scope; "" for none)')
      .option('--id <id>', 'installation id (default: a random UUID)'), INSTALLATION_METADATA_FIELD, 'create'),
  ).action(async (f: { org: string; client: string; scope: string; id?: string; json?: boolean }) => {
    const { metadata } = inputFromFlags<{ metadata: Record<string, unknown> }>(INSTALLATION_METADATA_FIELD, 'create', f);
    await withAdmin(f, async ({ audit, store, json }) => {
      const { installation, warnings } = await installClient(store, { orgId: f.org, clientId: f.client, scope: f.scope, ...(f.id !== undefined ? { id: f.id } : {}), ...(metadata !== undefined ? { metadata } : {}) }, audit);
      warn(warnings);
      print(describeInstallation(installation), json);
    });
  });

  storeOptions(install.command('list').description('list installations').option('--org <org_id>', 'of this organization').option('--client <client_id>', 'of this client')).action(
    async (f: { org?: string; client?: string; json?: boolean }) => {
      await withAdmin(f, async ({ store, json }) => {
        const list = await store.installations.list({ ...(f.org ? { orgId: f.org } : {}), ...(f.client ? { clientId: f.client } : {}) });
        if (json) print(list.map(describeInstallation), true);
        else printTable(['ID', 'ORG_ID', 'CLIENT_ID', 'STATUS', 'SCOPE'], list.map((i) => [i.id, i.orgId, i.clientId, i.status, i.scope.join(' ')]), 'No installations.');
      });
    },
  );

  storeOptions(install.command('show').description('show one installation').argument('<installation_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => print(describeInstallation(await getInstallation(store, id)), json));
  });

  storeOptions(
    addFieldFlags(
      install
        .command('update')
        .description("change an installation's approved scopes (refresh tokens are capped at their next use) or replace its metadata (the whole object)")
        .argument('<installation_id>')
        .option('--scope <scopes>', 'approved scopes, space-delimited'),
      INSTALLATION_METADATA_FIELD,
      'update',
    ),
  ).action(async (id: string, f: { scope?: string; json?: boolean }) => {
    const { metadata } = inputFromFlags<{ metadata: Record<string, unknown> }>(INSTALLATION_METADATA_FIELD, 'update', f);
    if (f.scope === undefined && metadata === undefined) throw new CliError('give --scope or --metadata', 2);
    await withAdmin(f, async ({ audit, store, json }) => {
      const { installation, warnings } = await updateInstallation(store, id, { ...(f.scope !== undefined ? { scope: f.scope } : {}), ...(metadata !== undefined ? { metadata } : {}) }, audit);
      warn(warnings);
      print(describeInstallation(installation), json);
    });
  });

  storeOptions(install.command('revoke').description('revoke an installation: its refresh tokens stop working at once and no new org token is issued').argument('<installation_id>')).action(
    async (id: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => print(describeInstallation(await revokeInstallation(store, id, audit)), json));
    },
  );

  storeOptions(install.command('delete').description('delete an installation: its refresh tokens stop working at once and the record is gone').argument('<installation_id>')).action(
    async (id: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ store, json }) => {
        await deleteInstallation(store, id);
        print(json ? { deleted: id } : `deleted ${id}`, json);
      });
    },
  );
}

export function registerOrgAndInstallCommands(program: Command): void {
  registerOrgCommands(program);
  registerInstallCommands(program);
}
