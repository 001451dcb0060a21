import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, SIGNING_ALGS } from '../../src/keys/generate.js';
import { loadKey, signingInputOf, type LoadedKey } from '../../src/keys/jwt.js';
import { inlineSigner, MAX_BATCH, resolveSigningThread, SigningThread } from '../../src/keys/signing-thread.js';
import type { SigningAlg, SigningKey } from '../../src/store/types.js';

const master = randomBytes(32);

async function key(alg: SigningAlg): Promise<LoadedKey> {
  const k = await generateSigningKey(alg, master);
  return loadKey({ ...k, status: 'active', createdAt: 0, retiredAt: null, publishUntil: null } as SigningKey, master);
}

function logs(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const inputs = (k: LoadedKey, n: number) => Array.from({ length: n }, (_, i) => signingInputOf(k, { sub: `s-${i}`, n: i, pad: 'x'.repeat(i % 50) }));

/** Resolves once the thread has accepted the key (its probe verified): the thread signs from then on. */
async function warmUp(t: SigningThread, k: LoadedKey): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const r = t.sign(k, 'warm-up');
    if (r instanceof Promise) {
      await r;
      return;
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error('the thread never accepted the key');
}

let threads: SigningThread[] = [];
afterEach(async () => {
  await Promise.all(threads.map((t) => t.close()));
  threads = [];
});
function thread(logger = logs().logger, source?: string): SigningThread {
  const t = source === undefined ? new SigningThread(logger) : new SigningThread(logger, source);
  threads.push(t);
  return t;
}

describe('resolveSigningThread', () => {
  it("'auto' runs a thread only when a core is left beyond the workers", () => {
    expect(resolveSigningThread('auto', 1, 2)).toBe(true);
    expect(resolveSigningThread('auto', 1, 8)).toBe(true);
    expect(resolveSigningThread('auto', 2, 2)).toBe(false);
    expect(resolveSigningThread('auto', 3, 4)).toBe(true);
    expect(resolveSigningThread('auto', 1, 1)).toBe(false);
    expect(resolveSigningThread('auto', 'auto', 4)).toBe(false);
  });

  it('an explicit setting wins', () => {
    expect(resolveSigningThread(true, 4, 2)).toBe(true);
    expect(resolveSigningThread(false, 1, 8)).toBe(false);
  });
});

describe('SigningThread', () => {
  for (const alg of SIGNING_ALGS) {
    it(`${alg}: signatures made on the thread verify with the key, each for its own input, in batches`, async () => {
      const k = await key(alg);
      const t = thread();
      await warmUp(t, k);
      const all = inputs(k, 300);
      const sigs = await Promise.all(all.map((input) => t.sign(k, input)));
      for (let i = 0; i < all.length; i++) {
        expect(k.verify(Buffer.from(all[i]!, 'latin1'), sigs[i]!)).toBe(true);
        // A signature is never another request's.
        if (i > 0) expect(k.verify(Buffer.from(all[i - 1]!, 'latin1'), sigs[i]!)).toBe(false);
      }
      expect(t.counts.thread).toBeGreaterThan(250);
    });
  }

  it('a turn with more than MAX_BATCH signatures sends them in batches of at most MAX_BATCH, each signature still its own', async () => {
    const k = await key('EdDSA');
    const t = thread();
    await warmUp(t, k);
    const before = t.counts.batches;
    const all = inputs(k, 5 * MAX_BATCH + 3);
    // All asked in one synchronous loop: one turn.
    const sigs = await Promise.all(all.map((input) => t.sign(k, input)));
    expect(t.counts.batches - before).toBe(6);
    for (let i = 0; i < all.length; i++) expect(k.verify(Buffer.from(all[i]!, 'latin1'), sigs[i]!)).toBe(true);
  });

  it('EdDSA: the thread signs byte for byte what the event loop signs (Ed25519 is deterministic)', async () => {
    const k = await key('EdDSA');
    const t = thread();
    await warmUp(t, k);
    const all = inputs(k, 20);
    const sigs = await Promise.all(all.map((input) => t.sign(k, input)));
    for (let i = 0; i < all.length; i++) expect(sigs[i]!.equals(inlineSigner.sign(k, all[i]!) as Buffer)).toBe(true);
  });

  it('signs inline until the thread has proven the key, and a lone request inline', async () => {
    const k = await key('ES256');
    const t = thread();
    const first = t.sign(k, 'first');
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(k.verify(Buffer.from('first'), first as Buffer)).toBe(true);
    await warmUp(t, k);
    const before = { ...t.counts };
    // One request in a turn, nothing in flight: no hand-off.
    const lone = await t.sign(k, 'lone');
    expect(k.verify(Buffer.from('lone'), lone)).toBe(true);
    expect(t.counts.inline).toBe(before.inline + 1);
    expect(t.counts.thread).toBe(before.thread);
  });

  it('keeps each key apart when several sign at once (rotation)', async () => {
    const a = await key('ES256');
    const b = await key('EdDSA');
    const t = thread();
    await warmUp(t, a);
    await warmUp(t, b);
    const jobs = Array.from({ length: 100 }, (_, i) => ({ k: i % 2 ? a : b, input: `token-${i}` }));
    const sigs = await Promise.all(jobs.map((j) => t.sign(j.k, j.input)));
    jobs.forEach((j, i) => expect(j.k.verify(Buffer.from(j.input), sigs[i]!)).toBe(true));
  });

  it('never uses the thread for a key whose probe does not verify, and says so', async () => {
    const k = await key('ES256');
    const other = await key('ES256');
    const { logger, lines } = logs();
    // The thread is handed another private key than the one the key verifies with: its probe cannot verify.
    const t = thread(logger);
    const impostor = { ...k, privateKey: other.privateKey } as LoadedKey;
    t.sign(impostor, 'x');
    await new Promise((res) => setTimeout(res, 300));
    const sigs = await Promise.all(inputs(k, 30).map((input) => t.sign(impostor, input)));
    expect(t.counts.thread).toBe(0);
    // Signed inline with the key's own operations, so still right.
    inputs(k, 30).forEach((input, i) => expect(k.verify(Buffer.from(input), sigs[i]!)).toBe(true));
    expect(lines.some((l) => l.msg === 'the signing thread cannot sign with this key; it signs on the event loop')).toBe(true);
  });

  it('a key that cannot be handed to the thread signs inline, and says so', async () => {
    const k = await key('ES256');
    const { logger, lines } = logs();
    const t = thread(logger);
    // Functions cannot be cloned into a thread: postMessage throws.
    const odd = { ...k, privateKey: (() => undefined) as unknown as LoadedKey['privateKey'] } as LoadedKey;
    const sig = t.sign(odd, 'x');
    expect(Buffer.isBuffer(sig)).toBe(true);
    expect(k.verify(Buffer.from('x'), sig as Buffer)).toBe(true);
    const later = await Promise.all(inputs(k, 10).map((input) => t.sign(odd, input)));
    inputs(k, 10).forEach((input, i) => expect(k.verify(Buffer.from(input), later[i]!)).toBe(true));
    expect(t.counts.thread).toBe(0);
    expect(lines.some((l) => l.msg === 'the signing thread cannot sign with this key; it signs on the event loop' && typeof l.reason === 'string')).toBe(true);
  });

  it('when the thread dies mid-batch, every request in flight is still signed, on the event loop', async () => {
    const k = await key('EdDSA');
    const { logger, lines } = logs();
    // The real program, but it exits when asked to sign.
    const source = `
      const { parentPort } = require('node:worker_threads');
      const crypto = require('node:crypto');
      parentPort.on('message', (m) => {
        if (m.t === 'key') parentPort.postMessage({ t: 'key', id: m.id, probe: crypto.sign(null, Buffer.from(m.probe, 'latin1'), m.privateKey).toString('base64') });
        else process.exit(7);
      });`;
    const t = thread(logger, source);
    t.sign(k, 'x');
    await new Promise((res) => setTimeout(res, 300));
    const all = inputs(k, 50);
    const sigs = await Promise.all(all.map((input) => t.sign(k, input)));
    all.forEach((input, i) => expect(k.verify(Buffer.from(input), sigs[i]!)).toBe(true));
    expect(t.counts.thread).toBe(0);
    expect(lines.some((l) => l.msg === 'the signing thread stopped; tokens are signed on the event loop')).toBe(true);
    // And from then on, synchronously.
    expect(Buffer.isBuffer(t.sign(k, 'after'))).toBe(true);
  });

  it('a batch the thread cannot sign is signed on the event loop', async () => {
    const k = await key('ES256');
    const { logger, lines } = logs();
    const source = `
      const { parentPort } = require('node:worker_threads');
      const crypto = require('node:crypto');
      parentPort.on('message', (m) => {
        if (m.t === 'key') parentPort.postMessage({ t: 'key', id: m.id, probe: crypto.sign('sha256', Buffer.from(m.probe, 'latin1'), { key: m.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64') });
        else parentPort.postMessage({ t: 'sign', seq: m.seq, error: 'out of luck' });
      });`;
    const t = thread(logger, source);
    await warmUp(t, k).catch(() => {});
    const all = inputs(k, 40);
    const sigs = await Promise.all(all.map((input) => t.sign(k, input)));
    all.forEach((input, i) => expect(k.verify(Buffer.from(input), sigs[i]!)).toBe(true));
    expect(lines.some((l) => l.msg === 'the signing thread failed a batch; it was signed on the event loop' && l.reason === 'out of luck')).toBe(true);
  });

  it('close() signs what is queued and in flight, then signs inline', async () => {
    const k = await key('EdDSA');
    const t = thread();
    await warmUp(t, k);
    const all = inputs(k, 40);
    const pending = all.map((input) => t.sign(k, input));
    await t.close();
    const sigs = await Promise.all(pending);
    all.forEach((input, i) => expect(k.verify(Buffer.from(input), sigs[i]!)).toBe(true));
    expect(Buffer.isBuffer(t.sign(k, 'after close'))).toBe(true);
  });
});
