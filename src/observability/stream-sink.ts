import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { EventSink, EventType, SecurityEvent } from './events.js';
import { eventJson } from './event-json.js';
import { keepsEvent, takesType, type IssuedSetting } from './issued-filter.js';

/** Bytes a slow reader (a blocked pipe, a full disk) may leave unwritten before lines are dropped. */
const MAX_BUFFERED = 8 * 1024 * 1024;

/**
 * `events.stream`: one JSON line per event (event-json.ts) on stdout or appended to a file, for a log shipper to
 * pick up. Writes are buffered by the stream itself; when a reader falls more than MAX_BUFFERED behind, lines are
 * dropped and counted rather than held in memory without bound.
 */
export class StreamSink implements EventSink {
  readonly name = 'stream';
  dropped = 0;

  constructor(
    private readonly out: Writable,
    private readonly setting: IssuedSetting,
    private readonly ownsStream: boolean,
  ) {}

  /** 'stdout' or 'file:/path' (config events.stream). */
  static open(target: string, setting: IssuedSetting, onError: (err: unknown) => void, stdout: Writable = process.stdout): StreamSink {
    if (target === 'stdout') return new StreamSink(stdout, setting, false);
    const file = createWriteStream(target.slice('file:'.length), { flags: 'a', mode: 0o600 });
    // An unwritable file is reported, never an uncaught 'error' that would end the process.
    file.on('error', onError);
    return new StreamSink(file, setting, true);
  }

  takes(type: EventType): boolean {
    return takesType(this.setting, type);
  }

  accept(event: SecurityEvent): void {
    if (!keepsEvent(this.setting, event.type)) return;
    if (this.out.writableLength > MAX_BUFFERED || this.out.destroyed) {
      this.dropped++;
      return;
    }
    this.out.write(`${JSON.stringify(eventJson(event))}\n`);
  }

  async flush(): Promise<void> {
    if (!this.ownsStream) return;
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}
