import { describe, expect, it } from 'vitest';
import { proxyTrust, trustedProxyProblem, unmappedAddress } from '../../src/net/trusted-proxies.js';

// What the server makes of these answers over real sockets is in test/http/trusted-proxies.test.ts.
describe('proxyTrust', () => {
  it('matches addresses, CIDRs and the named ranges; never text that is no address', () => {
    const trust = proxyTrust(['127.0.0.1', '10.0.0.0/8', '2001:db8::/32', 'linklocal']);
    expect(trust('127.0.0.1')).toBe(true);
    expect(trust('::ffff:127.0.0.1')).toBe(true);
    expect(trust('127.0.0.2')).toBe(false);
    expect(trust('10.255.0.1')).toBe(true);
    expect(trust('11.0.0.1')).toBe(false);
    expect(trust('2001:db8:ffff::1')).toBe(true);
    expect(trust('2001:db9::1')).toBe(false);
    expect(trust('169.254.3.4')).toBe(true);
    expect(trust('fe80::1')).toBe(true);
    for (const junk of ['', 'unknown', '10.0.0.1:443', '[::1]', '10.0.0.0/8', ' 127.0.0.1']) expect(trust(junk)).toBe(false);
    expect(proxyTrust([])('127.0.0.1')).toBe(false);
    expect(proxyTrust(['loopback'])('127.9.9.9')).toBe(true);
  });

  it('names what is not an address, a CIDR or a known name', () => {
    for (const ok of ['127.0.0.1', '10.0.0.0/8', '::1', 'fc00::/7', '0.0.0.0/0', 'uniquelocal']) expect(trustedProxyProblem(ok)).toBeUndefined();
    for (const bad of ['true', '1', 'example.com', '10.0.0.0/33', '::/129', '10.0.0.0/8/1', '10.0.0.0/x', '*']) expect(trustedProxyProblem(bad)).toMatch(/is not an IP address/);
  });

  it('unmaps IPv4-mapped IPv6 only', () => {
    expect(unmappedAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(unmappedAddress('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(unmappedAddress('::ffff:1')).toBe('::ffff:1');
    expect(unmappedAddress('2001:db8::1')).toBe('2001:db8::1');
  });
});
