import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { describeProvider, PROVIDER_TYPES } from '../../federation/provider-config.js';
import { getIdentityProvider, identityProviderProblems, linkSubject, linksOf, removeIdentityProvider, saveIdentityProvider } from '../../admin/identity-providers.js';
import { formatProblem } from '../../admin/problems.js';
import { withAdmin } from '../admin-call.js';
import { collect, storeOptions } from '../context.js';
import { CliError, print, printTable } from '../output.js';

interface IdpFlags {
  name?: string;
  type?: string;
  configJson?: string;
  issuer?: string;
  jwksUri?: string;
  jwksFile?: string;
  audience?: string[];
  algorithm?: string[];
  endpoint?: string;
  format?: string;
  clientId?: string;
  clientSecret?: string;
  acceptedClientId?: string[];
  appId?: string;
  appToken?: string;
  allowedClient?: string[];
  autoProvision?: boolean;
  linkVerifiedEmail?: boolean;
  timeoutMs?: string;
  maxAssertionLifetime?: string;
  allowInsecureHttp?: boolean;
  json?: boolean;
}

function readJson(text: string, what: string): Record<string, unknown> {
  let raw = text;
  if (text.startsWith('@')) {
    try {
      raw = readFileSync(text.slice(1), 'utf8');
    } catch (err) {
      throw new CliError(`${what}: ${(err as Error).message}`, 2);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new CliError(`${what} is not valid JSON`, 2);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError(`${what} must be a JSON object`, 2);
  return parsed as Record<string, unknown>;
}

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new CliError(`${flag} must be a non-negative integer`, 2);
  return Number(v);
}

/** The provider item as the import document would hold it: --config-json first, then the flags on top. */
function providerItemFromFlags(f: IdpFlags): Record<string, unknown> {
  const item: Record<string, unknown> = f.configJson !== undefined ? readJson(f.configJson, '--config-json') : {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) item[key] = value;
  };
  set('name', f.name);
  set('type', f.type);
  set('issuer', f.issuer);
  set('jwks_uri', f.jwksUri);
  if (f.jwksFile !== undefined) item.jwks = readJson(`@${f.jwksFile}`, '--jwks-file');
  set('audiences', f.audience);
  set('algorithms', f.algorithm);
  set('endpoint', f.endpoint);
  set('format', f.format);
  set('client_id', f.clientId);
  set('client_secret', f.clientSecret);
  set('accepted_client_ids', f.acceptedClientId);
  set('app_id', f.appId);
  set('app_token', f.appToken);
  set('allowed_clients', f.allowedClient);
  set('auto_provision', f.autoProvision);
  set('link_verified_email', f.linkVerifiedEmail);
  set('timeout_ms', int(f.timeoutMs, '--timeout-ms'));
  set('max_assertion_lifetime', int(f.maxAssertionLifetime, '--max-assertion-lifetime'));
  set('allow_insecure_http', f.allowInsecureHttp);
  return item;
}

