import type { SigningAlg, Store } from '../store/types.js';
import { generateSigningKey } from './generate.js';
import type { KeyRing } from './key-ring.js';

/** What the scheduler reports (the event hub's emit; declared here so keys/ needs nothing of observability/). */
export interface RotationEvents {
  emit(input: { type: 'key.rotated' | 'key.retired'; actor: { kind: 'system'; id: string }; details: Record<string, unknown> }): unknown;
}

export interface RotationPolicy {
  /** Seconds between rotations; null: no scheduled rotation (a pending key still activates). */
  rotateEvery: number | null;
  /** Seconds a new key is published in the JWKS before it signs. */
  prePublish: number;
  /** Seconds a retired key stays published after its last signature: maxAccessTokenTtl + clockSkew. */
  publishFor: number;
  alg: SigningAlg;
  masterKey: Buffer;
}

const ACTOR = { kind: 'system', id: 'scheduler' } as const;
const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Automatic signing-key rotation (docs/tokens.md, "Signing-key rotation"). Every node runs one; the store's
 * compare-and-sets (insertNextIfDue, activateDue) let exactly one of them perform each step. A tick decides
 * from the key ring's view and touches the store only when a step looks due, so idle ticks cost no query:
 *
 *  1. publish: no key pending and the signing key activated rotateEvery - prePublish ago: insert the next key,
 *     pending, activating prePublish from now (published in the JWKS at once by every node that reloads);
 *  2. activate: a pending key's activation time has passed: mark it active and retire the keys it replaces,
 *     published until their last token expires. Every node's ring already signs with it by then, by its clock.
 *
 * Each step commits a 'key' change, so every node reloads its ring.
 */
export class KeyRotationScheduler {
  private running = false;

  constructor(
    private readonly store: Store,
    private readonly ring: KeyRing,
    private readonly policy: RotationPolicy,
    private readonly events: RotationEvents,
    private readonly now: () => number,
  ) {}

  /** How often a node should tick: a quarter of the pre-publication window, between 200 ms and a minute. */
  static intervalMs(prePublish: number): number {
    return Math.min(60_000, Math.max(200, Math.floor((prePublish * 1000) / 4)));
  }

  /** One pass; overlapping calls (a slow store) return at once. Errors are the caller's to log. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.activateIfDue();
      await this.publishIfDue();
    } finally {
      this.running = false;
    }
  }

  private async activateIfDue(): Promise<void> {
    const { pendingActivation } = this.ring.schedule;
    const now = this.now();
    if (pendingActivation === undefined || pendingActivation > now) return;
    const done = await this.store.keys.activateDue(now, this.policy.publishFor);
    // Won or lost (another node activated it, or an operator rotated meanwhile), the ring follows the store.
    await this.ring.reload();
    if (!done) return;
    const { activated, retired } = done;
    this.events.emit({ type: 'key.rotated', actor: ACTOR, details: { kid: activated.kid, alg: activated.alg, stage: 'activated', activated_at: iso(activated.activatesAt ?? activated.createdAt), retired: retired.map((k) => k.kid) } });
    for (const k of retired) this.events.emit({ type: 'key.retired', actor: ACTOR, details: { kid: k.kid, alg: k.alg, published_until: iso(k.publishUntil!) } });
  }

  private async publishIfDue(): Promise<void> {
    const { rotateEvery, prePublish } = this.policy;
    if (rotateEvery === null) return;
    const { currentActivation, pendingActivation } = this.ring.schedule;
    const now = this.now();
    const dueBefore = now - (rotateEvery - prePublish);
    if (pendingActivation !== undefined || currentActivation > dueBefore) return;
    // The key is made before the transaction (generation is CPU work); a node that loses the race drops it.
    const key = await generateSigningKey(this.policy.alg, this.policy.masterKey);
    const next = await this.store.keys.insertNextIfDue(key, { now, activatesAt: now + prePublish, dueBefore });
    // Lost or not, the ring reloads: a loss means another node published a key this ring has not seen yet.
    await this.ring.reload();
    if (!next) return;
    this.events.emit({ type: 'key.rotated', actor: ACTOR, details: { kid: next.kid, alg: next.alg, stage: 'published', activates_at: iso(next.activatesAt!) } });
  }
}
