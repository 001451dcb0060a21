import type { Logger } from 'pino';
import { ENDPOINTS } from '../endpoints.js';

/** What the start-up banner tells an operator; every value is safe to print (the store URL has no password). */
export interface BannerInfo {
  url: string;
  issuer: string;
  /** describeStore(): a SQLite file, or a PostgreSQL URL with its password replaced by ***. */
  store: string;
  signing: { kid: string; alg: string; thread?: boolean };
  /** The admin API's own listener, when it has one (config adminListen). */
  adminUrl?: string;
  /** Where /metrics answers, when this server serves it. */
  metricsUrl?: string;
  masterKeyFile?: string;
  workers?: number;
}

const storeKind = (store: string): string => (/^postgres(ql)?:/.test(store) ? 'PostgreSQL' : 'SQLite');

/** The next steps a new operator runs: create a client, ask for a token, read the API. */
function nextSteps(info: BannerInfo): { createClient: string; getToken: string; docs: string } {
  return {
    createClient: 'tessera clients create --id my-service --grant client_credentials --scope read',
    getToken: `curl -u my-service:<secret> -d grant_type=client_credentials ${info.url}${ENDPOINTS.token}`,
    docs: `${info.url}${ENDPOINTS.docs}`,
  };
}

/** The banner as human lines (pretty output). */
export function bannerLines(info: BannerInfo): string[] {
  const next = nextSteps(info);
  const admin = info.adminUrl ? `${info.adminUrl}/admin/v1 (own listener)` : `${info.url}/admin/v1 (on the main listener)`;
  const row = (name: string, value: string) => `  ${name.padEnd(12)} ${value}`;
  return [
    `Tessera is serving at ${info.url}${info.workers && info.workers > 1 ? ` (${info.workers} workers)` : ''}`,
    row('issuer', info.issuer),
    row('store', `${storeKind(info.store)} ${info.store}`),
    row('signing key', `${info.signing.alg} kid=${info.signing.kid}${info.signing.thread ? ' (signing thread)' : ''}`),
    ...(info.masterKeyFile ? [row('master key', info.masterKeyFile)] : []),
    row('admin API', admin),
    row('metrics', info.metricsUrl ?? 'not served'),
    row('API docs', next.docs),
    'Next:',
    row('1. client', next.createClient),
    row('2. token', next.getToken),
  ];
}

/**
 * One banner per node at start-up: pretty, a block of lines; JSON, one object with the same facts (and the
 * message "Tessera is serving" that scripts and the tests wait for).
 */
export function logBanner(logger: Logger, info: BannerInfo, pretty: boolean): void {
  if (pretty) {
    logger.info(bannerLines(info).join('\n'));
    return;
  }
  const { createClient, getToken, docs } = nextSteps(info);
  logger.info(
    {
      url: info.url,
      issuer: info.issuer,
      store: info.store,
      signing: info.signing,
      admin: info.adminUrl ?? `${info.url}/admin/v1`,
      metrics: info.metricsUrl ?? null,
      docs,
      ...(info.masterKeyFile ? { masterKeyFile: info.masterKeyFile } : {}),
      ...(info.workers ? { workers: info.workers } : {}),
      next: [createClient, getToken],
    },
    'Tessera is serving',
  );
}
