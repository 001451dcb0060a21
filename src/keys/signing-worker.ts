import { sign, type KeyObject } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { SigningAlg } from '../store/types.js';
import { loadSodium, type Sodium } from './ed25519.js';

/**
 * The signing thread's program (ADR 0009); signing-thread.ts is the main thread's side and starts it. It receives
 * each key once (the KeyObject is cloned into the thread by Node; its bytes never pass through JavaScript, except
 * the Ed25519 seed that libsodium needs, wiped after use as on the main thread), answers with the signature of a
 * probe, and then signs batches: one message in, one transferred buffer out.
 */

/** The main thread's messages: a key to use (answered with the probe's signature), a batch to sign. */
export type ToSigningThread =
  | { t: 'key'; id: number; alg: SigningAlg; libsodium: boolean; privateKey: KeyObject; probe: string }
  | { t: 'sign'; seq: number; ids: Array<number | undefined>; inputs: string[] };

/** The thread's answers; `sigs` holds a batch's signatures end to end, `lengths` their sizes in order. */
export type FromSigningThread =
  | { t: 'key'; id: number; probe?: string; error?: string }
  | { t: 'sign'; seq: number; sigs?: ArrayBuffer; lengths?: number[]; error?: string };

interface Signer {
  size: number;
  /** Writes the signature of `data` into `out` (`size` bytes). */
  into(data: Buffer, out: Buffer): void;
}

/** Buffer's own latin1 writer, which write() dispatches to (Node has it; @types/node does not declare it). */
type Latin1Buffer = Buffer & { latin1Write(text: string, offset: number, length: number): number };

// Signing inputs are written into one scratch buffer, signatures into the batch's answer: per batch the thread
// allocates the answer and nothing per token (libsodium), so its heap stays small under load.
let scratch = Buffer.allocUnsafeSlow(16384) as Latin1Buffer;

function inputOf(text: string): Buffer {
  const n = Buffer.byteLength(text, 'latin1');
  if (n > scratch.length) scratch = Buffer.allocUnsafeSlow(2 * n) as Latin1Buffer;
  scratch.latin1Write(text, 0, n);
  return scratch.subarray(0, n);
}

function libsodiumSigner(sodium: Sodium, privateKey: KeyObject): Signer {
  const d = privateKey.export({ format: 'jwk' }).d;
  if (typeof d !== 'string') throw new Error('not an Ed25519 private key');
  const seed = Buffer.from(d, 'base64url');
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
  try {
    sodium.crypto_sign_seed_keypair(pk, sk, seed);
  } finally {
    sodium.sodium_memzero(seed);
  }
  return { size: sodium.crypto_sign_BYTES, into: (data, out) => sodium.crypto_sign_detached(out, data, sk) };
}

function signerFor(alg: SigningAlg, privateKey: KeyObject, libsodium: boolean): Signer {
  const sodium = alg === 'EdDSA' && libsodium ? loadSodium() : null;
  if (sodium) return libsodiumSigner(sodium, privateKey);
  switch (alg) {
    case 'EdDSA':
      return { size: 64, into: (data, out) => out.set(sign(null, data, privateKey)) };
    case 'ES256':
      return { size: 64, into: (data, out) => out.set(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })) };
    case 'RS256': {
      const bits = privateKey.asymmetricKeyDetails?.modulusLength;
      if (!bits) throw new Error('not an RSA private key');
      return { size: bits / 8, into: (data, out) => out.set(sign('sha256', data, privateKey)) };
    }
    default:
      throw new Error(`unsupported alg ${String(alg)}`);
  }
}

const reason = (err: unknown): string => (err instanceof Error && err.message) || String(err);

function serve(port: NonNullable<typeof parentPort>): void {
  const signers = new Map<number, Signer>();
  const answer = (m: FromSigningThread) => port.postMessage(m);

  port.on('message', (m: ToSigningThread) => {
    if (m.t === 'key') {
      try {
        const signer = signerFor(m.alg, m.privateKey, m.libsodium);
        signers.set(m.id, signer);
        const probe = Buffer.alloc(signer.size);
        signer.into(inputOf(m.probe), probe);
        answer({ t: 'key', id: m.id, probe: probe.toString('base64') });
      } catch (err) {
        answer({ t: 'key', id: m.id, error: reason(err) });
      }
      return;
    }
    try {
      const n = m.inputs.length;
      const lengths = new Array<number>(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const signer = signers.get(m.ids[i]!);
        if (!signer) throw new Error(`unknown key ${m.ids[i]}`);
        lengths[i] = signer.size;
        total += signer.size;
      }
      const out = Buffer.from(new ArrayBuffer(total));
      let off = 0;
      for (let i = 0; i < n; i++) {
        signers.get(m.ids[i]!)!.into(inputOf(m.inputs[i]!), out.subarray(off, off + lengths[i]!));
        off += lengths[i]!;
      }
      const done: FromSigningThread = { t: 'sign', seq: m.seq, sigs: out.buffer, lengths };
      port.postMessage(done, [out.buffer]);
    } catch (err) {
      answer({ t: 'sign', seq: m.seq, error: reason(err) });
    }
  });
}

if (!parentPort) throw new Error('signing-worker runs on a worker thread (signing-thread.ts starts it)');
serve(parentPort);
