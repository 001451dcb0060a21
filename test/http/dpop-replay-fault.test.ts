import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { basic, startTestServer, type TestServer } from '../support/server.js';
import { makeDpopKey, makeProof, type DpopKey } from '../support/dpop.js';

/**
 * A fault class for RFC 9449 §11.1: the replay guard's store fails while a proof is spent. The proof must never
 * earn a token it could not be recorded for (fail closed), the client must get a retryable 503
 * temporarily_unavailable (never a 500), and, since nothing was recorded, the same proof works exactly once after
 * the store is back.
 */
const SECRET = 'dpop-fault-secret-0123456789';
let s: TestServer;
let key: DpopKey;
let htu: string;
let remember: TestServer['ctx']['store']['replay']['remember'];

beforeAll(async () => {
  key = await makeDpopKey('EdDSA');
  s = await startTestServer({ doc: { clients: [{ client_id: 'svc', client_secret: SECRET, grant_types: ['client_credentials'], scope: 'read' }] } });
  htu = `${s.config.issuer}/oauth/token`;
  remember = s.ctx.store.replay.remember.bind(s.ctx.store.replay);
}, 30_000);
afterEach(() => {
  s.ctx.store.replay.remember = remember;
});
afterAll(async () => s?.stop());

const cc = (proof: string) => s.post('/oauth/token', { grant_type: 'client_credentials', scope: 'read' }, { authorization: basic('svc', SECRET), dpop: proof });

describe('DPoP: the replay store failing while a proof is spent', () => {
  for (const code of ['SQLITE_BUSY', 'ECONNREFUSED', 'ECONNRESET']) {
    it(`${code}: 503 temporarily_unavailable with Retry-After and no token; the proof then works once`, async () => {
      let asked = 0;
      s.ctx.store.replay.remember = async () => {
        asked++;
        throw Object.assign(new Error(`replay store down (${code})`), { code });
      };
      const proof = await makeProof(key, { htu });
      const r = await cc(proof);
      expect(asked).toBe(1);
      expect(r.status).toBe(503);
      expect(r.body.error).toBe('temporarily_unavailable');
      expect(r.body.access_token).toBeUndefined();
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('cache-control')).toBe('no-store');
      // The failure text (which could name a host or a path) is not sent to the client.
      expect(JSON.stringify(r.body)).not.toContain('replay store down');

      s.ctx.store.replay.remember = remember;
      const ok = await cc(proof);
      expect(ok.status).toBe(200);
      expect(ok.body.token_type).toBe('DPoP');
      const again = await cc(proof);
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_dpop_proof');
    });
  }

  it('a failing store never lets a proof through, even one that was spent before the failure', async () => {
    const proof = await makeProof(key, { htu });
    expect((await cc(proof)).status).toBe(200);
    s.ctx.store.replay.remember = async () => {
      throw Object.assign(new Error('replay store down'), { code: 'SQLITE_BUSY' });
    };
    const replayed = await cc(proof);
    expect(replayed.status).toBe(503);
    expect(replayed.body.access_token).toBeUndefined();
  });
});
