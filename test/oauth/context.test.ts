import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import { openStore } from '../../src/store/open.js';
import type { Client, Installation, Organization, Store, User } from '../../src/store/types.js';
import { KeyRing } from '../../src/keys/key-ring.js';
import { inlineSigner } from '../../src/keys/signing-thread.js';
import { MemoryRateLimiter } from '../../src/limits/memory.js';
import { MemoryFailureThrottle } from '../../src/limits/memory-throttle.js';
import { ClientAuthThrottle } from '../../src/limits/client-auth-throttle.js';
import { bearerPolicy, clientAuthPolicy, loginPolicy } from '../../src/limits/throttle-policy.js';
import { StoreReplayGuard } from '../../src/oauth/replay-guard.js';
import { createOAuthContext, resolveIssuer, type OAuthContext } from '../../src/oauth/context.js';
import { federationExtension } from '../../src/federation/federation.js';

/** createOAuthContext without a server: every per-server cache is a field, subscribed when built. */
let dir: string;
let store: Store;
let config: Config;
let a: OAuthContext;
let b: OAuthContext;

async function build(): Promise<OAuthContext> {
  const keys = new KeyRing(store, Buffer.alloc(32, 7));
  await keys.init(config.signingAlg);
  return createOAuthContext(
    {
      config,
      store,
      keys,
      masterKey: Buffer.alloc(32, 7),
      signer: inlineSigner,
      limits: { rate: new MemoryRateLimiter(), login: new MemoryFailureThrottle(loginPolicy(config.loginThrottle)), clientAuth: new ClientAuthThrottle(new MemoryFailureThrottle(clientAuthPolicy(config.clientAuthThrottle))), bearer: new MemoryFailureThrottle(bearerPolicy(config.clientAuthThrottle)) },
      replay: new StoreReplayGuard(store),
      logger: pino({ level: 'silent' }),
      now: () => Math.floor(Date.now() / 1000),
    },
    [federationExtension],
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-context-'));
  config = loadConfig({ port: '0', host: '127.0.0.1', dataDir: dir }, { TESSERA_LOG_LEVEL: 'silent' });
  store = await openStore({ dataDir: dir });
  a = await build();
  b = await build();
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = { clientId: 'c1' } as Client;
const user = { id: 'u1', username: 'ada' } as User;
const org = { id: 'o1', status: 'active' } as Organization;
const inst = { id: 'i1', orgId: 'o1', clientId: 'c1' } as Installation;

/** Puts one entry in each of the context's change-fed caches, without going through any request path. */
function fill(ctx: OAuthContext): void {
  ctx.clients.set('c1', client);
  ctx.users.set('u1', user);
  ctx.installations.orgs.set('o1', org);
  ctx.installations.installations.set('o1\0c1', inst);
  ctx.apiKeys.set('ab', { apiKey: { publicKey: 'ab', clientId: 'c1', kind: 'ed25519', createdAt: 0 }, parsed: {} as never });
}

describe('createOAuthContext', () => {
  it('gives two contexts in one process no state in common', () => {
    for (const field of ['config', 'clients', 'users', 'usernames', 'installations', 'apiKeys', 'remoteKeySets', 'secrets', 'issuer', 'refreshTokens', 'denylist', 'revokedFamilies', 'grants', 'clientAuth', 'changes'] as const) {
      expect(a[field], field).not.toBe(b[field]);
    }
    fill(a);
    expect(b.clients.peek('c1')).toBeUndefined();
    expect(b.installations.orgs.peek('o1')).toBeUndefined();
    expect(b.apiKeys.peek('ab')).toBeUndefined();
  });

  it('subscribes every cache when built: a change invalidates it before any request used it', async () => {
    fill(a);
    fill(b);
    await a.changes.publish('client', 'c1');
    await a.changes.publish('user', 'u1');
    await a.changes.publish('org', 'o1');
    await a.changes.publish('installation', 'i1');
    await a.changes.publish('api_key', 'ab');
    expect(a.clients.peek('c1')).toBeUndefined();
    expect(a.users.peek('u1')).toBeUndefined();
    expect(a.installations.orgs.peek('o1')).toBeUndefined();
    expect(a.installations.installations.peek('o1\0c1')).toBeUndefined();
    expect(a.apiKeys.peek('ab')).toBeUndefined();
    // The other context's bus was not told: its entries stay.
    expect(b.clients.peek('c1')).toBe(client);
    expect(b.installations.installations.peek('o1\0c1')).toBe(inst);
  });

  it('feeds the JWT denylist and the revoked families from the bus', async () => {
    await a.changes.publish('jti', 'j-1');
    await a.changes.publish('family', 'f-1');
    expect(a.denylist.has('j-1')).toBe(true);
    expect(a.revokedFamilies.has('f-1')).toBe(true);
    expect(b.denylist.has('j-1')).toBe(false);
  });

  it('builds the grant registry from the core grants and the federation extension, and follows idp changes', async () => {
    expect(a.grants.grantTypes).toEqual(['client_credentials', 'password', 'refresh_token', 'org_implicit', 'urn:ietf:params:oauth:grant-type:token-exchange', 'urn:ietf:params:oauth:grant-type:jwt-bearer']);
    expect(await a.grants.find('acme', a)).toBeUndefined();
    expect(await b.grants.find('acme', b)).toBeUndefined();
    await store.identityProviders.upsert({ name: 'acme', type: 'oidc', config: { issuer: 'https://idp.example', jwks_uri: 'https://idp.example/jwks', audiences: ['x'] } });
    // The provider table is served from memory until an idp change: the new provider is not seen yet...
    expect(await a.grants.find('acme', a)).toBeUndefined();
    await a.changes.publish('idp', 'acme');
    // ...and is once the change arrives, on that context only.
    expect((await a.grants.find('acme', a))?.grantType).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(await b.grants.find('acme', b)).toBeUndefined();
  });

  it('completes the issuer of an ephemeral port in its own config, never in the caller\'s', () => {
    const before = config.issuer;
    expect(a.config.issuer).toBe('http://127.0.0.1:0');
    resolveIssuer(a, 'http://127.0.0.1:41234');
    expect(a.config.issuer).toBe('http://127.0.0.1:41234');
    expect(config.issuer).toBe(before);
    expect(b.config.issuer).toBe('http://127.0.0.1:0');
  });
});
