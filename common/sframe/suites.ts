// The five RFC 9605 cipher suites (§4.5, IANA registry) and their size constants.

export type HashName = 'SHA-256' | 'SHA-512';
export type AeadMode = 'aes-gcm' | 'aes-ctr-hmac';

export interface CipherSuite {
  readonly id: number;
  readonly name: string;
  readonly mode: AeadMode;
  readonly hash: HashName;
  /** Hash output size. */
  readonly nh: number;
  /** AES key size inside the compound CTR+HMAC key (0 for GCM suites). */
  readonly nka: number;
  /** AEAD key size. */
  readonly nk: number;
  /** Nonce size. */
  readonly nn: number;
  /** Authentication tag size. */
  readonly nt: number;
}

function suite(
  id: number,
  name: string,
  mode: AeadMode,
  hash: HashName,
  nka: number,
  nk: number,
  nt: number,
): CipherSuite {
  return Object.freeze({ id, name, mode, hash, nh: hash === 'SHA-256' ? 32 : 64, nka, nk, nn: 12, nt });
}

export const AES_128_CTR_HMAC_SHA256_80 = suite(
  1,
  'AES_128_CTR_HMAC_SHA256_80',
  'aes-ctr-hmac',
  'SHA-256',
  16,
  48,
  10,
);
export const AES_128_CTR_HMAC_SHA256_64 = suite(
  2,
  'AES_128_CTR_HMAC_SHA256_64',
  'aes-ctr-hmac',
  'SHA-256',
  16,
  48,
  8,
);
export const AES_128_CTR_HMAC_SHA256_32 = suite(
  3,
  'AES_128_CTR_HMAC_SHA256_32',
  'aes-ctr-hmac',
  'SHA-256',
  16,
  48,
  4,
);
export const AES_128_GCM_SHA256_128 = suite(4, 'AES_128_GCM_SHA256_128', 'aes-gcm', 'SHA-256', 0, 16, 16);
export const AES_256_GCM_SHA512_128 = suite(5, 'AES_256_GCM_SHA512_128', 'aes-gcm', 'SHA-512', 0, 32, 16);

export const CIPHER_SUITES: readonly CipherSuite[] = [
  AES_128_CTR_HMAC_SHA256_80,
  AES_128_CTR_HMAC_SHA256_64,
  AES_128_CTR_HMAC_SHA256_32,
  AES_128_GCM_SHA256_128,
  AES_256_GCM_SHA512_128,
];

/** The default for media: full-size tags, hardware-accelerated AES everywhere. */
export const DEFAULT_CIPHER_SUITE = AES_128_GCM_SHA256_128;

export function cipherSuiteById(id: number): CipherSuite {
  const found = CIPHER_SUITES.find((candidate) => candidate.id === id);
  if (!found) throw new RangeError(`unknown SFrame cipher suite ${id}`);
  return found;
}
