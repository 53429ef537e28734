// Self-signed certificate generation (DER built by hand, checked with node:crypto and against
// RFC 5280 expectations) and its persistence: created once, reused, replaced when unusable.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CERT_FILE,
  KEY_FILE,
  certificateFingerprint,
  generateSelfSignedCertificate,
  loadOrCreateCertificate,
} from '../../../main/quic/certificates.js';
import { objectIdentifier, time, unsignedInteger } from '../../../main/quic/der.js';

const DAY = 24 * 60 * 60 * 1000;
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'moq-quic-cert-'));
  dirs.push(dir);
  return join(dir, 'nested'); // also checks that missing parents are created
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('DER encoder', () => {
  it('encodes OIDs, integers and times per X.690', () => {
    expect(Buffer.from(objectIdentifier('1.2.840.10045.4.3.2')).toString('hex')).toBe('06082a8648ce3d040302');
    expect(Buffer.from(unsignedInteger(Uint8Array.of(0x80))).toString('hex')).toBe('02020080');
    expect(Buffer.from(unsignedInteger(Uint8Array.of(0, 0, 5))).toString('hex')).toBe('020105');
    expect(Buffer.from(time(new Date('2030-01-02T03:04:05Z'))).toString()).toContain('300102030405Z');
    expect(Buffer.from(time(new Date('2051-01-02T03:04:05Z'))).toString()).toContain('20510102030405Z');
  });
});

describe('self-signed certificate', () => {
  it('is a valid ECDSA P-256 certificate for localhost and the loopback addresses', () => {
    const now = new Date('2030-06-01T12:00:00Z');
    const material = generateSelfSignedCertificate({ now });
    const cert = new X509Certificate(material.certPem);
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed signature checks out
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
    expect(cert.checkPrivateKey(createPrivateKey(material.keyPem))).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('example.com')).toBeUndefined();
    expect(cert.ca).toBe(false);
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    expect(from).toBeLessThanOrEqual(now.getTime());
    expect(to - from).toBeLessThanOrEqual(14 * DAY); // the WebTransport pinning limit
    expect(to - now.getTime()).toBeGreaterThan(12 * DAY);
    expect(material.notAfter.getTime()).toBe(to);
  });

  it('reports the SHA-256 of the DER as 64 lowercase hex digits', () => {
    const material = generateSelfSignedCertificate();
    const cert = new X509Certificate(material.certPem);
    expect(material.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(material.fingerprint).toBe(cert.fingerprint256.replace(/:/g, '').toLowerCase());
    expect(certificateFingerprint(material.certPem)).toBe(material.fingerprint);
    expect(certificateFingerprint(cert.raw)).toBe(material.fingerprint);
  });

  it('covers custom names and rejects invalid ones or an over-long validity', () => {
    const cert = new X509Certificate(
      generateSelfSignedCertificate({ names: ['relay.example', '10.0.0.5'] }).certPem,
    );
    expect(cert.checkHost('relay.example')).toBe('relay.example');
    expect(cert.checkIP('10.0.0.5')).toBe('10.0.0.5');
    expect(() => generateSelfSignedCertificate({ names: ['bad name'] })).toThrow(/invalid certificate name/);
    expect(() => generateSelfSignedCertificate({ names: [] })).toThrow(/at least one/);
    expect(() => generateSelfSignedCertificate({ validityMs: 15 * DAY })).toThrow(/14 days/);
  });
});

describe('stored certificate', () => {
  it('is created on first use with a 0600 key and reused afterwards', async () => {
    const dir = await tempDir();
    const first = await loadOrCreateCertificate(dir);
    expect(first.created).toBe(true);
    expect(first.certPath).toBe(join(dir, CERT_FILE));
    if (process.platform !== 'win32') {
      expect((await stat(first.keyPath)).mode & 0o777).toBe(0o600);
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    }
    expect(await readFile(first.certPath, 'utf8')).toBe(first.certPem);

    const second = await loadOrCreateCertificate(dir);
    expect(second.created).toBe(false);
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.keyPem).toBe(first.keyPem);
  });

  it('is replaced when close to expiry, not covering the names, or mismatched with its key', async () => {
    const dir = await tempDir();
    const original = await loadOrCreateCertificate(dir);

    const later = await loadOrCreateCertificate(dir, { now: new Date(Date.now() + 12 * DAY) });
    expect(later.created).toBe(true); // under 2 days left
    expect(later.fingerprint).not.toBe(original.fingerprint);

    const renamed = await loadOrCreateCertificate(dir, { names: ['relay.example'] });
    expect(renamed.created).toBe(true);
    expect(new X509Certificate(renamed.certPem).checkHost('relay.example')).toBe('relay.example');

    await writeFile(join(dir, KEY_FILE), generateSelfSignedCertificate().keyPem);
    const repaired = await loadOrCreateCertificate(dir, { names: ['relay.example'] });
    expect(repaired.created).toBe(true);

    await writeFile(join(dir, CERT_FILE), 'not a certificate');
    expect((await loadOrCreateCertificate(dir)).created).toBe(true);
  });
});
