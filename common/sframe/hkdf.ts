// HKDF (RFC 5869) over the suite's hash, synchronous and portable. Key derivation runs once per
// key, never per frame, so a pure-JS implementation costs nothing measurable.
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import type { HashName } from './suites.js';

function hashFunction(hash: HashName) {
  return hash === 'SHA-256' ? sha256 : sha512;
}

export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(hashFunction(hash), ikm, salt);
}

export function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(hashFunction(hash), prk, info, length);
}

export function bigEndian(value: bigint | number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let remaining = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(remaining & 0xffn);
    remaining >>= 8n;
  }
  if (remaining !== 0n) throw new RangeError(`${value} does not fit in ${length} bytes`);
  return out;
}
