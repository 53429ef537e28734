// SFrame key and salt derivation (RFC 9605 §4.4.2) and nonce formation (§4.4.3).
import { concatBytes, utf8 } from '../codec/bytes.js';
import { bigEndian, hkdfExpand, hkdfExtract } from './hkdf.js';
import type { CipherSuite } from './suites.js';

export interface KeyAndSalt {
  readonly key: Uint8Array;
  readonly salt: Uint8Array;
}

const KEY_LABEL = utf8('SFrame 1.0 Secret key ');
const SALT_LABEL = utf8('SFrame 1.0 Secret salt ');
const EMPTY = new Uint8Array(0);

/** The labels RFC 9605 binds into each derivation: "<label>" || KID (8 bytes) || suite (2 bytes). */
export function sframeLabels(
  suite: CipherSuite,
  kid: bigint,
): { keyLabel: Uint8Array; saltLabel: Uint8Array } {
  const suffix = concatBytes(bigEndian(kid, 8), bigEndian(suite.id, 2));
  return { keyLabel: concatBytes(KEY_LABEL, suffix), saltLabel: concatBytes(SALT_LABEL, suffix) };
}

export function deriveSFrameKeyAndSalt(suite: CipherSuite, kid: bigint, baseKey: Uint8Array): KeyAndSalt {
  const secret = hkdfExtract(suite.hash, EMPTY, baseKey);
  const { keyLabel, saltLabel } = sframeLabels(suite, kid);
  return {
    key: hkdfExpand(suite.hash, secret, keyLabel, suite.nk),
    salt: hkdfExpand(suite.hash, secret, saltLabel, suite.nn),
  };
}

/** nonce = salt XOR big-endian(counter) — the counter right-aligned in the nonce. */
export function formNonce(salt: Uint8Array, counter: bigint): Uint8Array {
  const nonce = salt.slice();
  let remaining = counter;
  for (let i = nonce.length - 1; i >= 0 && remaining > 0n; i--) {
    nonce[i] = nonce[i]! ^ Number(remaining & 0xffn);
    remaining >>= 8n;
  }
  return nonce;
}
