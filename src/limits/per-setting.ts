import type { RateLimitSetting } from '../store/types.js';

/**
 * One T per distinct (points, duration) rate-limit setting. Settings are long-lived objects (config, cached
 * clients), so each object is remembered directly and the id string is built only the first time an object is
 * seen; equal settings in different objects (a re-read client) share one T.
 */
export class PerSetting<T> {
  private readonly byId = new Map<string, T>();
  private readonly bySetting = new WeakMap<RateLimitSetting, T>();

  constructor(private readonly create: (setting: RateLimitSetting, id: string) => T) {}

  get(setting: RateLimitSetting): T {
    let t = this.bySetting.get(setting);
    if (t !== undefined) return t;
    const id = `${setting.points}/${setting.duration}`;
    t = this.byId.get(id);
    if (t === undefined) {
      t = this.create(setting, id);
      this.byId.set(id, t);
    }
    this.bySetting.set(setting, t);
    return t;
  }

  values(): IterableIterator<T> {
    return this.byId.values();
  }
}
