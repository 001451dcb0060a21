/// <reference lib="dom" />
// The page functions below run in Chromium, so this file sees the DOM types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'puppeteer-core';
import { startTestServer, type TestServer } from '../support/server.js';

/**
 * @tessera/client in a real browser (Debian's chromium, driven by puppeteer-core; nothing is downloaded): a public
 * client on a page served from a loopback origin gets, refreshes and revokes tokens cross-origin, with bearer and
 * DPoP-bound tokens, and a page from an origin the client does not list is refused by the browser (CORS).
 * In CI the suite must run (.ci/run installs chromium); elsewhere it is skipped, with a message, only when
 * /usr/bin/chromium is missing.
 */
const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`${CHROMIUM} is missing: the SDK's browser suite must run in CI (.ci/run installs chromium)`);
if (!haveBrowser) console.warn(`SKIPPED test/client-browser: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const USER = { username: 'ada', password: 'correct horse battery' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>sdk</title><script type="module">import * as sdk from "./sdk.js"; window.sdk = sdk; window.sdkReady = true;</script>';

type Sdk = typeof import('../../packages/client/src/index.js');
declare global {
  interface Window {
    sdk: Sdk;
    sdkReady: boolean;
    /** Kept between two page.evaluate calls of one test. */
    dpopClient?: InstanceType<Sdk['TokenClient']>;
  }
}

/** A tiny static server: the page and the bundled SDK, nothing else. */
async function serveStatic(bundle: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    if (req.url === '/sdk.js') return res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const closeServer = (server: Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe.skipIf(!haveBrowser)('@tessera/client in Chromium', { timeout: 120_000 }, () => {
  let tessera: TestServer;
  let allowed: { server: Server; origin: string };
  let foreign: { server: Server; origin: string };
  let browser: Browser;
  let bundleDir: string;
  const problems: string[] = [];

  beforeAll(async () => {
    // Bundle the SDK's source for the browser (jose's browser build included), so the suite tests the current
    // source and needs no prior build. platform 'browser' fails the build on any Node built-in.
    bundleDir = mkdtempSync(path.join(tmpdir(), 'tessera-sdk-browser-'));
    const outfile = path.join(bundleDir, 'sdk.js');
    await build({ entryPoints: [path.join(root, 'packages/client/src/index.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile, logLevel: 'silent' });
    const bundle = readFileSync(outfile, 'utf8');
    allowed = await serveStatic(bundle);
    foreign = await serveStatic(bundle);
    // A nonce is required, so a DPoP round only works when the browser may read the DPoP-Nonce header cross-origin.
    tessera = await startTestServer({
      env: { TESSERA_DPOP_NONCE: 'true' },
      doc: {
        clients: [{ client_id: 'spa', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read', allowed_origins: [allowed.origin] }],
        users: [{ username: USER.username, password: USER.password, scope: 'read' }],
      },
    });
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await tessera?.stop();
    await closeServer(allowed?.server);
    await closeServer(foreign?.server);
    if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  });

  async function open(origin: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => window.sdkReady === true);
    return page;
  }

  /** Endpoints are given explicitly: the RFC 8414 metadata has no CORS (docs/tokens.md), so discovery cannot run in a page. */
  const endpoints = () => ({ tokenEndpoint: `${tessera.url}/oauth/token`, revocationEndpoint: `${tessera.url}/oauth/revoke` });

  it('gets tokens with the password grant, refreshes with rotation, and revokes (bearer)', async () => {
    const page = await open(allowed.origin);
    const r = await page.evaluate(async (ep, user) => {
      const client = new window.sdk.TokenClient({ ...ep, clientId: 'spa', authMethod: 'none', grant: null });
      const first = await client.password({ ...user, scope: 'read' });
      client.setTokens(first);
      const managed = await client.getAccessToken({ forceRefresh: true });
      const secondSet = await client.getTokenSet();
      await client.revoke(secondSet.refresh_token!, 'refresh_token');
      let afterRevoke: unknown = null;
      try {
        await client.refresh(secondSet.refresh_token!);
      } catch (e) {
        const err = e as { name: string; error?: string; status?: number };
        afterRevoke = { name: err.name, error: err.error, status: err.status };
      }
      return { first, second: secondSet, managed, afterRevoke, origin: location.origin };
    }, endpoints(), USER);

    expect(r.origin).toBe(allowed.origin);
    expect(r.first.token_type).toBe('Bearer');
    expect(claims(r.first.access_token)).toMatchObject({ client_id: 'spa', scope: 'read' });
    expect(r.first.refresh_token).toMatch(/\S{20,}/);
    // The refresh rotated both tokens, and getAccessToken() handed out the new access token.
    expect(r.second.refresh_token).toMatch(/\S{20,}/);
    expect(r.second.refresh_token).not.toBe(r.first.refresh_token);
    expect(r.second.access_token).not.toBe(r.first.access_token);
    expect(r.managed).toBe(r.second.access_token);
    // After RFC 7009 revocation the refresh token is refused, and the page can read the OAuth error (CORS on errors).
    expect(r.afterRevoke).toEqual({ name: 'OAuthError', error: 'invalid_grant', status: 400 });
    // The spent first refresh token is refused too, seen from outside the browser.
    const reuse = await tessera.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'spa', refresh_token: r.first.refresh_token! });
    expect(reuse.body.error).toBe('invalid_grant');
    await page.close();
  });

  it('gets and refreshes a DPoP-bound token with a non-extractable WebCrypto key (dpop: true)', async () => {
    const page = await open(allowed.origin);
    const r = await page.evaluate(async (ep, user) => {
      const client = new window.sdk.TokenClient({ ...ep, clientId: 'spa', authMethod: 'none', grant: null, dpop: true });
      window.dpopClient = client;
      const first = await client.password({ ...user, scope: 'read' });
      const refreshed = await client.refresh(first.refresh_token!);
      const key = (await client.dpop())!;
      // DpopKey keeps its CryptoKey private to TypeScript; the page reads it to prove WebCrypto holds it unexportable.
      const privateKey = Reflect.get(key, 'privateKey') as CryptoKey;
      let exported = 'exported';
      await crypto.subtle.exportKey('jwk', privateKey).catch((e: Error) => (exported = e.name));
      return { first, refreshed, jkt: key.jkt, extractable: privateKey.extractable, type: privateKey.type, exported, nonce: client.dpopNonces.get(ep.tokenEndpoint) };
    }, endpoints(), USER);

    expect(r.type).toBe('private');
    expect(r.extractable).toBe(false);
    expect(r.exported).toBe('InvalidAccessError');
    for (const t of [r.first, r.refreshed]) {
      expect(t.token_type).toBe('DPoP');
      expect(claims(t.access_token).cnf).toEqual({ jkt: r.jkt });
    }
    expect(r.refreshed.refresh_token).not.toBe(r.first.refresh_token);
    // The server's nonce was read from a cross-origin answer (Access-Control-Expose-Headers: DPoP-Nonce).
    expect(r.nonce).toMatch(/\S+/);
    // The bound refresh token is useless without the page's key: presented with no proof it is refused.
    const unbound = await tessera.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'spa', refresh_token: r.refreshed.refresh_token! });
    expect(unbound.status).toBe(400);
    expect(unbound.body.error).toBe('invalid_dpop_proof');

    // The page, holding the key, still refreshes; then it revokes, and the revoked token is refused to it.
    const after = await page.evaluate(async (rt) => {
      const client = window.dpopClient!;
      const third = await client.refresh(rt);
      await client.revoke(third.refresh_token!, 'refresh_token');
      const refused = await client.refresh(third.refresh_token!).then(() => 'tokens', (e: { name: string; error?: string }) => `${e.name} ${e.error}`);
      return { third, refused };
    }, r.refreshed.refresh_token!);
    expect(after.third.token_type).toBe('DPoP');
    expect(claims(after.third.access_token).cnf).toEqual({ jkt: r.jkt });
    expect(after.refused).toBe('OAuthError invalid_grant');
    await page.close();
  });

  it('is refused by the browser from an origin the client does not list', async () => {
    const page = await open(foreign.origin);
    const r = await page.evaluate(async (ep, user) => {
      const raw = await fetch(ep.tokenEndpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'password', client_id: 'spa', ...user }) })
        .then((res) => `answered ${res.status}`)
        .catch((e: Error) => `${e.name}: ${e.message}`);
      // The server is there and answers: without CORS the browser only hides the answer (an opaque response).
      const opaque = await fetch(ep.tokenEndpoint, { method: 'POST', mode: 'no-cors', body: new URLSearchParams({ grant_type: 'password', client_id: 'spa' }) }).then((res) => res.type);
      const failure = (e: Error) => `${e.name}: ${e.message}`;
      const client = new window.sdk.TokenClient({ ...ep, clientId: 'spa', authMethod: 'none', grant: null, retry: false });
      const viaSdk = await client.password(user).then(() => 'tokens', failure);
      // With DPoP the request is preflighted (a DPoP header), and the preflight for this origin is refused.
      const dpopClient = new window.sdk.TokenClient({ ...ep, clientId: 'spa', authMethod: 'none', grant: null, retry: false, dpop: true });
      const viaSdkDpop = await dpopClient.password(user).then(() => 'tokens', failure);
      return { raw, opaque, viaSdk, viaSdkDpop, origin: location.origin };
    }, endpoints(), USER);

    expect(r.origin).toBe(foreign.origin);
    expect(r.raw).toBe('TypeError: Failed to fetch');
    expect(r.opaque).toBe('opaque');
    expect(r.viaSdk).toBe('TypeError: Failed to fetch');
    expect(r.viaSdkDpop).toBe('TypeError: Failed to fetch');
    await page.close();
  });

  it('raised no error in any page', () => {
    expect(problems).toEqual([]);
  });
});