export function registerIdpCommands(program: Command): void {
  const idp = program.command('idp').description('manage identity providers (federated grants: token exchange, JWT bearer, grant_type=<provider>)');

  storeOptions(
    idp
      .command('add')
      .description('add or replace an identity provider')
      .requiredOption('--name <name>', 'provider name (also the KnetikCloud grant_type alias)')
      .option('--type <type>', `provider type: ${PROVIDER_TYPES.join(', ')}`)
      .option('--config-json <json>', 'the whole provider config as JSON (or @file); flags override its fields')
      .option('--issuer <url>', 'oidc/jwt_bearer: the exact iss of its tokens')
      .option('--jwks-uri <url>', 'oidc/jwt_bearer: where its public keys are published')
      .option('--jwks-file <file>', 'oidc/jwt_bearer: an inline JWK Set (public keys) from a file')
      .option('--audience <aud>', 'oidc: an accepted aud, e.g. your client id at the provider (repeatable)', collect)
      .option('--algorithm <alg>', 'oidc/jwt_bearer: an accepted signing algorithm (repeatable; default all asymmetric)', collect)
      .option('--endpoint <url>', 'introspection: the RFC 7662 endpoint or the Facebook debug_token URL')
      .option('--format <rfc7662|facebook>', 'introspection: response format')
      .option('--client-id <id>', 'introspection (rfc7662): our client id at the provider')
      .option('--client-secret <secret>', 'introspection (rfc7662): our client secret at the provider (stored sealed)')
      .option('--accepted-client-id <id>', 'introspection (rfc7662): accept only tokens issued to this client (repeatable)', collect)
      .option('--app-id <id>', 'introspection (facebook): your Facebook app id')
      .option('--app-token <token>', 'introspection (facebook): your app access token (stored sealed)')
      .option('--allowed-client <client_id>', 'only this client may use the provider (repeatable; default any)', collect)
      .option('--auto-provision', 'create a local user for a subject seen for the first time')
      .option('--link-verified-email', 'link a new subject to the local user with the same verified email')
      .option('--timeout-ms <ms>', 'bound on each call to the provider')
      .option('--max-assertion-lifetime <seconds>', 'jwt_bearer: the longest accepted assertion lifetime')
      .option('--allow-insecure-http', 'allow http:// URLs on non-loopback hosts (never in production)'),
  ).action(async (f: IdpFlags) => {
    const item = providerItemFromFlags(f);
    // Checked before the store is opened: a mistyped flag costs no database connection.
    const problems = identityProviderProblems(item, '$');
    if (problems.length > 0) throw new CliError(problems.map(formatProblem).join('\n'), 2);
    await withAdmin(f, async ({ audit, store, masterKey, json }) => print(describeProvider(await saveIdentityProvider(store, item, masterKey, audit)), json));
  });

  storeOptions(idp.command('list').description('list identity providers')).action(async (f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const list = await store.identityProviders.list();
      if (json) print(list.map(describeProvider), true);
      else printTable(['NAME', 'TYPE', 'ISSUER_OR_ENDPOINT'], list.map((p) => [p.name, p.type, String(p.config.issuer ?? p.config.endpoint ?? '-')]), 'No identity providers.');
    });
  });

  storeOptions(idp.command('show').description('show one identity provider (secrets are never shown)').argument('<name>')).action(async (name: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => print(describeProvider(await getIdentityProvider(store, name)), json));
  });

  storeOptions(idp.command('link').description("link a provider's subject to an existing local user (pre-linking accounts)").argument('<provider>').argument('<subject>').argument('<username>')).action(
    async (provider: string, subject: string, username: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => {
        const { user } = await linkSubject(store, provider, subject, username, audit);
        print(json ? { provider, subject, user_id: user.id, username: user.username } : `linked ${provider}/${subject} to ${user.username}`, json);
      });
    },
  );

  storeOptions(idp.command('links').description('list the provider subjects linked to a user').argument('<username>')).action(async (username: string, f: { json?: boolean }) => {
    await withAdmin(f, async ({ store, json }) => {
      const links = (await linksOf(store, username)).map((l) => ({ provider: l.provider, subject: l.subject, created_at: new Date(l.createdAt * 1000).toISOString() }));
      if (json) print(links, true);
      else printTable(['PROVIDER', 'SUBJECT', 'CREATED_AT'], links.map((l) => [l.provider, l.subject, l.created_at]), `No provider subjects are linked to ${username}.`);
    });
  });

  storeOptions(idp.command('remove').description('remove an identity provider (existing user links stay, tokens already issued stay valid)').argument('<name>')).action(
    async (name: string, f: { json?: boolean }) => {
      await withAdmin(f, async ({ audit, store, json }) => {
        await removeIdentityProvider(store, name, audit);
        print(json ? { removed: name } : `removed ${name}`, json);
      });
    },
  );
}
