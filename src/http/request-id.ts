import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Echo a caller's well-formed X-Request-Id, else generate one (never reflect arbitrary bytes into headers/logs). */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && WELL_FORMED.test(given)) return given;
  return randomUUID();
}
