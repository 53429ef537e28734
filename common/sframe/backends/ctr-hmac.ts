// Shared pieces of RFC 9605 §4.5.1's synthetic AEAD (AES-CTR then HMAC, tag truncated to Nt),
// so that each backend supplies only the two primitives.
import { SFrameError } from '../errors.js';
import type { CipherSuite } from '../suites.js';

export interface CtrHmacKeys {
  readonly encKey: Uint8Array;
  readonly authKey: Uint8Array;
}

export function splitCtrHmacKey(suite: CipherSuite, key: Uint8Array): CtrHmacKeys {
  checkKeyLength(suite, key);
  return { encKey: key.subarray(0, suite.nka), authKey: key.subarray(suite.nka) };
}

/** aad_len (8) || ct_len (8) || tag_len (8): the fixed-size start of the HMAC input. */
export function authDataPrefix(aadLength: number, ciphertextLength: number, tagLength: number): Uint8Array {
  const prefix = new Uint8Array(24);
  const view = new DataView(prefix.buffer);
  view.setBigUint64(0, BigInt(aadLength));
  view.setBigUint64(8, BigInt(ciphertextLength));
  view.setBigUint64(16, BigInt(tagLength));
  return prefix;
}

/** The 16-byte initial AES-CTR block: the 12-byte nonce followed by a zero 32-bit block counter. */
export function initialCounterBlock(nonce: Uint8Array): Uint8Array {
  const block = new Uint8Array(16);
  block.set(nonce);
  return block;
}

export function splitTag(
  suite: CipherSuite,
  ciphertextAndTag: Uint8Array,
): [ciphertext: Uint8Array, tag: Uint8Array] {
  if (ciphertextAndTag.length < suite.nt) {
    throw new SFrameError('authentication-failed', `ciphertext is shorter than the ${suite.nt}-byte tag`);
  }
  const split = ciphertextAndTag.length - suite.nt;
  return [ciphertextAndTag.subarray(0, split), ciphertextAndTag.subarray(split)];
}

export function checkKeyLength(suite: CipherSuite, key: Uint8Array): void {
  if (key.length !== suite.nk) {
    throw new SFrameError(
      'invalid-argument',
      `${suite.name} needs a ${suite.nk}-byte key, got ${key.length}`,
    );
  }
}

export function authenticationFailed(): SFrameError {
  return new SFrameError('authentication-failed', 'the authentication tag did not verify');
}
