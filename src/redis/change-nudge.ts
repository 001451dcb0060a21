import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RedisConnection } from './connection.js';

/** The nudge channel's name under the deployment's key prefix. */
function changeChannel(prefix: string): string {
  return prefix + 'changes';
}

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
    this.channel = changeChannel(redis.prefix);
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

/**
 * The same nudge from a process that is not a server (the CLI, after a command that committed changes): one
 * short-lived connection, one PUBLISH, all within `deadlineMs`. A Redis that is down or does not answer only
 * means the servers see the change at their next poll; resolves whether the nudge was published.
 */
export async function publishChangeNudge(url: string, prefix: string, deadlineMs: number): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: deadlineMs,
    commandTimeout: deadlineMs,
    retryStrategy: () => null,
    connectionName: 'tessera-cli',
  });
  redis.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
  const publish = (async () => {
    await redis.connect();
    await redis.publish(changeChannel(prefix), `cli-${randomBytes(6).toString('hex')}`);
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([publish, deadline]);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
