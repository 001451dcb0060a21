import { randomBytes } from 'node:crypto';
import type { RedisConnection } from './connection.js';

/**
 * "Poll the change feed now", over Redis pub/sub. The change feed in the database stays the one source of
 * truth (a message carries no data, so a lost or duplicated one changes nothing); the nudge only turns the
 * follower's next 250 ms tick into an immediate read. The writer publishes after its commit; every node,
 * the writer included, polls on receipt. When Redis is down nothing is published and polling carries on.
 */
export class RedisChangeNudge {
  readonly nodeId = randomBytes(6).toString('hex');
  private readonly channel: string;
  published = 0;
  received = 0;

  constructor(
    private readonly redis: RedisConnection,
    private readonly onNudge: () => void,
  ) {
    this.channel = redis.key('changes');
  }

  async start(): Promise<void> {
    this.redis.subscriber.on('message', (channel: string, from: string) => {
      if (channel !== this.channel) return;
      this.received++;
      if (from !== this.nodeId) this.onNudge();
    });
    // After a reconnect anything published meanwhile was lost: catch up at once.
    this.redis.subscriber.on('ready', () => this.onNudge());
    // Queued by ioredis until connected; resubscribed automatically after every reconnect.
    this.redis.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  publish(): void {
    if (!this.redis.isReady) return;
    this.published++;
    this.redis.client.publish(this.channel, this.nodeId).catch(() => undefined);
  }
}
