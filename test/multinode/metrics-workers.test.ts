import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, ensureBuilt, newMasterKey, startNode, within, writeDoc, type Node } from './support.js';
import { sampleValue } from '../support/prometheus.js';

/**
 * `--workers 2`: a scrape on any worker answers the node's numbers, the sum over both workers (the primary sums
 * them, observability/metrics-cluster.ts). Every request goes on a new connection, which the cluster hands to
 * the workers in turn, so the traffic is split between them.
 */
const SECRET = 'metrics-workers-secret-0123';
const doc = { clients: [{ client_id: 'app', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] };

let node: Node;

beforeAll(async () => {
  await ensureBuilt();
  node = await startNode({ TESSERA_MASTER_KEY: newMasterKey(), TESSERA_METRICS_PUBLIC: 'true' }, ['--workers', '2', '--import', writeDoc(doc)]);
}, 120_000);

afterAll(async () => node?.stop(), 60_000);

/** One request on a connection of its own (agent: false), so consecutive requests reach different workers. */
function once(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${node.url}${path}`, { method, agent: false, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const issue = () => once('POST', '/oauth/token', 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', SECRET) });

function workersListening(): number {
  return node.logs.filter((l) => l.includes('Server listening')).length;
}

describe('metrics with --workers 2', () => {
  it('every scrape, whichever worker answers it, reports the tokens issued by both workers', async () => {
    await within(10_000, async () => workersListening() >= 2, 100);
    const N = 10;
    for (let i = 0; i < N; i++) expect((await issue()).status).toBe(200);
    for (let i = 0; i < 4; i++) {
      const r = await once('GET', '/metrics');
      expect(r.status, r.text).toBe(200);
      expect(sampleValue(r.text, 'tessera_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(N);
      // The histogram is summed too: both workers' token requests are in one series.
      expect(sampleValue(r.text, 'tessera_http_request_duration_seconds_count', { route: '/oauth/token', status_class: '2xx' })).toBe(N);
    }
  });

  it('sums errors from both workers as well', async () => {
    for (let i = 0; i < 4; i++) expect((await once('POST', '/oauth/token', 'grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('app', 'wrong') })).status).toBe(401);
    const r = await once('GET', '/metrics');
    expect(sampleValue(r.text, 'tessera_token_errors_total', { error: 'invalid_client' })).toBe(4);
    expect(sampleValue(r.text, 'tessera_client_auth_failures_total', { method: 'client_secret_basic' })).toBe(4);
  });
});
