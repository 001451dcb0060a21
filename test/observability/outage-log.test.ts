import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { OutageLog } from '../../src/observability/outage-log.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString()) as Record<string, unknown>), done()) });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('OutageLog', () => {
  it('logs the first failure and the first success after it, and counts what happened between', async () => {
    const { logger, lines } = capture();
    const o = new OutageLog(logger);
    o.succeeded('x'); // never down: nothing
    for (let i = 0; i < 10; i++) o.failed('x', { k: 1 }, 'ECONNREFUSED');
    o.succeeded('x');
    o.succeeded('x');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => [l.level, l.msg, l.failedCalls ?? l.reason])).toEqual([
      [40, 'x unavailable', 'ECONNREFUSED'],
      [30, 'x available again', 10],
    ]);
  });

  it('probes in the background until the upstream answers, then logs its return once', async () => {
    const { logger, lines } = capture();
    const o = new OutageLog(logger);
    let calls = 0;
    o.failed('database', {}, 'unreachable (ECONNREFUSED)', { run: async () => (++calls < 3 ? Promise.reject(new Error('down')) : undefined), everyMs: 20 });
    o.failed('database', {}, 'unreachable (ECONNREFUSED)');
    expect(o.isDown('database')).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(3);
    expect(o.isDown('database')).toBe(false);
    expect(lines.map((l) => l.msg)).toEqual(['database unavailable', 'database available again']);
    o.stop();
  });
});
