import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';

/** The subjectAltName kinds RFC 8705 §2.1.2 registers, as client fields name them. */
export type SanKind = 'dns' | 'uri' | 'ip' | 'email';

/** Node's X509Certificate.subjectAltName labels. */
const LABELS: Readonly<Record<string, SanKind>> = { DNS: 'dns', URI: 'uri', 'IP Address': 'ip', email: 'email' };

/**
 * The certificate's subjectAltName entries. Node prints "DNS:a, URI:b, IP Address:c"; since the fix for
 * CVE-2021-44532 a value that holds a comma or a quote is printed as a JSON string, so it cannot fake an entry.
 */
export function subjectAltNames(cert: X509Certificate): Array<{ kind: SanKind; value: string }> {
  const text = cert.subjectAltName;
  if (!text) return [];
  const out: Array<{ kind: SanKind; value: string }> = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(':', i);
    if (colon === -1) break;
    const label = text.slice(i, colon);
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      // A JSON string: find its closing quote (skipping escaped ones) and let JSON decode it.
      let j = colon + 2;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      try {
        value = JSON.parse(text.slice(colon + 1, j + 1)) as string;
      } catch {
        return out;
      }
      end = j + 1;
    } else {
      const comma = text.indexOf(', ', colon + 1);
      end = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    const kind = LABELS[label];
    if (kind) out.push({ kind, value });
    i = end + 2;
  }
  return out;
}

/** Canonical form for comparison: DNS names and e-mail domains ignore case, IP addresses their spelling. */
function canonical(kind: SanKind, value: string): string {
  if (kind === 'dns') return value.toLowerCase().replace(/\.$/, '');
  if (kind === 'email') {
    const at = value.lastIndexOf('@');
    return at === -1 ? value : `${value.slice(0, at)}@${value.slice(at + 1).toLowerCase()}`;
  }
  if (kind === 'ip') return canonicalIp(value);
  return value;
}

function canonicalIp(value: string): string {
  const v = value.trim();
  if (isIP(v) === 6) {
    // Expand to eight groups so "::1" and "0:0:0:0:0:0:0:1" compare equal.
    const [head = '', tail = ''] = v.toLowerCase().split('::');
    const h = head === '' ? [] : head.split(':');
    const t = v.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
    const groups = v.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  }
  return v;
}

/** RFC 8705 §2.1.2: the certificate has a subjectAltName entry of this kind equal to the registered value (no wildcards). */
export function hasSubjectAltName(cert: X509Certificate, kind: SanKind, registered: string): boolean {
  const want = canonical(kind, registered);
  return subjectAltNames(cert).some((e) => e.kind === kind && canonical(kind, e.value) === want);
}
