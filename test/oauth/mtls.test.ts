import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainsTo, clientCertificate } from '../../src/oauth/mtls/client-certificate.js';
import { distinguishedNameProblem, subjectMatches } from '../../src/oauth/mtls/distinguished-name.js';
import { hasSubjectAltName, subjectAltNames } from '../../src/oauth/mtls/subject-alt-name.js';
import { parseForwardedCertificate } from '../../src/http/client-certificate.js';
import { makeTestPki, type TestPki } from '../support/certificates.js';

describe('certificate names (RFC 8705 §2.1.2)', () => {
  it('compares an RFC 4514 DN with the subject RDN by RDN: case, spacing and escapes do not matter, order does', () => {
    const subject = 'C=DE\nO=Example\\, Inc.\nOU=payments\nCN=svc one';
    expect(subjectMatches(subject, 'CN=svc one,OU=payments,O=Example\\, Inc.,C=DE')).toBe(true);
    expect(subjectMatches(subject, 'cn=SVC  one, ou=Payments , o=example\\2c inc., c=de')).toBe(true);
    expect(subjectMatches(subject, 'C=DE,O=Example\\, Inc.,OU=payments,CN=svc one')).toBe(false);
    expect(subjectMatches(subject, 'CN=svc one,OU=payments,O=Example\\, Inc.')).toBe(false);
    expect(subjectMatches(subject, 'CN=svc,OU=payments,O=Example\\, Inc.,C=DE')).toBe(false);
    expect(subjectMatches('CN=a+UID=1', 'UID=1+CN=a')).toBe(true);
  });

  it('compares attribute types, not their spellings: dotted OIDs, OID. prefixes and common aliases (RFC 4514 §2.3, §3)', () => {
    const subject = 'C=DE\nO=Example\nST=Berlin\nCN=svc\nemailAddress=svc@example.org\norganizationIdentifier=PSDDE-BAFIN-123';
    const dn = 'emailAddress=svc@example.org,CN=svc,ST=Berlin,O=Example,C=DE';
    expect(subjectMatches(subject, `organizationIdentifier=PSDDE-BAFIN-123,${dn}`)).toBe(true);
    expect(subjectMatches(subject, '2.5.4.97=PSDDE-BAFIN-123,1.2.840.113549.1.9.1=svc@example.org,2.5.4.3=svc,2.5.4.8=Berlin,2.5.4.10=Example,2.5.4.6=DE')).toBe(true);
    expect(subjectMatches(subject, 'OID.2.5.4.97=PSDDE-BAFIN-123,E=svc@example.org,CN=svc,S=Berlin,O=Example,C=DE')).toBe(true);
    expect(subjectMatches(subject, '2.5.4.97=PSDDE-BAFIN-123,EMAIL=svc@example.org,commonName=svc,stateOrProvinceName=Berlin,organizationName=Example,countryName=DE')).toBe(true);
    expect(subjectMatches(subject, '2.5.4.97=PSDDE-BAFIN-123,E=svc@example.org,2.5.4.4=svc,ST=Berlin,O=Example,C=DE')).toBe(false);
  });

  it('understands hex-encoded DER string values (#..., RFC 4514 §2.4), as Java prints e-mail addresses', () => {
    const subject = 'C=DE\nCN=svc\nemailAddress=svc@example.org';
    const ia5 = `#16${(15).toString(16).padStart(2, '0')}${Buffer.from('svc@example.org').toString('hex')}`;
    expect(subjectMatches(subject, `1.2.840.113549.1.9.1=${ia5},CN=svc,C=DE`)).toBe(true);
    expect(subjectMatches(subject, `1.2.840.113549.1.9.1=${ia5},CN=#0c03737663,C=#13024445`)).toBe(true);
    expect(subjectMatches(subject, `1.2.840.113549.1.9.1=${ia5},CN=#0c03737664,C=DE`)).toBe(false);
    expect(distinguishedNameProblem(`1.2.840.113549.1.9.1=${ia5},CN=svc`)).toBeUndefined();
    expect(distinguishedNameProblem('CN=#0c0373766')).toMatch(/hex/);
    expect(distinguishedNameProblem('CN=#0c05737663')).toMatch(/hex/);
  });

  it('says what is wrong with a DN that could never match', () => {
    expect(distinguishedNameProblem('CN=svc,O=Example')).toBeUndefined();
    expect(distinguishedNameProblem('')).toMatch(/RFC 4514/);
    expect(distinguishedNameProblem('svc')).toMatch(/type=value/);
    expect(distinguishedNameProblem('CN=#0403616263')).toMatch(/hex/);
    expect(distinguishedNameProblem('C N=x')).toMatch(/attribute type/);
  });

  describe('with certificates', () => {
    let pki: TestPki;
    beforeAll(() => (pki = makeTestPki()));
    afterAll(() => pki.remove());

    it('reads every subjectAltName kind and matches exactly (DNS case-insensitive, IPv6 spellings, no wildcards)', () => {
      const cert = new X509Certificate(pki.client.cert);
      expect(subjectAltNames(cert)).toEqual([
        { kind: 'dns', value: 'svc.example.org' },
        { kind: 'uri', value: 'spiffe://example.org/svc' },
        { kind: 'ip', value: '10.0.0.7' },
        { kind: 'email', value: 'svc@example.org' },
      ]);
      expect(hasSubjectAltName(cert, 'dns', 'SVC.Example.org')).toBe(true);
      expect(hasSubjectAltName(cert, 'dns', '*.example.org')).toBe(false);
      expect(hasSubjectAltName(cert, 'uri', 'spiffe://example.org/SVC')).toBe(false);
      expect(hasSubjectAltName(cert, 'ip', '10.0.0.8')).toBe(false);
      expect(hasSubjectAltName(cert, 'email', 'svc@EXAMPLE.org')).toBe(true);
      expect(hasSubjectAltName(cert, 'dns', '10.0.0.7')).toBe(false);
      expect(hasSubjectAltName(new X509Certificate(pki.selfSigned.cert), 'uri', 'spiffe://example.org/svc')).toBe(false);
    });

    it('chainsTo: issued by an anchor, not by another CA, not when expired', () => {
      const ca = new X509Certificate(pki.ca.cert);
      const leaf = new X509Certificate(pki.client.cert);
      expect(chainsTo(leaf, [ca], [], Date.now())).toBe(true);
      expect(chainsTo(new X509Certificate(pki.rogue.cert), [ca], [], Date.now())).toBe(false);
      expect(chainsTo(new X509Certificate(pki.selfSigned.cert), [ca], [], Date.now())).toBe(false);
      expect(chainsTo(leaf, [ca], [], Date.now() + 10 * 86_400_000)).toBe(false);
      expect(chainsTo(leaf, [], [ca], Date.now())).toBe(false);
    });

    it('the thumbprint is the base64url SHA-256 of the DER (x5t#S256)', () => {
      const cert = new X509Certificate(pki.client.cert);
      expect(clientCertificate(cert, true, 'tls').thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(clientCertificate(cert, true, 'tls').thumbprint).toBe(clientCertificate(new X509Certificate(Buffer.from(pki.der(pki.client.cert), 'base64')), false, 'header').thumbprint);
    });

    it('parses forwarded certificates: PEM, PEM with spaces for line breaks, URL-encoded PEM with chain, DER, XFCC; refuses junk', () => {
      const leaf = new X509Certificate(pki.client.cert);
      expect(parseForwardedCertificate(pki.client.cert)![0]!.fingerprint256).toBe(leaf.fingerprint256);
      expect(parseForwardedCertificate(pki.client.cert.replace(/\n/g, ' '))![0]!.fingerprint256).toBe(leaf.fingerprint256);
      expect(parseForwardedCertificate(encodeURIComponent(pki.client.cert + pki.ca.cert))).toHaveLength(2);
      expect(parseForwardedCertificate(pki.der(pki.client.cert))![0]!.fingerprint256).toBe(leaf.fingerprint256);
      expect(parseForwardedCertificate(`Hash=1;Cert="${encodeURIComponent(pki.other.cert)}",By=x;Cert="${encodeURIComponent(pki.client.cert)}";Chain="${encodeURIComponent(pki.ca.cert)}"`)!.map((c) => c.fingerprint256)).toEqual([leaf.fingerprint256, new X509Certificate(pki.ca.cert).fingerprint256]);
      expect(parseForwardedCertificate('   ')).toBeUndefined();
      expect(() => parseForwardedCertificate('%E0%A4%A')).toThrow(/cannot be parsed/);
      expect(() => parseForwardedCertificate('-----BEGIN CERTIFICATE-----AAAA-----END CERTIFICATE-----')).toThrow(/cannot be parsed/);
      expect(() => parseForwardedCertificate('hello world')).toThrow(/cannot be parsed/);
      // Node joins a repeated header with ", ": never take the first (possibly the client's own) certificate.
      expect(() => parseForwardedCertificate(`${encodeURIComponent(pki.client.cert)}, ${encodeURIComponent(pki.other.cert)}`)).toThrow(/repeated/);
      expect(() => parseForwardedCertificate(`${pki.der(pki.client.cert)}, ${pki.der(pki.other.cert)}`)).toThrow(/repeated/);
    });
  });
});
