/// <reference lib="dom" />
// The page functions below run in Chromium, so this file sees the DOM types.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { basic, startTestServer, type TestServer } from '../support/server.js';

/**
 * The web console in a real browser (Debian's chromium, driven by puppeteer-core; nothing is downloaded). In CI
 * the suite must run (.ci/run installs chromium); elsewhere it is skipped, with a message, only when
 * /usr/bin/chromium is missing.
 */
const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '../..');
/**
 * Screenshots land in a temporary directory, so a test run leaves the work tree clean;
 * TESSERA_UPDATE_SCREENSHOTS=1 writes them to docs/console/ (the pictures docs/console.md shows).
 */
const shots = process.env.TESSERA_UPDATE_SCREENSHOTS === '1' ? path.join(root, 'docs/console') : mkdtempSync(path.join(tmpdir(), 'tessera-console-shots-'));
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env.CI) throw new Error(`${CHROMIUM} is missing: the console's browser suite must run in CI (.ci/run installs chromium)`);
if (!haveBrowser) console.warn(`SKIPPED test/console: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const WIDTHS = [1280, 390] as const;
const PAGES = ['overview', 'clients', 'users', 'organizations', 'identity-providers', 'keys', 'sessions', 'events', 'inspector'];
const ADMIN = { username: 'ops', password: 'operator password 1' };
const READER = { username: 'auditor', password: 'auditor password 1' };
const VICTIM = { id: 'u-victim', username: 'victim', password: 'victim password 1' };

describe.skipIf(!haveBrowser)('web console in Chromium', { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    // The bundle is built here from console/, so the suite tests the current source (and runs after a bare npm ci).
    execFileSync(process.execPath, [path.join(root, 'console/build.mjs')], { stdio: 'inherit' });
    server = await startTestServer({
      doc: {
        clients: [{ client_id: 'mobile', token_endpoint_auth_method: 'none', grant_types: ['password', 'refresh_token'], scope: 'read' }],
        users: [
          { username: ADMIN.username, password: ADMIN.password, scope: 'tessera:admin' },
          { username: READER.username, password: READER.password, scope: 'tessera:admin:read' },
          { id: VICTIM.id, username: VICTIM.username, password: VICTIM.password, scope: 'read' },
        ],
      },
    });
    const puppeteer = (await import('puppeteer-core')).default;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function open(context: BrowserContext, width: number): Promise<Page> {
    const page = await context.newPage();
    await page.setViewport({ width, height: 900 });
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto(`${server.url}/console/`, { waitUntil: 'load' });
    return page;
  }

  async function signIn(page: Page, who: { username: string; password: string }): Promise<void> {
    await page.waitForSelector('input[name=username]');
    await page.type('input[name=username]', who.username);
    await page.type('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=role]');
  }

  const goto = async (page: Page, name: string) => {
    await page.evaluate((n) => (location.hash = `#/${n}`), name);
    await page.waitForFunction((n) => document.querySelector('nav a[aria-current=page]')?.getAttribute('href') === `#/${n}`, {}, name);
  };
  const text = (page: Page, selector: string) => page.$eval(selector, (e) => e.textContent ?? '');
  const buttons = (page: Page) => page.$$eval('button', (bs) => bs.map((b) => b.textContent?.trim() ?? ''));
  async function clickButton(page: Page, label: string): Promise<void> {
    const handles = await page.$$('button');
    for (const h of handles) {
      if ((await h.evaluate((b) => b.textContent?.trim())) === label && (await h.isVisible())) return h.click();
    }
    throw new Error(`no visible button ${label}`);
  }
  async function fill(page: Page, label: string, value: string): Promise<void> {
    const id = await page.$$eval('label', (ls, l) => ls.find((x) => x.textContent === l)?.getAttribute('for') ?? null, label);
    if (!id) throw new Error(`no field labelled ${label}`);
    await page.$eval(`#${id}`, (e) => ((e as HTMLInputElement).value = ''));
    await page.type(`#${id}`, value);
  }

  it('serves the page with the strict headers and a bundle under 200 KB gzipped', async () => {
    const res = await fetch(`${server.url}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/https?:\/\//);
    const size = ['app.js', 'app.css'].map((f) => gzipSync(readFileSync(path.join(root, 'dist/console', f))).length).reduce((a, b) => a + b, 0);
    expect(size).toBeLessThan(200 * 1024);
  });

  it('an operator signs in, creates a client, and its secret gets a token that the Overview counts', async () => {
    const context = await browser.createBrowserContext();
    const page = await open(context, 1280);
    await page.screenshot({ path: path.join(shots, 'sign-in-1280.png') });
    // A wrong password: the message is next to the field, and the throttle's normal password grant answered.
    await page.type('input[name=username]', ADMIN.username);
    await page.type('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await page.waitForSelector('.field.invalid .error');
    expect(await text(page, '.field.invalid .error')).toContain('incorrect');
    await page.$eval('input[name=username]', (e) => ((e as HTMLInputElement).value = ''));
    await signIn(page, ADMIN);
    expect(await text(page, '[data-testid=role]')).toBe('admin');
    // Tokens live in memory only.
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);

    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-testid=issued-total]')?.textContent ?? ''), { timeout: 15_000 });
    const before = Number(await text(page, '[data-testid=issued-total]'));

    await goto(page, 'clients');
    // A mistake is shown next to its field (the admin API's errors[].path).
    await fill(page, 'Client ID', 'ci-app');
    await fill(page, 'Grant types', 'client_credential');
    await clickButton(page, 'Create client');
    await page.waitForSelector('.field.invalid .error');
    expect(await page.$eval('.field.invalid label', (l) => l.textContent)).toBe('Grant types');
    await fill(page, 'Grant types', 'client_credentials');
    await fill(page, 'Scope', 'read');
    await clickButton(page, 'Create client');
    await page.waitForSelector('[data-testid=client-secret]');
    const secret = await text(page, '[data-testid=client-secret]');
    expect(secret.length).toBeGreaterThan(20);

    const token = await server.post('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic('ci-app', secret) });
    expect(token.status).toBe(200);

    await goto(page, 'overview');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=issued-total]')?.textContent) > n, { timeout: 20_000 }, before);
    await context.close();
  });

  it("revokes a user's sessions behind a confirmation, and the event shows in Events", async () => {
    const login = await server.post('/oauth/token', { grant_type: 'password', client_id: 'mobile', username: VICTIM.username, password: VICTIM.password });
    expect(login.status).toBe(200);
    const context = await browser.createBrowserContext();
    const page = await open(context, 1280);
    await signIn(page, ADMIN);
    await goto(page, 'users');
    await fill(page, 'Username (exact)', VICTIM.username);
    await clickButton(page, 'Search');
    await page.waitForFunction((u) => [...document.querySelectorAll('button.link')].some((b) => b.textContent === u), {}, VICTIM.username);
    await clickButton(page, VICTIM.username);
    await page.waitForSelector('[data-testid=family-row]');
    await page.click('[data-testid=revoke-sessions]');
    await page.waitForSelector('dialog[open]');
    await page.click('dialog[open] [data-testid=confirm]');
    await page.waitForSelector('[data-testid=user-note]');
    expect(await text(page, '[data-testid=user-note]')).toBe('1 session(s) revoked.');
    // The refresh token of that sign-in no longer works.
    const refreshed = await server.post('/oauth/token', { grant_type: 'refresh_token', client_id: 'mobile', refresh_token: login.body.refresh_token as string });
    expect(refreshed.status).toBe(400);

    await goto(page, 'events');
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid=event-row]')].some((r) => r.textContent!.includes(id) && /revoke/.test(r.textContent!)), { timeout: 15_000 }, VICTIM.id);
    await context.close();
  });

  it('a read-only operator sees no write action; a revoked session returns to the sign-in', async () => {
    const context = await browser.createBrowserContext();
    const page = await open(context, 1280);
    await signIn(page, READER);
    expect(await text(page, '[data-testid=role]')).toBe('read-only');
    const writes = ['Create client', 'Create user', 'Rotate key', 'Rotate secret', 'Revoke sessions', 'Disable', 'Delete', 'Create organization', 'Add provider'];
    for (const name of ['clients', 'users', 'organizations', 'identity-providers', 'keys']) {
      await goto(page, name);
      await page.waitForFunction(() => !document.querySelector('[role=status][aria-live=polite]'), { timeout: 8000 }).catch((e: unknown) => { throw new Error(`page ${name}: ${String(e)}`); });
      const shown = await buttons(page);
      expect(shown.filter((b) => writes.includes(b)), name).toEqual([]);
    }
    await goto(page, 'users');
    await page.waitForSelector('button.link');
    await clickButton(page, READER.username);
    await page.waitForSelector('[data-testid=user-status]');
    expect((await buttons(page)).filter((b) => writes.includes(b))).toEqual([]);

    // The server ends the session (an admin revokes it): the next call is refused and the sign-in shows why.
    const admin = await server.post('/oauth/token', { grant_type: 'password', client_id: 'tessera-console', username: ADMIN.username, password: ADMIN.password });
    const users = (await (await fetch(`${server.url}/admin/v1/users?username=${READER.username}`, { headers: { authorization: `Bearer ${admin.body.access_token as string}` } })).json()) as { items: Array<{ id: string }> };
    const revoked = await fetch(`${server.url}/admin/v1/users/${users.items[0]!.id}/revoke-sessions`, { method: 'POST', headers: { authorization: `Bearer ${admin.body.access_token as string}` } });
    expect(revoked.status).toBe(200);
    await new Promise((r) => setTimeout(r, 600)); // the revoked-family cache follows the change feed
    // Not goto(): the page may return to the sign-in before the navigation shows the keys page as current.
    await page.evaluate(() => (location.hash = '#/keys'));
    await page.waitForSelector('input[name=username]', { timeout: 10_000 });
    expect(await text(page, '.notice')).toContain('Sign in again');
    await context.close();
  });

  it('sign-out revokes the session; every page renders at 1280 and 390 px (screenshots for docs/console.md)', async () => {
    for (const width of WIDTHS) {
      const context = await browser.createBrowserContext();
      const page = await open(context, width);
      await signIn(page, ADMIN);
      for (const name of PAGES) {
        await goto(page, name);
        await page.waitForFunction(() => !document.querySelector('[role=status][aria-live=polite]'), { timeout: 10_000 });
        if (name === 'inspector') {
          const t = await server.post('/oauth/token', { grant_type: 'password', client_id: 'mobile', username: VICTIM.username, password: VICTIM.password });
          await fill(page, 'Token', t.body.access_token as string);
          await clickButton(page, 'Inspect');
          await page.waitForSelector('[data-testid=introspection]');
          expect(await text(page, '[data-testid=jwt-signature]')).toMatch(/^valid/);
          expect(JSON.parse(await text(page, '[data-testid=introspection]'))).toMatchObject({ active: true, client_id: 'mobile', sub: VICTIM.id });
        }
        if (name === 'overview') await new Promise((r) => setTimeout(r, 5500)); // a second scrape draws the charts
        await page.screenshot({ path: path.join(shots, `${name}-${width}.png`) });
        // Nothing wider than the viewport: the page works at this width without sideways scrolling.
        expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `${name} at ${width}`).toBe(true);
      }
      await page.click('[data-testid=sign-out]');
      await page.waitForSelector('input[name=username]');
      await context.close();
    }
    // The console's refresh-token families of this operator: every one revoked (the sign-outs and the revocation above).
    const admin = await server.post('/oauth/token', { grant_type: 'password', client_id: 'tessera-console', username: ADMIN.username, password: ADMIN.password });
    const auth = { authorization: `Bearer ${admin.body.access_token as string}` };
    const me = (await (await fetch(`${server.url}/admin/v1/users?username=${ADMIN.username}`, { headers: auth })).json()) as { items: Array<{ id: string }> };
    const families = (await (await fetch(`${server.url}/admin/v1/users/${me.items[0]!.id}/families?limit=200`, { headers: auth })).json()) as { items: Array<{ family_id: string; status: string }> };
    const sid = JSON.parse(Buffer.from((admin.body.access_token as string).split('.')[1]!, 'base64url').toString()).sid as string;
    const others = families.items.filter((f) => f.family_id !== sid);
    expect(others.length).toBeGreaterThanOrEqual(2);
    // The two screenshot sessions were signed out; the earlier tests' contexts were closed without signing out.
    expect(others.filter((f) => f.status === 'revoked').length).toBeGreaterThanOrEqual(2);
    expect(problems.filter((p) => /Content Security Policy|Refused to/.test(p))).toEqual([]);
  });
});
