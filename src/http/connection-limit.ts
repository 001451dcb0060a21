import type { Server } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { unmappedAddress, type ProxyTrust } from '../net/trusted-proxies.js';

/** A refusal warning at most this often, with the count since the last: a flood must not flood the log too. */
const WARN_INTERVAL_MS = 60_000;

/** The eight 16-bit groups of an IPv6 address (valid input, as a socket reports it), zero-filled around `::`. */
function ipv6Groups(address: string): string[] {
  const plain = address.split('%')[0]!;
  const [head = '', tail] = plain.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:a.b.c.d is handled before this; others are rare) counts as two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const zeros = tail === undefined ? [] : Array<string>(8 - width(left) - width(right)).fill('0');
  return [...left, ...zeros, ...right];
}

/**
 * The key a peer's connections are counted under: an IPv4 address itself, an IPv6 address by its /64. One host
 * or one site is handed a whole /64 (RFC 4291 §2.5.1: the interface identifier is the low 64 bits), so counting
 * single IPv6 addresses would give one client 2^64 allowances.
 */
export function addressKey(address: string): string {
  const plain = unmappedAddress(address);
  if (isIP(plain) !== 6) return plain;
  return `${ipv6Groups(plain)
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export interface ConnectionLimitOptions {
  /** Open connections allowed per address (0: no limit). */
  max: number;
  /** Peers never limited: the trusted proxies, which carry many clients' connections. */
  exempt: ProxyTrust;
  logger: Logger;
}

/**
 * Caps the connections one source address holds open on this server (config `http.maxConnectionsPerAddress`),
 * so one client cannot pin down descriptors and memory with connections it never uses; the request deadlines
 * bound how long each may stall. Connection N+1 is closed as it is accepted, before any byte is read; the
 * others, and every other address, carry on. Trusted proxies are exempt: behind a load balancer every client
 * arrives from its address, and the per-client limits apply to the forwarded address instead. Costs a Map
 * update per connection and nothing per request.
 */
export function installConnectionLimit(server: Server, opts: ConnectionLimitOptions): void {
  if (opts.max <= 0) return;
  const open = new Map<string, number>();
  let refused = 0;
  let warnedAt = -Infinity;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || opts.exempt(address)) return;
    const key = addressKey(address);
    const count = open.get(key) ?? 0;
    if (count >= opts.max) {
      refused++;
      const now = Date.now();
      if (now - warnedAt >= WARN_INTERVAL_MS) {
        opts.logger.warn({ address: key, max: opts.max, refused }, 'connections refused: an address holds the most connections allowed (http.maxConnectionsPerAddress)');
        warnedAt = now;
        refused = 0;
      }
      socket.destroy();
      return;
    }
    open.set(key, count + 1);
    socket.once('close', () => {
      const left = open.get(key)! - 1;
      if (left === 0) open.delete(key);
      else open.set(key, left);
    });
  });
}
