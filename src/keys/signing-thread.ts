import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { LoadedKey } from './jwt.js';
import type { FromSigningThread, ToSigningThread } from './signing-worker.js';
import { startWorkerProgram } from '../worker-program.js';

/**
 * Signs JWTs for the token issuer. Inline signing is one synchronous call on the event loop; the signing thread
 * (ADR 0009) moves the signature, the largest single cost of a client_credentials request, to a thread of its
 * own, so that one process uses a second core for it.
 */
export interface JwtSigner {
  /** The raw signature of `signingInput` (ASCII: `<header>.<payload>`) with `key`. */
  sign(key: LoadedKey, signingInput: string): Buffer | Promise<Buffer>;
  close(): Promise<void>;
  readonly threaded: boolean;
  /** Signatures queued for or on the signing thread now (0 when inline; observability/metrics.ts). */
  queueDepth(): number;
}

export const inlineSigner: JwtSigner = {
  sign: (key, signingInput) => key.sign(Buffer.from(signingInput, 'latin1')),
  close: async () => {},
  threaded: false,
  queueDepth: () => 0,
};

/**
 * Whether this process runs a signing thread. 'auto': when the machine has a core beyond the processes serving
 * (`--workers`); where every core already runs a worker, a thread would only add hand-offs.
 */
export function resolveSigningThread(setting: boolean | 'auto', workers: number | 'auto', cores = availableParallelism()): boolean {
  if (setting !== 'auto') return setting;
  return cores > (workers === 'auto' ? cores : workers);
}

const PROBE = 'tessera signing-thread self-test';

/**
 * A batch is sent as soon as it holds this many signatures, without waiting for the end of the turn. One batch per
 * turn made a convoy: under load the turn's requests all reached the signature together, the event loop then
 * waited idle for the thread to sign all of them, and the thread waited idle while the event loop wrote their
 * responses and read the next requests; the process stayed at ~1.2 cores whatever the concurrency. Batches of 8
 * let the thread sign while the event loop goes on with the turn: 1.13x client_credentials tokens/s against one
 * batch per turn on the benchmark host, 1.21x against the build before (docs/benchmarks.md); 4 measured the same
 * as 8, with twice the messages.
 */
export const MAX_BATCH = 8;

interface Job {
  key: LoadedKey;
  input: string;
  resolve: (sig: Buffer) => void;
  reject: (err: unknown) => void;
}

/**
 * The main thread's side. Requests that arrive in one turn of the event loop are signed in batches, sent at the
 * end of the turn (setImmediate) or as soon as MAX_BATCH are queued: one message each way per batch, so the
 * hand-off costs less than the signatures it moves. A batch of one with nothing in flight is signed inline, so a
 * lone request waits for no thread. A key is used on the thread only after the thread's signature of a probe
 * verified with the main thread's key; until then, and for good if the thread fails or exits, signing is inline:
 * a token is never refused or delayed because of the thread.
 */
export class SigningThread implements JwtSigner {
  readonly threaded = true;
  private worker: Worker | undefined;
  private closing = false;
  private readonly ids = new WeakMap<LoadedKey, number>();
  private readonly byId = new Map<number, LoadedKey>();
  private readonly ready = new WeakSet<LoadedKey>();
  private nextId = 1;
  private pending: Job[] = [];
  private scheduled = false;
  private seq = 0;
  private readonly inflight = new Map<number, Job[]>();
  /** Signatures made on the thread and inline, and batches sent (observability and tests). */
  readonly counts = { thread: 0, inline: 0, batches: 0 };

