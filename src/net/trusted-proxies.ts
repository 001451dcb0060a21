import { BlockList, isIP } from 'node:net';

/**
 * Which peers may speak for the client in X-Forwarded-For (config `trustProxy`): the addresses or CIDRs of the
 * operator's own proxies and load balancers. The client address is the first hop, counted from the right of
 * [peer, X-Forwarded-For entries right to left], that is not one of them; every entry left of it was written
 * by the client and is ignored. Trusting every hop (`true`) would let any client pick the address that rate limits
 * and login throttles count, so configuration refuses it (config.ts).
 */

/** The names proxy-addr (Fastify's trustProxy) knows, kept for operators used to them. */
const NAMED: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Why `entry` is not an address, a CIDR or a known name; undefined when it is one. */
export function trustedProxyProblem(entry: string): string | undefined {
  if (NAMED[entry]) return undefined;
  const [address = '', bits, extra] = entry.split('/');
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  if (version === 0 || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= max))) {
    return `"${entry}" is not an IP address, a CIDR (address/bits) or one of ${Object.keys(NAMED).join(', ')}`;
  }
  return undefined;
}

/** An IPv4 peer that a dual-stack socket reports in IPv6 form (::ffff:192.0.2.1), as plain IPv4. */
export function unmappedAddress(address: string): string {
  if (address.length > 7 && address.slice(0, 7).toLowerCase() === '::ffff:' && isIP(address.slice(7)) === 4) return address.slice(7);
  return address;
}

/** Whether an address (a peer's, or an X-Forwarded-For entry: any text) is one of the trusted proxies. */
export type ProxyTrust = (address: string) => boolean;

/** The trust test for valid entries (config.ts checks them with trustedProxyProblem). */
export function proxyTrust(entries: readonly string[]): ProxyTrust {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries.flatMap((e) => NAMED[e] ?? [e])) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const plain = unmappedAddress(address);
    const version = isIP(plain);
    return version !== 0 && list.check(plain, version === 6 ? 'ipv6' : 'ipv4');
  };
}
