import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { postFrom } from '../support/from-address.js';
import { kdfLoad, verifySecretFrom } from '../../src/crypto/password-hash.js';

/**
 * Password logins whose clients went away while their KDF waited for a slot give their address's share
 * (kdf.perAddress) back at once, over real sockets: before, a load generator's abandoned warm-up requests kept
 * their address refused (429) until their KDFs had all run. The server's KDF gate is per process and this test
 * shares it: one slow verification (an argon2id hash with a high time cost) holds the only slot while the
 * logins queue behind it, so what frees the share can only be the closed connections.
 */

const SHARE = 4;
const PASSWORD = 'correct horse battery staple';
const USERS = Array.from({ length: SHARE }, (_, i) => `user${i}`);
const DOC = {
  clients: [{ client_id: 'web', token_endpoint_auth_method: 'none', grant_types: ['password'], scope: 'read' }],
  users: [{ username: 'ada', password: PASSWORD }, ...USERS.map((username) => ({ username, password: PASSWORD }))],
};
const form = (username: string) => new URLSearchParams({ grant_type: 'password', client_id: 'web', username, password: PASSWORD }).toString();

/** ~2 s of one core at t=500 (the configured hash has t=2): the KDF slot stays busy while the test works. */
const SALT = Buffer.alloc(16, 1).toString('base64').replace(/=+$/, '');
const DIGEST = Buffer.alloc(32, 2).toString('base64').replace(/=+$/, '');
const SLOW_PHC = `$argon2id$v=19$m=19456,t=500,p=1$${SALT}$${DIGEST}`;

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  return check();
}

/** Sends a whole login request on a raw socket from 127.0.0.1 and keeps the socket, to be destroyed unanswered. */
function openLogin(s: TestServer, username: string): Promise<net.Socket> {
  const u = new URL(s.url);
  const body = form(username);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port), localAddress: '127.0.0.1' }, () => {
      socket.write(
        `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        () => resolve(socket),
      );
    });
    socket.on('error', reject);
  });
}

describe('password logins abandoned while their KDF waits', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({
      doc: DOC,
      // One slot, a small share, and a wait deadline far beyond the test: only the closed connections free the share.
      env: { TESSERA_KDF_CONCURRENCY: '1', TESSERA_KDF_PER_ADDRESS: String(SHARE), TESSERA_KDF_MAX_WAIT_MS: '60000' },
    });
    // Warm-up (the client, the users' store path): not what is measured.
    expect((await postFrom('127.0.0.1', s.url, '/oauth/token', form('ada'))).status).toBe(200);
  }, 60_000);
  afterAll(async () => s?.stop());

  it(`${SHARE} logins whose sockets are destroyed while queued free the address's share: the next ${SHARE} are admitted, not 429`, async () => {
    // The only slot, held by a slow verification from another address.
    let slowDone = false;
    const slow = verifySecretFrom('10.0.0.9', SLOW_PHC, 'x').finally(() => (slowDone = true));
    expect(await until(() => kdfLoad().running === 1, 5_000)).toBe(true);

    const sockets = await Promise.all(USERS.map((u) => openLogin(s, u)));
    // All four wait for the slot: the address holds its whole share.
    expect(await until(() => kdfLoad().waiting === SHARE, 5_000)).toBe(true);
    for (const socket of sockets) socket.destroy();

    // The server sees the closes and the waiters leave, long before the slow KDF is done.
    expect(await until(() => kdfLoad().waiting === 0, 1_500)).toBe(true);
    expect(slowDone).toBe(false);

    // A whole share of new logins from the same address is admitted (they queue behind the slow KDF, then run).
    const started = Date.now();
    const answers = await Promise.all(USERS.map((u) => postFrom('127.0.0.1', s.url, '/oauth/token', form(u))));
    expect(answers.map((a) => a.status)).toEqual(USERS.map(() => 200));
    // Generous: the slow KDF's remainder and four logins on a loaded machine.
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await slow).toBe(false);
    expect(kdfLoad()).toMatchObject({ running: 0, waiting: 0 });
  }, 60_000);
});
