// Portable, synchronous AEAD backend on @noble/ciphers + @noble/hashes (audited pure JS). Works
// in any JS runtime; the reference the faster backends are checked against.
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { constantTimeEqual } from '../../codec/bytes.js';
import type { CipherSuite } from '../suites.js';
import {
  authDataPrefix,
  authenticationFailed,
  checkKeyLength,
  initialCounterBlock,
  splitCtrHmacKey,
  splitTag,
} from './ctr-hmac.js';
import type { AeadBackend, AeadKey } from './types.js';

function withPrefix(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

function gcmKey(key: Uint8Array): AeadKey {
  const ownKey = key.slice();
  return {
    seal: (nonce, aad, plaintext, prefix) => withPrefix(prefix, gcm(ownKey, nonce, aad).encrypt(plaintext)),
    open(nonce, aad, ciphertextAndTag) {
      try {
        return gcm(ownKey, nonce, aad).decrypt(ciphertextAndTag);
      } catch {
        throw authenticationFailed();
      }
    },
  };
}

function ctrHmacKey(suite: CipherSuite, key: Uint8Array): AeadKey {
  const { encKey, authKey } = splitCtrHmacKey(suite, key.slice());
  const hash = suite.hash === 'SHA-256' ? sha256 : sha512;
  const computeTag = (nonce: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array) =>
    hmac
      .create(hash, authKey)
      .update(authDataPrefix(aad.length, ciphertext.length, suite.nt))
      .update(nonce)
      .update(aad)
      .update(ciphertext)
      .digest()
      .subarray(0, suite.nt);
  return {
    seal(nonce, aad, plaintext, prefix) {
      const out = new Uint8Array(prefix.length + plaintext.length + suite.nt);
      out.set(prefix);
      const ciphertext = out.subarray(prefix.length, prefix.length + plaintext.length);
      ciphertext.set(ctr(encKey, initialCounterBlock(nonce)).encrypt(plaintext));
      out.set(computeTag(nonce, aad, ciphertext), prefix.length + plaintext.length);
      return out;
    },
    open(nonce, aad, ciphertextAndTag) {
      const [ciphertext, tag] = splitTag(suite, ciphertextAndTag);
      if (!constantTimeEqual(computeTag(nonce, aad, ciphertext), tag)) throw authenticationFailed();
      return ctr(encKey, initialCounterBlock(nonce)).decrypt(ciphertext);
    },
  };
}

export const nobleBackend: AeadBackend = {
  name: 'noble',
  synchronous: true,
  importKey(suite, key) {
    checkKeyLength(suite, key);
    return suite.mode === 'aes-gcm' ? gcmKey(key) : ctrHmacKey(suite, key);
  },
};
