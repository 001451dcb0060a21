import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../../support/server.js';

/**
 * The smscx profile's error answers that do not come from its token handler: failures Fastify detects before the
 * handler runs (content type, body size) and the 405 of other methods. Every one must be SMSCX-shaped and carry
 * X-Rate-Limit-* (counted against the caller's address), like the answers of the handler itself.
 */
const SECRET = 'smscx-application-secret';
const URL_PATH = '/smscx/oauth/token';
const AUTH = { authorization: basic('sms-app', SECRET) };
const doc = { clients: [{ client_id: 'sms-app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'sms' }] };

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function send(base: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const res = await fetch(base + URL_PATH, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** `code` null: SMSCX's table gives the answer no code (405, 429). */
function expectSmscx(r: Answer, status: number, type: string, code: number | null = 1600): void {
  expect(r.status).toBe(status);
  expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(Object.keys(r.body)).toEqual(['error']);
  const e = r.body.error as Record<string, unknown>;
  expect(e.type).toBe(type);
  expect(e.code).toBe(code ?? undefined);
  expect(typeof e.message).toBe('string');
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.headers.get('x-request-id')).not.toBeNull();
  expect(r.headers.get('x-response-time')).not.toBeNull();
}

describe('smscx errors raised before the token handler', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { TESSERA_PROFILES: 'smscx=/smscx' }, doc });
  });
  afterAll(async () => s?.stop());

  const rateHeaders = (r: Answer) => [r.headers.get('x-rate-limit-limit'), r.headers.get('x-rate-limit-remaining')];

  it.each([';;;', 'application/x-www-form-urlencoded, application/json', 'text/plain; charset'])('answers Content-Type %j with 400 invalid_request (code 1600) and X-Rate-Limit-*', async (ct) => {
    const r = await send(s.url, 'POST', { ...AUTH, 'content-type': ct }, 'grant_type=client_credentials');
    expectSmscx(r, 400, 'invalid_request');
    expect(rateHeaders(r)).toEqual([String(s.config.rateLimit.perIp.points), expect.stringMatching(/^\d+$/)]);
  });

  it('answers a body over 64 KiB with 413 invalid_request (code 1600) and X-Rate-Limit-*', async () => {
    const r = await send(s.url, 'POST', { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, `grant_type=client_credentials&x=${'a'.repeat(70_000)}`);
    expectSmscx(r, 413, 'invalid_request');
    expect(rateHeaders(r).every((h) => h !== null)).toBe(true);
  });

  it.each(['GET', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 (Allow: POST) and X-Rate-Limit-* from the address limit', async (method) => {
    const r = await send(s.url, method);
    expectSmscx(r, 405, 'method_not_allowed', null);
    expect(r.headers.get('allow')).toBe('POST');
    expect(rateHeaders(r)).toEqual([String(s.config.rateLimit.perIp.points), expect.stringMatching(/^\d+$/)]);
  });

  it.each(['TRACE', 'PROPFIND', 'MKCOL'])('answers %s (which fetch cannot send or Fastify does not route) with the same 405', async (method) => {
    const r = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest(s.url + URL_PATH, { method }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(text) as Record<string, unknown> });
        });
      });
      req.on('error', reject).end();
    });
    expectSmscx(r, 405, 'method_not_allowed', null);
    expect(r.headers.get('allow')).toBe('POST');
    expect(r.headers.get('x-rate-limit-limit')).not.toBeNull();
  });

  it('answers HEAD with 405 and the headers, no body', async () => {
    const res = await fetch(s.url + URL_PATH, { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('x-rate-limit-limit')).not.toBeNull();
    expect(res.headers.get('x-rate-limit-remaining')).not.toBeNull();
  });
});

describe('smscx errors raised before the token handler, from an address over its limit', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ env: { TESSERA_PROFILES: 'smscx=/smscx', TESSERA_RATE_LIMIT_IP_POINTS: '2', TESSERA_RATE_LIMIT_IP_DURATION: '60' }, doc });
  });
  afterAll(async () => s?.stop());

  it('counts them against the address and answers 429 rate_limit once it is spent, as the handler would', async () => {
    const first = await send(s.url, 'GET');
    expectSmscx(first, 405, 'method_not_allowed', null);
    expect(first.headers.get('x-rate-limit-remaining')).toBe('1');
    const second = await send(s.url, 'POST', { ...AUTH, 'content-type': ';;;' }, 'grant_type=client_credentials');
    expectSmscx(second, 400, 'invalid_request');
    expect(second.headers.get('x-rate-limit-remaining')).toBe('0');
    for (const r of [await send(s.url, 'DELETE'), await send(s.url, 'POST', { ...AUTH, 'content-type': ';;;' }, 'x'), await send(s.url, 'POST', { ...AUTH, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials')]) {
      expectSmscx(r, 429, 'rate_limit', null);
      expect(r.headers.get('x-rate-limit-remaining')).toBe('0');
      expect(Number(r.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});
