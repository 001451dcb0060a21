import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, PEM, with the file names openssl wrote them to. */
export interface Issued {
  cert: string;
  key: string;
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  ca: Issued;
  /** The server's certificate (SAN IP 127.0.0.1 and localhost), issued by the CA. */
  server: Issued;
  /** Issued by the CA: subject CN=svc,OU=payments,O=Example,C=DE with DNS, URI, IP and e-mail SANs. */
  client: Issued;
  /** Issued by the CA: another subject and other SANs. */
  other: Issued;
  /** Self-signed, CN=self. */
  selfSigned: Issued;
  /** Issued by a CA nobody trusts, with the same subject as `client`. */
  rogue: Issued;
  /** Another self-signed certificate, made on demand (a client rotating its certificate). */
  selfSign(name: string): Issued;
  /** Made on demand: `client`'s subject and SANs from the trusted CA, expired a day ago. */
  expired(name: string): Issued;
  /** base64 DER of a PEM certificate (a JWK's x5c entry). */
  der(pem: string): string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function issue(dir: string, name: string, subject: string, opts: { ca?: string; san?: string; isCa?: boolean; days?: number }): Issued {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, [opts.isCa ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign' : 'basicConstraints=CA:FALSE', opts.san ? `subjectAltName=${opts.san}` : ''].join('\n'));
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  if (opts.ca) {
    const csr = join(dir, `${name}.csr`);
    openssl(dir, ['req', '-new', '-key', keyFile, '-subj', subject, '-out', csr]);
    openssl(dir, ['x509', '-req', '-in', csr, '-CA', `${opts.ca}.pem`, '-CAkey', `${opts.ca}.key`, '-CAcreateserial', '-days', String(opts.days ?? 2), '-extfile', ext, '-out', certFile]);
  } else {
    openssl(dir, ['req', '-x509', '-new', '-key', keyFile, '-subj', subject, '-days', '2', '-extensions', 'v3', '-config', writeConfig(dir, name, ext), '-out', certFile]);
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

function writeConfig(dir: string, name: string, ext: string): string {
  const file = join(dir, `${name}.cnf`);
  writeFileSync(file, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${readFileSync(ext, 'utf8')}\n`);
  return file;
}

const CLIENT_SAN = 'DNS:svc.example.org,URI:spiffe://example.org/svc,IP:10.0.0.7,email:svc@example.org';

/** A test PKI made by openssl in a temp dir (ECDSA P-256, valid for two days). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-pki-'));
  const ca = issue(dir, 'ca', '/CN=Tessera Test CA', { isCa: true });
  issue(dir, 'rogue-ca', '/CN=Rogue CA', { isCa: true });
  return {
    dir,
    ca,
    server: issue(dir, 'server', '/CN=localhost', { ca: 'ca', san: 'IP:127.0.0.1,DNS:localhost' }),
    client: issue(dir, 'client', '/C=DE/O=Example/OU=payments/CN=svc', { ca: 'ca', san: CLIENT_SAN }),
    other: issue(dir, 'other', '/C=DE/O=Example/CN=intruder', { ca: 'ca', san: 'DNS:intruder.example.org' }),
    selfSigned: issue(dir, 'self', '/CN=self', { san: 'DNS:self.example.org' }),
    rogue: issue(dir, 'rogue', '/C=DE/O=Example/OU=payments/CN=svc', { ca: 'rogue-ca', san: 'DNS:svc.example.org' }),
    selfSign: (name) => issue(dir, name, `/CN=${name}`, { san: `DNS:${name}.example.org` }),
    // openssl 3.0 x509 -days -1: notAfter a day before notBefore (now), so expired whichever date is checked.
    expired: (name) => issue(dir, name, '/C=DE/O=Example/OU=payments/CN=svc', { ca: 'ca', san: CLIENT_SAN, days: -1 }),
    der: (pem) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** RFC 8705 §3.1 x5t#S256 of a PEM certificate (base64url SHA-256 of the DER), computed here, not by the code under test. */
export function thumbprintOf(pem: string): string {
  return createHash('sha256').update(Buffer.from(pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''), 'base64')).digest('base64url');
}

/** A form POST over TLS, presenting `as` (cert and key) when given; the server is trusted through the test CA. */
export function tlsPost(pki: TestPki, url: string, form: Record<string, string>, as?: Issued, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString();
    const req = request(url, { method: 'POST', ca: pki.ca.cert, ...(as ? { cert: as.cert, key: as.key } : {}), agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
