import { collectDefaultMetrics, Gauge, Registry, type Metric } from 'prom-client';
import { HotCounter, HotHistogram, type CounterCell, type HistogramCell } from './hot-metrics.js';

/**
 * The node's Prometheus metrics (docs/operations.md, "Metrics", lists every one). One instance per server,
 * made by the composition root (http/server.ts) and reached through the context (`ctx.metrics`).
 *
 * Request-path counts are plain increments of cells resolved once (hot-metrics.ts); what the node's parts
 * already know (the KDF gate's queue, the signing thread's queue, Redis and the change feed) is read only when
 * scraped (watch()). Security events are counted from the event hub (metrics-sink.ts), so each fact is detected
 * in one place. Cardinality is bounded: every label takes values from a fixed or operator-configured set; only
 * clients named in `metrics.perClient` get a client_id label.
 */

/** Seconds; from 1 ms (a cached client_credentials token) to 10 s (a request stuck behind an outage). */
export const DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The route label of a request no route matched (404s, bad URLs): raw URLs never become labels. */
export const UNMATCHED_ROUTE = 'unmatched';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** What the composition root lets the metrics read at a scrape; each part is optional (Redis, a signing thread). */
export interface MetricSources {
  kdf?: {
    load(): { running: number; waiting: number; limit: number };
    stats(): { readonly waited: number; readonly waitSeconds: number; readonly refused: Readonly<Record<string, number>> };
  };
  signer?: { readonly threaded: boolean; queueDepth(): number };
  store?: { readonly isHealthy: boolean };
  changeFeed?: { readonly lagSeconds: number };
  redis?: { readonly isReady: boolean; readonly breaker: { readonly state: string } };
  /** The token hook's outcomes (oauth/token-hook.ts): ok, timeout, error, rejected. */
  tokenHook?: { readonly counters: Readonly<Record<string, number>> };
  /** Client-secret uses per (client, secret id) (client-auth/secret-usage.ts); exported for metrics.perClient clients only. */
  secretUsage?: { snapshot(): Record<string, Record<string, { uses: number }>> };
  /** The event hub's sinks that can fall behind: what each dropped, and (when it queues) how many wait. */
  eventSinks?: ReadonlyArray<{ readonly name: string; readonly dropped: number; readonly queued?: number }>;
  /** The events webhook (webhook-sink.ts), when configured. */
  webhook?: { readonly delivered: number; readonly failures: number };
}

export interface MetricsOptions {
  /** Clients whose token counts carry a client_id label (config metrics.perClient). */
  perClient?: readonly string[];
}

let processRegistry: Registry | undefined;

