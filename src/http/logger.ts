import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Redacted paths: credentials never reach a log line, whatever a future log call includes
 * (DESIGN.md "Secrets"), in JSON and pretty output alike (redaction happens before either is written). Request
 * logging is off by default: it costs ~5 us a request on the hot path (request-log.ts).
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
    // ISO 8601 times (2026-01-31T12:00:00.000Z), which people and log shippers both read; not epoch milliseconds.
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      // Only method, path (no query: it may carry misplaced credentials) and the request id.
      req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0], id: req.id }),
    },
  };
}

export type LogFormat = 'pretty' | 'json';

/** config logFormat: `auto` is pretty when stdout is a terminal, JSON when it is a file, a pipe or a collector. */
export function resolveLogFormat(setting: 'auto' | LogFormat, stdoutIsTty: boolean): LogFormat {
  return setting === 'auto' ? (stdoutIsTty ? 'pretty' : 'json') : setting;
}

/**
 * The process logger: JSON lines, or pino-pretty's human lines (loaded only then). Pretty output is written
 * synchronously on the event loop, fine for a terminal and the reason it is not the default for a pipe.
 */
export async function createLogger(level: string, format: LogFormat, destination: NodeJS.WritableStream = process.stdout, colour = false): Promise<Logger> {
  if (format === 'json') return destination === process.stdout ? pino(loggerOptions(level)) : pino(loggerOptions(level), destination);
  const { default: pretty } = await import('pino-pretty');
  return pino(loggerOptions(level), pretty({ destination, sync: true, colorize: colour, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
}
