import type { SigningAlg, Store } from '../store/types.js';
import { generateSigningKey } from './generate.js';
import { loadKey, type LoadedKey } from './jwt.js';
import { KidLookupBudget } from './kid-lookup.js';

/**
 * The per-process view of the signing keys: imported once, reloaded when the change feed says a key changed.
 * The JWKS document is serialised once per reload, not per request.
 */
export class KeyRing {
  private byKid = new Map<string, LoadedKey>();
  private current: LoadedKey | undefined;
  private jwksBody = '{"keys":[]}';
  /** Reloads run one after another, so the last one started is the last one applied. */
  private reloads: Promise<void> = Promise.resolve();
  private readonly lookups = new Map<string, Promise<boolean>>();

  constructor(
    private readonly store: Store,
    private readonly masterKey: Buffer,
    private readonly lookupBudget = new KidLookupBudget(),
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
    const now = Math.floor(Date.now() / 1000);
    const keys = await this.store.keys.list();
    const byKid = new Map<string, LoadedKey>();
    let current: LoadedKey | undefined;
    for (const k of keys) {
      if (k.status === 'retired' && k.publishUntil !== null && k.publishUntil < now) continue;
      const loaded = this.byKid.get(k.kid)?.status === k.status ? this.byKid.get(k.kid)! : loadKey(k, this.masterKey);
      byKid.set(k.kid, loaded);
      // list() gives active keys first, newest first: the first active key signs.
      if (k.status === 'active' && !current) current = loaded;
    }
    if (!current) throw new Error('No active signing key: run `tessera keys rotate`');
    this.byKid = byKid;
    this.current = current;
    this.jwksBody = JSON.stringify({ keys: [...byKid.values()].map((k) => k.publicJwk) });
  }

  get active(): LoadedKey {
    if (!this.current) throw new Error('KeyRing used before init()');
    return this.current;
  }

  get(kid: string): LoadedKey | undefined {
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
    return this.jwksBody;
  }

  get algorithms(): SigningAlg[] {
    return [...new Set([...this.byKid.values()].map((k) => k.alg))];
  }
}
