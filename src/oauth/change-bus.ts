import type { ChangeTopic } from '../store/types.js';

export type ChangeListener = (key: string) => void | Promise<void>;

/**
 * In-process fan-out of "record X changed" events. The change feed follower (and Redis pub/sub, when
 * configured) publish here; each per-process cache subscribes to its topic. Listeners must be idempotent:
 * the same change may arrive by both paths.
 */
export class ChangeBus {
  private readonly listeners = new Map<ChangeTopic, ChangeListener[]>();

  subscribe(topic: ChangeTopic, listener: ChangeListener): void {
    const list = this.listeners.get(topic) ?? [];
    list.push(listener);
    this.listeners.set(topic, list);
  }

  async publish(topic: ChangeTopic, key: string): Promise<void> {
    for (const l of this.listeners.get(topic) ?? []) await l(key);
  }
}