/**
 * The default process metrics (CPU, memory, event-loop lag, GC, handles), once per process: they describe the
 * process, not a server, and prom-client's collector installs process-wide monitors that are never removed.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  /** This server's own metrics (the process metrics are merged in by render / snapshot). */
  readonly registry = new Registry();
  private readonly perClient: ReadonlySet<string>;

  readonly tokensIssued = this.add(new HotCounter('tessera_tokens_issued_total', 'Access tokens issued by the token endpoint, by grant type (client_id only for clients in metrics.perClient)', ['grant_type', 'client_id']));
  readonly tokenErrors = this.add(new HotCounter('tessera_token_errors_total', 'Token endpoint error answers, by RFC 6749 error code', ['error']));
  readonly httpDuration = this.add(new HotHistogram('tessera_http_request_duration_seconds', 'Time from routing to the response being handed to the connection, by route pattern and status class', ['route', 'status_class'], DURATION_BUCKETS));
  readonly refreshRotations = this.add(new HotCounter('tessera_refresh_rotations_total', 'Refresh tokens rotated (RFC 9700 §4.14.2), retried rotations within the reuse interval included'));
  readonly rateLimitRejections = this.add(new HotCounter('tessera_rate_limit_rejections_total', 'Requests refused by a rate limit (429), by limit: ip or client', ['limit']));
  readonly securityEvents = this.add(new HotCounter('tessera_security_events_total', 'Security events emitted (the audit trail), by type', ['type']));
  readonly reuseDetected = this.add(new HotCounter('tessera_refresh_reuse_detected_total', 'Reused refresh tokens detected (their family was revoked)'));
  readonly revocations = this.add(new HotCounter('tessera_revocations_total', 'Revocations, by kind: token (an access token), family (a refresh-token family), installation', ['kind']));
  readonly loginFailures = this.add(new HotCounter('tessera_login_failures_total', 'Password logins refused for wrong credentials'));
  readonly loginThrottled = this.add(new HotCounter('tessera_login_throttled_total', 'Password logins refused by the login throttle (429)'));
  readonly clientAuthFailures = this.add(new HotCounter('tessera_client_auth_failures_total', 'Failed client authentications, by method', ['method']));
  readonly idpRequests = this.add(new HotCounter('tessera_idp_requests_total', 'Verifications by upstream identity providers, by provider and outcome (accepted, rejected, unavailable, error)', ['provider', 'outcome']));

  /** grant_type -> its cell; per-client cells by grant_type NUL client_id. */
  private readonly issuedCells = new Map<string, CounterCell>();
  private readonly errorCells = new Map<string, CounterCell>();
  /** Route pattern -> its cells by status class (1xx..5xx), made on first use. */
  private readonly routeCells = new Map<string, Array<HistogramCell | undefined>>();

  constructor(opts: MetricsOptions = {}) {
    this.perClient = new Set(opts.perClient ?? []);
  }

  private add<M extends HotCounter | HotHistogram>(metric: M): M {
    this.registry.registerMetric(metric as unknown as Metric);
    return metric;
  }

  /** The token endpoint issued a token (oauth/token-endpoint.ts): one increment on the hot path. */
  tokenIssued(grantType: string, clientId: string): void {
    if (this.perClient.size > 0 && this.perClient.has(clientId)) {
      this.tokensIssued.inc(grantType, clientId);
      return;
    }
    let cell = this.issuedCells.get(grantType);
    if (cell === undefined) {
      cell = this.tokensIssued.child(grantType);
      this.issuedCells.set(grantType, cell);
    }
    cell.value++;
  }

  private readonly rotationCell = this.refreshRotations.child();

  refreshRotated(): void {
    this.rotationCell.value++;
  }

  tokenError(code: string): void {
    let cell = this.errorCells.get(code);
    if (cell === undefined) {
      cell = this.tokenErrors.child(code);
      this.errorCells.set(code, cell);
    }
    cell.value++;
  }

  /** One answered request (http/app.ts onSend): `route` is the route pattern, undefined when none matched. */
  observeRequest(route: string | undefined, status: number, seconds: number): void {
    const key = route ?? UNMATCHED_ROUTE;
    let cells = this.routeCells.get(key);
    if (cells === undefined) {
      cells = [undefined, undefined, undefined, undefined, undefined];
      this.routeCells.set(key, cells);
    }
    const c = Math.trunc(status / 100) - 1;
    const i = c >= 0 && c < 5 ? c : 4;
    (cells[i] ??= this.httpDuration.child(key, STATUS_CLASSES[i]!)).observe(seconds);
  }

  /** An upstream identity provider's verification ended (federation/idp-metrics.ts). */
  idpOutcome(provider: string, outcome: 'accepted' | 'rejected' | 'unavailable' | 'error'): void {
    this.idpRequests.inc(provider, outcome);
  }

  /** Registers the gauges of the parts this node has; read at each scrape, nothing runs in between. */
  watch(sources: MetricSources): void {
    const gauge = (name: string, help: string, read: (g: Gauge) => void, labelNames: string[] = []): void => {
      new Gauge({ name, help, labelNames, registers: [this.registry], collect() { read(this); } });
    };
    const { kdf, signer, store, changeFeed, redis, eventSinks, webhook, tokenHook, secretUsage } = sources;
    if (tokenHook) {
      this.add(
        new HotCounter('tessera_token_hook_calls_total', 'Token hook calls by outcome: ok, timeout, error, rejected (a malformed or reserved-claim answer)', ['outcome'], (c) => {
          for (const [outcome, n] of Object.entries(tokenHook.counters)) c.child(outcome).value = n;
        }),
      );
    }
    if (secretUsage && this.perClient.size > 0) {
      // Which secret a client authenticates with (an overlap's old one dies down): bounded by metrics.perClient.
      this.add(
        new HotCounter('tessera_client_secret_used_total', 'Client authentications by the secret that matched (metrics.perClient clients only)', ['client_id', 'secret_id'], (c) => {
          for (const [clientId, secrets] of Object.entries(secretUsage.snapshot())) {
            if (!this.perClient.has(clientId)) continue;
            for (const [secretId, use] of Object.entries(secrets)) c.child(clientId, secretId).value = use.uses;
          }
        }),
      );
    }
    if (kdf) {
      gauge('tessera_kdf_running', 'KDFs (argon2id) running now', (g) => g.set(kdf.load().running));
      gauge('tessera_kdf_waiting', 'KDFs waiting for a slot now (queue depth)', (g) => g.set(kdf.load().waiting));
      gauge('tessera_kdf_concurrency', 'KDFs this process runs at once (kdfConcurrency)', (g) => g.set(kdf.load().limit));
      this.add(new HotCounter('tessera_kdf_waited_total', 'KDFs that waited for a slot and got one', [], (c) => (c.child().value = kdf.stats().waited)));
      this.add(new HotCounter('tessera_kdf_wait_seconds_total', 'Time KDFs spent waiting for a slot, summed', [], (c) => (c.child().value = kdf.stats().waitSeconds)));
      this.add(
        new HotCounter('tessera_kdf_refusals_total', 'KDFs not admitted (429/503), by reason: address_budget, queue_full, deadline, abandoned', ['reason'], (c) => {
          for (const [reason, n] of Object.entries(kdf.stats().refused)) c.child(reason).value = n;
        }),
      );
    }
    if (signer?.threaded) gauge('tessera_signing_queue_depth', 'Signatures queued for or on the signing thread', (g) => g.set(signer.queueDepth()));
    if (store) gauge('tessera_store_up', '1 when the last read of the change feed from the store succeeded', (g) => g.set(store.isHealthy ? 1 : 0));
    if (changeFeed) gauge('tessera_change_feed_lag_seconds', 'Seconds since this process last read the whole change feed (cache invalidation delay)', (g) => g.set(changeFeed.lagSeconds));
    if (eventSinks) this.watchEvents(eventSinks, webhook);
    if (redis) {
      gauge('tessera_redis_up', '1 when Redis is connected and answering (else per-node fallbacks decide)', (g) => g.set(redis.isReady ? 1 : 0));
      gauge('tessera_redis_breaker_state', 'The Redis circuit breaker: 1 for its current state (closed, open, half-open)', (g) => {
        for (const state of ['closed', 'open', 'half-open']) g.set({ state }, redis.breaker.state === state ? 1 : 0);
      }, ['state']);
    }
  }

  /** The event sinks' counts (audit table, stream, webhook), read at a scrape like the other parts. */
  private watchEvents(sinks: NonNullable<MetricSources['eventSinks']>, webhook: MetricSources['webhook']): void {
    this.add(
      new HotCounter('tessera_events_dropped_total', 'Security events a sink dropped because it had fallen too far behind (queue full: store outage, webhook down, slow stream reader), by sink', ['sink'], (c) => {
        for (const s of sinks) c.child(s.name).value = s.dropped;
      }),
    );
    const queuing = sinks.filter((s) => s.queued !== undefined);
    new Gauge({
      name: 'tessera_events_queued',
      help: 'Security events waiting for a sink to write or deliver them, by sink',
      labelNames: ['sink'],
      registers: [this.registry],
      collect() {
        for (const s of queuing) this.set({ sink: s.name }, s.queued!);
      },
    });
    if (webhook) {
      this.add(new HotCounter('tessera_events_webhook_delivered_total', 'Events the webhook receiver acknowledged with a 2xx (a redelivered batch counts again)', [], (c) => (c.child().value = webhook.delivered)));
      this.add(new HotCounter('tessera_events_webhook_failures_total', 'Webhook POSTs that failed (network error, timeout, non-2xx answer) and will be retried', [], (c) => (c.child().value = webhook.failures)));
    }
  }

  /** This process's metrics as prom-client JSON: the cluster primary sums these over workers (metrics-cluster.ts). */
  async snapshot(): Promise<unknown[]> {
    return [...(await this.registry.getMetricsAsJSON()), ...(await processMetrics().getMetricsAsJSON())];
  }

  /** The Prometheus text format of this process alone. */
  render(): Promise<string> {
    return Registry.merge([this.registry, processMetrics()]).metrics();
  }

  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
}
