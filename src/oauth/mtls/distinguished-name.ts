/**
 * Distinguished names as RFC 8705 §2.1.2 registers them (tls_client_auth_subject_dn): an RFC 4514 string,
 * most specific RDN first ("CN=svc,O=Example,C=DE"). Compared RDN by RDN with the certificate's subject:
 * attribute types case-insensitively (short names or dotted OIDs, as OpenSSL prints them), values after
 * unescaping, case-insensitively and with inner whitespace runs collapsed (X.520 caseIgnoreMatch, which covers
 * CN, O, OU, C, L, ST and the like).
 */

type Rdn = ReadonlyArray<readonly [type: string, value: string]>;

/** Splits on `sep` characters that are not backslash-escaped. */
function splitUnescaped(text: string, seps: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (seps.includes(ch)) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** RFC 4514 §2.4 unescaping: "\," and the like, and "\hh" byte pairs (UTF-8). */
function unescape(value: string): string {
  const bytes: number[] = [];
  const push = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch !== '\\') {
      push(ch);
      continue;
    }
    const pair = value.slice(i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
      bytes.push(parseInt(pair, 16));
      i += 2;
    } else if (i + 1 < value.length) {
      push(value[i + 1]!);
      i++;
    } else throw new Error('a trailing backslash');
  }
  return Buffer.from(bytes).toString('utf8');
}

const TYPE = /^([A-Za-z][A-Za-z0-9-]*|\d+(\.\d+)+)$/;

function normaliseValue(v: string): string {
  return v.trim().replace(/\s+/g, ' ').toLowerCase();
}

function parseRdn(text: string): Rdn {
  return splitUnescaped(text, '+').map((ava) => {
    const eq = ava.indexOf('=');
    if (eq <= 0) throw new Error(`"${ava.trim().slice(0, 40)}" is not type=value`);
    const type = ava.slice(0, eq).trim();
    if (!TYPE.test(type)) throw new Error(`"${type.slice(0, 40)}" is not an attribute type`);
    const raw = ava.slice(eq + 1).trim();
    if (raw.startsWith('#')) throw new Error('hex-encoded (#...) values are not supported');
    return [type.toUpperCase(), normaliseValue(unescape(raw))] as const;
  });
}

/** Parses an RFC 4514 string into RDNs, most specific first; throws an Error saying what is wrong. */
export function parseDistinguishedName(dn: string): Rdn[] {
  if (dn.trim() === '') throw new Error('is empty');
  return splitUnescaped(dn, ',').map(parseRdn);
}

/** Why `dn` is not a usable RFC 4514 string; undefined when it is one. */
export function distinguishedNameProblem(dn: string): string | undefined {
  try {
    parseDistinguishedName(dn);
    return undefined;
  } catch (err) {
    return `must be an RFC 4514 distinguished name such as "CN=client,O=Example,C=DE" (${(err as Error).message})`;
  }
}

/**
 * The certificate's subject as RDNs, most specific first. Node prints X509Certificate.subject one RDN a line
 * from the least specific (the order of the certificate), values escaped as RFC 2253 does.
 */
function subjectRdns(subject: string): Rdn[] {
  return subject
    .split('\n')
    .filter((line) => line !== '')
    .reverse()
    .map(parseRdn);
}

const sameRdn = (a: Rdn, b: Rdn): boolean => a.length === b.length && a.every(([t, v]) => b.some(([t2, v2]) => t === t2 && v === v2));

/** Whether the certificate subject (X509Certificate.subject) is the registered DN. */
export function subjectMatches(subject: string, registered: string): boolean {
  let want: Rdn[];
  let have: Rdn[];
  try {
    want = parseDistinguishedName(registered);
    have = subjectRdns(subject);
  } catch {
    return false;
  }
  return want.length === have.length && want.every((rdn, i) => sameRdn(rdn, have[i]!));
}
