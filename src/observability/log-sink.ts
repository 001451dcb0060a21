import type { Logger } from 'pino';
import type { EventSink, EventType, SecurityEvent } from './events.js';

type Level = 'warn' | 'info' | 'debug';

/**
 * The level each security event is logged at: warn for what may be an attack or an outage (failed client
 * authentication and logins, throttles, refresh-token reuse, an identity provider down); info for deliberate
 * changes (revocations, key rotation, admin changes); debug for issuance, the hot path (one line per token).
 */
export const EVENT_LOG_LEVELS: Readonly<Record<EventType, Level>> = {
  'client.auth_failed': 'warn',
  'login.failed': 'warn',
  'login.throttled': 'warn',
  'refresh.reuse_detected': 'warn',
  'rate_limit.rejected': 'warn',
  'idp.unavailable': 'warn',
  'delegation.refused': 'warn',
  'token_hook.failed': 'warn',
  'client_certificate.untrusted_header': 'warn',
  'client_certificate.binding_mismatch': 'warn',
  'dpop.proof_rejected': 'warn',
  'token.revoked': 'info',
  'family.revoked': 'info',
  'installation.revoked': 'info',
  'key.rotated': 'info',
  'key.retired': 'info',
  'idp.recovered': 'info',
  'admin.change': 'info',
  'delegation.granted': 'info',
  'token.issued': 'debug',
};

/**
 * The EventHub's log sink: one line per event, message `security event <type>`, with the event's fields. Events
 * carry no secret by contract (events.ts), and the logger's redaction still applies to their details.
 */
export function eventLogSink(logger: Logger): EventSink {
  return {
    name: 'log',
    // token.issued is logged at debug only: at the default level no event is built per token for the log.
    takes: (type) => logger.isLevelEnabled(EVENT_LOG_LEVELS[type]),
    accept(e: SecurityEvent) {
      const level = EVENT_LOG_LEVELS[e.type];
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          event: e.type,
          eventId: e.id,
          client_id: e.clientId ?? undefined,
          subject: e.subject ?? undefined,
          address: e.address ?? undefined,
          reqId: e.requestId ?? undefined,
          actor: e.actor ?? undefined,
          details: Object.keys(e.details).length > 0 ? e.details : undefined,
        },
        `security event ${e.type}`,
      );
    },
  };
}
