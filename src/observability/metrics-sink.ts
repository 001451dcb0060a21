import { EVENT_TYPES, type EventSink, type EventType, type SecurityEvent } from './events.js';
import type { CounterCell } from './hot-metrics.js';
import type { Metrics } from './metrics.js';

/** Revocation events and the `kind` label each one counts under (tessera_revocations_total). */
const REVOCATION_KINDS: Partial<Record<EventType, string>> = { 'token.revoked': 'token', 'family.revoked': 'family', 'installation.revoked': 'installation' };

/**
 * The event hub's metrics sink: every security event counts in tessera_security_events_total{type}, and the
 * facts that have counters of their own (reuse detections, revocations, failed and throttled logins, failed
 * client authentications) are counted from their event, so each is detected in one place (the site that emits).
 * Synchronous and allocation-free but for a first-seen client authentication method.
 */
export function metricsEventSink(metrics: Metrics): EventSink {
  const byType = new Map<EventType, CounterCell>(EVENT_TYPES.map((t) => [t, metrics.securityEvents.child(t)]));
  const revocations = new Map<EventType, CounterCell>(Object.entries(REVOCATION_KINDS).map(([t, kind]) => [t as EventType, metrics.revocations.child(kind)]));
  const reuse = metrics.reuseDetected.child();
  const loginFailed = metrics.loginFailures.child();
  const loginThrottled = metrics.loginThrottled.child();
  return {
    name: 'metrics',
    // Issued tokens are counted by tessera_tokens_issued_total at the endpoint: no event is built per token for it.
    takes: (type) => type !== 'token.issued',
    accept(event: SecurityEvent): void {
      byType.get(event.type)!.value++;
      switch (event.type) {
        case 'refresh.reuse_detected':
          reuse.value++;
          break;
        case 'login.failed':
          loginFailed.value++;
          break;
        case 'login.throttled':
          loginThrottled.value++;
          break;
        case 'client.auth_failed': {
          // The method is one of the server's authenticators (a code-defined set), never request input.
          const method = event.details.method;
          metrics.clientAuthFailures.inc(typeof method === 'string' ? method : 'unknown');
          break;
        }
        default: {
          const kind = revocations.get(event.type);
          if (kind) kind.value++;
        }
      }
    },
  };
}
