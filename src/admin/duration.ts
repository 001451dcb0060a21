/**
 * The duration parser of the CLI flags, the admin API bodies and the config file lives in src/duration.ts, a
 * leaf module: config.ts parses `keys.rotateEvery` with it, and config.ts importing src/admin would close a
 * cycle (admin -> observability -> config). Re-exported here so the admin rules keep one import path.
 */
export { formatDuration, parseDuration } from '../duration.js';
