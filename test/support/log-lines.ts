import { Writable } from 'node:stream';

export interface CapturedLog {
  /** Give this to startTestServer({ logStream }). */
  stream: Writable;
  /** Every line logged so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** The lines with this message. */
  withMsg(msg: string): Array<Record<string, unknown>>;
}

/** Captures a test server's log (pino JSON lines at trace level) for assertions on what operators would see. */
export function captureLog(): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines, withMsg: (msg) => lines.filter((l) => l.msg === msg) };
}
