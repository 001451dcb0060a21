/**
 * Remembers which (key, window) pairs were already reported, so a flood of refusals of one key is one event per
 * window, not one per request (an attacker must not be able to turn rate-limit rejections into audit writes).
 * Bounded: beyond `max` keys the oldest are forgotten (at worst a key is reported twice in a window).
 */
export class OncePerWindow {
  private readonly seen = new Map<string, number>();

  constructor(private readonly max = 10_000) {}

  /** True the first time `key` is seen with this window end (`windowEnd`, any monotonic number). */
  first(key: string, windowEnd: number): boolean {
    if (this.seen.get(key) === windowEnd) return false;
    this.seen.delete(key);
    this.seen.set(key, windowEnd);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}
