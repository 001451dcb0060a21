import type { Command } from 'commander';
import type { ConfigFlags } from '../../config.js';
import { collect } from '../context.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the token server')
    .option('--port <port>', 'listen port (default 8080)')
    .option('--host <host>', 'listen address (default 127.0.0.1)')
    .option('--admin-listen <host:port>', 'serve the admin API only on this address (default: on the main listener)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--issuer <url>', 'issuer identifier (default http://HOST:PORT)')
    .option('--config <file>', 'JSON config file')
    .option('--import <file>', 'apply this import document before serving')
    .option('--database-url <url>', 'postgres://... (default: SQLite in the data dir)')
    .option('--redis-url <url>', 'redis://... for shared limits, denylist and cache invalidation')
    .option('--workers <n>', 'worker processes: a number or "auto"')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--tls-client-ca <file>', 'PEM CA bundle that tls_client_auth client certificates must chain to (RFC 8705)')
    .option('--metrics-public', 'serve /metrics without a bearer token (default: tessera:metrics or tessera:admin scope required)')
    .option('--registration', 'enable dynamic client registration (RFC 7591/7592) at /oauth/register')
    .option('--profile <name[=prefix]>', 'enable a compatibility profile: cobo, knetik, smscx (repeatable)', collect)
    .option('--keys-rotate-every <duration>', 'rotate the signing key automatically this often, e.g. 30d (default: off)')
    .option('--keys-pre-publish <duration>', 'publish a scheduled key in the JWKS this long before it signs (default 1h)')
    .option('--log-format <format>', 'pretty, json or auto (default: pretty on a terminal, else json)')
    // The server and everything it needs load only when serve runs: other commands (`client list`, ...) skip
    // evaluating Fastify, the protocol core and the HTTP layer (docs/cli.md, "Start-up time").
    .action(async (flags: ConfigFlags) => (await import('./serve-run.js')).runServe(flags));
}
