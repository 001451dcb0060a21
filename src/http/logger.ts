import type { LoggerOptions } from 'pino';

/**
 * Redacted paths: credentials never reach a log line, whatever a future log call includes
 * (DESIGN.md "Secrets"). Request logging is off by default: it costs ~10 us a request on the hot path.
 */
const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["biz-api-signature"]',
  'headers.authorization',
  'authorization',
  'client_secret',
  'password',
  'token',
  'refresh_token',
  'access_token',
  'assertion',
  'client_assertion',
  'subject_token',
  'actor_token',
  '*.client_secret',
  '*.password',
  '*.token',
  '*.refresh_token',
  '*.access_token',
  '*.assertion',
  '*.client_assertion',
  '*.subject_token',
  '*.actor_token',
  '*.authorization',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only method, path (no query: it may carry misplaced credentials) and the request id.
      req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0], id: req.id }),
    },
  };
}
