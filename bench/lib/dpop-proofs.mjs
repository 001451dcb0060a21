// DPoP proofs for the load generator (RFC 9449 §4.2), made before the window they are used in.
//
// The load generator shares the machine with the server, so a proof it signed during the measured window
// would take CPU from the server and count against its throughput: a client's signature is the client's
// cost, on the client's machine. So a pool of proofs is signed before each phase (warm-up, measured window),
// by one worker thread per core, and each request takes the next one. Each proof is fresh (its own jti,
// htm, htu and iat, the time it was signed, well inside the server's 60 s window); the server sees exactly
// what a client signing per request would send. A request that finds the pool empty gets a proof signed on
// the spot, and the run reports how many (`signedDuringRun`), so an exhausted pool cannot go unnoticed.
import { constants, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

/** The algorithms a bench scenario can sign proofs with, and the node:crypto key each needs. */
export const PROOF_ALGS = {
  EdDSA: { type: 'ed25519', options: {}, hash: null },
  ES256: { type: 'ec', options: { namedCurve: 'P-256' }, hash: 'sha256' },
  PS256: { type: 'rsa', options: { modulusLength: 2048 }, hash: 'sha256', padding: 'pss' },
};

function loadSodium() {
  try {
    return createRequire(import.meta.url)('sodium-native');
  } catch {
    return null;
  }
}

/**
 * A signer for one key: `next()` returns a fresh proof. Used by the pool's workers and, for a request that
 * finds the pool empty, by the load generator itself. EdDSA goes through libsodium when it is installed (as a
 * client that cares would), everything else through node:crypto.
 */
export function proofSigner({ alg, privateJwk, htu }) {
  const spec = PROOF_ALGS[alg];
  if (!spec) throw new Error(`no DPoP proof algorithm ${alg}`);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg, jwk: publicJwk })).toString('base64url');
  let signBytes;
  const sodium = alg === 'EdDSA' ? loadSodium() : null;
  if (sodium) {
    const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
    const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
    sodium.crypto_sign_seed_keypair(pk, sk, Buffer.from(privateJwk.d, 'base64url'));
    signBytes = (data) => {
      const sig = Buffer.alloc(sodium.crypto_sign_BYTES);
      sodium.crypto_sign_detached(sig, data, sk);
      return sig;
    };
  } else {
    const key = { key: createPrivateKey({ key: privateJwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' };
    const signKey = spec.padding === 'pss' ? { ...key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
    signBytes = (data) => sign(spec.hash, data, signKey);
  }
  return {
    next() {
      const claims = Buffer.from(JSON.stringify({ jti: randomBytes(12).toString('base64url'), htm: 'POST', htu, iat: Math.floor(Date.now() / 1000) })).toString('base64url');
      const input = `${header}.${claims}`;
      return `${input}.${signBytes(Buffer.from(input)).toString('base64url')}`;
    },
  };
}

/** A new key for `alg`, as a private JWK (what the workers and the fallback signer are given). */
export function newProofKey(alg) {
  const spec = PROOF_ALGS[alg];
  if (!spec) throw new Error(`no DPoP proof algorithm ${alg}`);
  const { privateKey } = generateKeyPairSync(spec.type, spec.options);
  return privateKey.export({ format: 'jwk' });
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(({ proofSigner }) => {
  const signer = proofSigner(workerData.signer);
  const out = [];
  // Stop at the count or the deadline, whichever comes first: a proof signed too early would be stale.
  while (out.length < workerData.count && (out.length % 64 !== 0 || Date.now() < workerData.deadline)) out.push(signer.next());
  parentPort.postMessage(out);
}, (err) => { throw err; });
`;

/**
 * Up to `count` proofs signed by one worker thread per core, in signing order (the oldest first), for at most
 * FILL_BUDGET_MS: a proof must still be inside the server's iat window (60 s) when the window that uses it ends.
 */
async function signMany(signer, count) {
  const deadline = Date.now() + FILL_BUDGET_MS;
  const workers = Math.max(1, os.availableParallelism());
  const share = Math.ceil(count / workers);
  const parts = await Promise.all(Array.from({ length: workers }, (_, i) => new Promise((resolve, reject) => {
    const n = Math.max(0, Math.min(share, count - i * share));
    if (n === 0) return resolve([]);
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: import.meta.url, signer, count: n, deadline } });
    w.once('message', (proofs) => { resolve(proofs); void w.terminate(); });
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`proof worker exited with ${code}`)); });
  })));
  // Interleave the workers' lists, so consecutive proofs were signed at about the same time.
  const out = [];
  const longest = Math.max(0, ...parts.map((p) => p.length));
  for (let i = 0; i < longest; i++) for (const p of parts) if (i < p.length) out.push(p[i]);
  return out;
}

/** The longest a fill may sign: its oldest proof is then at most this plus the phase old when the phase ends. */
const FILL_BUDGET_MS = 30_000;

/**
 * A pool of proofs for one key and URL. `fill(seconds)` signs enough for a phase of that length (unused proofs of
 * the previous phase are dropped: they are getting old): at up to `ceilingPerSecond` requests/s for the first
 * phase, then at twice the rate the previous phase used, so slow algorithms (RSA signs ~1 ms a proof) fill within
 * FILL_BUDGET_MS even on one core (--pin). `next()` takes one.
 */
export function proofPool({ alg, htu, ceilingPerSecond = 25_000 }) {
  const signer = { alg, privateJwk: newProofKey(alg), htu };
  const fallback = proofSigner(signer);
  let pool = [];
  let at = 0;
  let lastSeconds = 0;
  let signedDuringRun = 0;
  return {
    alg,
    async fill(seconds) {
      const usedPerSecond = lastSeconds > 0 ? (at + signedDuringRun) / lastSeconds : 0;
      const perSecond = usedPerSecond > 0 ? Math.min(ceilingPerSecond, 2 * usedPerSecond) : ceilingPerSecond;
      pool = [];
      at = 0;
      signedDuringRun = 0;
      lastSeconds = seconds;
      pool = await signMany(signer, Math.ceil(perSecond * seconds));
    },
    next() {
      if (at < pool.length) return pool[at++];
      signedDuringRun++;
      return fallback.next();
    },
    /** Proofs the load generator had to sign in the last phase because the pool ran out (0 when it held). */
    get signedDuringRun() {
      return signedDuringRun;
    },
  };
}
