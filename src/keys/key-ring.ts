import type { SigningAlg, SigningKey, Store } from '../store/types.js';
import { generateSigningKey } from './generate.js';
import { loadKey, type LoadedKey } from './jwt.js';
import { KidLookupBudget } from './kid-lookup.js';

/** A key as the ring holds it: the store's record (status, times) and the imported key. */
interface Entry {
  record: SigningKey;
  key: LoadedKey;
}

/** When a key starts (or started) signing: its activation time, else its creation. */
export const activationOf = (k: Pick<SigningKey, 'activatesAt' | 'createdAt'>): number => k.activatesAt ?? k.createdAt;

/**
 * The per-process view of the signing keys: imported once, reloaded when the change feed says a key changed.
 * The JWKS document is serialised once per reload, not per request.
 *
 * Time moves the ring too (docs/tokens.md, "Signing-key rotation"): a pending key starts signing at its
 * activation time and a retired key leaves the JWKS after its publishUntil, on every node by its own clock,
 * whether or not a change has reached it yet. The ring keeps the next such moment; `active`, `get` and `jwks`
 * compare the clock with it (one comparison per call, no store read) and recompute from memory once it passes.
 */
export class KeyRing {
  private entries: Entry[] = [];
  private byKid = new Map<string, LoadedKey>();
  private current: Entry | undefined;
  private jwksBody = '{"keys":[]}';
  /** Unix seconds of the next activation or JWKS removal among the loaded keys. */
  private nextChangeAt = Infinity;
  /** Reloads run one after another, so the last one started is the last one applied. */
  private reloads: Promise<void> = Promise.resolve();
  private readonly lookups = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: Store,
    private readonly masterKey: Buffer,
    private readonly lookupBudget = new KidLookupBudget(),
    /** Unix seconds (the server's clock, injectable in tests). */
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  /** Loads the keys, creating the first one when the store has none. Returns true when a key was created. */
  async init(defaultAlg: SigningAlg): Promise<boolean> {
    let created = false;
    const keys = await this.store.keys.list();
    if (!keys.some((k) => k.status === 'active')) {
      created = await this.store.keys.insertFirstActive(await generateSigningKey(defaultAlg, this.masterKey));
    }
    await this.reload();
    return created;
  }

  /** Reads the keys from the store (the change feed says a key changed, or lookup() asks). */
  reload(): Promise<void> {
    const next = this.reloads.then(() => this.load());
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async load(): Promise<void> {
    const keys = await this.store.keys.list();
    const entries: Entry[] = [];
    for (const k of keys) {
      const known = this.byKid.get(k.kid);
      entries.push({ record: k, key: known?.status === k.status ? known : loadKey(k, this.masterKey) });
    }
    const current = signerOf(entries, this.now());
    if (!current) throw new Error('No active signing key: run `tessera keys rotate`');
    this.entries = entries;
    this.apply(this.now());
  }

  /** Recomputes, from the loaded keys, which one signs at `now`, what the JWKS holds, and when that next changes. */
  private apply(now: number): void {
    const current = signerOf(this.entries, now);
    if (!current) throw new Error('No active signing key: run `tessera keys rotate`');
    const byKid = new Map<string, LoadedKey>();
    let nextChangeAt = Infinity;
    for (const { record, key } of this.entries) {
      if (record.status === 'retired' && record.publishUntil !== null) {
        if (record.publishUntil < now) continue;
        nextChangeAt = Math.min(nextChangeAt, record.publishUntil + 1);
      }
      if (record.status === 'pending' && activationOf(record) > now) nextChangeAt = Math.min(nextChangeAt, activationOf(record));
      byKid.set(record.kid, key);
    }
    this.byKid = byKid;
    this.current = current;
    this.nextChangeAt = nextChangeAt;
    this.jwksBody = JSON.stringify({ keys: [...byKid.values()].map((k) => k.publicJwk) });
  }

  /** The sign path's only cost for the schedule: a clock read and one comparison. */
  private advance(): void {
    if (this.nextChangeAt === Infinity) return;
    const now = this.now();
    if (now >= this.nextChangeAt) this.apply(now);
  }

  get active(): LoadedKey {
    if (!this.current) throw new Error('KeyRing used before init()');
    this.advance();
    return this.current.key;
  }

  /**
   * What the rotation scheduler needs to decide without a store read: when the signing key activated, and
   * the activation time of the pending key, if any (still pending in the store even once it signs here).
   */
  get schedule(): { currentActivation: number; pendingActivation: number | undefined } {
    if (!this.current) throw new Error('KeyRing used before init()');
    this.advance();
    const pending = this.entries.find((e) => e.record.status === 'pending');
    return { currentActivation: activationOf(this.current.record), pendingActivation: pending ? activationOf(pending.record) : undefined };
  }

  get(kid: string): LoadedKey | undefined {
    this.advance();
    return this.byKid.get(kid);
  }

  /**
   * For a kid this ring does not hold: reads the store's keys (one read shared by every caller asking for the
   * same kid meanwhile) and resolves whether the kid is now known. Undefined when the budget refuses a look-up
   * (kid-lookup.ts): the caller answers at once, as for a kid that is not ours. A failed read resolves false.
   */
  lookup(kid: string): Promise<boolean> | undefined {
    if (this.byKid.has(kid)) return Promise.resolve(true);
    const pending = this.lookups.get(kid);
    if (pending !== undefined) return pending;
    if (!this.lookupBudget.admit(kid)) return undefined;
    const found = this.reload().then(
      () => this.byKid.has(kid),
      () => false,
    );
    this.lookups.set(kid, found);
    void found.then(() => this.lookups.delete(kid));
    return found;
  }

  /** RFC 7517 JWK Set, serialised. */
  get jwks(): string {
    this.advance();
    return this.jwksBody;
  }

  get algorithms(): SigningAlg[] {
    return [...new Set([...this.byKid.values()].map((k) => k.alg))];
  }
}

/**
 * The key that signs at `now`: the newest (by activation) of the active keys and the pending keys whose
 * activation time has passed. An active key counts whatever its activation time says: a node whose clock is a
 * second behind the one that activated it must not fall back to the key that activation retired.
 */
function signerOf(entries: readonly Entry[], now: number): Entry | undefined {
  let best: Entry | undefined;
  for (const e of entries) {
    const eligible = e.record.status === 'active' || (e.record.status === 'pending' && activationOf(e.record) <= now);
    // Ties keep the earlier entry: list() orders active first, newest first.
    if (eligible && (!best || activationOf(e.record) > activationOf(best.record))) best = e;
  }
  return best;
}
