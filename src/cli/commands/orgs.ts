import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Installation, Organization, Store } from '../../store/types.js';
import { isValidScopeToken } from '../../oauth/scope.js';
import { storeOptions, withStore } from '../context.js';
import { CliError, print } from '../output.js';

/** What the CLI shows of an organisation. */
export function describeOrg(o: Organization): Record<string, unknown> {
  return { id: o.id, name: o.name, status: o.status, created_at: iso(o.createdAt), updated_at: iso(o.updatedAt) };
}

/** What the CLI shows of an installation. */
export function describeInstallation(i: Installation): Record<string, unknown> {
  return {
    id: i.id,
    org_id: i.orgId,
    client_id: i.clientId,
    scope: i.scope.join(' '),
    status: i.status,
    created_at: iso(i.createdAt),
    approved_at: i.approvedAt === null ? undefined : iso(i.approvedAt),
    revoked_at: i.revokedAt === null ? undefined : iso(i.revokedAt),
  };
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An installation's approved scopes: valid scope tokens the client itself may be granted. */
async function approvedScope(store: Store, clientId: string, raw: string): Promise<string[]> {
  const client = await store.clients.get(clientId);
  if (!client) throw new CliError(`no client ${clientId}`);
  const scope = [...new Set(raw.trim() === '' ? [] : raw.trim().split(/\s+/))];
  for (const s of scope) if (!isValidScopeToken(s)) throw new CliError(`--scope: "${s}" is not a valid scope token (RFC 6749 §3.3)`, 2);
  const beyond = scope.filter((s) => !client.scope.includes(s));
  if (beyond.length > 0) throw new CliError(`--scope: client ${clientId} may not be granted ${beyond.join(' ')} (its scope is "${client.scope.join(' ')}")`, 2);
  if (!client.grantTypes.includes('org_implicit')) process.stderr.write(`warning: client ${clientId} does not have the org_implicit grant type; it cannot fetch org tokens until it does\n`);
  return scope;
}

async function getInstallation(store: Store, id: string): Promise<Installation> {
  const inst = await store.installations.get(id);
  if (!inst) throw new CliError(`no installation ${id}`);
  return inst;
}

function registerOrgCommands(program: Command): void {
  const org = program.command('org').description('manage organizations (the tenants that install apps)');

  storeOptions(org.command('create').description('create an organization').option('--id <id>', 'organization id (default: a random UUID)').requiredOption('--name <name>', 'display name')).action(
    async (f: { id?: string; name: string; json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        const id = f.id ?? randomUUID();
        if (id.trim() === '' || f.name.trim() === '') throw new CliError('--id and --name must not be empty', 2);
        print(describeOrg(await store.organizations.create({ id, name: f.name, status: 'active' })), json);
      });
    },
  );

  storeOptions(org.command('list').description('list organizations').option('--limit <n>', 'at most n', '1000').option('--after <id>', 'page after this id')).action(
    async (f: { limit: string; after?: string; json?: boolean }) => {
      if (!/^\d+$/.test(f.limit)) throw new CliError('--limit must be a non-negative integer', 2);
      await withStore(f, async ({ store, json }) => {
        const list = await store.organizations.list({ limit: Number(f.limit), ...(f.after ? { after: f.after } : {}) });
        if (json) print(list.map(describeOrg), true);
        else for (const o of list) process.stdout.write(`${o.id}\t${o.status}\t${o.name}\n`);
      });
    },
  );

  storeOptions(org.command('show').description('show an organization and its installations').argument('<id>')).action(async (id: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const o = await store.organizations.get(id);
      if (!o) throw new CliError(`no organization ${id}`);
      const installations = (await store.installations.list({ orgId: id })).map((i) => `${i.id} ${i.clientId} ${i.status} [${i.scope.join(' ')}]`);
      print({ ...describeOrg(o), installations }, json);
    });
  });

  for (const [name, status, what] of [
    ['disable', 'disabled', 'disable an organization: no org token is issued or refreshed for it until it is enabled'],
    ['enable', 'active', 'enable a disabled organization'],
  ] as const) {
    storeOptions(org.command(name).description(what).argument('<id>')).action(async (id: string, f: { json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        const o = await store.organizations.update(id, { status });
        if (!o) throw new CliError(`no organization ${id}`);
        print(describeOrg(o), json);
      });
    });
  }
}

