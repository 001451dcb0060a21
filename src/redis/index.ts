// Everything the server needs when Redis is configured, behind one module so that a node without Redis never
// loads ioredis (~90 ms of start-up): http/server.ts imports this only when redisUrl is set.
export { RedisConnection } from './connection.js';
export { RedisChangeNudge } from './change-nudge.js';
export { RedisReplayGuard } from './replay-guard.js';
export { RedisRateLimiter } from './rate-limiter.js';
export { RedisFailureThrottle } from './failure-throttle.js';
