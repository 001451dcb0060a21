import { describe, expect, it } from 'vitest';
import { PerSetting } from '../../src/limits/per-setting.js';

describe('PerSetting', () => {
  it('builds one value per distinct (points, duration), shared by equal settings in different objects', () => {
    const built: string[] = [];
    const p = new PerSetting((s, id) => {
      built.push(id);
      return { points: s.points };
    });
    const a = p.get({ points: 5, duration: 60 });
    expect(p.get({ points: 5, duration: 60 })).toBe(a);
    expect(p.get({ points: 5, duration: 30 })).not.toBe(a);
    expect(p.get({ points: 6, duration: 60 })).not.toBe(a);
    expect(built).toEqual(['5/60', '5/30', '6/60']);
    expect([...p.values()]).toHaveLength(3);
  });

  it('remembers a setting object: the factory runs once however often the object is asked for', () => {
    let calls = 0;
    const p = new PerSetting(() => ({ n: ++calls }));
    const setting = { points: 1, duration: 1 };
    for (let i = 0; i < 5; i++) p.get(setting);
    expect(calls).toBe(1);
  });
});