  constructor(
    private readonly logger: Logger,
    /** Test seam: a program's text to run on the thread instead of signing-worker.ts. */
    source?: string,
  ) {
    // The thread holds a few keys and one batch at a time: a small heap, collected often, keeps its RSS down.
    const options: WorkerOptions = { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } };
    let worker: Worker;
    try {
      worker = source === undefined ? startWorkerProgram('signing-worker', import.meta.url, options) : new Worker(source, { ...options, eval: true });
    } catch (err) {
      // No thread (its program missing from the build, say): every signature is inline, as after a failure.
      this.logger.warn({ err: (err as Error).message }, 'the signing thread did not start; tokens are signed on the event loop');
      return;
    }
    worker.unref();
    worker.on('message', (m: FromSigningThread) => this.onMessage(m));
    worker.on('error', (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))));
    worker.on('exit', (code) => this.fail(new Error(`the signing thread exited (code ${code})`)));
    this.worker = worker;
  }

  sign(key: LoadedKey, signingInput: string): Buffer | Promise<Buffer> {
    if (!this.worker || !this.ready.has(key)) {
      if (this.worker) this.offer(key);
      return this.signInline(key, signingInput);
    }
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.push({ key, input: signingInput, resolve, reject });
      if (this.pending.length >= MAX_BATCH) this.send();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  queueDepth(): number {
    let n = this.pending.length;
    for (const jobs of this.inflight.values()) n += jobs.length;
    return n;
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    this.drainInline();
    await worker?.terminate();
  }

  private signInline(key: LoadedKey, input: string): Buffer {
    this.counts.inline++;
    return key.sign(Buffer.from(input, 'latin1'));
  }

  private runInline(job: Job): void {
    try {
      job.resolve(this.signInline(job.key, job.input));
    } catch (err) {
      job.reject(err);
    }
  }

  /** Sends a key to the thread once; it is used there after the probe verifies (onMessage). */
  private offer(key: LoadedKey): void {
    if (this.ids.has(key)) return;
    const id = this.nextId++;
    this.ids.set(key, id);
    this.byId.set(id, key);
    try {
      this.post({ t: 'key', id, alg: key.alg, libsodium: key.backend === 'libsodium', privateKey: key.privateKey, probe: PROBE });
    } catch (err) {
      // The key cannot be handed over (never ready: it signs inline).
      this.byId.delete(id);
      this.logger.warn({ kid: key.kid, alg: key.alg, reason: (err as Error).message }, 'the signing thread cannot sign with this key; it signs on the event loop');
    }
  }

  /** The end of the turn: what is queued goes (the batch may have been sent already, full, by send). */
  private readonly flush = (): void => {
    this.scheduled = false;
    this.send();
  };

  private send(): void {
    if (this.pending.length === 0) return;
    const jobs = this.pending;
    this.pending = [];
    if (!this.worker || (jobs.length === 1 && this.inflight.size === 0)) {
      for (const job of jobs) this.runInline(job);
      return;
    }
    const seq = ++this.seq;
    this.inflight.set(seq, jobs);
    this.counts.batches++;
    try {
      this.post({ t: 'sign', seq, ids: jobs.map((j) => this.ids.get(j.key)), inputs: jobs.map((j) => j.input) });
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Typed: the thread's program (signing-worker.ts) reads these. */
  private post(m: ToSigningThread): void {
    this.worker!.postMessage(m);
  }

  private onMessage(m: FromSigningThread): void {
    if (m.t === 'key') {
      const key = this.byId.get(m.id);
      this.byId.delete(m.id);
      if (!key) return;
      const probe = m.probe === undefined ? undefined : Buffer.from(m.probe, 'base64');
      if (probe && key.verify(Buffer.from(PROBE, 'latin1'), probe)) {
        this.ready.add(key);
      } else {
        this.logger.warn({ kid: key.kid, alg: key.alg, reason: m.error ?? 'its signature did not verify' }, 'the signing thread cannot sign with this key; it signs on the event loop');
      }
      return;
    }
    const jobs = this.inflight.get(m.seq);
    if (!jobs) return;
    this.inflight.delete(m.seq);
    if (!m.sigs || !m.lengths || m.lengths.length !== jobs.length) {
      this.logger.warn({ reason: m.error ?? 'malformed answer' }, 'the signing thread failed a batch; it was signed on the event loop');
      for (const job of jobs) this.runInline(job);
      return;
    }
    const all = Buffer.from(m.sigs);
    let off = 0;
    for (let i = 0; i < jobs.length; i++) {
      const len = m.lengths[i]!;
      this.counts.thread++;
      jobs[i]!.resolve(all.subarray(off, off + len));
      off += len;
    }
  }

  /** Everything queued or in flight is signed inline now (the thread is gone or going). */
  private drainInline(): void {
    const inflight = [...this.inflight.values()].flat();
    this.inflight.clear();
    const pending = this.pending;
    this.pending = [];
    for (const job of [...inflight, ...pending]) this.runInline(job);
  }

  private fail(err: Error): void {
    if (!this.worker) return;
    this.worker = undefined;
    if (!this.closing) this.logger.warn({ err: err.message }, 'the signing thread stopped; tokens are signed on the event loop');
    this.drainInline();
  }
}