function registerInstallCommands(program: Command): void {
  const install = program.command('install').description('manage app installations (an organization approving scopes for a client)');

  storeOptions(
    install
      .command('create')
      .description('install a client in an organization with approved scopes (re-activates a revoked installation)')
      .requiredOption('--org <org_id>', 'organization id')
      .requiredOption('--client <client_id>', 'client id of the app')
      .requiredOption('--scope <scopes>', 'approved scopes, space-delimited (a subset of the client scope; "" for none)')
      .option('--id <id>', 'installation id (default: a random UUID)'),
  ).action(async (f: { org: string; client: string; scope: string; id?: string; json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const o = await store.organizations.get(f.org);
      if (!o) throw new CliError(`no organization ${f.org}`);
      const scope = await approvedScope(store, f.client, f.scope);
      const existing = await store.installations.find(f.org, f.client);
      if (existing?.status === 'active') throw new CliError(`${f.client} is already installed in ${f.org} (installation ${existing.id}); use install update`);
      const now = nowSeconds();
      const inst = existing
        ? await store.installations.update(existing.id, { scope, status: 'active', approvedAt: now, revokedAt: null })
        : await store.installations.create({ id: f.id ?? randomUUID(), orgId: f.org, clientId: f.client, scope, status: 'active', approvedAt: now, revokedAt: null });
      print(describeInstallation(inst!), json);
    });
  });

  storeOptions(install.command('list').description('list installations').option('--org <org_id>', 'of this organization').option('--client <client_id>', 'of this client')).action(
    async (f: { org?: string; client?: string; json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        const list = await store.installations.list({ ...(f.org ? { orgId: f.org } : {}), ...(f.client ? { clientId: f.client } : {}) });
        if (json) print(list.map(describeInstallation), true);
        else for (const i of list) process.stdout.write(`${i.id}\t${i.orgId}\t${i.clientId}\t${i.status}\t${i.scope.join(' ')}\n`);
      });
    },
  );

  storeOptions(install.command('show').description('show one installation').argument('<installation_id>')).action(async (id: string, f: { json?: boolean }) => {
    await withStore(f, async ({ store, json }) => print(describeInstallation(await getInstallation(store, id)), json));
  });

  storeOptions(
    install.command('update').description("change an installation's approved scopes (refresh tokens are capped at their next use)").argument('<installation_id>').requiredOption('--scope <scopes>', 'approved scopes, space-delimited'),
  ).action(async (id: string, f: { scope: string; json?: boolean }) => {
    await withStore(f, async ({ store, json }) => {
      const inst = await getInstallation(store, id);
      const scope = await approvedScope(store, inst.clientId, f.scope);
      print(describeInstallation((await store.installations.update(id, { scope }))!), json);
    });
  });

  storeOptions(install.command('revoke').description('revoke an installation: its refresh tokens stop working at once and no new org token is issued').argument('<installation_id>')).action(
    async (id: string, f: { json?: boolean }) => {
      await withStore(f, async ({ store, json }) => {
        const inst = await getInstallation(store, id);
        if (inst.status === 'revoked') throw new CliError(`installation ${id} is already revoked`);
        // The store revokes the installation's refresh-token families in the same transaction.
        print(describeInstallation((await store.installations.update(id, { status: 'revoked', revokedAt: nowSeconds() }))!), json);
      });
    },
  );
}

export function registerOrgAndInstallCommands(program: Command): void {
  registerOrgCommands(program);
  registerInstallCommands(program);
}
