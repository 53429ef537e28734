// How a client decides to trust a relay: pin the SHA-256 of its certificate (self-signed relays,
// `moqt://…?fp=`), a CA bundle, or the OS store. Pinning is checked here, in JS; CA and OS trust
// are left to BoringSSL's own chain and host name verification.
import { X509Certificate, createHash, timingSafeEqual } from 'node:crypto';

export type TrustOptions =
  /** Accept exactly these leaf certificates (SHA-256 of the DER; hex, colons and case ignored). */
  | { readonly kind: 'fingerprint'; readonly sha256: string | readonly string[] }
  /** Verify the chain against these PEM CA certificates and the server name. */
  | { readonly kind: 'ca'; readonly ca: string | readonly string[] }
  /** Verify against the operating system's CA store (OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR). */
  | { readonly kind: 'system' };

/** Normalises a fingerprint to 64 lowercase hex digits, or throws saying what is wrong with it. */
export function normalizeFingerprint(text: string): string {
  const hex = text.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new Error(
      `invalid certificate fingerprint ${JSON.stringify(text)}: expected a SHA-256 as 64 hex digits`,
    );
  }
  return hex;
}

/**
 * Checks a pinned leaf certificate: its SHA-256 must equal one of `expected` (normalised) and
 * `now` must lie inside its validity, as browsers require for `serverCertificateHashes`.
 * Returns undefined when acceptable, else a message for the user.
 */
export function checkPinnedCertificate(
  leaf: Uint8Array | undefined,
  expected: readonly string[],
  now: Date = new Date(),
): string | undefined {
  if (!leaf) return 'the server presented no certificate';
  const actual = createHash('sha256').update(leaf).digest();
  const match = expected.some((fp) => timingSafeEqual(Buffer.from(fp, 'hex'), actual));
  if (!match) {
    return (
      `server certificate fingerprint mismatch: got sha256 ${actual.toString('hex')}, ` +
      `expected ${expected.join(' or ')}`
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(leaf);
  } catch {
    return 'the pinned server certificate could not be parsed';
  }
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) return `the pinned server certificate is not valid before ${from.toISOString()}`;
  if (now > to) return `the pinned server certificate expired at ${to.toISOString()}`;
  return undefined;
}
