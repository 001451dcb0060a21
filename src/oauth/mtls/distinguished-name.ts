/**
 * Distinguished names as RFC 8705 §2.1.2 registers them (tls_client_auth_subject_dn): an RFC 4514 string,
 * most specific RDN first ("CN=svc,O=Example,C=DE"). Compared RDN by RDN with the certificate's subject:
 * attribute types as types, not spellings (short names, dotted OIDs with or without "OID.", and common aliases
 * such as E or S all name one type, RFC 4514 §2.3 and §3), values after unescaping ("\,", "\2c", and "#" hex DER
 * strings, §2.4), case-insensitively and with inner whitespace runs collapsed (X.520 caseIgnoreMatch, which covers
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

const TYPE = /^([A-Za-z][A-Za-z0-9-]*|(OID\.)?\d+(\.\d+)+)$/i;

/** Dotted OIDs of the attribute types certificates carry, by the name OpenSSL (and so X509Certificate.subject) prints. */
const OID_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'SERIALNUMBER', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET',
  '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'TITLE', '2.5.4.15': 'BUSINESSCATEGORY', '2.5.4.17': 'POSTALCODE', '2.5.4.42': 'GN',
  '2.5.4.43': 'INITIALS', '2.5.4.44': 'GENERATIONQUALIFIER', '2.5.4.46': 'DNQUALIFIER', '2.5.4.65': 'PSEUDONYM', '2.5.4.97': 'ORGANIZATIONIDENTIFIER',
  '0.9.2342.19200300.100.1.1': 'UID', '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '1.3.6.1.4.1.311.60.2.1.1': 'JURISDICTIONL', '1.3.6.1.4.1.311.60.2.1.2': 'JURISDICTIONST', '1.3.6.1.4.1.311.60.2.1.3': 'JURISDICTIONC',
};

/** Other spellings of those types: X.520 long names and what Java, .NET and Windows print (E, S, T, G). */
const ALIASES: Readonly<Record<string, string>> = {
  COMMONNAME: 'CN', SURNAME: 'SN', COUNTRYNAME: 'C', LOCALITYNAME: 'L', S: 'ST', STATEORPROVINCENAME: 'ST', STREETADDRESS: 'STREET',
  ORGANIZATIONNAME: 'O', ORGANIZATIONALUNITNAME: 'OU', T: 'TITLE', G: 'GN', GIVENNAME: 'GN', USERID: 'UID', DOMAINCOMPONENT: 'DC',
  E: 'EMAILADDRESS', EMAIL: 'EMAILADDRESS',
};

function canonicalType(type: string): string {
  const upper = type.toUpperCase();
  const oid = upper.startsWith('OID.') ? upper.slice(4) : upper;
  return OID_NAMES[oid] ?? ALIASES[upper] ?? oid;
}

/** DER string types a "#" value may hold, and how their bytes decode. */
const STRING_TAGS: Readonly<Record<number, (bytes: Buffer) => string>> = {
  0x0c: (b) => b.toString('utf8'), // UTF8String
  0x13: (b) => b.toString('latin1'), // PrintableString
  0x14: (b) => b.toString('latin1'), // TeletexString
  0x16: (b) => b.toString('latin1'), // IA5String
  0x1a: (b) => b.toString('latin1'), // VisibleString
  0x1e: (b) => Buffer.from(b).swap16().toString('utf16le'), // BMPString (UTF-16BE)
};

/** RFC 4514 §2.4: "#" and the hex of the value's BER encoding; only DER strings can equal a certificate's value. */
function hexValue(raw: string): string {
  const bad = () => new Error('a hex-encoded (#...) value must be the hex of one DER string (UTF8String, PrintableString, IA5String, ...)');
  if (!/^#([0-9A-Fa-f]{2})+$/.test(raw)) throw bad();
  const der = Buffer.from(raw.slice(1), 'hex');
  const decode = STRING_TAGS[der[0]!];
  let length = der[1] ?? 0;
  let start = 2;
  if (length & 0x80) {
    // Long form: the low bits say how many length bytes follow (two are plenty for a name).
    const count = length & 0x7f;
    if (count < 1 || count > 2) throw bad();
    start = 2 + count;
    length = der.subarray(2, start).reduce((n, byte) => n * 256 + byte, 0);
  }
  if (!decode || der.length !== start + length) throw bad();
  return decode(der.subarray(start));
}

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
    return [canonicalType(type), normaliseValue(raw.startsWith('#') ? hexValue(raw) : unescape(raw))] as const;
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
