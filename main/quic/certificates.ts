// Self-signed ECDSA P-256 server certificate for the embedded relay, persisted as PEM and reused
// until close to expiry. P-256 with a validity of at most 14 days is what browsers accept for
// WebTransport `serverCertificateHashes`, so the same certificate can be pinned by any client.
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as der from './der.js';
import { parseIP } from './ip.js';

export interface CertificateMaterial {
  /** Leaf certificate, PEM. */
  readonly certPem: string;
  /** PKCS#8 private key, PEM. */
  readonly keyPem: string;
  /** SHA-256 of the certificate DER, lowercase hex without colons. */
  readonly fingerprint: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CertificateOptions {
  /** DNS names and IP literals for subjectAltName; the first one is also the subject CN. */
  readonly names?: readonly string[];
  /** Total validity; capped at 14 days (the WebTransport pinning limit). Default 13 days. */
  readonly validityMs?: number;
  /** Clock override for tests. */
  readonly now?: Date;
}

export const DEFAULT_CERTIFICATE_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_VALIDITY_MS = 14 * DAY_MS;
const DEFAULT_VALIDITY_MS = 13 * DAY_MS;
/** Backdating absorbs small clock differences between the relay and its clients. */
const BACKDATE_MS = 60 * 60 * 1000;

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** SHA-256 fingerprint of a certificate given as PEM text or DER bytes (lowercase hex, no colons). */
export function certificateFingerprint(cert: string | Uint8Array): string {
  const derBytes = typeof cert === 'string' ? new X509Certificate(cert).raw : cert;
  return createHash('sha256').update(derBytes).digest('hex');
}

function generalNames(names: readonly string[]): der.Der {
  return der.sequence(
    ...names.map((name) => {
      const ip = parseIP(name);
      // iPAddress [7] carries the raw 4 or 16 address bytes; dNSName [2] is IA5 text.
      return ip ? der.implicitPrimitive(7, ip) : der.implicitPrimitive(2, new TextEncoder().encode(name));
    }),
  );
}

function extension(oid: string, critical: boolean, value: der.Der): der.Der {
  return der.sequence(
    der.objectIdentifier(oid),
    ...(critical ? [der.boolean(true)] : []),
    der.octetString(value),
  );
}

function validateNames(names: readonly string[]): void {
  if (names.length === 0) throw new Error('certificate needs at least one subjectAltName');
  for (const name of names) {
    if (parseIP(name)) continue;
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name)) {
      throw new Error(`invalid certificate name ${JSON.stringify(name)}: expected a DNS name or IP literal`);
    }
  }
}

/** Builds a fresh key pair and a self-signed v3 certificate (RFC 5280) for it. */
export function generateSelfSignedCertificate(options: CertificateOptions = {}): CertificateMaterial {
  const names = options.names ?? DEFAULT_CERTIFICATE_NAMES;
  validateNames(names);
  const validityMs = options.validityMs ?? DEFAULT_VALIDITY_MS;
  if (!(validityMs > 0 && validityMs <= MAX_VALIDITY_MS)) {
    throw new Error(`certificate validity must be between 1 ms and 14 days, got ${validityMs} ms`);
  }
  const now = options.now ?? new Date();
  // Whole seconds: X.509 times carry no fractions, and the returned dates must match the DER.
  const notBefore = new Date(Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + validityMs);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive and at most 16 octets once encoded
  const signatureAlgorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));
  const name = der.sequence(
    der.set(der.sequence(der.objectIdentifier(OID.commonName), der.utf8String(names[0] ?? 'localhost'))),
  );
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3, required for extensions
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name, // issuer = subject: self-signed
    der.sequence(der.time(notBefore), der.time(notAfter)),
    name,
    spki,
    der.explicit(
      3,
      der.sequence(
        // CA:FALSE (empty SEQUENCE is the DER of the defaults); no keyUsage, which would have to
        // include keyCertSign for some verifiers to accept a self-signed leaf as its own anchor.
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.extKeyUsage, false, der.sequence(der.objectIdentifier(OID.serverAuth))),
        extension(OID.subjectAltName, false, generalNames(names)),
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certDer = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return {
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    fingerprint: certificateFingerprint(certDer),
    notBefore,
    notAfter,
  };
}

function toPem(label: string, body: Uint8Array): string {
  const b64 = Buffer.from(body).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface StoredCertificateOptions extends CertificateOptions {
  /** Regenerate when less than this much validity remains. Default 2 days. */
  readonly renewBeforeMs?: number;
}

export interface StoredCertificate extends CertificateMaterial {
  readonly certPath: string;
  readonly keyPath: string;
  /** True when this call generated (or replaced) the files. */
  readonly created: boolean;
}

export const CERT_FILE = 'quic-cert.pem';
export const KEY_FILE = 'quic-key.pem';

/**
 * Returns the certificate stored in `dir`, generating and storing a new one when it is missing,
 * unreadable, does not match its key, does not cover `names`, or expires within `renewBeforeMs`.
 */
export async function loadOrCreateCertificate(
  dir: string,
  options: StoredCertificateOptions = {},
): Promise<StoredCertificate> {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  const existing = await readUsable(certPath, keyPath, options);
  if (existing) return { ...existing, certPath, keyPath, created: false };

  const fresh = generateSelfSignedCertificate(options);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Key first: a crash between the two renames leaves a mismatched pair, which the next call
  // detects and replaces, never a new certificate next to a stale key.
  await writeAtomically(keyPath, fresh.keyPem, 0o600);
  await writeAtomically(certPath, fresh.certPem, 0o644);
  return { ...fresh, certPath, keyPath, created: true };
}

async function readUsable(
  certPath: string,
  keyPath: string,
  options: StoredCertificateOptions,
): Promise<CertificateMaterial | undefined> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return undefined;
  }
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return undefined;
    const now = (options.now ?? new Date()).getTime();
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    const renewBeforeMs = options.renewBeforeMs ?? 2 * DAY_MS;
    if (now < notBefore.getTime() || now > notAfter.getTime() - renewBeforeMs) return undefined;
    const names = options.names ?? DEFAULT_CERTIFICATE_NAMES;
    const covered = names.every((n) =>
      parseIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n) !== undefined,
    );
    if (!covered) return undefined;
    return { certPem, keyPem, fingerprint: certificateFingerprint(cert.raw), notBefore, notAfter };
  } catch {
    return undefined; // corrupt or foreign files: replace them with a fresh pair
  }
}

async function writeAtomically(path: string, content: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await chmod(tmp, mode); // the umask may have narrowed or the platform ignored `mode`
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
